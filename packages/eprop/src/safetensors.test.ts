import { describe, expect, it } from "vitest";
import { crc32Hex } from "./crc32";
import { CheckpointError, decodeSafetensors, encodeSafetensors } from "./index";
import { CHECKSUM_KEY } from "./safetensors";

/** A safetensors file with a hand-written header over `dataBytes` bytes of data (values 0, 1, 2, ... as float32 where they fit). */
function withHeader(header: Record<string, unknown>, dataBytes: number): Uint8Array {
  let json = JSON.stringify(header);
  json += " ".repeat((8 - (json.length % 8)) % 8);
  const head = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + head.length + dataBytes);
  const view = new DataView(out.buffer);
  view.setUint32(0, head.length, true);
  out.set(head, 8);
  for (let i = 0; 4 * i + 4 <= dataBytes; i++) view.setFloat32(8 + head.length + 4 * i, i, true);
  return out;
}

const a = (offsets: [number, number]) => ({ dtype: "F32", shape: [2, 2], data_offsets: offsets });
const b = (offsets: [number, number]) => ({ dtype: "F32", shape: [3], data_offsets: offsets });

describe("safetensors offset table", () => {
  it("accepts tensors that tile the data exactly, in any key order", () => {
    const decoded = decodeSafetensors(withHeader({ b: b([0, 12]), a: a([12, 28]) }, 28));
    expect(Array.from(decoded.tensors.b!.data)).toEqual([0, 1, 2]);
    expect(Array.from(decoded.tensors.a!.data)).toEqual([3, 4, 5, 6]);
    const encoded = encodeSafetensors({
      x: { shape: [0], data: new Float32Array(0) },
      y: { shape: [1], data: Float32Array.of(7) },
    });
    expect(Array.from(decodeSafetensors(encoded).tensors.y!.data)).toEqual([7]);
  });

  it("refuses overlapping offsets", () => {
    const bytes = withHeader({ a: a([0, 16]), b: b([12, 24]) }, 28);
    expect(() => decodeSafetensors(bytes)).toThrow(CheckpointError);
    expect(() => decodeSafetensors(bytes)).toThrow(
      /'a' \(bytes 0\.\.16\) and 'b' \(bytes 12\.\.24\) overlap/,
    );
  });

  it("refuses offsets shifted away from the start of the data", () => {
    expect(() => decodeSafetensors(withHeader({ a: a([4, 20]), b: b([20, 32]) }, 32))).toThrow(
      /first tensor, 'a', starts at byte 4 instead of 0/,
    );
  });

  it("refuses a gap between tensors", () => {
    expect(() => decodeSafetensors(withHeader({ a: a([0, 16]), b: b([20, 32]) }, 32))).toThrow(
      /gap of 4 bytes between tensors 'a'.*and 'b'/,
    );
  });

  it("refuses data bytes that no tensor covers", () => {
    expect(() => decodeSafetensors(withHeader({ a: a([0, 16]), b: b([16, 28]) }, 36))).toThrow(
      /covers 28 data bytes but the file holds 36/,
    );
  });

  it("refuses offsets whose length does not match dtype and shape", () => {
    expect(() => decodeSafetensors(withHeader({ a: a([0, 12]), b: b([12, 24]) }, 24))).toThrow(
      /has 12 bytes but shape \[2, 2\] needs 16/,
    );
  });
});

/** The JSON header of a safetensors file, edited by `edit` (the data bytes stay as they are). */
function editHeader(
  bytes: Uint8Array,
  edit: (header: Record<string, unknown>) => void,
): Uint8Array {
  const n = new DataView(bytes.buffer, bytes.byteOffset).getUint32(0, true);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))) as Record<
    string,
    unknown
  >;
  edit(header);
  let json = JSON.stringify(header);
  json += " ".repeat((8 - (json.length % 8)) % 8);
  const head = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + head.length + bytes.length - 8 - n);
  new DataView(out.buffer).setUint32(0, head.length, true);
  out.set(head, 8);
  out.set(bytes.subarray(8 + n), 8 + head.length);
  return out;
}

type Entry = { data_offsets: [number, number] };

/** The checksum table a file stores. */
function storedTable(bytes: Uint8Array): Record<string, string> {
  let table: Record<string, string> = {};
  editHeader(bytes, (h) => {
    table = JSON.parse((h["__metadata__"] as Record<string, string>)[CHECKSUM_KEY]!) as Record<
      string,
      string
    >;
  });
  return table;
}

describe("safetensors checksums", () => {
  const tensors = {
    first: { shape: [2], data: Float32Array.of(1, 2) },
    second: { shape: [2], data: Float32Array.of(3, 4) },
    third: { shape: [1], data: Float32Array.of(5) },
  };

  it("computes CRC-32 as zlib does", () => {
    expect(crc32Hex(new TextEncoder().encode("123456789"))).toBe("cbf43926");
    expect(crc32Hex(new Uint8Array(0))).toBe("00000000");
  });

  it("writes a CRC-32 per tensor as a string in __metadata__, and hides it from the metadata read back", () => {
    const bytes = encodeSafetensors(tensors, { kind: "test" });
    const n = new DataView(bytes.buffer).getUint32(0, true);
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))) as {
      __metadata__: Record<string, unknown>;
    };
    // Plain safetensors for other readers: every metadata value is a string.
    expect(Object.values(header.__metadata__).every((v) => typeof v === "string")).toBe(true);
    const table = JSON.parse(header.__metadata__[CHECKSUM_KEY] as string) as Record<string, string>;
    expect(Object.keys(table).sort()).toEqual(["first", "second", "third"]);
    const bytesOf = (values: number[]) => new Uint8Array(Float32Array.from(values).buffer);
    expect(table["second"]).toBe(crc32Hex(bytesOf([3, 4])));
    const decoded = decodeSafetensors(bytes);
    expect(decoded.metadata).toEqual({ kind: "test" });
    expect(Array.from(decoded.tensors.second!.data)).toEqual([3, 4]);
  });

  it("refuses two equal-size tensors whose data_offsets were swapped, naming a tensor", () => {
    const swapped = editHeader(encodeSafetensors(tensors), (h) => {
      const a = h["first"] as Entry;
      const b = h["second"] as Entry;
      [a.data_offsets, b.data_offsets] = [b.data_offsets, a.data_offsets];
    });
    expect(() => decodeSafetensors(swapped)).toThrow(CheckpointError);
    expect(() => decodeSafetensors(swapped)).toThrow(
      /^Tensor 'first' does not match its checksum \(CRC-32 [0-9a-f]{8}, stored [0-9a-f]{8}\): its bytes are damaged or belong to another tensor \(e\.g\. swapped data_offsets\)/,
    );
  });

  it("refuses a damaged data byte", () => {
    const bytes = encodeSafetensors(tensors);
    bytes[bytes.length - 1]! ^= 0x01; // the last byte of 'third'
    expect(() => decodeSafetensors(bytes)).toThrow(/^Tensor 'third' does not match its checksum/);
  });

  it("refuses a checksum table that is malformed or names other tensors", () => {
    const withTable = (table: string) =>
      editHeader(encodeSafetensors(tensors), (h) => {
        (h["__metadata__"] as Record<string, string>)[CHECKSUM_KEY] = table;
      });
    const good = storedTable(encodeSafetensors(tensors));
    expect(() => decodeSafetensors(withTable("not json"))).toThrow(
      /checksum table \(__metadata__ 'snn\.crc32'\) is not a map of tensor names to 8 hex digits/,
    );
    expect(() => decodeSafetensors(withTable(JSON.stringify({ ...good, first: 7 })))).toThrow(
      /is not a map of tensor names/,
    );
    const { third: _third, ...missing } = good;
    expect(() => decodeSafetensors(withTable(JSON.stringify(missing)))).toThrow(
      /^Tensor 'third' has no checksum/,
    );
    expect(() =>
      decodeSafetensors(withTable(JSON.stringify({ ...good, fourth: "00000000" }))),
    ).toThrow(/names a tensor 'fourth' that the file does not hold/);
  });

  it("loads a file without checksums (older checkpoints, other writers) by its offset table alone", () => {
    const legacy = editHeader(encodeSafetensors(tensors, { kind: "old" }), (h) => {
      delete (h["__metadata__"] as Record<string, string>)[CHECKSUM_KEY];
    });
    const decoded = decodeSafetensors(legacy);
    expect(decoded.metadata).toEqual({ kind: "old" });
    expect(Array.from(decoded.tensors.first!.data)).toEqual([1, 2]);
  });

  it("refuses callers' metadata under the reserved key", () => {
    expect(() => encodeSafetensors(tensors, { [CHECKSUM_KEY]: "{}" })).toThrow(
      /'snn\.crc32' is reserved/,
    );
  });
});
