import { createReadStream, createWriteStream, existsSync } from "node:fs";
import { mkdir, mkdtemp, rename, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import type * as H5 from "h5wasm/node";
import { DatasetError, DatasetFormatError, DatasetOptionsError } from "../errors";
import { iterateBatches } from "../transforms";
import type { BatchOptions, SpikeBatch, SpikeDataset, SpikeSample } from "../types";
import { inspectFile } from "./file-check";
import { Hdf5CallError, Hdf5Reader, resolveHdf5Timeout, type Hdf5Entity } from "./h5-reader";
import { halfTable } from "./half";

type Metadata = H5.Metadata;

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

function typeName(m: Metadata): string {
  if (m.type === 1) return `float${m.size * 8}${m.littleEndian ? "" : " big-endian"}`;
  if (m.type === 0)
    return `${m.signed ? "int" : "uint"}${m.size * 8}${m.littleEndian || m.size === 1 ? "" : " big-endian"}`;
  const names: Record<number, string> = {
    3: "string",
    6: "compound",
    9: "variable-length",
    10: "array",
  };
  return names[m.type] ?? `HDF5 type class ${m.type}`;
}

function hdf5Reason(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  if (/Aborted\(/.test(text)) return "HDF5 stopped on damaged internal structures";
  const matches = [...text.matchAll(/in (\w+)\(\): (.+)/g)];
  const last = matches[matches.length - 1];
  return last ? `${last[2]!.trim()} (${last[1]})` : text.split("\n")[0]!.slice(0, 200);
}

/**
 * Reads values of an element type at `byteOffset` of `view`. h5wasm reads data into memory in
 * little-endian order whatever the file stores (it sets the memory type's byte order, which for
 * variable-length types applies to the base type), so decoding is always little-endian.
 */
function makeDecoder(
  m: Metadata,
  file: string,
  what: string,
): (view: DataView, byteOffset: number, out: Float64Array) => void {
  const le = true;
  if (m.type === 1) {
    if (m.size === 2) {
      const table = halfTable();
      return (view, byteOffset, out) => {
        for (let i = 0; i < out.length; i++)
          out[i] = table[view.getUint16(byteOffset + 2 * i, le)]!;
      };
    }
    if (m.size === 4)
      return (view, o, out) => {
        for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(o + 4 * i, le);
      };
    if (m.size === 8)
      return (view, o, out) => {
        for (let i = 0; i < out.length; i++) out[i] = view.getFloat64(o + 8 * i, le);
      };
  } else if (m.type === 0) {
    if (m.size === 1)
      return m.signed
        ? (v, o, out) => {
            for (let i = 0; i < out.length; i++) out[i] = v.getInt8(o + i);
          }
        : (v, o, out) => {
            for (let i = 0; i < out.length; i++) out[i] = v.getUint8(o + i);
          };
    if (m.size === 2)
      return m.signed
        ? (v, o, out) => {
            for (let i = 0; i < out.length; i++) out[i] = v.getInt16(o + 2 * i, le);
          }
        : (v, o, out) => {
            for (let i = 0; i < out.length; i++) out[i] = v.getUint16(o + 2 * i, le);
          };
    if (m.size === 4)
      return m.signed
        ? (v, o, out) => {
            for (let i = 0; i < out.length; i++) out[i] = v.getInt32(o + 4 * i, le);
          }
        : (v, o, out) => {
            for (let i = 0; i < out.length; i++) out[i] = v.getUint32(o + 4 * i, le);
          };
    if (m.size === 8)
      return m.signed
        ? (v, o, out) => {
            for (let i = 0; i < out.length; i++) out[i] = Number(v.getBigInt64(o + 8 * i, le));
          }
        : (v, o, out) => {
            for (let i = 0; i < out.length; i++) out[i] = Number(v.getBigUint64(o + 8 * i, le));
          };
  }
  throw new DatasetFormatError(
    `${file}: ${what} has element type ${typeName(m)}, which this reader cannot decode.`,
    { file },
  );
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

/** Everything opening reads from the file (all but the spikes), checked. */
interface OpenedLayout {
  readonly numSamples: number;
  readonly timesMeta: Metadata;
  readonly unitsMeta: Metadata;
  readonly labelsMeta: Metadata;
  readonly classNames: string[] | undefined;
  readonly labels: Int32Array;
  readonly speakers: Int32Array | undefined;
}

function layoutError(
  displayName: string,
  file: string,
  what: string,
  sample?: number,
): DatasetFormatError {
  const where = sample === undefined ? displayName : `${displayName}, sample ${sample}`;
  return new DatasetFormatError(
    `${where}: ${what}. The file is damaged or not in the SHD/SSC layout.`,
    { file, sample },
  );
}

/**
 * Runs one reader call, turning an HDF5 failure into a `DatasetFormatError` that says what
 * could not be done (time-outs already are one).
 */
async function guarded<T>(
  reader: Hdf5Reader,
  displayName: string,
  file: string,
  what: string,
  request: Record<string, unknown>,
  sample?: number,
): Promise<T> {
  try {
    return await reader.call<T>(what, request);
  } catch (e) {
    if (e instanceof DatasetError) throw e;
    if (e instanceof Hdf5CallError && e.kind === "damaged-entry")
      throw layoutError(
        displayName,
        file,
        `/${String(request["path"])} has a damaged entry`,
        (sample ?? 0) + (e.index ?? 0),
      );
    throw layoutError(displayName, file, `HDF5 could not ${what}: ${hdf5Reason(e)}`, sample);
  }
}

function integersOf(
  value: unknown,
  count: number,
  m: Metadata,
  path: string,
  fail: (what: string, sample?: number) => DatasetFormatError,
): Int32Array {
  const out = new Int32Array(count);
  const arr = value as ArrayLike<number | bigint> | null;
  if (arr === null || typeof arr !== "object" || arr.length !== count) {
    throw fail(`${path} could not be read as ${count} numbers (${typeName(m)})`);
  }
  for (let i = 0; i < out.length; i++) {
    const v = Number(arr[i]!);
    if (!Number.isInteger(v) || Math.abs(v) > 2 ** 31 - 1)
      throw fail(`${path} holds ${v}, which is not an integer`, i);
    out[i] = v;
  }
  return out;
}

/** Reads and checks the layout (datasets, types, counts, class names, labels, speakers). */
async function readLayout(
  reader: Hdf5Reader,
  displayName: string,
  file: string,
  numClassesFor: (keys: string[] | undefined) => number,
): Promise<OpenedLayout & { numClasses: number }> {
  const fail = (what: string, sample?: number): DatasetFormatError =>
    layoutError(displayName, file, what, sample);
  const entity = (path: string): Promise<Hdf5Entity> =>
    guarded<Hdf5Entity>(reader, displayName, file, `look up /${path}`, { op: "entity", path });
  const optionalDataset = async (path: string): Promise<Metadata | undefined> => {
    const found = await entity(path);
    if (found === null) return undefined;
    if (found.kind !== "dataset") throw fail(`/${path} is not a dataset`);
    return found.metadata;
  };
  const requireDataset = async (path: string, what: string): Promise<Metadata> => {
    const m = await optionalDataset(path);
    if (!m) throw fail(`the dataset /${path} (${what}) is missing`);
    return m;
  };
  const tm = await requireDataset("spikes/times", "the spike times of each sample");
  const um = await requireDataset("spikes/units", "the channel id of each spike");
  const lm = await requireDataset("labels", "the class of each sample");
  const count = (m: Metadata, path: string): number => {
    if (!m.shape || m.shape.length !== 1) {
      throw fail(
        `/${path} must be one-dimensional (one entry per sample) but has shape [${m.shape?.join(", ") ?? ""}]`,
      );
    }
    return m.shape[0]!;
  };
  const nTimes = count(tm, "spikes/times");
  const nUnits = count(um, "spikes/units");
  const nLabels = count(lm, "labels");
  if (nTimes !== nUnits || nTimes !== nLabels) {
    throw fail(
      `the sample counts disagree: /spikes/times has ${nTimes}, /spikes/units ${nUnits}, /labels ${nLabels}`,
    );
  }
  if (nTimes === 0) {
    throw new DatasetFormatError(
      `${displayName} holds no samples (/spikes/times, /spikes/units and /labels are empty); there is nothing to train or test on. Download the file again.`,
      { file },
    );
  }
  if (tm.type !== 9 || !tm.vlen_type)
    throw fail(`/spikes/times must hold variable-length arrays but holds ${typeName(tm)}`);
  if (um.type !== 9 || !um.vlen_type)
    throw fail(`/spikes/units must hold variable-length arrays but holds ${typeName(um)}`);
  if (tm.vlen_type.type !== 1)
    throw fail(`/spikes/times must hold floating-point times but holds ${typeName(tm.vlen_type)}`);
  if (um.vlen_type.type !== 0)
    throw fail(`/spikes/units must hold integer channel ids but holds ${typeName(um.vlen_type)}`);
  if (lm.type !== 0 && lm.type !== 1)
    throw fail(`/labels must hold numbers but holds ${typeName(lm)}`);

  let keys: string[] | undefined;
  if ((await optionalDataset("extra/keys")) !== undefined) {
    const value = await guarded<unknown>(reader, displayName, file, "read /extra/keys", {
      op: "value",
      path: "extra/keys",
    });
    if (!Array.isArray(value) || !value.every((k) => typeof k === "string"))
      throw fail(`/extra/keys must hold class names (strings)`);
    keys = value as string[];
  }
  const numClasses = numClassesFor(keys);
  const labels = integersOf(
    await guarded<unknown>(reader, displayName, file, "read /labels", {
      op: "value",
      path: "labels",
    }),
    nTimes,
    lm,
    "/labels",
    fail,
  );
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i]!;
    if (label < 0 || label >= numClasses)
      throw fail(`label ${label} is outside the class range 0..${numClasses - 1}`, i);
  }
  let speakers: Int32Array | undefined;
  const sm = await optionalDataset("extra/speaker");
  if (sm !== undefined) {
    if (!(sm.shape?.length === 1 && sm.shape[0] === nTimes && (sm.type === 0 || sm.type === 1))) {
      throw fail(
        `/extra/speaker must hold one number per sample (${nTimes}) but has shape [${sm.shape?.join(", ") ?? ""}] of ${typeName(sm)}`,
      );
    }
    speakers = integersOf(
      await guarded<unknown>(reader, displayName, file, "read /extra/speaker", {
        op: "value",
        path: "extra/speaker",
      }),
      nTimes,
      sm,
      "/extra/speaker",
      fail,
    );
  }
  return {
    numSamples: nTimes,
    timesMeta: tm,
    unitsMeta: um,
    labelsMeta: lm,
    classNames: keys,
    labels,
    speakers,
    numClasses,
  };
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
