/**
 * `Trainer.predictBatches`: the predictions of every batch given, in order, from forward-only
 * runs in one thread or several (inference.ts).
 */
import { EpropBatchError, EpropConfigError } from "./errors";
import type { EvaluateOptions, Inference } from "./inference";
import { checkLossMaskOption, type EpropBatch, type LossMaskOption } from "./trial";

/** Options of `Trainer.predictBatches`. */
export interface PredictBatchesOptions extends EvaluateOptions {
  /** Called with each batch's predictions, in batch order, as they are ready (awaited). */
  readonly onBatch?: (prediction: BatchPrediction) => void | Promise<void>;
}

/** The predictions of one batch of `Trainer.predictBatches`. */
export interface BatchPrediction {
  /** 0-based place of the batch among those given. */
  readonly batch: number;
  /** The batch's labels (zeros where it has none). */
  readonly labels: Int32Array;
  /** Argmax of the masked sum of softmax outputs, per example. */
  readonly classes: Int32Array;
  /** Argmax of the masked sum of readout values, per example. */
  readonly readoutSumClasses: Int32Array;
  /** Cross-entropy summed over the masked steps, per example. */
  readonly loss: Float64Array;
  /** Spikes of each hidden layer in the trial, per example (summed over neurons). */
  readonly spikeCounts: Readonly<Record<string, Float64Array>>;
  /** Milliseconds the batch's trial took in the thread that ran it (no waiting, no compiling). */
  readonly ms: number;
  /** That thread: 0 with `threads: 1` (the calling thread), else the worker thread (0-based). */
  readonly thread: number;
}

/**
 * Checks `predictBatches`' arguments before anything runs: the batches are an iterable, the
 * loss mask and batch size are valid. Returns the loss mask to use (`trainerLossMask` by default).
 */
export function checkPredictBatches(
  batches: unknown,
  options: PredictBatchesOptions,
  trainerLossMask: LossMaskOption | undefined,
): LossMaskOption | undefined {
  const iterable =
    typeof batches === "object" &&
    batches !== null &&
    (Symbol.asyncIterator in batches || Symbol.iterator in batches);
  if (!iterable)
    throw new EpropBatchError("predictBatches: give the batches as an array or an iterable.");
  checkLossMaskOption(options.lossMask);
  if (
    options.batchSize !== undefined &&
    (!Number.isInteger(options.batchSize) || options.batchSize < 1)
  ) {
    throw new EpropConfigError(
      `batchSize must be a positive integer, got ${String(options.batchSize)}.`,
    );
  }
  return options.lossMask ?? trainerLossMask;
}

/**
 * Runs the batches forward (in `threads` threads, checked) and returns each batch's
 * predictions in order, handing each to `options.onBatch` as it is ready.
 */
export async function predictBatches(
  inference: Inference,
  batches: AsyncIterable<EpropBatch> | Iterable<EpropBatch>,
  options: PredictBatchesOptions,
  lossMask: LossMaskOption | undefined,
  threads: number,
): Promise<BatchPrediction[]> {
  const predictions: BatchPrediction[] = [];
  await inference.forward(
    batches,
    {
      ...(options.batchSize !== undefined ? { batchSize: options.batchSize } : {}),
      lossMask,
      threads,
      byDefault: options.threads === undefined,
    },
    async (trial, { outputs, ms, thread }, batch) => {
      const count = trial.count;
      const prediction: BatchPrediction = {
        batch,
        labels: trial.labels.slice(0, count),
        classes: outputs.predictions.slice(0, count),
        readoutSumClasses: outputs.readoutSumPredictions.slice(0, count),
        loss: outputs.loss.slice(0, count),
        spikeCounts: Object.fromEntries(
          Object.entries(outputs.spikeCounts).map(([k, v]) => [k, v.slice(0, count)]),
        ),
        ms,
        thread,
      };
      predictions.push(prediction);
      await options.onBatch?.(prediction);
    },
  );
  return predictions;
}
