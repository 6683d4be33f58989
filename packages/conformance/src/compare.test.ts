import { describe, expect, it } from "vitest";
import { compareTraces, lifThresholdDistance, spikesByStep, type PopulationTrace } from "./compare";

/** A one-neuron LIF trace from per-step V values and spike flags (never refractory). */
function trace(v: number[], spikes: boolean[]): PopulationTrace {
  return {
    size: 1,
    batchSize: 1,
    steps: v.length,
    vars: { V: v.map((x) => Float64Array.of(x)), RefracTime: v.map(() => Float64Array.of(0)) },
    spikes: spikes.map((s) => [s ? [0] : []]),
  };
}

const options = {
  tolerance: { V: 1e-3 },
  thresholdTolerance: 1e-3,
  distance: lifThresholdDistance(-50),
};

describe("compareTraces", () => {
  it("accepts identical traces and reports the largest voltage difference", () => {
    const result = compareTraces(
      trace([-60, -55, -70], [false, false, true]),
      trace([-60.0005, -55, -70], [false, false, true]),
      options,
      "t",
    );
    expect(result.problems).toEqual([]);
    expect(result.explained).toEqual([]);
    expect(result.agreedSteps).toBe(3);
    expect(result.maxDifference.V).toBeCloseTo(0.0005, 8);
  });

  it("explains a spike difference where the silent side was within tolerance of the threshold", () => {
    const result = compareTraces(
      trace([-60, -70], [false, true]),
      trace([-60, -50.0004], [false, false]),
      options,
      "t",
    );
    expect(result.problems).toEqual([]);
    expect(result.explained).toHaveLength(1);
    expect(result.explained[0]).toMatch(
      /step 1, neuron 0, batch 0: only the backend under test spiked.*crossed the threshold/,
    );
    expect(result.agreedSteps).toBe(1);
  });

  it("fails a spike difference far from the threshold and a voltage beyond tolerance", () => {
    const far = compareTraces(
      trace([-60, -70], [false, true]),
      trace([-60, -58], [false, false]),
      options,
      "t",
    );
    expect(far.problems[0]).toMatch(/not explained by a threshold crossing/);
    const voltage = compareTraces(
      trace([-60, -59], [false, false]),
      trace([-60, -59.01], [false, false]),
      options,
      "t",
    );
    expect(voltage.problems[0]).toMatch(
      /V of neuron 0, batch 0 at step 1 is -59, the reference has -59.01/,
    );
  });

  it("groups a recording by step and batch", () => {
    const grouped = spikesByStep(
      {
        steps: Int32Array.of(0, 0, 2),
        neurons: Int32Array.of(1, 3, 0),
        batches: Int32Array.of(0, 1, 1),
        numSteps: 3,
      },
      3,
      2,
    );
    expect(grouped).toEqual([
      [[1], [3]],
      [[], []],
      [[], [0]],
    ]);
  });
});
