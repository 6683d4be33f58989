/**
 * Chunked evaluation of the e-prop eligibility recursions (spec/eprop.md section 6).
 *
 * Per synapse (post j, pre i) and batch element, every step t:
 *
 *   a(t) = psi(t-1) p(t-1) + (rho - psi(t-1) beta) a(t-1)         adaptation eligibility eps_a
 *   e(t) = psi(t) (p(t) - beta a(t))                               eligibility trace
 *   b(t) = kappa b(t-1) + e(t)                                     filtered trace ebar
 *   g   += L(t) b(t) + r(t) e(t)                                   gradient (r: regulariser)
 *   p(t) = alpha p(t-1) + s(t)                                     presynaptic trace, s the spikes
 *
 * psi, L, r and beta belong to the postsynaptic neuron, so over a chunk of K steps every
 * output (g, a(t1), b(t1)) is linear in the carried-in state p(t0), a(t0), b(t0) and in the
 * chunk's presynaptic spikes, with coefficients that depend on (batch, j, t) only. Three
 * backward passes per neuron give them ({@link chunkCoefficients}); applying them costs a few
 * multiply-adds per synapse per chunk plus one vector add of length nPost per presynaptic
 * spike ({@link applyChunk}). With K = 1 this is exactly the per-step recursion.
 *
 * Layouts: per-neuron histories `[batch][step][nPost]`; synapse state `[batch][nPre][nPost]`
 * (pre-major, like core's dense synapse order); gradient `[nPre][nPost]`, summed over the batch.
 */

/** Per-neuron inputs of one chunk. */
export interface ChunkHistories {
  readonly batchSize: number;
  readonly numPost: number;
  /** Steps in this chunk (K). */
  readonly steps: number;
  /** psi(t) for the chunk's steps, `[batch][step][nPost]`. */
  readonly psi: Float32Array;
  /** psi(t0), the step before the chunk (0 at the start of a trial), `[batch][nPost]`. */
  readonly psiBefore: Float32Array;
  /** Learning signal L(t), `[batch][step][nPost]`. */
  readonly learningSignal: Float32Array;
  /** Regulariser factor r(t) = c_reg (f(t) - f_target dt), `[batch][step][nPost]`, or null. */
  readonly regulariser: Float32Array | null;
  /** Adaptation strength per post neuron (0 for LIF), `[nPost]`. */
  readonly beta: Float32Array;
  readonly alpha: number;
  readonly rho: number;
  readonly kappa: number;
}

/** Coefficients of one chunk, from {@link chunkCoefficients}. */
export interface ChunkCoefficients {
  readonly batchSize: number;
  readonly numPost: number;
  readonly steps: number;
  /** Whether any beta is non-zero (otherwise the a-state is skipped). */
  readonly adaptive: boolean;
  /** Weight of a spike at step u in g, a(t1), b(t1): `[batch][step][nPost]`. */
  readonly spikeToGradient: Float32Array;
  readonly spikeToA: Float32Array;
  readonly spikeToB: Float32Array;
  /**
   * Weights of the carried-in state, `[batch][nPost]` each: output `g` from p, a, b; output
   * a(t1) from p, a; output b(t1) from p, a, b.
   */
  readonly gradientFromP: Float32Array;
  readonly gradientFromA: Float32Array;
  readonly gradientFromB: Float32Array;
  readonly aFromP: Float32Array;
  readonly aFromA: Float32Array;
  readonly bFromP: Float32Array;
  readonly bFromA: Float32Array;
  readonly bFromB: Float32Array;
}

/** Carried per-synapse and per-presynaptic-neuron state of one projection. */
export interface ChunkState {
  readonly batchSize: number;
  readonly numPre: number;
  readonly numPost: number;
  /** Presynaptic trace p, `[batch][nPre]`. */
  readonly p: Float32Array;
  /** Adaptation eligibility a, `[batch][nPre][nPost]` (empty when no neuron adapts). */
  readonly a: Float32Array;
  /** Filtered trace b, `[batch][nPre][nPost]`. */
  readonly b: Float32Array;
  /** Gradient accumulated over the batch, `[nPre][nPost]`. */
  readonly gradient: Float32Array;
}

/** Allocates zeroed state for a projection of nPre x nPost synapses. */
export function createChunkState(batchSize: number, numPre: number, numPost: number, adaptive: boolean): ChunkState {
  const synapses = batchSize * numPre * numPost;
  return {
    batchSize,
    numPre,
    numPost,
    p: new Float32Array(batchSize * numPre),
    a: new Float32Array(adaptive ? synapses : 0),
    b: new Float32Array(synapses),
    gradient: new Float32Array(numPre * numPost),
  };
}

/** Zeroes the per-trial state (p, a, b); the gradient is kept. */
export function resetChunkTrial(state: ChunkState): void {
  state.p.fill(0);
  state.a.fill(0);
  state.b.fill(0);
}

/** Coefficient storage for chunks of up to `maxSteps` steps, reused across chunks. */
export function allocateCoefficients(batchSize: number, numPost: number, maxSteps: number): ChunkCoefficients {
  const perStep = () => new Float32Array(batchSize * maxSteps * numPost);
  const perNeuron = () => new Float32Array(batchSize * numPost);
  return {
    batchSize,
    numPost,
    steps: maxSteps,
    adaptive: true,
    spikeToGradient: perStep(),
    spikeToA: perStep(),
    spikeToB: perStep(),
    gradientFromP: perNeuron(),
    gradientFromA: perNeuron(),
    gradientFromB: perNeuron(),
    aFromP: perNeuron(),
    aFromA: perNeuron(),
    bFromP: perNeuron(),
    bFromA: perNeuron(),
    bFromB: perNeuron(),
  };
}

/**
 * Runs the backward recursions of spec section 6 for every (batch, post neuron) of a chunk,
 * three outputs at once (g, a(t1), b(t1)). Writes into `out` (from `allocateCoefficients`)
 * and returns it with `steps` and `adaptive` set for this chunk.
 */
export function chunkCoefficients(h: ChunkHistories, out: ChunkCoefficients): ChunkCoefficients {
  const { batchSize, numPost: n, steps: K, psi, psiBefore, learningSignal: L, regulariser: r, beta, alpha, rho, kappa } = h;
  let adaptive = false;
  for (let j = 0; j < n; j++) if (beta[j] !== 0) adaptive = true;
  for (let b = 0; b < batchSize; b++) {
    for (let j = 0; j < n; j++) {
      const bj = beta[j]!;
      // Adjoints of the three outputs: g (suffix G), a(t1) (suffix A), b(t1) (suffix B).
      let lbG = 0, laG = 0, lpG = 0;
      let laA = 0, lpA = 0;
      let lbB = 0, laB = 0, lpB = 0;
      for (let u = K - 1; u >= 0; u--) {
        const index = (b * K + u) * n + j;
        const ps = psi[index]!;
        const last = u === K - 1;
        // output g
        lbG = L[index]! + kappa * lbG;
        const etaG = lbG + (r ? r[index]! : 0);
        const laGNext = laG;
        laG = -ps * bj * etaG + (rho - ps * bj) * laG;
        lpG = ps * etaG + ps * laGNext + alpha * lpG;
        // output b(t1)
        lbB = (last ? 1 : 0) + kappa * lbB;
        const etaB = lbB;
        const laBNext = laB;
        laB = -ps * bj * etaB + (rho - ps * bj) * laB;
        lpB = ps * etaB + ps * laBNext + alpha * lpB;
        out.spikeToGradient[index] = lpG;
        out.spikeToB[index] = lpB;
        if (adaptive) {
          // output a(t1): no filtered-trace path
          const laANext = laA;
          laA = (last ? 1 : 0) + (rho - ps * bj) * laA;
          lpA = ps * laANext + alpha * lpA;
          out.spikeToA[index] = lpA;
        }
      }
      const k = b * n + j;
      const psiPrev = psiBefore[k]!;
      out.gradientFromP[k] = alpha * lpG + psiPrev * laG;
      out.gradientFromA[k] = (rho - psiPrev * bj) * laG;
      out.gradientFromB[k] = kappa * lbG;
      out.bFromP[k] = alpha * lpB + psiPrev * laB;
      out.bFromA[k] = (rho - psiPrev * bj) * laB;
      out.bFromB[k] = kappa * lbB;
      out.aFromP[k] = adaptive ? alpha * lpA + psiPrev * laA : 0;
      out.aFromA[k] = adaptive ? (rho - psiPrev * bj) * laA : 0;
    }
  }
  return { ...out, steps: K, adaptive };
}

/**
 * Presynaptic spikes of one chunk for one batch element: parallel arrays sorted by step,
 * `steps` relative to the chunk's first step (0..K-1), `units` the presynaptic neuron.
 */
export interface ChunkSpikes {
  readonly steps: Int32Array;
  readonly units: Int32Array;
  /** Number of valid entries (the arrays may be longer, reused buffers). */
  readonly count: number;
}

/** Where a chunk lies in its trial: the first starts from zero state, the last need not carry state out. */
export interface ChunkPosition {
  /** The carried-in state is zero (first chunk of a trial): skip its terms. */
  readonly first: boolean;
  /** The carried-out state is not needed (last chunk of a trial): only the gradient is computed. */
  readonly last: boolean;
}

/** Reusable scratch space of {@link applyChunk} (per-presynaptic-neuron spike lists). */
export interface ChunkScratch {
  rowStart: Int32Array;
  stepsByPre: Int32Array;
  sumG: Float32Array;
  sumA: Float32Array;
  sumB: Float32Array;
}

export function createChunkScratch(numPre: number, numPost: number): ChunkScratch {
  return {
    rowStart: new Int32Array(numPre + 1),
    stepsByPre: new Int32Array(1024),
    sumG: new Float32Array(numPost),
    sumA: new Float32Array(numPost),
    sumB: new Float32Array(numPost),
  };
}

/**
 * Applies a chunk's coefficients to a projection's state: adds the chunk's gradient (summed
 * over the batch) and, unless `position.last`, advances a, b and p to the end of the chunk.
 * `spikes[b]` are the presynaptic spikes as they enter the trace (x(t) for input weights,
 * z(t-1) for recurrent weights). Work: one pass over the synapses that carries the state
 * (none for the first chunk), plus one vector add of length nPost per presynaptic spike and
 * output; each synapse row is read and written once per chunk.
 */
export function applyChunk(
  state: ChunkState,
  c: ChunkCoefficients,
  spikes: readonly ChunkSpikes[],
  alpha: number,
  position: ChunkPosition = { first: false, last: false },
  scratch: ChunkScratch = createChunkScratch(state.numPre, state.numPost),
): void {
  const { batchSize, numPre, numPost: n } = state;
  const K = c.steps;
  const { p, a, b: bState, gradient } = state;
  if (c.adaptive && a.length === 0) {
    throw new Error(
      "applyChunk: the chunk has adapting neurons (beta != 0) but the state was created without adaptation; create it with adaptive = true.",
    );
  }
  const adaptive = c.adaptive;
  const carryIn = !position.first;
  const carryOut = !position.last;
  const { rowStart, sumG, sumA, sumB } = scratch;
  const { spikeToGradient, spikeToA, spikeToB, gradientFromP, gradientFromA, gradientFromB, aFromP, aFromA, bFromP, bFromA, bFromB } = c;
  const alphaPowers = new Float64Array(K);
  for (let u = 0, x = 1; u < K; u++, x *= alpha) alphaPowers[u] = x;
  const decay = alpha ** K;
  for (let batch = 0; batch < batchSize; batch++) {
    const neuronBase = batch * n;
    // Group this batch element's spikes by presynaptic neuron (counting sort).
    const events = spikes[batch]!;
    rowStart.fill(0);
    for (let e = 0; e < events.count; e++) rowStart[events.units[e]! + 1]!++;
    for (let i = 0; i < numPre; i++) rowStart[i + 1]! += rowStart[i]!;
    if (scratch.stepsByPre.length < events.count) scratch.stepsByPre = new Int32Array(events.count * 2);
    const stepsByPre = scratch.stepsByPre;
    for (let e = 0; e < events.count; e++) stepsByPre[rowStart[events.units[e]!]!++] = events.steps[e]!;
    for (let i = numPre; i > 0; i--) rowStart[i] = rowStart[i - 1]!;
    rowStart[0] = 0;

    for (let i = 0; i < numPre; i++) {
      const row = (batch * numPre + i) * n;
      const gradientRow = i * n;
      const first = rowStart[i]!;
      const end = rowStart[i + 1]!;
      // Sum the coefficient rows of this neuron's spikes.
      if (end > first) {
        const base = (batch * K + stepsByPre[first]!) * n;
        for (let j = 0; j < n; j++) sumG[j] = spikeToGradient[base + j]!;
        if (carryOut) {
          for (let j = 0; j < n; j++) sumB[j] = spikeToB[base + j]!;
          if (adaptive) for (let j = 0; j < n; j++) sumA[j] = spikeToA[base + j]!;
        }
        for (let e = first + 1; e < end; e++) {
          const offset = (batch * K + stepsByPre[e]!) * n;
          for (let j = 0; j < n; j++) sumG[j]! += spikeToGradient[offset + j]!;
          if (carryOut) {
            for (let j = 0; j < n; j++) sumB[j]! += spikeToB[offset + j]!;
            if (adaptive) for (let j = 0; j < n; j++) sumA[j]! += spikeToA[offset + j]!;
          }
        }
      } else if (!carryIn) {
        // zero state and no spikes: the state stays zero
        if (carryOut) {
          bState.fill(0, row, row + n);
          if (adaptive) a.fill(0, row, row + n);
        }
        continue;
      } else {
        sumG.fill(0);
        sumB.fill(0);
        if (adaptive) sumA.fill(0);
      }
      const p0 = carryIn ? p[batch * numPre + i]! : 0;
      if (!carryIn) {
        for (let j = 0; j < n; j++) gradient[gradientRow + j]! += sumG[j]!;
        if (carryOut) {
          for (let j = 0; j < n; j++) bState[row + j] = sumB[j]!;
          if (adaptive) for (let j = 0; j < n; j++) a[row + j] = sumA[j]!;
        }
      } else if (!carryOut) {
        if (adaptive) {
          for (let j = 0; j < n; j++) {
            const k = neuronBase + j;
            gradient[gradientRow + j]! += sumG[j]! + gradientFromP[k]! * p0 + gradientFromA[k]! * a[row + j]! + gradientFromB[k]! * bState[row + j]!;
          }
        } else {
          for (let j = 0; j < n; j++) {
            const k = neuronBase + j;
            gradient[gradientRow + j]! += sumG[j]! + gradientFromP[k]! * p0 + gradientFromB[k]! * bState[row + j]!;
          }
        }
      } else if (adaptive) {
        for (let j = 0; j < n; j++) {
          const k = neuronBase + j;
          const a0 = a[row + j]!;
          const b0 = bState[row + j]!;
          gradient[gradientRow + j]! += sumG[j]! + gradientFromP[k]! * p0 + gradientFromA[k]! * a0 + gradientFromB[k]! * b0;
          a[row + j] = sumA[j]! + aFromP[k]! * p0 + aFromA[k]! * a0;
          bState[row + j] = sumB[j]! + bFromP[k]! * p0 + bFromA[k]! * a0 + bFromB[k]! * b0;
        }
      } else {
        for (let j = 0; j < n; j++) {
          const k = neuronBase + j;
          const b0 = bState[row + j]!;
          gradient[gradientRow + j]! += sumG[j]! + gradientFromP[k]! * p0 + gradientFromB[k]! * b0;
          bState[row + j] = sumB[j]! + bFromP[k]! * p0 + bFromB[k]! * b0;
        }
      }
    }
    // Presynaptic traces: p(t1) = alpha^K p(t0) + sum alpha^(K-1-u) s(u).
    if (carryOut) {
      for (let i = 0; i < numPre; i++) p[batch * numPre + i] = carryIn ? p[batch * numPre + i]! * decay : 0;
      for (let e = 0; e < events.count; e++) {
        p[batch * numPre + events.units[e]!]! += alphaPowers[K - 1 - events.steps[e]!]!;
      }
    }
  }
}
