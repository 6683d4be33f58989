/**
 * What `snn train` says about a run beyond the progress lines of `progress.ts`: the description
 * at the start, the means of the batch metrics over an epoch, and the final message.
 */
import type { SpikeDataset } from "@snn/datasets";
import { DEFAULT_CHUNK_STEPS } from "@snn/eprop";
import type { SelectedBackend } from "../backends";
import { formatDuration } from "../progress";
import type { BatchRecord, EpochRecord, MetricsRecord, RunState } from "../run-dir";
import type { TrainConfig } from "../train-config";

function describeEligibility(config: TrainConfig, backend: SelectedBackend): string {
  if (config.eligibility === "perStep")
    return "eligibility traces every step in the compiled network (perStep)";
  const where = config.traces ?? (backend.name === "webgpu" ? "device" : "host");
  return `chunked eligibility, ${config.chunkSteps ?? DEFAULT_CHUNK_STEPS} steps per chunk, traces on the ${where}`;
}

export function describeRun(
  config: TrainConfig,
  train: SpikeDataset,
  test: SpikeDataset,
  backend: SelectedBackend,
  numSteps: number | undefined,
): string {
  const neuron =
    config.neuron === "mixed"
      ? `${config.hidden - Math.floor(config.hidden / 2)} ALIF + ${Math.floor(config.hidden / 2)} LIF`
      : `${config.hidden} ${config.neuron.toUpperCase()}`;
  return [
    `e-prop LSNN: ${train.numChannels} inputs -> ${neuron} (${config.feedforward ? "feedforward" : "recurrent"}) -> ${train.numClasses} readouts, ${config.feedback} feedback`,
    `data: ${train.name} (${train.numSamples} train, ${test.numSamples} test), ${numSteps !== undefined ? `${numSteps} steps` : "trials as long as their last spike, in steps"} of ${config.dt} ms${config.lossSteps > 0 ? `, loss on the last ${config.lossSteps} steps` : ""}`,
    `training: ${config.epochs} epoch${config.epochs === 1 ? "" : "s"}, batch ${config.batchSize}${config.microBatch !== undefined && config.microBatch < config.batchSize ? ` (in micro-batches of ${config.microBatch})` : ""}${config.threads !== undefined && config.threads > 1 ? ` in ${config.threads} threads` : ""}, Adam ${config.lrWaves !== undefined ? `lr in cosine waves ${config.lrWaves} (EPOCHS@LR), each later wave a warm restart with fresh Adam moments` : `lr ${config.lr}`}${config.lrWaves !== undefined ? "" : config.lrSchedule === "cosine" ? ` (cosine schedule over ${config.epochs} epochs)` : config.lrDecay !== 1 ? ` (x${config.lrDecay} per epoch)` : ""}, seed ${config.seed}${config.maxBatches !== undefined ? `, at most ${config.maxBatches} batches per epoch` : ""}`,
    `backend: ${backend.name} (${backend.device})`,
    `e-prop: ${describeEligibility(config, backend)}`,
  ].join("\n");
}

export function weightedMean(
  records: readonly BatchRecord[],
  pick: (r: BatchRecord) => number,
): number {
  let sum = 0;
  let n = 0;
  for (const r of records) {
    sum += pick(r) * r.examples;
    n += r.examples;
  }
  return n > 0 ? sum / n : Number.NaN;
}

export function meanRates(records: readonly BatchRecord[]): Record<string, number> {
  const out: Record<string, number> = {};
  const names = new Set(records.flatMap((r) => Object.keys(r.firingRatesHz)));
  for (const name of names) out[name] = weightedMean(records, (r) => r.firingRatesHz[name] ?? 0);
  return out;
}

/** The best epoch in the final message: chosen by validation accuracy, or by test accuracy. */
function describeBest(best: NonNullable<RunState["best"]>): string {
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  return best.validationAccuracy !== undefined
    ? `best by validation: epoch ${best.epoch}, validation ${pct(best.validationAccuracy)}, test ${pct(best.accuracy)}`
    : `best ${pct(best.accuracy)} at epoch ${best.epoch}`;
}

/** The last line of a finished run: its test accuracy, the best epoch, the average of the wave ends, where it is. */
export function finishedMessage(
  config: TrainConfig,
  history: readonly MetricsRecord[],
  state: RunState,
  lastEpoch: EpochRecord | undefined,
  runRoot: string,
  shown: string,
): string {
  const totalMs = history
    .filter((r): r is EpochRecord => r.kind === "epoch")
    .reduce((a, r) => a + r.durationMs, 0);
  return (
    `Finished ${config.epochs} epoch${config.epochs === 1 ? "" : "s"} in ${formatDuration(totalMs)}: test accuracy ${lastEpoch?.testAccuracy !== undefined ? `${(lastEpoch.testAccuracy * 100).toFixed(1)}%` : "-"}` +
    `${state.best ? ` (${describeBest(state.best)})` : ""}` +
    `${state.swa ? `; the average of the wave ends (swa.safetensors): ${(state.swa.accuracy * 100).toFixed(1)}%` : ""}. Run saved in ${runRoot}; evaluate with: snn evaluate ${shown}`
  );
}
