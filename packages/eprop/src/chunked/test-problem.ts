/** Random e-prop trace problems and the per-step reference, for the chunked-evaluation tests. */
/** A small deterministic generator for test data. */
function lcg(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 4294967296;
  };
}

export interface Problem {
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

export function makeProblem(
  seed: number,
  options: {
    adaptive: boolean;
    regularise: boolean;
    T: number;
    batchSize: number;
    rate: number;
    numPre?: number;
  },
): Problem {
  const random = lcg(seed);
  const batchSize = options.batchSize;
  const numPre = options.numPre ?? 5;
  const numPost = 4;
  const T = options.T;
  const psi = new Float64Array(batchSize * T * numPost).map(() =>
    random() < 0.3 ? 0 : 0.5 * random(),
  );
  const L = new Float64Array(batchSize * T * numPost).map(() => random() - 0.5);
  const r = options.regularise
    ? new Float64Array(batchSize * T * numPost).map(() => 0.01 * (random() - 0.5))
    : null;
  const beta = new Float64Array(numPost).map((_, j) =>
    options.adaptive && j % 2 === 0 ? 0.3 + random() : 0,
  );
  const spikes = new Uint8Array(batchSize * T * numPre).map(() =>
    random() < options.rate ? 1 : 0,
  );
  return {
    batchSize,
    numPre,
    numPost,
    T,
    psi,
    L,
    r,
    beta,
    spikes,
    alpha: 0.95,
    rho: 0.99,
    kappa: 0.9,
  };
}

/** The per-step recursion of spec section 6, in float64, synapse by synapse. */
export function perStepReference(problem: Problem): {
  gradient: Float64Array;
  a: Float64Array;
  b: Float64Array;
} {
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

export function maxRelativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let scale = 0;
  let error = 0;
  for (let k = 0; k < expected.length; k++) {
    scale = Math.max(scale, Math.abs(expected[k]!));
    error = Math.max(error, Math.abs(actual[k]! - expected[k]!));
  }
  return error / scale;
}
