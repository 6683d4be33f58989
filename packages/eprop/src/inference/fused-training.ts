/**
 * Fused training: a chunked training trial on the host (`chunkedTraces: 'host'`) whose forward
 * pass runs as one WebAssembly call per run of steps within a chunk ({@link fusedRunSteps};
 * fused-kernel.ts with the training outputs of fused-training-kernel.ts) instead of the compiled
 * network's kernels step by step. The call leaves every step's `PsiSpike` of the hidden layer
 * and y of the readout; the chunk evaluation (chunked/eligibility.ts `afterRun`) then does its
 * per-step host work on them in the same order
 * as after each step of the stepped form (the readout and the learning signal do not feed back
 * into the forward pass), so that the gradients, losses and sums are the stepped form's to the bit.
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
import type { EpropNetworkDescription } from "../description";
import type { FusedInference } from "./fused-inference";
import { BLOCK_NEURONS } from "./fused-kernel";

/** Bytes of outputs (`PsiSpike` and y of every step) one fused run leaves at most: within a core's cache. */
const RUN_OUTPUT_BYTES = 256 * 1024;

/**
 * Steps per fused run: at most a chunk, and as many as keep the run's outputs within
 * {@link RUN_OUTPUT_BYTES}, so that the host's per-step work reads them from cache (a whole
 * chunk of 250 steps of batch 32 and 256 neurons would leave 8 MiB, and runs slower than the
 * stepped network).
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

/** The fused forward pass of a training runtime and the host's chunk evaluation it feeds. */
export interface FusedTraining {
  readonly forward: FusedInference;
  readonly traces: ChunkedEligibility;
}

/** Runs one training trial as fused training (see the file's comment). */
export async function runFusedTrainingTrial(
  parts: TrialParts,
  fusedTraining: FusedTraining,
  trial: PreparedTrial,
): Promise<TrialOutputs> {
  const { forward, traces } = fusedTraining;
  const runtime = parts.runtime;
  const { numSteps } = trial;
  await forward.loadParameters(runtime);
  forward.startTrial(trial);
  await traces.startTrial(trial, runtime);
  const read = (i: number, psiSpike: Float32Array, y: Float32Array): void =>
    forward.readTrainingStep(i, psiSpike, y);
  // Runs of at most `runSteps` steps (fusedRunSteps), within a chunk.
  const most = forward.runSteps;
  for (let s = 0; s < numSteps;) {
    const count = Math.min(traces.stepsToChunkEnd(s), most);
    forward.run(s, count);
    traces.afterRun(s, count, read);
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
