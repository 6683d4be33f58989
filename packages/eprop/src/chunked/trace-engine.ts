/**
 * The chunked e-prop evaluation (docs/chunked-eprop.md) in WebAssembly with SIMD. A hidden
 * layer's per-neuron histories and chunk coefficients (`WasmTraceLayer`) and each incoming
 * projection's carried state and gradient (`WasmTraceProjection`) live in one module memory,
 * rows padded to a multiple of 4 neurons.
 *
 * Per synapse (post j, pre i) and batch element, every step t (spec/eprop.md section 6):
 *   a(t) = psi(t-1) p(t-1) + (rho - psi(t-1) beta) a(t-1),  e(t) = psi(t) (p(t) - beta a(t)),
 *   b(t) = kappa b(t-1) + e(t),  g += L(t) b(t) + r(t) e(t),  p(t) = alpha p(t-1) + s(t).
 * Over a chunk of K steps each output is linear in the carried-in state and the chunk's
 * presynaptic spikes, with per-neuron coefficients from three backward passes.
 */
import { chunkKernelModule } from "./wasm-kernels";

/**
 * Presynaptic spikes of one chunk for one batch element: parallel arrays sorted by step,
 * `steps` relative to the chunk's first step (0..K-1), `units` the presynaptic neuron;
 * `count` valid entries (the arrays may be longer, reused buffers).
 */
export interface ChunkSpikes {
  readonly steps: Int32Array;
  readonly units: Int32Array;
  readonly count: number;
}

/** Where a chunk lies in its trial: the first starts from zero state, the last need not carry state out. */
export interface ChunkPosition {
  /** The carried-in state is zero (first chunk of a trial): its terms are skipped. */
  readonly first: boolean;
  /** The carried-out state is not needed (last chunk of a trial): only the gradient is computed. */
  readonly last: boolean;
}

const FLOAT_BYTES = 4;
const PAGE_BYTES = 65536;

/** Rows of `n` floats padded to a multiple of 4 (one SIMD lane group). */
export function paddedRow(n: number): number {
  return Math.ceil(n / 4) * 4;
}

interface Kernels {
  backward(...args: number[]): void;
  apply(...args: number[]): void;
  feedback(...args: number[]): void;
}

/** One WebAssembly instance and a bump allocator over its memory. */
export class WasmTraceEngine {
  private readonly memory: WebAssembly.Memory;
  readonly kernels: Kernels;
  private top = 16;

  constructor() {
    const module = new WebAssembly.Module(chunkKernelModule());
    const instance = new WebAssembly.Instance(module, {});
    this.memory = instance.exports.memory as WebAssembly.Memory;
    this.kernels = instance.exports as unknown as Kernels;
  }

  /** Reserves `bytes` (16-byte aligned, zeroed) and returns the address. */
  allocate(bytes: number): number {
    const address = this.top;
    this.top = Math.ceil((this.top + bytes) / 16) * 16;
    const needed = this.top - this.memory.buffer.byteLength;
    if (needed > 0) this.memory.grow(Math.ceil(needed / PAGE_BYTES));
    return address;
  }

  /** Bytes of memory in use. */
  get bytes(): number {
    return this.top;
  }

  /** Bytes of memory reserved (in use or free); allocating beyond it grows the memory. */
  get capacityBytes(): number {
    return this.memory.buffer.byteLength;
  }

  floats(address: number, length: number): Float32Array {
    return new Float32Array(this.memory.buffer, address, length);
  }

  ints(address: number, length: number): Int32Array {
    return new Int32Array(this.memory.buffer, address, length);
  }
}

/**
 * The learning signal of a layer, L(u) = B Err(u) per batch element, computed with SIMD from
 * the readout errors and the feedback weights B (`[numNeurons][nOut]`, e.g. the readout weights).
 */
export class WasmFeedback {
  private readonly row: number;
  private readonly feedbackT: number;
  private readonly errors: number;
  private readonly out: number;

  constructor(
    readonly engine: WasmTraceEngine,
    readonly batchSize: number,
    readonly numNeurons: number,
    readonly nOut: number,
  ) {
    this.row = paddedRow(numNeurons);
    this.feedbackT = engine.allocate(nOut * this.row * FLOAT_BYTES);
    this.errors = engine.allocate(batchSize * nOut * FLOAT_BYTES);
    this.out = engine.allocate(batchSize * this.row * FLOAT_BYTES);
  }

  /** Sets B from `[numNeurons][nOut]` values. */
  setWeights(feedback: ArrayLike<number>): void {
    const target = this.engine.floats(this.feedbackT, this.nOut * this.row);
    for (let j = 0; j < this.numNeurons; j++) for (let k = 0; k < this.nOut; k++) target[k * this.row + j] = feedback[j * this.nOut + k]!;
  }

  /** L `[batch][numNeurons]` (written into `out`) from errors `[batch][nOut]`. */
  compute(errors: ArrayLike<number>, out: Float32Array): void {
    const { engine, batchSize, nOut, numNeurons, row } = this;
    engine.floats(this.errors, batchSize * nOut).set(errors);
    engine.kernels.feedback(this.errors, this.feedbackT, this.out, batchSize, nOut, row * FLOAT_BYTES);
    const result = engine.floats(this.out, batchSize * row);
    for (let b = 0; b < batchSize; b++) out.set(result.subarray(b * row, b * row + numNeurons), b * numNeurons);
  }
}

/** Per-neuron histories and chunk coefficients of one postsynaptic (hidden) layer. */
export class WasmTraceLayer {
  readonly row: number;
  readonly rowBytes: number;
  /** Histories `[batch][step][row]`: fill with `setStep` before `computeCoefficients`. */
  readonly psi: number;
  readonly learningSignal: number;
  readonly regulariser: number;
  readonly beta: number;
  /** psi(t0) `[batch][row]`. */
  readonly psiBefore: number;
  readonly spikeG: number;
  readonly spikeA: number;
  readonly spikeB: number;
  /** gP, gA, gB, aP, aA, bP, bA, bB, each `[batch][row]`. */
  readonly carried: readonly number[];
  readonly adaptive: boolean;
  steps = 0;

  constructor(
    readonly engine: WasmTraceEngine,
    readonly batchSize: number,
    readonly numNeurons: number,
    readonly maxSteps: number,
    beta: ArrayLike<number>,
    readonly alpha: number,
    readonly rho: number,
    readonly kappa: number,
  ) {
    this.row = paddedRow(numNeurons);
    this.rowBytes = this.row * FLOAT_BYTES;
    const history = () => engine.allocate(batchSize * maxSteps * this.rowBytes);
    const perNeuron = () => engine.allocate(batchSize * this.rowBytes);
    this.psi = history();
    this.learningSignal = history();
    this.regulariser = history();
    this.spikeG = history();
    this.spikeA = history();
    this.spikeB = history();
    this.psiBefore = perNeuron();
    this.carried = Array.from({ length: 8 }, perNeuron);
    this.beta = engine.allocate(this.rowBytes);
    engine.floats(this.beta, numNeurons).set(Array.from(beta));
    this.adaptive = Array.from(beta).some((b) => b !== 0);
  }

  private powers = new Float64Array(0);

  /** alpha^0 .. alpha^K (presynaptic trace decay over a chunk of K steps). */
  alphaPowers(K: number): Float64Array {
    if (this.powers.length !== K + 1) {
      this.powers = new Float64Array(K + 1);
      for (let u = 0, x = 1; u <= K; u++, x *= this.alpha) this.powers[u] = x;
    }
    return this.powers;
  }

  /** Starts a trial: psi before the first step is 0. */
  startTrial(): void {
    this.engine.floats(this.psiBefore, this.batchSize * this.row).fill(0);
    this.steps = 0;
  }

  /**
   * Records step `this.steps` of the current chunk: psi, L and r (`[batch][n]` each; r may be
   * null for no regulariser).
   */
  setStep(psi: ArrayLike<number>, learningSignal: ArrayLike<number>, regulariser: ArrayLike<number> | null): void {
    const { batchSize, numNeurons: n, row, maxSteps } = this;
    const u = this.steps;
    if (u >= maxSteps) throw new Error(`WasmTraceLayer: the chunk already holds ${maxSteps} steps; compute its coefficients first.`);
    const size = batchSize * maxSteps * row;
    const psiView = this.engine.floats(this.psi, size);
    const lView = this.engine.floats(this.learningSignal, size);
    const rView = this.engine.floats(this.regulariser, size);
    for (let b = 0; b < batchSize; b++) {
      const target = (b * maxSteps + u) * row;
      for (let j = 0; j < n; j++) {
        psiView[target + j] = psi[b * n + j]!;
        lView[target + j] = learningSignal[b * n + j]!;
        rView[target + j] = regulariser ? regulariser[b * n + j]! : 0;
      }
    }
    this.steps++;
  }

  /** Runs the backward recursions for the recorded steps. */
  computeCoefficients(): void {
    const { batchSize, row, rowBytes, maxSteps, steps: K } = this;
    const historyStride = maxSteps * rowBytes;
    for (let b = 0; b < batchSize; b++) {
      const history = b * historyStride;
      const neuron = b * rowBytes;
      this.engine.kernels.backward(
        this.psi + history,
        this.learningSignal + history,
        this.regulariser + history,
        this.beta,
        this.psiBefore + neuron,
        this.spikeG + history,
        this.spikeA + history,
        this.spikeB + history,
        ...this.carried.map((address) => address + neuron),
        K,
        rowBytes,
        this.alpha,
        this.rho,
        this.kappa,
      );
    }
    void row;
  }

  /** After all projections applied the chunk: psi(t1) becomes psi before the next chunk. */
  endChunk(): void {
    const { batchSize, row, maxSteps, steps: K } = this;
    if (K === 0) return;
    const psiView = this.engine.floats(this.psi, batchSize * maxSteps * row);
    const before = this.engine.floats(this.psiBefore, batchSize * row);
    for (let b = 0; b < batchSize; b++) before.set(psiView.subarray((b * maxSteps + K - 1) * row, (b * maxSteps + K) * row), b * row);
    this.steps = 0;
  }
}

/** Carried state and gradient of one projection into a `WasmTraceLayer`. */
export class WasmTraceProjection {
  readonly p: number;
  readonly a: number;
  readonly b: number;
  readonly gradient: number;
  private readonly sums: number;
  private readonly rowStart: number;
  private stepsByPre: number;
  private stepsCapacity = 0;

  constructor(
    readonly layer: WasmTraceLayer,
    readonly numPre: number,
  ) {
    const { engine, batchSize, rowBytes } = layer;
    this.p = engine.allocate(batchSize * numPre * FLOAT_BYTES);
    this.a = layer.adaptive ? engine.allocate(batchSize * numPre * rowBytes) : 0;
    this.b = engine.allocate(batchSize * numPre * rowBytes);
    this.gradient = engine.allocate(numPre * rowBytes);
    this.sums = engine.allocate(3 * rowBytes);
    this.rowStart = engine.allocate((numPre + 1) * 4);
    this.stepsByPre = 0;
  }

  /** Bytes of per-synapse state (independent of the trial length). */
  get stateBytes(): number {
    const { batchSize, rowBytes } = this.layer;
    return (this.layer.adaptive ? 2 : 1) * batchSize * this.numPre * rowBytes + this.numPre * rowBytes;
  }

  private ensureSteps(count: number): number {
    if (count > this.stepsCapacity) {
      this.stepsCapacity = Math.max(count, 2 * this.stepsCapacity, 1024);
      this.stepsByPre = this.layer.engine.allocate(this.stepsCapacity * 4);
    }
    return this.stepsByPre;
  }

  /** Applies the layer's current chunk with the presynaptic spikes of each batch element. */
  apply(spikes: readonly ChunkSpikes[], position: ChunkPosition): void {
    const layer = this.layer;
    const { engine, batchSize, rowBytes, maxSteps, steps: K, alpha, adaptive } = layer;
    const numPre = this.numPre;
    const historyStride = maxSteps * rowBytes;
    const stateStride = numPre * rowBytes;
    // Reserve scratch space first: growing the memory detaches every view made before.
    const stepsAddress = this.ensureSteps(Math.max(...spikes.map((s) => s.count)));
    const p = engine.floats(this.p, batchSize * numPre);
    const alphaPowers = layer.alphaPowers(K);
    for (let batch = 0; batch < batchSize; batch++) {
      const events = spikes[batch]!;
      const rowStart = engine.ints(this.rowStart, numPre + 1);
      const stepsByPre = engine.ints(stepsAddress, Math.max(events.count, 1));
      rowStart.fill(0);
      for (let e = 0; e < events.count; e++) rowStart[events.units[e]! + 1]!++;
      for (let i = 0; i < numPre; i++) rowStart[i + 1]! += rowStart[i]!;
      for (let e = 0; e < events.count; e++) stepsByPre[rowStart[events.units[e]!]!++] = events.steps[e]!;
      for (let i = numPre; i > 0; i--) rowStart[i] = rowStart[i - 1]!;
      rowStart[0] = 0;
      const history = batch * historyStride;
      const neuron = batch * rowBytes;
      engine.kernels.apply(
        numPre,
        rowBytes,
        this.rowStart,
        stepsAddress,
        layer.spikeG + history,
        layer.spikeA + history,
        layer.spikeB + history,
        ...layer.carried.map((address) => address + neuron),
        this.p + batch * numPre * FLOAT_BYTES,
        adaptive ? this.a + batch * stateStride : 0,
        this.b + batch * stateStride,
        this.gradient,
        this.sums,
        this.sums + rowBytes,
        this.sums + 2 * rowBytes,
        position.first ? 0 : 1,
        position.last ? 0 : 1,
        adaptive ? 1 : 0,
      );
      if (!position.last) {
        const base = batch * numPre;
        for (let i = 0; i < numPre; i++) p[base + i] = position.first ? 0 : p[base + i]! * alphaPowers[K]!;
        for (let e = 0; e < events.count; e++) p[base + events.units[e]!]! += alphaPowers[K - 1 - events.steps[e]!]!;
      }
    }
  }

  /** The gradient summed over batch and trials so far, `[numPre][numPost]` (a copy). */
  readGradient(): Float32Array {
    const { engine, row, numNeurons } = this.layer;
    const padded = engine.floats(this.gradient, this.numPre * row);
    const out = new Float32Array(this.numPre * numNeurons);
    for (let i = 0; i < this.numPre; i++) out.set(padded.subarray(i * row, i * row + numNeurons), i * numNeurons);
    return out;
  }

  zeroGradient(): void {
    this.layer.engine.floats(this.gradient, this.numPre * this.layer.row).fill(0);
  }
}
