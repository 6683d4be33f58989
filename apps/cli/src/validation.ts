/**
 * `snn train --validation N`: training samples held out to choose the best epoch by, so that
 * the test set is only measured, never used for a choice.
 */
import { splitDataset, type DatasetSplit, type SpikeDataset } from "@snn/datasets";
import { UsageError } from "./errors";

/**
 * The seed of the held-out choice. It is fixed (not the run's `--seed`), so runs that differ in
 * their seed or settings are compared on the same validation samples.
 */
export const VALIDATION_SEED = 20_201_207;

/** Splits `--validation N` samples off the training set; a clear error when N leaves too few. */
export function holdOutValidation(train: SpikeDataset, count: number): DatasetSplit {
  if (count >= train.numSamples) {
    throw new UsageError(
      `--validation ${count}: the training set (${train.name}) has ${train.numSamples} samples, so nothing would be left to train on; hold out fewer (5000 of MNIST's 60,000 is usual).`,
      "train",
    );
  }
  return splitDataset(train, count, VALIDATION_SEED);
}
