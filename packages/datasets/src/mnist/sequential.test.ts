import { describe, expect, it } from "vitest";
import { DatasetOptionsError } from "../errors";
import {
  encodeSequentialMnist,
  sequentialMnistLayout,
  sequentialMnistThresholds,
} from "./sequential";

function pairs(e: { steps: Int32Array; units: Int32Array }): Array<[number, number]> {
  return Array.from(e.steps, (s, i) => [s, e.units[i]!]);
}
const range = (a: number, b: number) => Array.from({ length: b - a }, (_, i) => a + i);

describe("sequential MNIST thresholds and layout", () => {
  it("has 39 thresholds evenly spaced on 0..254", () => {
    const t = sequentialMnistThresholds();
    expect(t.length).toBe(39);
    expect(t[0]).toBe(0);
    expect(t[38]).toBe(254);
    expect(t[1]).toBeCloseTo(254 / 38, 12);
  });

  it("has the published shapes", () => {
    expect(sequentialMnistLayout("79-channel")).toEqual({
      numChannels: 79,
      stepsPerPixel: 1,
      numSteps: 784,
    });
    expect(sequentialMnistLayout("80-channel-cue")).toEqual({
      numChannels: 80,
      stepsPerPixel: 2,
      numSteps: 1588,
      lossWindowSteps: [1568, 1588],
    });
    expect(() => sequentialMnistLayout("81" as never)).toThrow(DatasetOptionsError);
  });
});

describe("encodeSequentialMnist (79 channels)", () => {
  it("fires onsets, the full-intensity channel and offsets for 0, 255, 255, 0", () => {
    const e = encodeSequentialMnist([0, 255, 255, 0], "79-channel");
    expect(pairs(e)).toEqual([
      ...range(1, 39).map((k) => [1, k]), // rise 0 -> 255 crosses thresholds 1..38 (not 0)
      [1, 78],
      [2, 78], // still at 255: full-intensity channel only
      ...range(1, 39).map((k) => [3, 39 + k]), // fall 255 -> 0
    ]);
  });

  it("fires exactly the crossed thresholds for 10, 20, 5", () => {
    // thresholds 6.68 (k=1), 13.37 (k=2), 20.05 (k=3)
    const e = encodeSequentialMnist([10, 20, 5], "79-channel");
    expect(pairs(e)).toEqual([
      [0, 1], // 0 -> 10 crosses 6.68 (previous value of pixel 0 is the background 0)
      [1, 2], // 10 -> 20 crosses 13.37, not 20.05
      [2, 40],
      [2, 41], // 20 -> 5 falls below 13.37 and 6.68
    ]);
  });

  it("treats reaching a threshold exactly as crossing it, and leaving it downwards only below it", () => {
    expect(pairs(encodeSequentialMnist([254], "79-channel"))).toEqual(
      range(1, 39).map((k) => [0, k]),
    );
    // 255 -> 254 stays at or above threshold 254: no offset
    expect(pairs(encodeSequentialMnist([255, 254], "79-channel"))).toEqual([
      ...range(1, 39).map((k) => [0, k]),
      [0, 78],
    ]);
    expect(pairs(encodeSequentialMnist([0, 0, 0], "79-channel"))).toEqual([]);
  });

  it("rejects grey values outside 0..255", () => {
    expect(() => encodeSequentialMnist([0, 256], "79-channel")).toThrow(
      /Pixel 1 has grey value 256/,
    );
    expect(() => encodeSequentialMnist([Number.NaN], "79-channel")).toThrow(DatasetOptionsError);
  });
});

describe("encodeSequentialMnist (80 channels with cue)", () => {
  it("uses two steps per pixel and a 20-step cue after the image", () => {
    const e = encodeSequentialMnist([10, 20, 5], "80-channel-cue");
    expect(pairs(e)).toEqual([
      [0, 1],
      [2, 2],
      [4, 40],
      [4, 41],
      ...range(6, 26).map((s) => [s, 79]),
    ]);
  });

  it("on a 784-pixel image: 1588 steps, cue on steps 1568..1587 only", () => {
    const img = new Uint8Array(784);
    img[100] = 255;
    const e = encodeSequentialMnist(img, "80-channel-cue");
    const cue = pairs(e)
      .filter(([, u]) => u === 79)
      .map(([s]) => s);
    expect(cue).toEqual(range(1568, 1588));
    expect(Math.max(...e.steps)).toBe(1587);
    expect(pairs(e).filter(([, u]) => u === 78)).toEqual([[200, 78]]);
  });

  it("takes another answer-period length: the cue fires through it and the loss window covers it", () => {
    expect(sequentialMnistLayout("80-channel-cue", 784, 56)).toEqual({
      numChannels: 80,
      stepsPerPixel: 2,
      numSteps: 1624,
      lossWindowSteps: [1568, 1624],
    });
    // the 79-channel encoding has no answer period, so the length does not change it
    expect(sequentialMnistLayout("79-channel", 784, 56)).toEqual(
      sequentialMnistLayout("79-channel"),
    );
    const e = encodeSequentialMnist([10, 20, 5], "80-channel-cue", 3);
    expect(pairs(e)).toEqual([
      [0, 1],
      [2, 2],
      [4, 40],
      [4, 41],
      [6, 79],
      [7, 79],
      [8, 79],
    ]);
    // the image part does not depend on the answer period
    const img = Uint8Array.from({ length: 784 }, (_, i) => (i * 37) % 256);
    const short = pairs(encodeSequentialMnist(img, "80-channel-cue"));
    const long = pairs(encodeSequentialMnist(img, "80-channel-cue", 56));
    expect(long.filter(([, u]) => u !== 79)).toEqual(short.filter(([, u]) => u !== 79));
    expect(long.filter(([, u]) => u === 79).map(([s]) => s)).toEqual(range(1568, 1624));
  });

  it("refuses an answer period that is not a whole number of steps", () => {
    for (const bad of [0, -1, 2.5, Number.NaN]) {
      expect(() => sequentialMnistLayout("80-channel-cue", 784, bad)).toThrow(
        /cueSteps must be a whole number of steps, at least 1 .*got/,
      );
      expect(() => encodeSequentialMnist([1], "80-channel-cue", bad)).toThrow(DatasetOptionsError);
    }
  });
});
