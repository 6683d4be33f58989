import { describe, expect, it } from "vitest";
import { encodeLatency, latencyLayout } from "./latency";

const pairs = (e: { steps: Int32Array; units: Int32Array }) =>
  Array.from(e.steps, (s, i) => [s, e.units[i]!]);

describe("encodeLatency", () => {
  it("rejects grey values outside 0..255", () => {
    expect(() => encodeLatency([300, 0, 0, 255], 2, 2, { numSteps: 10 })).toThrow(
      /Pixel 0 has grey value 300; expected 0..255/,
    );
    expect(() => encodeLatency([0, Number.NaN, 0, 255], 2, 2, { numSteps: 10 })).toThrow(
      /Pixel 1 has grey value NaN/,
    );
  });

  it("gives brighter pixels earlier spikes and dark pixels none", () => {
    // 255 -> step 0; 128 -> floor((1 - 128/255) * 10) = 4; 1 -> floor(9.96) = 9; 0 -> no spike
    expect(pairs(encodeLatency([255, 0, 128, 1], 2, 2, { numSteps: 10 }))).toEqual([
      [0, 0],
      [4, 2],
      [9, 3],
    ]);
  });

  it("respects minIntensity", () => {
    expect(
      pairs(encodeLatency([255, 0, 128, 1], 2, 2, { numSteps: 10, minIntensity: 100 })),
    ).toEqual([
      [0, 0],
      [4, 2],
    ]);
  });

  it("average-pools with downsample", () => {
    // mean of the 2x2 block = 96 -> floor((1 - 96/255) * 10) = 6
    expect(pairs(encodeLatency([255, 0, 128, 1], 2, 2, { numSteps: 10, downsample: 2 }))).toEqual([
      [6, 0],
    ]);
    const img = new Uint8Array(16);
    img[15] = 255; // bottom-right pixel of 4x4 -> block 3 of 2x2 blocks, mean 63.75
    expect(pairs(encodeLatency(img, 4, 4, { numSteps: 4, downsample: 2 }))).toEqual([[3, 3]]);
  });

  it("one spike per pixel at most, one window", () => {
    const img = Uint8Array.from({ length: 784 }, (_, i) => (i * 37) % 256);
    const e = encodeLatency(img, 28, 28);
    expect(new Set(e.units).size).toBe(e.units.length);
    expect(e.units.length).toBe(img.filter((v) => v >= 1).length);
    expect(Math.max(...e.steps)).toBeLessThan(20);
  });

  it("validates its options", () => {
    expect(latencyLayout(28, 28, { downsample: 4 }).numChannels).toBe(49);
    expect(() => latencyLayout(28, 28, { downsample: 3 })).toThrow(/downsample/);
    expect(() => latencyLayout(28, 28, { numSteps: 0 })).toThrow(/numSteps/);
    expect(() => encodeLatency([1, 2, 3], 2, 2)).toThrow(/3 pixels, expected 2x2/);
  });
});
