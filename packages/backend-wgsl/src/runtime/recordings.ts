/// <reference types="webgpu" />
/**
 * The spike recordings of a WebGPU runtime: one buffer per population that records spikes, a row
 * of spike bits per step and batch element (the neuron kernel writes it), grown by copying when
 * a trial runs longer than it holds, and read back as spike lists (spike-bits.ts).
 */
import { RuntimeUsageError, type KernelPlan, type SpikeRecording } from "@snn/core";
import { BufferLimitError } from "../errors";
import type { DeviceSession } from "./device-session";
import { BufferUsage } from "./gpu";
import { decodeSpikeBits } from "./spike-bits";

interface Recording {
  buffer: GPUBuffer;
  /** Steps the buffer holds. */
  capacity: number;
  readonly words: number;
  /** Largest capacity a single binding allows. */
  readonly maxCapacity: number;
}

/** The recording buffers of a runtime's populations. */
export class SpikeRecordings {
  /** By population; null where the population does not record. */
  private readonly recordings: (Recording | null)[];

  constructor(
    private readonly device: GPUDevice,
    private readonly plan: KernelPlan,
    /** Words of spike bits per step and batch element, by population. */
    spikeWords: readonly number[],
    /** The largest storage binding, bytes. */
    private readonly maxBinding: number,
    /** Steps the buffers hold at first (`CompileOptions.recordingSteps`). */
    recordingSteps: number,
    /** Creates a storage buffer of at least `size` bytes. */
    create: (label: string, size: number) => GPUBuffer,
  ) {
    const B = plan.batchSize;
    this.recordings = plan.populations.map((p, i) => {
      if (!p.recordSpikes) return null;
      const words = spikeWords[i]!;
      const maxCapacity = Math.floor(maxBinding / (B * words * 4));
      const capacity = Math.max(1, Math.min(recordingSteps, maxCapacity));
      return {
        buffer: create(`spike recording ${p.name}`, capacity * B * words * 4),
        capacity,
        words,
        maxCapacity,
      };
    });
  }

  /** The recording buffer of a population that records. */
  buffer(population: number): GPUBuffer {
    return this.recordings[population]!.buffer;
  }

  /** Adds the bytes of each recording to its population's entry of `byOwner`. */
  addBytes(byOwner: Record<string, number>): void {
    this.recordings.forEach((r, i) => {
      if (!r) return;
      const name = this.plan.populations[i]!.name;
      byOwner[name] = (byOwner[name] ?? 0) + r.buffer.size;
    });
  }

  /**
   * Grows every recording that holds fewer than `steps` steps, keeping the `trialStep` steps
   * recorded so far; the old buffer goes to `retire` (destroyed once the GPU is done with it) and
   * `replaced` is told which population's buffer changed. Throws {@link BufferLimitError} when
   * one binding cannot hold `steps` steps.
   */
  ensureCapacity(
    steps: number,
    trialStep: number,
    retire: (buffer: GPUBuffer) => void,
    replaced: (population: number) => void,
  ): void {
    this.recordings.forEach((r, i) => {
      if (!r || steps <= r.capacity) return;
      const population = this.plan.populations[i]!;
      const B = this.plan.batchSize;
      if (steps > r.maxCapacity) {
        throw new BufferLimitError(
          `The spike recording of population '${population.name}' (${steps} steps x batch ${B} x ${population.size} neurons as bits)`,
          steps * B * r.words * 4,
          this.maxBinding,
          `Record at most ${r.maxCapacity} steps per trial at this batch size (call startTrial() sooner), use a smaller batch, or do not record this population.`,
        );
      }
      const capacity = Math.min(Math.max(steps, r.capacity * 2), r.maxCapacity);
      const buffer = this.device.createBuffer({
        label: `spike recording ${population.name}`,
        size: capacity * B * r.words * 4,
        usage: BufferUsage.STORAGE | BufferUsage.COPY_SRC | BufferUsage.COPY_DST,
      });
      const used = Math.min(trialStep, r.capacity) * B * r.words * 4;
      if (used > 0) {
        const encoder = this.device.createCommandEncoder({ label: "grow spike recording" });
        encoder.copyBufferToBuffer(r.buffer, 0, buffer, 0, used);
        this.device.queue.submit([encoder.finish()]);
      }
      retire(r.buffer);
      r.buffer = buffer;
      r.capacity = capacity;
      replaced(i);
    });
  }

  /** The spikes population `index` (named `population`) recorded in the first `numSteps` steps of the trial. */
  async read(
    population: string,
    index: number,
    numSteps: number,
    session: DeviceSession,
  ): Promise<SpikeRecording> {
    const r = this.recordings[index];
    if (!r)
      throw new RuntimeUsageError(
        `readSpikes(${population}): population '${population}' does not record spikes; add it with recordSpikes: true.`,
      );
    const B = this.plan.batchSize;
    const size = this.plan.populations[index]!.size;
    const words = r.words;
    if (numSteps === 0)
      return { ...decodeSpikeBits(new Uint32Array(0), 0, B, words, size), numSteps };
    const bits = new Uint32Array(
      await session.readBuffer(r.buffer, 0, numSteps * B * words * 4, `readSpikes(${population})`),
    );
    return { ...decodeSpikeBits(bits, numSteps, B, words, size), numSteps };
  }

  destroy(): void {
    for (const r of this.recordings) r?.buffer.destroy();
  }
}
