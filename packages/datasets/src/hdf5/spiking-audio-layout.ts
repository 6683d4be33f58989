/**
 * The SHD/SSC layout of a spiking-audio HDF5 file: reading and checking it (datasets, element
 * types, counts, class names, labels, speakers), decoders of the element types, and HDF5
 * failures reported as `DatasetFormatError`s that say what could not be read.
 */
import type * as H5 from "h5wasm/node";
import { DatasetError, DatasetFormatError } from "../errors";
import { Hdf5CallError, type Hdf5Entity, type Hdf5Reader } from "./h5-reader";
import { halfTable } from "./half";

type Metadata = H5.Metadata;

/** A readable name of an HDF5 element type, e.g. `float16` or `uint8`. */
export function typeName(m: Metadata): string {
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

/** The reason an HDF5 call failed, in one line. */
export function hdf5Reason(e: unknown): string {
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
export function makeDecoder(
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

/** Everything opening reads from the file (all but the spikes), checked. */
export interface OpenedLayout {
  readonly numSamples: number;
  readonly timesMeta: Metadata;
  readonly unitsMeta: Metadata;
  readonly labelsMeta: Metadata;
  readonly classNames: string[] | undefined;
  readonly labels: Int32Array;
  readonly speakers: Int32Array | undefined;
}

/** An error saying the file (or one sample of it) is not in the SHD/SSC layout. */
export function layoutError(
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
export async function guarded<T>(
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

/** `count` values read from `path` as 32-bit integers; `fail` makes the error where they are not. */
export function integersOf(
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
export async function readLayout(
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
