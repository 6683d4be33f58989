import { DatasetOptionsError } from "./errors";
import { shuffledOrder } from "./random";
import { iterateBatches } from "./transforms";
import type { BatchOptions, SpikeBatch, SpikeDataset, SpikeSample } from "./types";

/** The two parts of a dataset split by `splitDataset`. */
export interface DatasetSplit {
  /** The samples that were not held out, in the dataset's order. */
  readonly train: SpikeDataset;
  /** The held-out samples, in the dataset's order. */
  readonly validation: SpikeDataset;
}

/** A view of some samples of a dataset; index i of the view is sample `indices[i]`. */
class SubsetDataset implements SpikeDataset {
  readonly numSamples: number;
  readonly numChannels: number;
  readonly numClasses: number;
  readonly classNames?: readonly string[];
  readonly trialDurationMs?: number;
  readonly lossWindowMs?: readonly [number, number];
  readonly labels: Int32Array;

  constructor(
    readonly name: string,
    private readonly source: SpikeDataset,
    private readonly indices: Int32Array,
  ) {
    this.numSamples = indices.length;
    this.numChannels = source.numChannels;
    this.numClasses = source.numClasses;
    if (source.classNames !== undefined) this.classNames = source.classNames;
    if (source.trialDurationMs !== undefined) this.trialDurationMs = source.trialDurationMs;
    if (source.lossWindowMs !== undefined) this.lossWindowMs = source.lossWindowMs;
    this.labels = Int32Array.from(indices, (i) => source.labels[i]!);
  }

  private sourceIndex(index: number): number {
    if (!Number.isInteger(index) || index < 0 || index >= this.numSamples) {
      throw new DatasetOptionsError(
        `${this.name}: sample index ${index} is outside 0..${this.numSamples - 1}.`,
      );
    }
    return this.indices[index]!;
  }

  get(index: number): Promise<SpikeSample> {
    return this.source.get(this.sourceIndex(index));
  }

  getMany(indices: ArrayLike<number>): Promise<SpikeSample[]> {
    return this.source.getMany(Array.from(indices, (i) => this.sourceIndex(i)));
  }

  batches(options: BatchOptions): AsyncIterableIterator<SpikeBatch> {
    return iterateBatches(this, options);
  }

  /** The source dataset owns the files; closing a view leaves them open for the other part. */
  async close(): Promise<void> {}
}

/**
 * Holds `count` samples of a training set out for validation (choosing an epoch or a setting
 * without looking at the test set). The held-out samples are a seeded random choice: the same
 * dataset, count and seed always give the same split, and the two parts never share a sample.
 * Both parts are views of `dataset`, which keeps owning its files (close it, not the parts).
 */
export function splitDataset(dataset: SpikeDataset, count: number, seed: number): DatasetSplit {
  if (!Number.isSafeInteger(count) || count < 1 || count >= dataset.numSamples) {
    throw new DatasetOptionsError(
      `Cannot hold out ${count} of the ${dataset.numSamples} samples of ${dataset.name} for validation: give a whole number from 1 to ${dataset.numSamples - 1}.`,
    );
  }
  const order = shuffledOrder(dataset.numSamples, seed);
  const held = order.slice(0, count).sort();
  const kept = new Uint8Array(dataset.numSamples).fill(1);
  for (const i of held) kept[i] = 0;
  const rest = new Int32Array(dataset.numSamples - count);
  for (let i = 0, j = 0; i < kept.length; i++) if (kept[i] === 1) rest[j++] = i;
  return {
    train: new SubsetDataset(`${dataset.name} (without ${count} held out)`, dataset, rest),
    validation: new SubsetDataset(`${dataset.name} (${count} held out)`, dataset, held),
  };
}
