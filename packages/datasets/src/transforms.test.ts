import { describe, expect, it } from "vitest";
import { DatasetOptionsError } from "./errors";
import {
  binSpikeTimes,
  collateBatch,
  countBatches,
  cropSpikeEvents,
  epochOrder,
  lossMaskForWindow,
  splitIntoBatches,
  stepsForDuration,
} from "./transforms";

const arr = (x: ArrayLike<number>) => Array.from(x);

describe("binSpikeTimes", () => {
  it("puts a spike at t ms into step floor(t / dt) and sorts by step, then unit", () => {
    const e = binSpikeTimes([9.5, 0, 2.1, 1.99, 2.0], [4, 1, 3, 7, 2], { dt: 1 });
    expect(arr(e.steps)).toEqual([0, 1, 2, 2, 9]);
    expect(arr(e.units)).toEqual([1, 7, 2, 3, 4]);
  });

  it("merges several spikes of one channel in one step into one event", () => {
    const e = binSpikeTimes([0.1, 0.2, 0.9, 1.0, 1.5, 1.6], [5, 5, 5, 5, 6, 5], { dt: 1 });
    expect(arr(e.steps)).toEqual([0, 1, 1]);
    expect(arr(e.units)).toEqual([5, 5, 6]);
  });

  it("bins at coarser dt", () => {
    const e = binSpikeTimes([0, 1, 2, 3, 4, 7.99, 8], [0, 0, 0, 1, 1, 2, 2], { dt: 4 });
    expect(arr(e.steps)).toEqual([0, 0, 1, 1, 2]);
    expect(arr(e.units)).toEqual([0, 1, 1, 2, 2]);
  });

  it("counts times a rounding error below a boundary as on it (k * 0.1 ms with dt 0.1)", () => {
    const times = [3, 7, 29].map((k) => k * 0.1);
    expect(0.7 / 0.1).toBeLessThan(7); // the rounding this guards against
    const e = binSpikeTimes(times, [0, 0, 0], { dt: 0.1 });
    expect(arr(e.steps)).toEqual([3, 7, 29]);
  });

  it("crops spikes at steps >= numSteps", () => {
    const e = binSpikeTimes([0, 5, 9.9, 10, 50], [1, 1, 1, 1, 1], { dt: 1, numSteps: 10 });
    expect(arr(e.steps)).toEqual([0, 5, 9]);
  });

  it("handles an empty sample", () => {
    const e = binSpikeTimes([], [], { dt: 1, numSteps: 5 });
    expect(e.steps.length).toBe(0);
    expect(e.units.length).toBe(0);
  });

  it("rejects bad input with DatasetOptionsError", () => {
    expect(() => binSpikeTimes([1], [1], { dt: 0 })).toThrow(DatasetOptionsError);
    expect(() => binSpikeTimes([1], [1], { dt: Number.NaN })).toThrow(/dt must be a positive/);
    expect(() => binSpikeTimes([1, 2], [1], { dt: 1 })).toThrow(/2 times but 1 units/);
    expect(() => binSpikeTimes([-1], [1], { dt: 1 })).toThrow(/time -1 ms/);
    expect(() => binSpikeTimes([Number.NaN], [1], { dt: 1 })).toThrow(/time NaN ms/);
    expect(() => binSpikeTimes([1], [1.5], { dt: 1 })).toThrow(/unit 1.5/);
    expect(() => binSpikeTimes([1], [1], { dt: 1, numSteps: 0 })).toThrow(/numSteps/);
  });
});

describe("option checks", () => {
  it("say what is wrong with a loss window or a sample count", () => {
    for (const window of [
      [Number.NaN, 5],
      [8, 2],
      [-1, 3],
      [4, 4],
    ] as [number, number][]) {
      expect(() => lossMaskForWindow(window, 1, 10), String(window)).toThrow(DatasetOptionsError);
    }
    expect(() => lossMaskForWindow([8, 2], 1, 10)).toThrow(/0 <= startMs < endMs, got \[8, 2\]/);
    expect(() => countBatches(-5, 2)).toThrow(/numSamples must be a non-negative integer, got -5/);
    expect(countBatches(0, 2)).toBe(0);
  });
});

describe("crop, durations, loss masks", () => {
  it("cropSpikeEvents keeps steps below numSteps and copies", () => {
    const events = {
      steps: Int32Array.from([0, 2, 2, 5, 9]),
      units: Int32Array.from([1, 2, 3, 4, 5]),
    };
    const c = cropSpikeEvents(events, 5);
    expect(arr(c.steps)).toEqual([0, 2, 2]);
    expect(arr(c.units)).toEqual([1, 2, 3]);
    c.steps[0] = 99;
    expect(events.steps[0]).toBe(0);
    expect(arr(cropSpikeEvents(events, 100).steps)).toEqual([0, 2, 2, 5, 9]);
  });

  it("stepsForDuration rounds up", () => {
    expect(stepsForDuration(1588, 1)).toBe(1588);
    expect(stepsForDuration(1370, 4)).toBe(343);
    expect(stepsForDuration(1370, 2)).toBe(685);
    expect(stepsForDuration(0, 1)).toBe(1);
    expect(() => stepsForDuration(-1, 1)).toThrow(DatasetOptionsError);
  });

  it("lossMaskForWindow marks the steps overlapping the window", () => {
    expect(arr(lossMaskForWindow([3, 6], 1, 8))).toEqual([0, 0, 0, 1, 1, 1, 0, 0]);
    expect(arr(lossMaskForWindow([3, 6], 2, 4))).toEqual([0, 1, 1, 0]);
    expect(arr(lossMaskForWindow([3, 6], 1, 5))).toEqual([0, 0, 0, 1, 1]); // cropped trial
  });
});

describe("batching", () => {
  it("splits an order into batches, optionally dropping the short last one", () => {
    const order = Int32Array.from([4, 2, 0, 1, 3]);
    expect(splitIntoBatches(order, 2).map(arr)).toEqual([[4, 2], [0, 1], [3]]);
    expect(splitIntoBatches(order, 2, true).map(arr)).toEqual([
      [4, 2],
      [0, 1],
    ]);
    expect(countBatches(5, 2)).toBe(3);
    expect(countBatches(5, 2, true)).toBe(2);
    expect(() => splitIntoBatches(order, 0)).toThrow(/batchSize/);
  });

  it("epochOrder is the identity without a seed and a seeded permutation with one", () => {
    expect(arr(epochOrder(4, {}))).toEqual([0, 1, 2, 3]);
    const a = epochOrder(50, { shuffleSeed: 3, epoch: 2 });
    expect(arr(a)).toEqual(arr(epochOrder(50, { shuffleSeed: 3, epoch: 2 })));
    expect(arr(a).sort((x, y) => x - y)).toEqual(arr(epochOrder(50, {})));
    expect(() => epochOrder(4, { epoch: -1 })).toThrow(/epoch/);
  });

  it("collateBatch bins each sample, sizes the trial to the latest spike when numSteps is absent, and adds a mask", () => {
    const samples = [
      { timesMs: Float64Array.from([0.5, 3.2]), units: Int32Array.from([1, 0]), label: 2 },
      { timesMs: Float64Array.from([6.1]), units: Int32Array.from([4]), label: 0 },
    ];
    const b = collateBatch(samples, Int32Array.from([7, 3]), { dt: 1 });
    expect(b.numSteps).toBe(7);
    expect(arr(b.labels)).toEqual([2, 0]);
    expect(arr(b.indices)).toEqual([7, 3]);
    expect(arr(b.inputs[0]!.steps)).toEqual([0, 3]);
    expect(b.lossMask).toBeUndefined();
    const c = collateBatch(samples, Int32Array.from([7, 3]), {
      dt: 2,
      numSteps: 3,
      lossWindowMs: [4, 6],
    });
    expect(c.numSteps).toBe(3);
    expect(arr(c.inputs[1]!.steps)).toEqual([]);
    expect(arr(c.lossMask!)).toEqual([0, 0, 1]);
  });
});
