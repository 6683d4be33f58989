import { describe, expect, it } from "vitest";
import { emptyReadoutSums, ReadoutSoftmax, SOFTMAX_EXPONENT_CAP } from "./readout-softmax";

/** The network form's loss of output k (synapse-models.ts `softmaxModel`): log sum_j exp(min(y_j - y_k, cap)), in float64. */
function pairwiseCrossEntropy(y: readonly number[], k: number): number {
  let sum = 0;
  for (const yj of y) sum += Math.exp(Math.min(yj - y[k]!, SOFTMAX_EXPONENT_CAP));
  return Math.log(sum);
}

function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

describe("the readout's softmax and loss rule", () => {
  it("gives the softmax and, for every output, the network form's capped cross-entropy, for small and huge margins", () => {
    const next = random(3);
    const softmax = new ReadoutSoftmax(5);
    for (const scale of [1, 10, 60, 200, 5000]) {
      for (let trial = 0; trial < 50; trial++) {
        const y = Array.from({ length: 5 }, () => (next() - 0.5) * scale + 1000 * (next() - 0.5));
        const padded = Float32Array.from([7, 7, ...y]); // at an offset, in float32 as read from a runtime
        const values = Array.from(padded.subarray(2));
        softmax.compute(padded, 2);
        const max = Math.max(...values);
        const total = values.reduce((s, v) => s + Math.exp(v - max), 0);
        for (let k = 0; k < 5; k++) {
          expect(softmax.pi[k]).toBeCloseTo(Math.exp(values[k]! - max) / total, 14);
          const expected = pairwiseCrossEntropy(values, k);
          const actual = softmax.crossEntropy(padded, 2, k);
          expect(Number.isFinite(actual)).toBe(true);
          expect(Math.abs(actual - expected), `scale ${scale}, output ${k}`).toBeLessThan(
            1e-12 * Math.max(1, expected),
          );
        }
      }
    }
  });

  it("counts a step where the target trails by more than the cap as about the cap, not the margin", () => {
    const softmax = new ReadoutSoftmax(3);
    const y = Float32Array.of(500, 0, 499);
    softmax.compute(y, 0);
    // log(exp(80) + 1 + exp(80)) for output 1, which trails by 500 and 499.
    expect(softmax.crossEntropy(y, 0, 1)).toBeCloseTo(80 + Math.log(2), 12);
    expect(softmax.crossEntropy(y, 0, 0)).toBeCloseTo(Math.log(1 + Math.exp(-1)), 12);
    expect(softmax.pi[1]).toBeLessThan(1e-200);
  });

  it("adds the target's loss and every output's pi and y to the sums at the element's offset", () => {
    const softmax = new ReadoutSoftmax(2);
    const sums = emptyReadoutSums(2, 2);
    const y = Float32Array.of(0, 0, 1, 3);
    const targets = Float32Array.of(1, 0, 0, 1);
    softmax.compute(y, 2);
    softmax.accumulate(y, targets, 2, sums);
    softmax.accumulate(y, targets, 2, sums);
    const p = 1 / (1 + Math.exp(-2));
    expect(Array.from(sums.loss)).toEqual(
      [0, 0, 0, 2 * -Math.log(p)].map((v, i) => (i === 3 ? expect.closeTo(v, 14) : v)),
    );
    expect(sums.pi[2]).toBeCloseTo(2 * (1 - p), 14);
    expect(sums.pi[3]).toBeCloseTo(2 * p, 14);
    expect(Array.from(sums.y)).toEqual([0, 0, 2, 6]);
  });
});
