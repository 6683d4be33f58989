/** What `Trainer` asks of a dataset: its sizes and reproducible batches. */
import type { EpropBatch } from "./trial";

/** Options a dataset's `batches` receives. */
export interface DatasetBatchOptions {
  readonly batchSize: number;
  /** Step length in ms. */
  readonly dt: number;
  /** Shuffle seed; absent keeps dataset order (evaluation). */
  readonly shuffleSeed?: number;
  readonly epoch?: number;
  /** Trial length in steps, when the trainer was given one. */
  readonly numSteps?: number;
}

/**
 * What the trainer needs from a dataset (the `SpikeDataset` of @snn/datasets has this shape):
 * sizes, and reproducible batches for a seed and epoch.
 */
export interface EpropDataset {
  readonly numChannels: number;
  readonly numClasses: number;
  batches(options: DatasetBatchOptions): AsyncIterable<EpropBatch>;
}
