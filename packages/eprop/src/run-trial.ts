import type { Runtime } from "@snn/core";
import type { ChunkedTraceEvaluator } from "./chunked/trace-evaluator";
import type { EpropLayout } from "./compile";
import type { EpropNetworkDescription } from "./description";
import type { TrialOutputs } from "./eprop-runtime-options";
import type { HostReadout } from "./host-readout";
import type { FusedInference } from "./inference/fused-inference";
import { argmax, type PreparedTrial } from "./trial";

/** What an `EpropRuntime` runs a trial with. */
export interface TrialParts {
  readonly description: EpropNetworkDescription;
  readonly layout: EpropLayout;
  /** The compiled core runtime. */
  readonly runtime: Runtime;
  /** The chunked evaluation of hidden-layer eligibility, when `eligibility` is `chunked`. */
  readonly traces: ChunkedTraceEvaluator | null;
  /** The readout's softmax and sums on the host in inference. */
  readonly hostReadout: HostReadout | null;
  /** The forward pass as one WebAssembly kernel (inference). */
  readonly fused: FusedInference | null;
}

/**
 * Runs one trial by stepping the compiled network (see `EpropRuntime.runTrial`): resets
 * per-trial state, sets the trial's spikes and targets, steps, and collects the outputs.
 */
export async function runSteppedTrial(
  parts: TrialParts,
  trial: PreparedTrial,
  afterStep: ((step: number) => void | Promise<void>) | undefined,
): Promise<TrialOutputs> {
  const { runtime, layout, traces, hostReadout } = parts;
  const { numSteps } = trial;
  await runtime.runCustomUpdate(layout.groups.reset);
  runtime.startTrial();
  runtime.setSpikeEvents(layout.inputPopulation, trial.inputs);
  // With the softmax on the host, the host applies the mask and targets (no mask source, no Target).
  if (layout.readoutSoftmax === "network") {
    runtime.setSpikeEvents(layout.maskPopulation!, trial.maskEvents);
    await runtime.writeVar(layout.readoutPopulation, "Target", trial.targets);
  }
  const total = numSteps + layout.extraSteps;
  const spikeCounts: Record<string, Float64Array> = {};
  await traces?.startTrial(trial, runtime, { observed: afterStep !== undefined });
  hostReadout?.startTrial(trial, { observed: afterStep !== undefined });
  if (traces && !afterStep) {
    // As many steps at a time as the evaluation allows (on the device a chunk: its steps in
    // one command buffer, then its trace kernels; on the host one), then the evaluation.
    const stepSync = runtime.stepSync?.bind(runtime);
    for (let s = 0; s < numSteps;) {
      const steps = traces.stepsPerCall;
      if (stepSync) stepSync(steps);
      else await runtime.step(steps);
      s += steps;
      const evaluated = traces.afterStep(s - 1, runtime);
      if (evaluated) await evaluated;
    }
    await readSpikeCounts(parts, spikeCounts);
    await traces.finishTrial(runtime);
  } else if (hostReadout && !afterStep && !traces) {
    // Inference with the softmax on the host: the steps whose y no loss needs run in one call,
    // each step the mask covers on its own, followed by the host's readout.
    const stepSync = runtime.stepSync?.bind(runtime);
    for (let s = 0; s < numSteps;) {
      const next = hostReadout.nextStepToRead(s);
      const count = next > s ? next - s : 1;
      if (stepSync) stepSync(count);
      else await runtime.step(count);
      s += count;
      if (next === s - 1) {
        const reading = hostReadout.afterStep(next, runtime);
        if (reading) await reading;
      }
    }
    await readSpikeCounts(parts, spikeCounts);
  } else if (afterStep || traces || hostReadout) {
    // A host runtime steps synchronously: no promise per step (a tenth of batch-1 inference).
    const stepSync = runtime.stepSync?.bind(runtime);
    for (let s = 0; s < total; s++) {
      if (stepSync) stepSync(1);
      else await runtime.step(1);
      if (s === numSteps - 1) await readSpikeCounts(parts, spikeCounts);
      if (traces) await traces.afterStep(s, runtime);
      if (hostReadout) {
        const reading = hostReadout.afterStep(s, runtime);
        if (reading) await reading;
      }
      if (afterStep) await afterStep(s);
    }
    if (traces) await traces.finishTrial(runtime);
  } else {
    await runtime.step(numSteps);
    await readSpikeCounts(parts, spikeCounts);
    await runtime.step(layout.extraSteps);
  }
  let lossAcc: ArrayLike<number>;
  let piAcc: ArrayLike<number>;
  let yAcc: ArrayLike<number>;
  if (traces || hostReadout) {
    // The host (readout-softmax.ts) or the device evaluation computed the softmax, loss and sums from y.
    const sums = traces ? await traces.readoutSums() : hostReadout!.readoutSums();
    [lossAcc, piAcc, yAcc] = [sums.loss, sums.pi, sums.y];
  } else {
    [lossAcc, piAcc, yAcc] = await Promise.all([
      runtime.readVar(layout.readoutPopulation, "LossAcc"),
      runtime.readVar(layout.readoutPopulation, "PiAcc"),
      runtime.readVar(layout.readoutPopulation, "YAcc"),
    ]);
  }
  return outputsOf(parts, trial, lossAcc, piAcc, yAcc, spikeCounts);
}

/**
 * A trial as fused inference: the steps whose y no loss needs in one kernel call, each step
 * the mask covers on its own, followed by the host's readout (as the stepped form with the
 * softmax on the host).
 */
export function runFusedTrial(parts: TrialParts, trial: PreparedTrial): TrialOutputs {
  const fused = parts.fused!;
  const hostReadout = parts.hostReadout!;
  const { numSteps } = trial;
  fused.startTrial(trial);
  hostReadout.startTrial(trial);
  const readY = (into: Float32Array): void => fused.readY(into);
  for (let s = 0; s < numSteps;) {
    const next = hostReadout.nextStepToRead(s);
    const count = next > s ? next - s : 1;
    fused.run(s, count);
    s += count;
    if (next === s - 1) hostReadout.afterStepFrom(next, readY);
  }
  const sums = hostReadout.readoutSums();
  return outputsOf(parts, trial, sums.loss, sums.pi, sums.y, {
    [fused.hiddenName]: fused.spikeCounts(),
  });
}

/** A trial's outputs from the readout's loss, pi and y sums and the spike counts. */
export function outputsOf(
  parts: TrialParts,
  trial: PreparedTrial,
  lossAcc: ArrayLike<number>,
  piAcc: ArrayLike<number>,
  yAcc: ArrayLike<number>,
  spikeCounts: Record<string, Float64Array>,
): TrialOutputs {
  const nOut = parts.description.readout.size;
  const { numSteps } = trial;
  const batchSize = parts.layout.batchSize;
  const loss = new Float64Array(batchSize);
  const predictions = new Int32Array(batchSize);
  const readoutSumPredictions = new Int32Array(batchSize);
  for (let b = 0; b < batchSize; b++) {
    let sum = 0;
    for (let k = 0; k < nOut; k++) sum += lossAcc[b * nOut + k]!;
    loss[b] = sum;
    predictions[b] = argmax(piAcc, b * nOut, nOut);
    readoutSumPredictions[b] = argmax(yAcc, b * nOut, nOut);
  }
  return { numSteps, count: trial.count, loss, predictions, readoutSumPredictions, spikeCounts };
}

async function readSpikeCounts(
  parts: TrialParts,
  into: Record<string, Float64Array>,
): Promise<void> {
  const batchSize = parts.layout.batchSize;
  for (const layer of parts.description.hidden) {
    const counts = await parts.runtime.readVar(layer.name, "SpikeCount");
    const perElement = new Float64Array(batchSize);
    for (let b = 0; b < batchSize; b++) {
      let sum = 0;
      for (let j = 0; j < layer.size; j++) sum += counts[b * layer.size + j]!;
      perElement[b] = sum;
    }
    into[layer.name] = perElement;
  }
}
