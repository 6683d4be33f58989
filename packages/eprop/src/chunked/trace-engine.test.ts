import { describe, expect, it } from "vitest";
import { wasm } from "@snn/core/internal";
import { EpropConfigError } from "../errors";
import { WasmTraceEngine, type ChunkSpikes } from "./trace-engine";
import { WasmFeedback } from "./trace-feedback";
import { WasmTraceLayer } from "./trace-layer";
import { WasmTraceProjection } from "./trace-projection";
import { makeProblem, maxRelativeError, perStepReference, type Problem } from "./test-problem";

/**
 * The chunked evaluation of `problem` in chunks of K steps (the short chunk last). A spike count
 * above 1 in `problem.spikes` is given as that many spikes at the step. With `countDense`, the
 * dense rows of each chunk (`denseRows`, waiting for each chunk's job) are returned too.
 */
function runWasm(
  problem: Problem,
  K: number,
  trials = 1,
  skipCarriedOut = false,
  fillMemory = false,
  countDense = false,
): { gradient: Float32Array; b: Float32Array; a: Float32Array; denseRows: number[] } {
  const { batchSize, numPre, numPost, T } = problem;
  const engine = new WasmTraceEngine();
  const layer = new WasmTraceLayer(
    engine,
    batchSize,
    numPost,
    K,
    problem.beta,
    problem.alpha,
    problem.rho,
    problem.kappa,
  );
  const projection = new WasmTraceProjection(layer, numPre);
  const denseRows: number[] = [];
  // Use up the reserved memory, so that the first scratch allocation grows it (and detaches views).
  if (fillMemory) engine.allocate(engine.capacityBytes - engine.bytes);
  for (let trial = 0; trial < trials; trial++) {
    layer.startTrial();
    for (let t0 = 0; t0 < T; t0 += K) {
      const steps = Math.min(K, T - t0);
      for (let u = 0; u < steps; u++) {
        const pick = (source: Float64Array) => {
          const out = new Float32Array(batchSize * numPost);
          for (let b = 0; b < batchSize; b++)
            for (let j = 0; j < numPost; j++)
              out[b * numPost + j] = source[(b * T + t0 + u) * numPost + j]!;
          return out;
        };
        layer.setStep(pick(problem.psi), pick(problem.L), problem.r ? pick(problem.r) : null);
      }
      const lastChunk = t0 + steps >= T;
      // Without the carried-out state, the last chunk needs only the gradient's coefficients.
      layer.computeCoefficients({ last: skipCarriedOut && lastChunk });
      const spikes: ChunkSpikes[] = [];
      for (let b = 0; b < batchSize; b++) {
        const stepList: number[] = [];
        const units: number[] = [];
        for (let u = 0; u < steps; u++) {
          for (let i = 0; i < numPre; i++) {
            for (let n = 0; n < problem.spikes[(b * T + t0 + u) * numPre + i]!; n++) {
              stepList.push(u);
              units.push(i);
            }
          }
        }
        spikes.push({
          steps: Int32Array.from(stepList),
          units: Int32Array.from(units),
          count: units.length,
        });
      }
      // Unless skipped, keep the carried-out state of the last chunk so that it can be compared.
      projection.apply(spikes, { first: t0 === 0, last: skipCarriedOut && lastChunk });
      if (countDense) denseRows.push(projection.denseRows().lastChunk);
      layer.endChunk();
    }
  }
  const state = projection.readState();
  return { gradient: projection.readGradient(), b: state.b, a: state.a, denseRows };
}

/** A problem like makeProblem's (regulariser on) with any number of post neurons. */
function wideProblem(
  seed: number,
  adaptive: boolean,
  numPost: number,
  numPre: number,
  batchSize: number,
  T: number,
): Problem {
  const base = makeProblem(seed, { adaptive, regularise: true, T, batchSize, rate: 0.2, numPre });
  let state = seed;
  const random = () => (state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 4294967296;
  const perStep = () => new Float64Array(batchSize * T * numPost);
  return {
    ...base,
    numPost,
    psi: perStep().map(() => (random() < 0.3 ? 0 : 0.5 * random())),
    L: perStep().map(() => random() - 0.5),
    r: perStep().map(() => 0.01 * (random() - 0.5)),
    beta: new Float64Array(numPost).map((_, j) => (adaptive && j % 3 !== 0 ? 0.3 + random() : 0)),
  };
}

describe.runIf(wasm.wasmSimdSupported())("chunked e-prop kernels in WebAssembly SIMD", () => {
  const variants = [
    { name: "LIF", adaptive: false, regularise: false },
    { name: "ALIF with the regulariser", adaptive: true, regularise: true },
  ];
  for (const variant of variants) {
    for (const K of [1, 5, 16, 37, 40]) {
      it(`${variant.name}, K = ${K}, 37 steps, batch 3, 5 post neurons (padded rows): equals the per-step recursion`, () => {
        const problem = makeProblem(101 + K, { ...variant, T: 37, batchSize: 3, rate: 0.25 });
        const expected = perStepReference(problem);
        const result = runWasm(problem, K);
        expect(maxRelativeError(result.gradient, expected.gradient)).toBeLessThan(1e-5);
        expect(maxRelativeError(result.b, expected.b)).toBeLessThan(1e-5);
        if (variant.adaptive) expect(maxRelativeError(result.a, expected.a)).toBeLessThan(1e-5);
      });
    }
  }

  for (const adaptive of [false, true]) {
    it(`${adaptive ? "ALIF" : "LIF"}, 32 post neurons (whole 16-neuron blocks, no padding), 21 pre, batch 2, K = 7, 23 steps: equals the per-step recursion`, () => {
      const problem = wideProblem(17, adaptive, 32, 21, 2, 23);
      const expected = perStepReference(problem);
      const result = runWasm(problem, 7);
      expect(maxRelativeError(result.gradient, expected.gradient)).toBeLessThan(1e-5);
      expect(maxRelativeError(result.b, expected.b)).toBeLessThan(1e-5);
      if (adaptive) expect(maxRelativeError(result.a, expected.a)).toBeLessThan(1e-5);
    });
  }

  it("skipping the carried-out state of a trial's last chunk keeps the gradient", () => {
    const problem = makeProblem(3, {
      adaptive: true,
      regularise: true,
      T: 41,
      batchSize: 2,
      rate: 0.2,
    });
    const expected = perStepReference(problem);
    for (const K of [1, 6, 41]) {
      expect(
        maxRelativeError(runWasm(problem, K, 1, true).gradient, expected.gradient),
      ).toBeLessThan(1e-5);
    }
  });

  it("refuses to carry state out of a chunk whose coefficients are the gradient's only", () => {
    const engine = new WasmTraceEngine({ thread: false });
    const layer = new WasmTraceLayer(engine, 1, 4, 3, [0, 0.5, 0, 0.5], 0.9, 0.99, 0.9);
    const projection = new WasmTraceProjection(layer, 2);
    layer.startTrial();
    layer.setStep([0.1, 0.2, 0.3, 0.4], [1, 1, 1, 1], null);
    layer.computeCoefficients({ last: true });
    const spikes = [{ steps: Int32Array.of(0), units: Int32Array.of(1), count: 1 }];
    expect(() => projection.apply(spikes, { first: true, last: false })).toThrow(/gradient's only/);
    projection.apply(spikes, { first: true, last: true });
    expect(projection.readGradient().some((g) => g !== 0)).toBe(true);
    engine.dispose();
  });

  it("detects a wrong coefficient: without the regulariser the gradient differs", () => {
    const problem = makeProblem(5, {
      adaptive: true,
      regularise: true,
      T: 20,
      batchSize: 2,
      rate: 0.3,
    });
    const expected = perStepReference(problem);
    expect(
      maxRelativeError(runWasm({ ...problem, r: null }, 6).gradient, expected.gradient),
    ).toBeGreaterThan(1e-3);
  });

  it("stays exact when a chunk has more spikes than the scratch space held (the memory grows mid-run)", () => {
    // 64 presynaptic neurons at 60 % over 40 steps: about 1500 spikes per chunk and batch element
    const problem = makeProblem(11, {
      adaptive: true,
      regularise: true,
      T: 90,
      batchSize: 2,
      rate: 0.6,
      numPre: 64,
    });
    const expected = perStepReference(problem);
    const result = runWasm(problem, 40, 1, false, true);
    expect(maxRelativeError(result.gradient, expected.gradient)).toBeLessThan(1e-5);
    expect(maxRelativeError(result.b, expected.b)).toBeLessThan(1e-5);
  });

  it("accumulates the gradient over trials without leaking state between them", () => {
    const problem = makeProblem(7, {
      adaptive: true,
      regularise: false,
      T: 30,
      batchSize: 2,
      rate: 0.3,
    });
    const expected = perStepReference(problem);
    const result = runWasm(problem, 8, 2);
    expect(
      maxRelativeError(
        result.gradient,
        expected.gradient.map((g) => 2 * g),
      ),
    ).toBeLessThan(1e-5);
  });
});

/** `problem` with new spikes: presynaptic neuron i spikes with probability rates[i] per step (1: every step). */
function withRates(problem: Problem, rates: readonly number[], seed: number): Problem {
  let state = seed;
  const random = () => (state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 4294967296;
  const { batchSize, T } = problem;
  const numPre = rates.length;
  const spikes = new Uint8Array(batchSize * T * numPre).map((_, k) =>
    random() < rates[k % numPre]! ? 1 : 0,
  );
  return { ...problem, numPre, spikes };
}

describe.runIf(wasm.wasmSimdSupported())(
  "dense presynaptic spikes (a chunk's total less the silent steps)",
  () => {
    // Dense and sparse neurons side by side: one that spikes every step (no silent step), dense ones, and sparse ones.
    const rates = [0.9, 1, 0.8, 0.05, 0.7, 0.6, 0.5, 0.2, 0.85, 0, 0.75];
    for (const adaptive of [false, true]) {
      for (const skipCarriedOut of [false, true]) {
        it(`${adaptive ? "ALIF" : "LIF"}, inputs at 0-100 %, 32 post, batch 3, K = 40 over 97 steps${skipCarriedOut ? ", gradient-only last chunk" : ""}: equals the per-step recursion, dense rows on the dense path`, () => {
          const problem = withRates(wideProblem(23, adaptive, 32, rates.length, 3, 97), rates, 5);
          const expected = perStepReference(problem);
          const result = runWasm(problem, 40, 1, skipCarriedOut, false, true);
          expect(maxRelativeError(result.gradient, expected.gradient)).toBeLessThan(1e-5);
          if (!skipCarriedOut) {
            expect(maxRelativeError(result.b, expected.b)).toBeLessThan(1e-5);
            if (adaptive) expect(maxRelativeError(result.a, expected.a)).toBeLessThan(1e-5);
          }
          // 40 steps: the neurons at 70 % or more (about 5 per batch element); 17 steps: the one that always spikes, at least.
          expect(result.denseRows[0]).toBeGreaterThanOrEqual(3 * 4);
          expect(result.denseRows[0]).toBeLessThanOrEqual(3 * 7);
          expect(result.denseRows[1]).toBeGreaterThanOrEqual(3 * 4);
          expect(result.denseRows[2]).toBeGreaterThanOrEqual(3);
        });
      }
    }

    it("sparse inputs stay on the event path", () => {
      const problem = makeProblem(9, {
        adaptive: true,
        regularise: true,
        T: 80,
        batchSize: 2,
        rate: 0.3,
        numPre: 12,
      });
      const result = runWasm(problem, 40, 1, false, false, true);
      expect(result.denseRows).toEqual([0, 0]);
      expect(maxRelativeError(result.gradient, perStepReference(problem).gradient)).toBeLessThan(
        1e-5,
      );
    });

    it("a dense neuron with a repeated spike in a step stays on the event path (counted twice, as the per-step form does)", () => {
      const base = withRates(
        makeProblem(13, {
          adaptive: true,
          regularise: true,
          T: 60,
          batchSize: 1,
          rate: 0,
          numPre: 3,
        }),
        [0.9, 0.9, 0.1],
        3,
      );
      const spikes = base.spikes.slice();
      // neuron 0 spikes twice at step 10 (and at least once more in its chunk)
      spikes[10 * 3] = 2;
      const problem = { ...base, spikes };
      const result = runWasm(problem, 60, 1, false, false, true);
      expect(result.denseRows).toEqual([1]);
      const expected = perStepReference(problem);
      expect(maxRelativeError(result.gradient, expected.gradient)).toBeLessThan(1e-5);
      expect(maxRelativeError(result.b, expected.b)).toBeLessThan(1e-5);
    });
  },
);

describe.runIf(wasm.wasmSimdSupported())("the learning signal in WebAssembly SIMD", () => {
  for (const [numNeurons, nOut, batchSize] of [
    [37, 3, 3],
    [32, 20, 2],
    [1, 1, 1],
  ] as const) {
    it(`L = B Err for ${numNeurons} neurons (${numNeurons % 16 === 0 ? "whole" : "padded"} rows), ${nOut} outputs, batch ${batchSize}`, () => {
      const random = (seed: number) => () =>
        (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 4294967296 - 0.5;
      const next = random(numNeurons + nOut);
      const weights = Float32Array.from({ length: numNeurons * nOut }, next);
      const errors = Float32Array.from({ length: batchSize * nOut }, next);
      const feedback = new WasmFeedback(new WasmTraceEngine(), batchSize, numNeurons, nOut);
      feedback.setWeights(weights);
      const out = new Float32Array(batchSize * numNeurons).fill(Number.NaN);
      feedback.compute(errors, out);
      for (let b = 0; b < batchSize; b++) {
        for (let j = 0; j < numNeurons; j++) {
          let expected = 0;
          for (let k = 0; k < nOut; k++) expected += errors[b * nOut + k]! * weights[j * nOut + k]!;
          expect(out[b * numNeurons + j]).toBeCloseTo(expected, 5);
        }
      }
    });
  }
});

describe("WebAssembly SIMD support", () => {
  it("is available in the Node versions this project supports", () => {
    expect(wasm.wasmSimdSupported()).toBe(true);
  });
});

describe("the trace engine's memory", () => {
  it("says what to change when the state and histories exceed a WebAssembly memory (4 GiB), and stays usable", () => {
    for (const thread of [false, true]) {
      const engine = new WasmTraceEngine({ thread });
      const before = engine.bytes;
      expect(() => engine.allocate(5 * 2 ** 30)).toThrow(EpropConfigError);
      expect(() => engine.allocate(5 * 2 ** 30)).toThrow(
        /needs more memory than a WebAssembly memory holds \(4 GiB\).*5\.00 GiB more asked for.*smaller batch size \(or keep it and train in micro-batches.*microBatchSize.*\), a smaller chunkSteps/,
      );
      expect(engine.bytes).toBe(before);
      const address = engine.allocate(1024);
      expect(engine.floats(address, 256).every((x) => x === 0)).toBe(true);
      engine.dispose();
    }
  });
});
