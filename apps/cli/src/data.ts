/**
 * Opens the datasets a configuration names: the embedded MNIST digits (or idx files) encoded
 * as sequential or latency MNIST, or SHD/SSC HDF5 files. A missing file is a `UsageError`.
 */
import { existsSync, statSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import {
  createLatencyMnistDataset,
  createSequentialMnistDataset,
  iterateBatches,
  limitImages,
  loadEmbeddedMnist,
  openShd,
  openSsc,
  readMnistIdxDirectory,
  type SpikeDataset,
} from "@snn/datasets";
import type { DatasetName } from "./config";
import { UsageError } from "./errors";

/** What selects and shapes a dataset (a subset of the training configuration). */
export interface DataSelection {
  readonly dataset: DatasetName;
  readonly data?: string;
  readonly encoding?: "79" | "80";
  readonly trainSamples?: number;
  readonly testSamples?: number;
}

export type Split = "train" | "test";

function existing(path: string): boolean {
  return existsSync(path);
}

/** The file of one SHD/SSC split given `--data` (a directory, or a `*_train.h5` / `*_test.h5` file). */
export function spikingAudioFile(kind: "shd" | "ssc", data: string, split: Split, cwd: string): string {
  const path = resolve(cwd, data);
  if (!existing(path)) throw new UsageError(`--data ${data}: no such file or directory.`);
  const candidates: string[] = [];
  if (statSync(path).isDirectory()) {
    for (const ext of [".h5", ".h5.gz"]) candidates.push(join(path, `${kind}_${split}${ext}`));
  } else {
    const name = basename(path);
    const other = split === "train" ? name.replace(/test/, "train") : name.replace(/train/, "test");
    candidates.push(join(dirname(path), other));
  }
  const found = candidates.find(existing);
  if (found === undefined) {
    throw new UsageError(
      `--data ${data}: cannot find the ${split} file (looked for ${candidates.map((c) => basename(c)).join(", ")}); download ${kind}_${split}.h5.gz from https://zenkelab.org/datasets/.`,
    );
  }
  return found;
}

/** Opens one split of a dataset; `cwd` resolves relative paths. */
export async function openDataset(selection: DataSelection, split: Split, cwd: string): Promise<SpikeDataset> {
  const limit = split === "train" ? selection.trainSamples : selection.testSamples;
  switch (selection.dataset) {
    case "smnist":
    case "latency-mnist": {
      let images;
      if (selection.data === undefined) {
        images = await loadEmbeddedMnist(split, limit === undefined ? {} : { limit });
      } else {
        const dir = resolve(cwd, selection.data);
        if (!existing(dir) || !statSync(dir).isDirectory()) {
          throw new UsageError(`--data ${selection.data}: not a directory; give the directory holding the MNIST idx files (train-images-idx3-ubyte, ...).`);
        }
        images = limitImages(await readMnistIdxDirectory(dir, split), limit);
      }
      if (selection.dataset === "latency-mnist") return createLatencyMnistDataset(images, { downsample: 2, numSteps: 20 });
      return createSequentialMnistDataset(images, { encoding: selection.encoding === "80" ? "80-channel-cue" : "79-channel" });
    }
    case "shd":
    case "ssc": {
      if (selection.data === undefined) {
        throw new UsageError(`--dataset ${selection.dataset} needs --data PATH (the directory with ${selection.dataset}_train.h5 and ${selection.dataset}_test.h5).`);
      }
      const file = spikingAudioFile(selection.dataset, selection.data, split, cwd);
      const open = selection.dataset === "shd" ? openShd : openSsc;
      const dataset = await open(file, { decompressTo: dirname(file) });
      return limit === undefined || limit >= dataset.numSamples ? dataset : limitDataset(dataset, limit);
    }
  }
}

/** The first `limit` samples of a dataset (for file-backed datasets that cannot limit on load). */
export function limitDataset(dataset: SpikeDataset, limit: number): SpikeDataset {
  const count = Math.min(limit, dataset.numSamples);
  const check = (i: number): number => {
    if (!(Number.isInteger(i) && i >= 0 && i < count)) throw new RangeError(`sample index ${i} outside 0..${count - 1}`);
    return i;
  };
  const limited: SpikeDataset = {
    name: `${dataset.name} (first ${count})`,
    numSamples: count,
    numChannels: dataset.numChannels,
    numClasses: dataset.numClasses,
    ...(dataset.classNames ? { classNames: dataset.classNames } : {}),
    ...(dataset.trialDurationMs !== undefined ? { trialDurationMs: dataset.trialDurationMs } : {}),
    ...(dataset.lossWindowMs ? { lossWindowMs: dataset.lossWindowMs } : {}),
    labels: dataset.labels.subarray(0, count),
    get: (i) => dataset.get(check(i)),
    getMany: (indices) => dataset.getMany(Array.from(indices, check)),
    batches: (options) => iterateBatches(limited, options),
    close: () => dataset.close(),
  };
  return limited;
}
