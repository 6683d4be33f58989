import type { EpropNetworkDescription } from "./description";
import type { EpropRuntime } from "./eprop-runtime";
import { EpropConfigError } from "./errors";
import { Accumulator, type BatchMetrics } from "./metrics";
import { checkFiniteTrial } from "./non-finite";
import type { WorkerTrial } from "./parallel/protocol";
import { checkThreads, checkWorkerBackend } from "./parallel/threads";
import { TrainingThreads } from "./parallel/training-threads";
import type { TrialWorkerPool } from "./parallel/worker-pool";
import type { Backend } from "@snn/core";
import type { TrainOptions } from "./trainer-options";
import { prepareTrial, sliceBatch, type EpropBatch, type LossMaskOption } from "./trial";

/** The sizes and seed of one `Trainer.train` call, checked. */
export interface TrainSettings {
  readonly epochs: number;
  readonly batchSize: number;
  readonly shuffleSeed: number;
  readonly threads: number;
  readonly microBatchSize: number;
}

/** Checks `train`'s options (not the resume rule, which needs the trainer's progress). */
export function checkTrainOptions(options: TrainOptions, backend: Backend): TrainSettings {
  if (typeof options !== "object" || options === null) {
    throw new EpropConfigError(
      "train(dataset, options) needs its options: { epochs, batchSize } at least, e.g. train(dataset, { epochs: 10, batchSize: 32 }).",
    );
  }
  const { epochs, batchSize } = options;
  const shuffleSeed = options.shuffleSeed ?? 0;
  if (!Number.isInteger(epochs) || epochs < 0)
    throw new EpropConfigError(`epochs must be a non-negative integer, got ${String(epochs)}.`);
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new EpropConfigError(`batchSize must be a positive integer, got ${String(batchSize)}.`);
  if (!Number.isInteger(shuffleSeed) || shuffleSeed < 0)
    throw new EpropConfigError(
      `shuffleSeed must be a non-negative integer, got ${String(shuffleSeed)}.`,
    );
  const threads = checkThreads(options.threads ?? 1);
  checkWorkerBackend(threads, backend);
  const microBatchSize = options.microBatchSize ?? Math.ceil(batchSize / threads);
  if (!Number.isInteger(microBatchSize) || microBatchSize < 1 || microBatchSize > batchSize) {
    throw new EpropConfigError(
      `microBatchSize must be an integer from 1 to batchSize (${batchSize}), got ${String(options.microBatchSize)}.`,
    );
  }
  return { epochs, batchSize, shuffleSeed, threads, microBatchSize };
}

/** What one training batch runs on. */
export interface BatchRunner {
  readonly description: EpropNetworkDescription;
  /** The training runtime: it holds the parameters and takes the Adam step. */
  readonly session: EpropRuntime;
  /** The worker threads of data-parallel training, or null for one thread. */
  readonly pool: TrialWorkerPool | null;
  readonly batchSize: number;
  readonly microBatchSize: number;
  readonly lossMask: LossMaskOption | undefined;
}

/**
 * Trains on one batch: its micro-batches over the worker threads (data-parallel) or one after
 * another in this thread, gradients accumulated, then one Adam step. Adds each trial's outputs
 * to `metrics` and `totals`; `where` (e.g. `epoch 0, batch 3`) names the batch in errors.
 * Returns the number of timesteps of the batch's trials.
 */
export async function trainBatch(
  runner: BatchRunner,
  batch: EpropBatch,
  where: string,
  metrics: Accumulator,
  totals: Accumulator,
): Promise<number> {
  const { description, session, pool, batchSize, microBatchSize, lossMask } = runner;
  const count = Array.isArray(batch?.inputs) ? batch.inputs.length : 0;
  let numSteps = 0;
  if (count > batchSize) prepareTrial(batch, description, batchSize); // says the batch is too large
  if (pool !== null && count > microBatchSize) {
    // data-parallel: the micro-batches over the threads, one Adam step here
    const parts: WorkerTrial[] = [];
    for (let first = 0; first < count; first += microBatchSize) {
      const last = Math.min(count, first + microBatchSize);
      parts.push({
        trial: prepareTrial(sliceBatch(batch, first, last), description, microBatchSize, lossMask),
        where: `${where} (samples ${first}..${last - 1})`,
      });
    }
    const outputs = await TrainingThreads.runBatch(session, pool, parts);
    for (const [k, result] of outputs.entries()) {
      metrics.add(result, parts[k]!.trial.labels);
      totals.add(result, parts[k]!.trial.labels);
      numSteps = parts[k]!.trial.numSteps;
    }
    return numSteps;
  }
  // one trial per micro-batch (one for the whole batch by default), one Adam step
  for (let first = 0; first === 0 || first < count; first += microBatchSize) {
    const part =
      count > microBatchSize
        ? sliceBatch(batch, first, Math.min(count, first + microBatchSize))
        : batch;
    const trial = prepareTrial(part, description, microBatchSize, lossMask);
    const outputs = await session.runTrial(trial);
    // Before the gradient is used: NaN or infinite state stops training with its location.
    await checkFiniteTrial(
      session,
      trial,
      outputs,
      `${where}${count > microBatchSize ? ` (samples ${first}..${Math.min(count, first + microBatchSize) - 1})` : ""}`,
    );
    if (first + microBatchSize < count) await session.accumulateGradients();
    else await session.applyOptimizer();
    metrics.add(outputs, trial.labels);
    totals.add(outputs, trial.labels);
    numSteps = trial.numSteps;
  }
  return numSteps;
}

/** One epoch's batches and what happens after each. */
export interface EpochRun {
  readonly runner: BatchRunner;
  readonly epoch: number;
  /** The epoch's batches, in order. */
  readonly batches: AsyncIterable<EpropBatch>;
  /** How many of them were trained before (a resumed epoch): they are skipped. */
  readonly skip: number;
  /**
   * Called after each batch's Adam step with the number of this epoch's batches done and the
   * batch's metrics (without `optimizerSteps`, which the trainer counts); returns whether to stop.
   */
  readonly batchDone: (
    batchInEpoch: number,
    metrics: Omit<BatchMetrics, "optimizerSteps">,
  ) => Promise<boolean>;
}

/**
 * Trains one epoch (or its rest), batch by batch, until its batches end or `batchDone` says
 * stop. Returns the metrics summed over the batches trained and how many there were.
 */
export async function trainEpoch(
  run: EpochRun,
): Promise<{ readonly totals: Accumulator; readonly batches: number }> {
  const { runner, epoch, skip } = run;
  const totals = new Accumulator(runner.description);
  let index = 0;
  for await (const batch of run.batches) {
    if (index < skip) {
      index++;
      continue;
    }
    const start = performance.now();
    const metrics = new Accumulator(runner.description);
    const numSteps = await trainBatch(
      runner,
      batch,
      `epoch ${epoch}, batch ${index}`,
      metrics,
      totals,
    );
    index++;
    const stop = await run.batchDone(index, {
      epoch,
      batch: index - 1,
      examples: metrics.examples,
      numSteps,
      loss: metrics.mean(metrics.loss),
      accuracy: metrics.mean(metrics.correct),
      firingRatesHz: metrics.rates(),
      seconds: (performance.now() - start) / 1000,
    });
    if (stop) break;
  }
  return { totals, batches: index - skip };
}
