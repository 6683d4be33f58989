/// <reference types="webgpu" />
/**
 * The spike events of a WebGPU runtime's spike source arrays: one buffer per spike source, the
 * trial's events as a row of spike bits per step and batch element (spike-bits.ts), replaced by
 * a larger one when a longer trial's events do not fit. The neuron kernel reads them.
 */
import {
  RuntimeUsageError,
  type DeviceSpikeEvents,
  type KernelPlan,
  type SpikeEvents,
} from "@snn/core";
import { validateSpikeEvents } from "@snn/core/internal";
import { BufferLimitError } from "../errors";
import type { WebGpuTypes } from "./device-access";
import { align4, BufferUsage } from "./gpu";
import { spikeEventBits } from "./spike-bits";

/** The event buffers of a runtime's spike source arrays. */
export class SpikeEventBuffers {
  /** By population; null where the population is no spike source array. */
  private readonly holders: ({ buffer: GPUBuffer; steps: number } | null)[];

  constructor(
    private readonly device: GPUDevice,
    private readonly plan: KernelPlan,
    /** Words of spike bits per step and batch element, by population. */
    private readonly spikeWords: readonly number[],
    /** The largest storage binding, bytes. */
    private readonly maxBinding: number,
    /** Creates a storage buffer of at least `size` bytes. */
    create: (label: string, size: number) => GPUBuffer,
  ) {
    this.holders = plan.populations.map((p) =>
      p.spikeSource ? { buffer: create(`spike events ${p.name}`, 16), steps: 0 } : null,
    );
  }

  /** The event buffer of a spike source array. */
  buffer(population: number): GPUBuffer {
    return this.holders[population]!.buffer;
  }

  /**
   * Writes the events of population `index` (named `population`) and returns the steps they
   * cover. A buffer too small is replaced: the old one goes to `retire` and `replaced` is told.
   * Refuses a population that is no spike source array, bad events, and events one binding
   * cannot hold.
   */
  set(
    population: string,
    index: number,
    events: readonly SpikeEvents[],
    retire: (buffer: GPUBuffer) => void,
    replaced: () => void,
  ): number {
    const planned = this.plan.populations[index]!;
    const holder = this.holders[index];
    if (!planned.spikeSource || !holder) {
      const sources = this.plan.populations.filter((p) => p.spikeSource).map((p) => p.name);
      throw new RuntimeUsageError(
        `setSpikeEvents(${population}): '${population}' is not a spike source array (model '${planned.model.name}'). Spike source arrays: ${sources.length > 0 ? sources.join(", ") : "(none)"}.`,
      );
    }
    const B = this.plan.batchSize;
    validateSpikeEvents(population, planned.size, B, events);
    let steps = 0;
    for (const e of events)
      if (e.steps.length > 0) steps = Math.max(steps, e.steps[e.steps.length - 1]! + 1);
    const words = this.spikeWords[index]!;
    const bytes = steps * B * words * 4;
    if (bytes > this.maxBinding) {
      throw new BufferLimitError(
        `The spike events of population '${population}' (${steps} steps x batch ${B} x ${planned.size} neurons as bits)`,
        bytes,
        this.maxBinding,
        `Use shorter trials (at most ${Math.floor(this.maxBinding / (B * words * 4))} steps at this batch size) or a smaller batch.`,
      );
    }
    const bits = spikeEventBits(events, steps, words);
    if (bits.byteLength > holder.buffer.size) {
      retire(holder.buffer);
      holder.buffer = this.device.createBuffer({
        label: `spike events ${population}`,
        size: align4(Math.max(bits.byteLength, holder.buffer.size * 2)),
        usage: BufferUsage.STORAGE | BufferUsage.COPY_DST | BufferUsage.COPY_SRC,
      });
      replaced();
    }
    this.device.queue.writeBuffer(holder.buffer, 0, bits);
    holder.steps = steps;
    return steps;
  }

  /** The events of population `index` (named `population`) on the device ({@link DeviceAccess.spikeEventStorage}). */
  storage(population: string, index: number, call: string): DeviceSpikeEvents<WebGpuTypes> {
    const holder = this.holders[index];
    if (!holder)
      throw new RuntimeUsageError(
        `${call}(${population}): '${population}' is not a spike source array.`,
      );
    return { buffer: holder.buffer, wordsPerRow: this.spikeWords[index]!, steps: holder.steps };
  }

  destroy(): void {
    for (const e of this.holders) e?.buffer.destroy();
  }
}
