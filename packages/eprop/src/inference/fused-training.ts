/**
 * Fused training: a chunked training trial on the host (`chunkedTraces: 'host'`) whose forward
 * pass runs as one WebAssembly call per run of steps within a chunk ({@link fusedRunSteps}):
 * the fused inference kernel (fused-kernel.ts) with the training extension
 * (fused-training-kernel.ts), in the trace engine's memory. Besides the forward pass the call
 * does the host step's work (psi(u) into the chunk's psi history, the firing rate and r(u) into
 * the regulariser history) and leaves every step's spike list and readout y; the chunk
 * evaluation (chunked/eligibility.ts `runFused`) then does the rest of its per-step host work
 * (softmax, error, bias gradient, sums, the errors of the learning signal, the spike lists of
 * the traces and the readout gradient, the chunk's job at its end) in the same order as after
 * each step of the stepped form: the readout and the learning signal do not feed back into the
 * forward pass, so the gradients, losses and sums are the stepped form's to the bit.
 *
 * The weights, adaptation strengths and readout bias are read from the compiled network at the
 * start of every trial (the optimizer changes them between batches), and at its end the hidden
 * layer's V and A and the readout's y are written back into it, as stepping would leave them
 * (the non-finite check reads them, non-finite.ts); the network's other state is not advanced.
 */
import type { Runtime } from "@snn/core";
import type { ChunkedEligibility } from "../chunked/eligibility";
import type { TrialOutputs } from "../eprop-runtime-options";
import { outputsOf, type TrialParts } from "../run-trial";
import type { PreparedTrial } from "../trial";
import type { EpropLayout } from "../compile";
import type { EpropNetworkDescription } from "../description";
import type { FusedForwardRun } from "../chunked/chunk-state";
import type { HostSpikes } from "../chunked/trace-layer";
import { FusedInference } from "./fused-inference";
import { BLOCK_NEURONS } from "./fused-kernel";
import { trainingConstants, trainingExtension, type TrainingLayout } from "./fused-training-kernel";

/** Bytes of a run's steps, counted as a hidden row and a readout row per batch element and step: within a core's cache. */
const RUN_OUTPUT_BYTES = 256 * 1024;

/**
 * Steps per fused run: at most a chunk, and as many as keep {@link RUN_OUTPUT_BYTES} (7 at batch
 * 32, 256 neurons and 10 outputs). Runs of whole chunks (250 steps) measured slower: the host's
 * per-step work then reads what the run wrote from memory, not from cache.
 */
export function fusedRunSteps(
  description: EpropNetworkDescription,
  batchSize: number,
  chunkSteps: number,
): number {
  const hidden = Math.ceil((description.hidden[0]?.size ?? 1) / BLOCK_NEURONS) * BLOCK_NEURONS;
  const outputs = Math.ceil(description.readout.size / 4) * 4;
  const stepBytes = batchSize * (hidden + outputs) * 4;
  return Math.max(1, Math.min(chunkSteps, Math.floor(RUN_OUTPUT_BYTES / stepBytes)));
}

/**
 * The fused forward pass of a training runtime, in the trace engine's memory: the kernel with
 * the training extension (fused-training-kernel.ts), its per-run outputs (y and spike lists of
 * every step) and the {@link FusedForwardRun} the chunk evaluation runs it through.
 */
export class FusedTraining implements FusedForwardRun {
  private constructor(
    readonly forward: FusedInference,
    readonly traces: ChunkedEligibility,
    private readonly t: TrainingLayout,
    /** The most steps a run takes ({@link fusedRunSteps}). */
    readonly runSteps: number,
    private readonly batchSize: number,
  ) {}

  /** Fused training for a chunked training runtime on the host, or null where the fused kernel does not reproduce its network. */
  static create(
    description: EpropNetworkDescription,
    layout: EpropLayout,
    runtime: Runtime,
    traces: ChunkedEligibility,
    chunkSteps: number,
  ): FusedTraining | null {
    const target = traces.fusedTarget();
    if (target === null) return null;
    let t: TrainingLayout | null = null;
    const forward = FusedInference.create(description, layout, runtime, {
      arena: target.arena,
      extension: (l) => trainingExtension(l, t!),
    });
    if (forward === null) return null;
    const batchSize = layout.batchSize;
    const runSteps = fusedRunSteps(description, batchSize, chunkSteps);
    const l = forward.kernelLayout;
    const arena = target.arena;
    t = {
      psiScale: forward.hiddenParameter("PsiScale"),
      regularisation: target.regularisation,
      constants: arena.allocate(7 * 16),
      rate: target.rate,
      historyStepBytes: target.historyStepBytes,
      spikes: arena.allocate((runSteps + 1) * batchSize * l.hidden * 4),
      spikeCounts: arena.allocate((runSteps + 1) * batchSize * 4),
      y: arena.allocate(runSteps * batchSize * l.outputsPadded * 4),
    };
    const { f32, f64 } = trainingConstants(t);
    const at = t.constants;
    f32.forEach((value, k) => arena.floats(at + 16 * k, 4).fill(value));
    f64.forEach((value, k) => arena.doubles(at + 16 * (f32.length + k), 2).fill(value));
    return new FusedTraining(forward, traces, t, runSteps, batchSize);
  }

  /** Starts a trial: the forward pass's state and events, and no spikes before it. */
  startTrial(trial: PreparedTrial): void {
    this.forward.startTrial(trial);
    this.forward.ints.fill(0, this.t.spikeCounts / 4, this.t.spikeCounts / 4 + this.batchSize);
  }

  run(first: number, count: number, psiAt: number, regAt: number): void {
    this.forward.run(first, count, psiAt, regAt);
  }

  readY(i: number, into: Float32Array): void {
    const { forward, batchSize } = this;
    const l = forward.kernelLayout;
    const floats = forward.floats;
    const nOut = l.outputs;
    let at = this.t.y / 4 + i * batchSize * l.outputsPadded;
    for (let b = 0, k = 0; b < batchSize; b++, at += l.outputsPadded)
      for (let o = 0; o < nOut; o++) into[k++] = floats[at + o]!;
  }

  private views: { buffer: ArrayBufferLike; slots: HostSpikes[] } | null = null;

  spikes(slot: number): HostSpikes {
    const ints = this.forward.ints;
    if (this.views === null || this.views.buffer !== ints.buffer) {
      const { batchSize, t } = this;
      const n = this.forward.kernelLayout.hidden;
      this.views = {
        buffer: ints.buffer,
        slots: Array.from({ length: this.runSteps + 1 }, (_, k) => ({
          units: new Int32Array(ints.buffer, t.spikes + k * batchSize * n * 4, batchSize * n),
          counts: new Int32Array(ints.buffer, t.spikeCounts + k * batchSize * 4, batchSize),
        })),
      };
    }
    return this.views.slots[slot]!;
  }

  endRun(count: number): void {
    const last = this.spikes(count);
    const first = this.spikes(0);
    const n = this.forward.kernelLayout.hidden;
    for (let b = 0; b < this.batchSize; b++) {
      const spikes = last.counts[b]!;
      first.counts[b] = spikes;
      first.units.set(last.units.subarray(b * n, b * n + spikes), b * n);
    }
  }
}

/** Runs one training trial as fused training (see the file's comment). */
export async function runFusedTrainingTrial(
  parts: TrialParts,
  fused: FusedTraining,
  trial: PreparedTrial,
): Promise<TrialOutputs> {
  const { forward, traces } = fused;
  const runtime = parts.runtime;
  const { numSteps } = trial;
  await forward.loadParameters(runtime);
  await traces.startTrial(trial, runtime);
  fused.startTrial(trial);
  // Runs of at most `runSteps` steps (fusedRunSteps), within a chunk.
  for (let s = 0; s < numSteps;) {
    const count = Math.min(traces.stepsToChunkEnd(s), fused.runSteps);
    traces.runFused(s, count, fused);
    s += count;
  }
  await writeState(forward, parts);
  await traces.finishTrial(runtime);
  const sums = traces.readoutSums();
  return outputsOf(parts, trial, sums.loss, sums.pi, sums.y, {
    [forward.hiddenName]: forward.spikeCounts(),
  });
}

/** The hidden layer's V and A and the readout's y into the compiled network. */
async function writeState(forward: FusedInference, parts: TrialParts): Promise<void> {
  const runtime: Runtime = parts.runtime;
  await runtime.writeVar(forward.hiddenName, "V", forward.readState("v"));
  await runtime.writeVar(forward.hiddenName, "A", forward.readState("a"));
  await runtime.writeVar(parts.layout.readoutPopulation, "Y", forward.readState("y"));
}
