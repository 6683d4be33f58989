import { createReadStream, createWriteStream, existsSync } from "node:fs";
import { mkdir, mkdtemp, rename, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import { DatasetError, DatasetFormatError, DatasetOptionsError } from "../errors";
import { iterateBatches } from "../transforms";
import type { BatchOptions, SpikeBatch, SpikeDataset, SpikeSample } from "../types";
import { inspectFile } from "./file-check";
import { Hdf5Reader, resolveHdf5Timeout } from "./h5-reader";
import {
  guarded,
  hdf5Reason,
  layoutError,
  makeDecoder,
  type OpenedLayout,
  readLayout,
  typeName,
} from "./spiking-audio-layout";

/** Which of the two recordings; sets the default class count when the file has no `extra/keys`. */
export type SpikingAudioKind = "shd" | "ssc";

/** Options of `openSpikingAudioDataset`. */
export interface SpikingAudioOptions {
  /** "shd" (20 classes) or "ssc" (35 classes); only used for the class count when the file lacks `extra/keys`. Default "shd". */
  kind?: SpikingAudioKind;
  /** Input channels; unit ids must be below it. Default 700 (SHD and SSC). */
  numChannels?: number;
  /** Classes; default: the length of `extra/keys`, else 20 (SHD) or 35 (SSC). */
  numClasses?: number;
  /** Milliseconds per unit of `spikes/times`. Default 1000 (the files store seconds). */
  timeScaleMs?: number;
  /**
   * Trial duration in ms used when `batches` gets no `numSteps` (e.g. 1400 for SHD). Absent:
   * each batch is as long as its latest spike needs.
   */
  trialDurationMs?: number;
  /**
   * For `.h5.gz` files: directory to decompress into and keep the `.h5` (reused next time).
   * Absent: a temporary directory, removed by `close()`.
   */
  decompressTo?: string;
  /**
   * Time limit of one HDF5 call in ms (opening, reading the labels, reading one batch's
   * samples). HDF5 runs in a worker thread; a call that takes longer is ended and reported as a
   * damaged file (some damaged HDF5 structures make HDF5 loop forever). Default: the
   * `SNN_HDF5_TIMEOUT_MS` environment variable, else 10,000.
   */
  timeoutMs?: number;
}

/** An SHD/SSC file opened by `openSpikingAudioDataset`. */
export interface SpikingAudioDataset extends SpikeDataset {
  /** The .h5 file being read (the decompressed copy for .h5.gz). */
  readonly file: string;
  /** `extra/speaker` of every sample, when the file has it. */
  readonly speakers?: Int32Array;
  /** The stored element types, e.g. `{ times: "float16", units: "uint16" }`. */
  readonly storedTypes: { times: string; units: string; labels: string };
}

async function gunzipToFile(source: string, target: string): Promise<void> {
  const partial = `${target}.partial`;
  try {
    await pipeline(createReadStream(source), createGunzip(), createWriteStream(partial));
  } catch (e) {
    await rm(partial, { force: true });
    throw new DatasetFormatError(
      `Cannot decompress ${source}: ${(e as Error).message}. The download is probably incomplete; download it again.`,
      { file: source },
    );
  }
  await rename(partial, target);
}

/** The options of `openSpikingAudioDataset` checked, with defaults applied. */
interface CheckedOptions {
  readonly kind: SpikingAudioKind;
  readonly numChannels: number;
  readonly timeScaleMs: number;
  readonly trialDurationMs: number | undefined;
  readonly numClasses: number | undefined;
  readonly timeoutMs: number;
}

function checkOptions(options: SpikingAudioOptions): CheckedOptions {
  const kind = options.kind ?? "shd";
  const numChannels = options.numChannels ?? 700;
  const timeScaleMs = options.timeScaleMs ?? 1000;
  if (!(Number.isSafeInteger(numChannels) && numChannels > 0)) {
    throw new DatasetOptionsError(`numChannels must be a positive integer, got ${numChannels}.`);
  }
  if (!(Number.isFinite(timeScaleMs) && timeScaleMs > 0)) {
    throw new DatasetOptionsError(`timeScaleMs must be a positive number, got ${timeScaleMs}.`);
  }
  if (
    options.trialDurationMs !== undefined &&
    !(Number.isFinite(options.trialDurationMs) && options.trialDurationMs > 0)
  ) {
    throw new DatasetOptionsError(
      `trialDurationMs must be a positive number of ms, got ${options.trialDurationMs}.`,
    );
  }
  if (
    options.numClasses !== undefined &&
    !(Number.isSafeInteger(options.numClasses) && options.numClasses > 0)
  ) {
    throw new DatasetOptionsError(
      `numClasses must be a positive integer, got ${options.numClasses}.`,
    );
  }
  return {
    kind,
    numChannels,
    timeScaleMs,
    trialDurationMs: options.trialDurationMs,
    numClasses: options.numClasses,
    timeoutMs: resolveHdf5Timeout(options.timeoutMs),
  };
}

class Hdf5SpikingAudioDataset implements SpikingAudioDataset {
  readonly name: string;
  readonly numSamples: number;
  readonly numChannels: number;
  readonly numClasses: number;
  readonly classNames?: readonly string[];
  readonly trialDurationMs?: number;
  readonly labels: Int32Array;
  readonly speakers?: Int32Array;
  readonly storedTypes: { times: string; units: string; labels: string };
  private closed = false;
  private readonly decodeTime: ReturnType<typeof makeDecoder>;
  private readonly decodeUnit: ReturnType<typeof makeDecoder>;
  private readonly timeSize: number;
  private readonly unitSize: number;
  private readonly timeScaleMs: number;

  constructor(
    private readonly reader: Hdf5Reader,
    readonly file: string,
    private readonly displayName: string,
    private readonly tempDir: string | undefined,
    options: CheckedOptions,
    layout: OpenedLayout & { numClasses: number },
  ) {
    this.numChannels = options.numChannels;
    this.timeScaleMs = options.timeScaleMs;
    if (options.trialDurationMs !== undefined) this.trialDurationMs = options.trialDurationMs;
    this.name = `${options.kind.toUpperCase()} ${displayName}`;
    this.numSamples = layout.numSamples;
    const tm = layout.timesMeta;
    const um = layout.unitsMeta;
    this.decodeTime = makeDecoder(tm.vlen_type!, file, "/spikes/times");
    this.decodeUnit = makeDecoder(um.vlen_type!, file, "/spikes/units");
    this.timeSize = tm.vlen_type!.size;
    this.unitSize = um.vlen_type!.size;
    this.storedTypes = {
      times: typeName(tm.vlen_type!),
      units: typeName(um.vlen_type!),
      labels: typeName(layout.labelsMeta),
    };
    if (layout.classNames) this.classNames = layout.classNames;
    this.numClasses = layout.numClasses;
    this.labels = layout.labels;
    if (layout.speakers) this.speakers = layout.speakers;
  }

  private formatError(what: string, sample?: number): DatasetFormatError {
    return layoutError(this.displayName, this.file, what, sample);
  }

  private checkOpen(): void {
    if (this.closed)
      throw new DatasetOptionsError(
        `${this.displayName} has been closed; open it again to read samples.`,
        { file: this.file },
      );
  }

  /** Reads `count` variable-length entries of `path` from `start` and decodes each to Float64Array. */
  private async readVlen(
    path: string,
    start: number,
    count: number,
    elementSize: number,
    decode: ReturnType<typeof makeDecoder>,
  ): Promise<Float64Array[]> {
    const { lengths, data } = await guarded<{ lengths: Uint32Array; data: Uint8Array }>(
      this.reader,
      this.displayName,
      this.file,
      `read samples ${start}..${start + count - 1} of /${path}`,
      { op: "readVlen", path, start, count, elementSize },
      start,
    );
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    const out: Float64Array[] = [];
    let position = 0;
    for (let j = 0; j < count; j++) {
      const values = new Float64Array(lengths[j]!);
      decode(view, position, values);
      position += values.length * elementSize;
      out.push(values);
    }
    return out;
  }

  /** Reads and validates the contiguous samples start..start+count-1. */
  private async readRun(start: number, count: number): Promise<SpikeSample[]> {
    const times = await this.readVlen("spikes/times", start, count, this.timeSize, this.decodeTime);
    const units = await this.readVlen("spikes/units", start, count, this.unitSize, this.decodeUnit);
    const samples: SpikeSample[] = [];
    for (let j = 0; j < count; j++) {
      const index = start + j;
      const t = times[j]!;
      const u = units[j]!;
      if (t.length !== u.length) {
        throw this.formatError(
          `it has ${t.length} spike times but ${u.length} unit ids; /spikes/times and /spikes/units must have equal lengths`,
          index,
        );
      }
      const unitIds = new Int32Array(u.length);
      for (let k = 0; k < u.length; k++) {
        const id = u[k]!;
        if (!(id >= 0 && id < this.numChannels)) {
          throw this.formatError(
            `spike ${k} has unit id ${id}, outside 0..${this.numChannels - 1} (numChannels = ${this.numChannels}); pass the right numChannels`,
            index,
          );
        }
        unitIds[k] = id;
        const stored = t[k]!;
        if (!(stored >= 0 && stored !== Infinity)) {
          throw this.formatError(
            `spike ${k} has time ${stored}; spike times must be finite and >= 0 (NaN and negative times are invalid)`,
            index,
          );
        }
        t[k] = stored * this.timeScaleMs;
      }
      const sample: SpikeSample = this.speakers
        ? { timesMs: t, units: unitIds, label: this.labels[index]!, speaker: this.speakers[index]! }
        : { timesMs: t, units: unitIds, label: this.labels[index]! };
      samples.push(sample);
    }
    return samples;
  }

  private checkIndex(index: number): void {
    if (!(Number.isSafeInteger(index) && index >= 0 && index < this.numSamples)) {
      throw new DatasetOptionsError(
        `Sample index ${index} is out of range: ${this.displayName} has ${this.numSamples} samples.`,
        {
          file: this.file,
          sample: index,
        },
      );
    }
  }

  async get(index: number): Promise<SpikeSample> {
    this.checkOpen();
    this.checkIndex(index);
    return (await this.readRun(index, 1))[0]!;
  }

  /**
   * Reads samples in few HDF5 calls: the requested indices are sorted and contiguous runs (gaps
   * of up to 4 unrequested samples are read through) are read together.
   */
  async getMany(indices: ArrayLike<number>): Promise<SpikeSample[]> {
    this.checkOpen();
    const sorted = Array.from(indices);
    for (const i of sorted) this.checkIndex(i);
    sorted.sort((a, b) => a - b);
    const byIndex = new Map<number, SpikeSample>();
    const maxGap = 4;
    let r = 0;
    while (r < sorted.length) {
      const start = sorted[r]!;
      let end = start;
      let k = r + 1;
      while (k < sorted.length && sorted[k]! - end <= maxGap + 1) end = sorted[k++]!;
      const run = await this.readRun(start, end - start + 1);
      for (let q = r; q < k; q++) byIndex.set(sorted[q]!, run[sorted[q]! - start]!);
      r = k;
    }
    return Array.from(indices, (i) => byIndex.get(i)!);
  }

  batches(options: BatchOptions): AsyncIterableIterator<SpikeBatch> {
    this.checkOpen();
    return iterateBatches(this, options);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.reader.close();
    if (this.tempDir !== undefined) await rm(this.tempDir, { recursive: true, force: true });
  }
}

/**
 * Opens an SHD or SSC file (`.h5`, or `.h5.gz`, decompressed first) in the published layout:
 * `/spikes/times` and `/spikes/units` (variable-length, one array per sample; the element types
 * are read from the file, float16/32/64 times in seconds and any integer unit type),
 * `/labels`, and optionally `/extra/keys` (class names) and `/extra/speaker`.
 *
 * Opening checks the file (HDF5 signature, truncation, datasets present, counts agreeing, labels
 * in range) and reads labels and names only; spikes are read on demand, batch by batch, and each
 * sample is validated when read (lengths, unit ids below `numChannels`, times finite and >= 0).
 * Every problem is a `DatasetFormatError` naming the file and the sample. `.zip` archives are
 * rejected with a message to unzip them first. Call `close()` when done.
 */
export async function openSpikingAudioDataset(
  path: string,
  options: SpikingAudioOptions = {},
): Promise<SpikingAudioDataset> {
  if (typeof path !== "string" || path.length === 0) {
    throw new DatasetOptionsError("openSpikingAudioDataset needs the path of an SHD/SSC .h5 file.");
  }
  if (options.kind !== undefined && options.kind !== "shd" && options.kind !== "ssc") {
    throw new DatasetOptionsError(
      `kind must be 'shd' or 'ssc', got ${JSON.stringify(options.kind)}.`,
    );
  }
  const checked = checkOptions(options);
  const kind = await inspectFile(path);
  if (kind === "zip") {
    throw new DatasetFormatError(
      `${path} is a zip archive. Unzip it first (e.g. \`unzip ${basename(path)}\`) and open the .h5 file inside.`,
      { file: path },
    );
  }
  let file = path;
  let tempDir: string | undefined;
  if (kind === "gzip") {
    const name = basename(path)
      .replace(/\.gz$/i, "")
      .replace(/(\.h5)?$/i, ".h5");
    if (options.decompressTo !== undefined) {
      try {
        await mkdir(options.decompressTo, { recursive: true });
      } catch (error) {
        throw new DatasetOptionsError(
          `decompressTo must be a directory (or where one can be made) to keep the decompressed file in; ${options.decompressTo} is not: ${error instanceof Error ? error.message : String(error)}.`,
        );
      }
      file = join(options.decompressTo, name);
      if (!existsSync(file)) await gunzipToFile(path, file);
    } else {
      tempDir = await mkdtemp(join(tmpdir(), "snn-datasets-"));
      file = join(tempDir, name);
      try {
        await gunzipToFile(path, file);
      } catch (e) {
        await rm(tempDir, { recursive: true, force: true });
        throw e;
      }
    }
    try {
      if ((await inspectFile(file)) !== "hdf5")
        throw new DatasetFormatError(`${path} does not decompress to an HDF5 file.`, {
          file: path,
        });
    } catch (e) {
      if (tempDir !== undefined) await rm(tempDir, { recursive: true, force: true });
      if (e instanceof DatasetFormatError)
        throw new DatasetFormatError(`${path} (decompressed): ${e.message}`, { file: path });
      throw e;
    }
  }
  const removeTemp = async (): Promise<void> => {
    if (tempDir !== undefined) await rm(tempDir, { recursive: true, force: true });
  };
  let reader: Hdf5Reader;
  try {
    reader = await Hdf5Reader.open(file, path, checked.timeoutMs);
  } catch (e) {
    await removeTemp();
    if (e instanceof DatasetError) throw e;
    throw new DatasetFormatError(
      `${path}: HDF5 cannot open it: ${hdf5Reason(e)}. The file is damaged; download it again.`,
      { file: path },
    );
  }
  try {
    const displayName = basename(path);
    const layout = await readLayout(reader, displayName, file, (keys) => {
      const n = checked.numClasses ?? keys?.length ?? (checked.kind === "ssc" ? 35 : 20);
      if (n === 0) throw layoutError(displayName, file, "/extra/keys lists no class names");
      return n;
    });
    return new Hdf5SpikingAudioDataset(reader, file, displayName, tempDir, checked, layout);
  } catch (e) {
    await reader.close();
    await removeTemp();
    throw e;
  }
}

/** `openSpikingAudioDataset` with `kind: "shd"` (Spiking Heidelberg Digits: 700 channels, 20 classes). */
export function openShd(
  path: string,
  options: Omit<SpikingAudioOptions, "kind"> = {},
): Promise<SpikingAudioDataset> {
  return openSpikingAudioDataset(path, { ...options, kind: "shd" });
}

/** `openSpikingAudioDataset` with `kind: "ssc"` (Spiking Speech Commands: 700 channels, 35 classes). */
export function openSsc(
  path: string,
  options: Omit<SpikingAudioOptions, "kind"> = {},
): Promise<SpikingAudioDataset> {
  return openSpikingAudioDataset(path, { ...options, kind: "ssc" });
}
