/**
 * The safetensors format (https://huggingface.co/docs/safetensors), written and read here
 * without dependencies: an 8-byte little-endian header length N, N bytes of JSON header
 * `{ name: { dtype, shape, data_offsets: [begin, end] }, "__metadata__": { string: string } }`
 * (padded with spaces to a multiple of 8), then the raw little-endian tensor bytes. Only
 * `F32` tensors are used by @snn/eprop.
 *
 * Integrity: files written here carry the CRC-32 of each tensor's bytes in the metadata key
 * {@link CHECKSUM_KEY} (a JSON object of tensor name to 8 hex digits; still a plain string
 * value, so other safetensors readers load the file as before). On reading, a file that has
 * the key must match it tensor by tensor: damaged bytes, or offsets that point two tensors of
 * one size at each other's data (which the offset table alone cannot reveal), are refused
 * naming the tensor. Files without the key (written before it existed, or by other tools)
 * load as before, checked by their offset table only.
 */
import { crc32Hex } from "./crc32";
import { CheckpointError } from "./errors";

/** The metadata key of the per-tensor CRC-32 checksums (reserved: not for callers' metadata). */
export const CHECKSUM_KEY = "snn.crc32";

/** A float32 tensor: row-major data and its shape. */
export interface Float32Tensor {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

/** Largest header this reader accepts (bytes); real headers are a few kB. */
const MAX_HEADER_BYTES = 100 * 1024 * 1024;

function count(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Encodes tensors (in name order) and string metadata as safetensors bytes. */
export function encodeSafetensors(
  tensors: Readonly<Record<string, Float32Tensor>>,
  metadata: Readonly<Record<string, string>> = {},
): Uint8Array {
  const names = Object.keys(tensors).sort();
  // __metadata__ first in the header (it is filled in below, once the checksums are known).
  const header: Record<string, unknown> = { __metadata__: undefined };
  let offset = 0;
  for (const name of names) {
    if (name === "__metadata__")
      throw new CheckpointError("A tensor cannot be named '__metadata__'.");
    const tensor = tensors[name]!;
    if (count(tensor.shape) !== tensor.data.length) {
      throw new CheckpointError(
        `Tensor '${name}' has ${tensor.data.length} values but shape [${tensor.shape.join(", ")}].`,
      );
    }
    const bytes = tensor.data.length * 4;
    header[name] = {
      dtype: "F32",
      shape: [...tensor.shape],
      data_offsets: [offset, offset + bytes],
    };
    offset += bytes;
  }
  // The data first: the checksums in the header are of the bytes as written (little-endian).
  const data = new Uint8Array(offset);
  const dataView = new DataView(data.buffer);
  let position = 0;
  for (const name of names) {
    const values = tensors[name]!.data;
    for (let i = 0; i < values.length; i++, position += 4)
      dataView.setFloat32(position, values[i]!, true);
  }
  if (CHECKSUM_KEY in metadata)
    throw new CheckpointError(`The metadata key '${CHECKSUM_KEY}' is reserved for the checksums.`);
  const checksums: Record<string, string> = {};
  for (const name of names) {
    const [begin, end] = (header[name] as { data_offsets: [number, number] }).data_offsets;
    checksums[name] = crc32Hex(data.subarray(begin, end));
  }
  header.__metadata__ = { ...metadata, [CHECKSUM_KEY]: JSON.stringify(checksums) };
  let json = JSON.stringify(header);
  const encoder = new TextEncoder();
  let headerBytes = encoder.encode(json);
  const padding = (8 - (headerBytes.length % 8)) % 8;
  if (padding > 0) {
    json += " ".repeat(padding);
    headerBytes = encoder.encode(json);
  }
  const out = new Uint8Array(8 + headerBytes.length + offset);
  const view = new DataView(out.buffer);
  view.setUint32(0, headerBytes.length, true);
  view.setUint32(4, 0, true);
  out.set(headerBytes, 8);
  out.set(data, 8 + headerBytes.length);
  return out;
}

/**
 * Checks each tensor's bytes against the stored CRC-32 table `text` (the value of
 * {@link CHECKSUM_KEY}); the table must name exactly the file's tensors.
 */
function checkChecksums(text: string, placed: readonly PlacedTensor[], data: Uint8Array): void {
  let table: unknown;
  try {
    table = JSON.parse(text);
  } catch {
    table = undefined;
  }
  if (
    typeof table !== "object" ||
    table === null ||
    Array.isArray(table) ||
    Object.values(table).some((v) => typeof v !== "string" || !/^[0-9a-f]{8}$/.test(v))
  ) {
    throw new CheckpointError(
      `The safetensors checksum table (__metadata__ '${CHECKSUM_KEY}') is not a map of tensor names to 8 hex digits; the checkpoint is corrupt.`,
    );
  }
  const stored = table as Record<string, string>;
  const names = new Set(placed.map((t) => t.name));
  const unknown = Object.keys(stored).find((name) => !names.has(name));
  if (unknown !== undefined) {
    throw new CheckpointError(
      `The safetensors checksum table names a tensor '${unknown}' that the file does not hold; the checkpoint is corrupt (a tensor was removed or renamed).`,
    );
  }
  for (const tensor of placed) {
    const expected = stored[tensor.name];
    if (expected === undefined) {
      throw new CheckpointError(
        `Tensor '${tensor.name}' has no checksum in the safetensors checksum table; the checkpoint is corrupt (a tensor was added or renamed).`,
      );
    }
    const actual = crc32Hex(data.subarray(tensor.begin, tensor.end));
    if (actual !== expected) {
      throw new CheckpointError(
        `Tensor '${tensor.name}' does not match its checksum (CRC-32 ${actual}, stored ${expected}): its bytes are damaged or belong to another tensor (e.g. swapped data_offsets); the checkpoint is corrupt. Use an earlier checkpoint or a copy.`,
      );
    }
  }
}

interface PlacedTensor {
  readonly name: string;
  readonly begin: number;
  readonly end: number;
  readonly shape: number[];
}

/**
 * The tensors' byte ranges must tile the data section: taken in order of their offsets, the
 * first starts at 0, each starts where the previous ends, and the last ends at the end of the
 * file. Shifted, overlapping or gapped offsets (which would load wrong weights) are refused.
 */
function checkLayout(placed: PlacedTensor[], dataLength: number): void {
  const ordered = [...placed].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let expected = 0;
  let previous: PlacedTensor | undefined;
  for (const tensor of ordered) {
    if (tensor.begin !== expected) {
      const what =
        previous === undefined
          ? `the first tensor, '${tensor.name}', starts at byte ${tensor.begin} instead of 0`
          : tensor.begin < expected
            ? `tensors '${previous.name}' (bytes ${previous.begin}..${previous.end}) and '${tensor.name}' (bytes ${tensor.begin}..${tensor.end}) overlap`
            : `there is a gap of ${tensor.begin - expected} bytes between tensors '${previous.name}' (ending at byte ${expected}) and '${tensor.name}' (starting at ${tensor.begin})`;
      throw new CheckpointError(
        `The safetensors offset table is inconsistent: ${what}; the checkpoint is corrupt.`,
      );
    }
    expected = tensor.end;
    previous = tensor;
  }
  if (expected !== dataLength) {
    throw new CheckpointError(
      `The safetensors offset table covers ${expected} data bytes but the file holds ${dataLength}; the checkpoint is corrupt (extra or missing bytes).`,
    );
  }
}

/** Decodes safetensors bytes; throws {@link CheckpointError} on anything malformed. */
export function decodeSafetensors(bytes: Uint8Array): {
  tensors: Record<string, Float32Tensor>;
  metadata: Record<string, string>;
} {
  if (!(bytes instanceof Uint8Array))
    throw new CheckpointError("A checkpoint must be given as bytes (Uint8Array).");
  if (bytes.length < 8)
    throw new CheckpointError(
      `The file is too short to be a safetensors checkpoint (${bytes.length} bytes).`,
    );
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const low = view.getUint32(0, true);
  const high = view.getUint32(4, true);
  if (high !== 0 || low > MAX_HEADER_BYTES || low > bytes.length - 8) {
    throw new CheckpointError(
      `The safetensors header length (${high !== 0 ? "over 4 GiB" : `${low} bytes`}) does not fit the file of ${bytes.length} bytes; the checkpoint is corrupt or truncated.`,
    );
  }
  let header: unknown;
  try {
    header = JSON.parse(
      new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, 8 + low)),
    );
  } catch {
    throw new CheckpointError(
      "The safetensors header is not valid JSON; the checkpoint is corrupt.",
    );
  }
  if (typeof header !== "object" || header === null || Array.isArray(header)) {
    throw new CheckpointError(
      "The safetensors header is not a JSON object; the checkpoint is corrupt.",
    );
  }
  const dataStart = 8 + low;
  const dataLength = bytes.length - dataStart;
  const tensors: Record<string, Float32Tensor> = {};
  let metadata: Record<string, string> = {};
  const placed: PlacedTensor[] = [];
  for (const [name, entry] of Object.entries(header as Record<string, unknown>)) {
    if (name === "__metadata__") {
      if (
        typeof entry !== "object" ||
        entry === null ||
        Object.values(entry).some((v) => typeof v !== "string")
      ) {
        throw new CheckpointError(
          "The safetensors __metadata__ must map names to strings; the checkpoint is corrupt.",
        );
      }
      metadata = { ...(entry as Record<string, string>) };
      continue;
    }
    const e = entry as { dtype?: unknown; shape?: unknown; data_offsets?: unknown } | null;
    if (typeof e !== "object" || e === null)
      throw new CheckpointError(
        `Tensor '${name}' has no description in the header; the checkpoint is corrupt.`,
      );
    if (e.dtype !== "F32") {
      throw new CheckpointError(
        `Tensor '${name}' has dtype ${JSON.stringify(e.dtype)}; @snn/eprop checkpoints store F32 tensors.`,
      );
    }
    const shape = e.shape;
    if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 0)) {
      throw new CheckpointError(
        `Tensor '${name}' has an invalid shape ${JSON.stringify(shape)}; the checkpoint is corrupt.`,
      );
    }
    const offsets = e.data_offsets;
    if (
      !Array.isArray(offsets) ||
      offsets.length !== 2 ||
      !offsets.every((o) => Number.isInteger(o) && o >= 0)
    ) {
      throw new CheckpointError(
        `Tensor '${name}' has invalid data_offsets ${JSON.stringify(offsets)}; the checkpoint is corrupt.`,
      );
    }
    const [begin, end] = offsets as [number, number];
    if (end < begin || end > dataLength) {
      throw new CheckpointError(
        `Tensor '${name}' lies at bytes ${begin}..${end} but the file holds ${dataLength} data bytes; the checkpoint is truncated or corrupt.`,
      );
    }
    const n = count(shape as number[]);
    if (end - begin !== n * 4) {
      throw new CheckpointError(
        `Tensor '${name}' has ${end - begin} bytes but shape [${shape.join(", ")}] needs ${n * 4}; the checkpoint is corrupt.`,
      );
    }
    placed.push({ name, begin, end, shape: shape as number[] });
  }
  checkLayout(placed, dataLength);
  const checksums = metadata[CHECKSUM_KEY];
  if (checksums !== undefined) {
    checkChecksums(checksums, placed, bytes.subarray(dataStart));
    delete metadata[CHECKSUM_KEY];
  }
  for (const { name, begin, end, shape } of placed) {
    const n = (end - begin) / 4;
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = view.getFloat32(dataStart + begin + 4 * i, true);
    tensors[name] = { shape, data };
  }
  return { tensors, metadata };
}
