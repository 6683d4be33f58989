import { describe, expect, it } from "vitest";
import { CheckpointError, decodeSafetensors, encodeSafetensors } from "./index";

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
