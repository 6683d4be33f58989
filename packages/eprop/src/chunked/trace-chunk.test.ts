import { describe, expect, it } from "vitest";
import { allocateCoefficients, applyChunk, chunkCoefficients, createChunkState, type ChunkSpikes, type ChunkState } from "./trace-chunk";

/** A small deterministic generator for test data. */
function lcg(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 4294967296;
  };
}

interface Problem {
  batchSize: number;
  numPre: number;
  numPost: number;
  T: number;
  psi: Float64Array; // [b][t][j]
  L: Float64Array;
  r: Float64Array | null;
  beta: Float64Array;
  spikes: Uint8Array; // [b][t][i]
  alpha: number;
  rho: number;
  kappa: number;
}

function makeProblem(seed: number, options: { adaptive: boolean; regularise: boolean; T: number; batchSize: number; rate: number }): Problem {
  const random = lcg(seed);
  const batchSize = options.batchSize;
  const numPre = 5;
  const numPost = 4;
  const T = options.T;
  const psi = new Float64Array(batchSize * T * numPost).map(() => (random() < 0.3 ? 0 : 0.5 * random()));
  const L = new Float64Array(batchSize * T * numPost).map(() => random() - 0.5);
  const r = options.regularise ? new Float64Array(batchSize * T * numPost).map(() => 0.01 * (random() - 0.5)) : null;
  const beta = new Float64Array(numPost).map((_, j) => (options.adaptive && j % 2 === 0 ? 0.3 + random() : 0));
  const spikes = new Uint8Array(batchSize * T * numPre).map(() => (random() < options.rate ? 1 : 0));
  return { batchSize, numPre, numPost, T, psi, L, r, beta, spikes, alpha: 0.95, rho: 0.99, kappa: 0.9 };
}

/** The per-step recursion of spec section 6, in float64, synapse by synapse. */
function perStepReference(problem: Problem): { gradient: Float64Array; a: Float64Array; b: Float64Array } {
  const { batchSize, numPre, numPost, T, psi, L, r, beta, spikes, alpha, rho, kappa } = problem;
  const gradient = new Float64Array(numPre * numPost);
  const aOut = new Float64Array(batchSize * numPre * numPost);
  const bOut = new Float64Array(batchSize * numPre * numPost);
  for (let batch = 0; batch < batchSize; batch++) {
    for (let i = 0; i < numPre; i++) {
      for (let j = 0; j < numPost; j++) {
        let p = 0;
        let a = 0;
        let bt = 0;
        let psiPrev = 0;
        let pPrev = 0;
        for (let t = 0; t < T; t++) {
          p = alpha * p + spikes[(batch * T + t) * numPre + i]!;
          const k = (batch * T + t) * numPost + j;
          a = psiPrev * pPrev + (rho - psiPrev * beta[j]!) * a;
          const e = psi[k]! * (p - beta[j]! * a);
          bt = kappa * bt + e;
          gradient[i * numPost + j]! += L[k]! * bt + (r ? r[k]! * e : 0);
          psiPrev = psi[k]!;
          pPrev = p;
        }
        aOut[(batch * numPre + i) * numPost + j] = a;
        bOut[(batch * numPre + i) * numPost + j] = bt;
      }
    }
  }
  return { gradient, a: aOut, b: bOut };
}

function runChunked(problem: Problem, K: number, usePositions = false, existing?: ChunkState) {
  const { batchSize, numPre, numPost, T } = problem;
  const adaptive = problem.beta.some((x) => x !== 0);
  const state = existing ?? createChunkState(batchSize, numPre, numPost, adaptive);
  const coefficients = allocateCoefficients(batchSize, numPost, K);
  const psiBefore = new Float32Array(batchSize * numPost);
  for (let t0 = 0; t0 < T; t0 += K) {
    const steps = Math.min(K, T - t0);
    const slice = (source: Float64Array) => {
      const out = new Float32Array(batchSize * steps * numPost);
      for (let b = 0; b < batchSize; b++) {
        for (let u = 0; u < steps; u++) {
          for (let j = 0; j < numPost; j++) out[(b * steps + u) * numPost + j] = source[(b * T + t0 + u) * numPost + j]!;
        }
      }
      return out;
    };
    const psi = slice(problem.psi);
    const c = chunkCoefficients(
      {
        batchSize,
        numPost,
        steps,
        psi,
        psiBefore,
        learningSignal: slice(problem.L),
        regulariser: problem.r ? slice(problem.r) : null,
        beta: Float32Array.from(problem.beta),
        alpha: problem.alpha,
        rho: problem.rho,
        kappa: problem.kappa,
      },
      coefficients,
    );
    const spikes: ChunkSpikes[] = [];
    for (let b = 0; b < batchSize; b++) {
      const stepsList: number[] = [];
      const units: number[] = [];
      for (let u = 0; u < steps; u++) {
        for (let i = 0; i < numPre; i++) {
          if (problem.spikes[(b * T + t0 + u) * numPre + i]) {
            stepsList.push(u);
            units.push(i);
          }
        }
      }
      spikes.push({ steps: Int32Array.from(stepsList), units: Int32Array.from(units), count: units.length });
    }
    const position = usePositions ? { first: t0 === 0, last: t0 + steps >= T } : { first: false, last: false };
    applyChunk(state, c, spikes, problem.alpha, position);
    for (let b = 0; b < batchSize; b++) {
      for (let j = 0; j < numPost; j++) psiBefore[b * numPost + j] = psi[(b * steps + steps - 1) * numPost + j]!;
    }
  }
  return state;
}

function maxRelativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let scale = 0;
  let error = 0;
  for (let k = 0; k < expected.length; k++) {
    scale = Math.max(scale, Math.abs(expected[k]!));
    error = Math.max(error, Math.abs(actual[k]! - expected[k]!));
  }
  return error / scale;
}

describe("chunked e-prop trace evaluation", () => {
  const variants = [
    { name: "LIF", adaptive: false, regularise: false },
    { name: "ALIF", adaptive: true, regularise: false },
    { name: "mixed LIF/ALIF with the regulariser", adaptive: true, regularise: true },
  ];
  for (const variant of variants) {
    for (const K of [1, 3, 7, 16, 50]) {
      it(`${variant.name}, K = ${K}, 37 steps, batch 3: equals the per-step recursion`, () => {
        const problem = makeProblem(17 + K, { ...variant, T: 37, batchSize: 3, rate: 0.2 });
        const expected = perStepReference(problem);
        const state = runChunked(problem, K);
        expect(maxRelativeError(state.gradient, expected.gradient)).toBeLessThan(1e-5);
        expect(maxRelativeError(state.b, expected.b)).toBeLessThan(1e-5);
        if (variant.adaptive) expect(maxRelativeError(state.a, expected.a)).toBeLessThan(1e-5);
      });
      it(`${variant.name}, K = ${K}: skipping zero carried-in state and the last chunk's carried-out state keeps the gradient`, () => {
        const problem = makeProblem(29 + K, { ...variant, T: 37, batchSize: 2, rate: 0.2 });
        const expected = perStepReference(problem);
        const shortcut = runChunked(problem, K, true);
        expect(maxRelativeError(shortcut.gradient, expected.gradient)).toBeLessThan(1e-5);
        // A second trial on the same state: stale a, b, p of the first trial must not leak in.
        runChunked(problem, K, true, shortcut);
        expect(maxRelativeError(shortcut.gradient, expected.gradient.map((g) => 2 * g))).toBeLessThan(1e-5);
      });
    }
  }

  it("is not fooled by a wrong coefficient: dropping the regulariser changes the result", () => {
    const problem = makeProblem(5, { adaptive: true, regularise: true, T: 20, batchSize: 2, rate: 0.3 });
    const withRegulariser = perStepReference(problem).gradient;
    const without = runChunked({ ...problem, r: null }, 6).gradient;
    expect(maxRelativeError(without, withRegulariser)).toBeGreaterThan(1e-3);
  });
});
