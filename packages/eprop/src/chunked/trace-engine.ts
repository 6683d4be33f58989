/**
 * The chunked e-prop evaluation (docs/chunked-eprop.md) in WebAssembly with SIMD. A hidden
 * layer's per-neuron histories and chunk coefficients (`WasmTraceLayer`) and each incoming
 * projection's carried state and gradient (`WasmTraceProjection`) live in one module memory,
 * rows padded to whole register blocks of 16 neurons (wasm-kernels.ts gives the layouts).
 *
 * Per synapse (post j, pre i) and batch element, every step t (@snn/eprop's docs/chunked-eprop.md):
 *   a(t) = psi(t-1) p(t-1) + (rho - psi(t-1) beta) a(t-1),  e(t) = psi(t) (p(t) - beta a(t)),
 *   b(t) = kappa b(t-1) + e(t),  g += L(t) b(t) + r(t) e(t),  p(t) = alpha p(t-1) + s(t).
 * Over a chunk of K steps each output is linear in the carried-in state and the chunk's
 * presynaptic spikes, with per-neuron coefficients from three backward passes.
 */
import { PSI_SPIKE_FLOOR } from "../models";
import { EpropConfigError } from "../errors";
import { KernelQueue, sharedMemory } from "./trace-thread";
import {
  BLOCK_BYTES,
  BLOCK_FLOATS,
  CARRIED_COEFFICIENTS,
  spikeOutputs,
  stateQuantities,
} from "./wasm-common";
import { chunkKernelModule, SHARED_MAXIMUM_PAGES } from "./wasm-kernels";
import { denseThreshold } from "./wasm-spikes";

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
/** Allocations start on a cache line (one register block). */
const ALIGNMENT = BLOCK_BYTES;

/** Rows of `n` floats padded to a multiple of {@link BLOCK_FLOATS} (one register block, one cache line). */
export function paddedRow(n: number): number {
  return Math.ceil(n / BLOCK_FLOATS) * BLOCK_FLOATS;
}

interface Kernels {
  backward(...args: number[]): void;
  apply(...args: number[]): void;
  feedback(...args: number[]): void;
  sortSpikes(...args: number[]): void;
  advanceTraces(...args: number[]): void;
  hostStep(...args: number[]): void;
  learningSignal(...args: number[]): void;
  unblock(...args: number[]): void;
  readoutGradient(...args: number[]): void;
  collectEvents(...args: number[]): void;
}

/** The firing-rate regulariser as the host step applies it: f(u) = alpha f(u-1) + (1 - alpha) z(u), r(u) = strength (f(u) - targetPerStep). */
export interface HostRegularisation {
  readonly alpha: number;
  readonly strength: number;
  readonly targetPerStep: number;
}

export interface TraceEngineOptions {
  /**
   * Evaluate each chunk's traces in a worker thread while the next chunk's forward pass runs
   * (default true; used where the engine has shared WebAssembly memory and Node's worker
   * threads, see trace-thread.ts). The results are the same to the bit either way.
   */
  readonly thread?: boolean;
}

/** One WebAssembly instance and a bump allocator over its memory, and the queue of chunk-end kernel calls. */
export class WasmTraceEngine {
  private readonly memory: WebAssembly.Memory;
  /** Kernels called directly on this thread (the per-step learning signal, and tests). */
  readonly kernels: Kernels;
  /** The chunk-end calls (backward, sort, apply, traces), run as one job (trace-thread.ts). */
  readonly queue: KernelQueue;
  private top = ALIGNMENT;

  constructor(options: TraceEngineOptions = {}) {
    const shared = options.thread === false ? null : sharedMemory(SHARED_MAXIMUM_PAGES);
    this.memory = shared ?? new WebAssembly.Memory({ initial: 1 });
    const module = chunkKernelModule(shared ? "shared" : "plain");
    const instance = new WebAssembly.Instance(module, { env: { memory: this.memory } });
    this.kernels = instance.exports as unknown as Kernels;
    this.queue = new KernelQueue(this.memory, module, this.kernels, shared !== null);
  }

  /** Runs the queued chunk-end calls and waits for them: call before reading or changing state they use. */
  wait(): void {
    this.queue.wait();
  }

  /** Stops the worker thread, if any. */
  dispose(): void {
    this.queue.dispose();
  }

  /**
   * Reserves `bytes` (cache-line aligned, zeroed) and returns the address. Throws
   * {@link EpropConfigError} when the memory cannot hold them (a WebAssembly memory holds 4 GiB).
   */
  allocate(bytes: number): number {
    const address = this.top;
    const top = Math.ceil((this.top + bytes) / ALIGNMENT) * ALIGNMENT;
    const needed = top - this.memory.buffer.byteLength;
    if (needed > 0) {
      try {
        this.memory.grow(Math.ceil(needed / PAGE_BYTES));
      } catch (error) {
        if (!(error instanceof RangeError)) throw error;
        const gib = (n: number): string => `${(n / 2 ** 30).toFixed(2)} GiB`;
        throw new EpropConfigError(
          `Chunked e-prop on the host needs more memory than a WebAssembly memory holds (4 GiB): ${gib(this.top)} in use, ${gib(bytes)} more asked for. ` +
            "Its per-synapse state takes batch x synapses x 2 floats (ALIF) and its histories batch x neurons x chunkSteps x 3 floats (twice). " +
            "Use a smaller batch size (or keep it and train in micro-batches: Trainer's microBatchSize, snn train --micro-batch), a smaller chunkSteps, fewer neurons, or the WebGPU backend (chunkedTraces: 'device').",
        );
      }
    }
    this.top = top;
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

  private heap = new Float32Array(0);

  /** A float view of the whole memory (index = address / 4), renewed when the memory has grown. */
  get heapFloats(): Float32Array {
    if (this.heap.buffer !== this.memory.buffer) this.heap = new Float32Array(this.memory.buffer);
    return this.heap;
  }

  floats(address: number, length: number): Float32Array {
    return new Float32Array(this.memory.buffer, address, length);
  }

  doubles(address: number, length: number): Float64Array {
    return new Float64Array(this.memory.buffer, address, length);
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
  /** B transposed, `[nOut][row]`. */
  readonly feedbackT: number;
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
    for (let j = 0; j < this.numNeurons; j++)
      for (let k = 0; k < this.nOut; k++) target[k * this.row + j] = feedback[j * this.nOut + k]!;
  }

  /** L `[batch][numNeurons]` (written into `out`) from errors `[batch][nOut]`. */
  compute(errors: ArrayLike<number>, out: Float32Array): void {
    const { engine, batchSize, nOut, numNeurons, row } = this;
    engine.floats(this.errors, batchSize * nOut).set(errors);
    engine.kernels.feedback(
      this.errors,
      this.feedbackT,
      this.out,
      batchSize,
      nOut,
      row * FLOAT_BYTES,
    );
    const result = engine.floats(this.out, batchSize * row);
    if (row === numNeurons) out.set(result);
    else
      for (let b = 0; b < batchSize; b++)
        out.set(result.subarray(b * row, b * row + numNeurons), b * numNeurons);
  }
}

/** Per-neuron histories and chunk coefficients of one postsynaptic (hidden) layer. */
export class WasmTraceLayer {
  /** Neurons per padded row (a multiple of {@link BLOCK_FLOATS}). */
  readonly row: number;
  readonly rowBytes: number;
  readonly numBlocks: number;
  /**
   * Histories `[step][batch][row]` (step stride {@link historyStepBytes}), two sets: `setStep`
   * fills the front one while a worker thread may still read the other (the last chunk's).
   */
  private readonly histories: readonly {
    readonly psi: number;
    readonly learningSignal: number;
    readonly regulariser: number;
    errors: number;
    masked: number;
  }[];
  private front = 0;
  /** Per history: the job that reads it (it may be written again once that job has finished). */
  private readonly historyJob = [0, 0];
  readonly beta: number;
  /** Bytes from one step of the psi, L and r histories to the next. */
  readonly historyStepBytes: number;
  /** psi(t0) `[batch][row]`. */
  readonly psiBefore: number;
  /** Spike coefficients lp(t) `[batch][block][step][output][16]`, outputs g, b (, a). */
  readonly spikeCoefficients: number;
  /** Bytes of one step of one block of the spike coefficients (outputs x 16 floats). */
  readonly stepBytes: number;
  readonly historyBlockBytes: number;
  readonly historyBatchBytes: number;
  /** Carried-in coefficients `[batch][block][8][16]` (wasm-common.ts `CarriedCoefficient`). */
  readonly carriedCoefficients: number;
  readonly adaptive: boolean;
  steps = 0;
  /** The current chunk's coefficients are the gradient's only (a trial's last chunk: no state carried out). */
  gradientOnly = false;
  /** Host step ({@link recordHostStep}): the layer's `PsiSpike` `[batch][numNeurons]` (and 4 floats of slack), the firing rate `[batch][row]`. */
  private readonly psiSpikeAddress: number;
  private readonly rateAddress: number;
  /** Compacted spikes of the last two host steps: units `[batch][numNeurons]` and counts `[batch]` (i32), alternating. */
  private readonly spikeUnits: readonly [number, number];
  private readonly spikeCounts: readonly [number, number];
  private spikeFront: 0 | 1 = 0;
  /** The feedback the host step's learning signal uses ({@link attachFeedback}). */
  private feedback: WasmFeedback | null = null;
  /** Bytes of one step of the error history `[step][batch][nOut]`. */
  private errorStepBytes = 0;
  /** The current chunk's L is to be computed from its recorded errors (host steps with feedback). */
  private signalFromErrors = false;

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
    this.numBlocks = this.row / BLOCK_FLOATS;
    this.adaptive = Array.from(beta).some((b) => b !== 0);
    // One cache line of padding per step, so that a neuron's steps do not share L1 cache sets.
    this.historyStepBytes = batchSize * this.rowBytes + BLOCK_BYTES;
    const history = () => engine.allocate(maxSteps * this.historyStepBytes);
    this.histories = [0, 1].map(() => ({
      psi: history(),
      learningSignal: history(),
      regulariser: history(),
      errors: 0,
      masked: 0,
    }));
    this.stepBytes = spikeOutputs(this.adaptive) * BLOCK_BYTES;
    this.historyBlockBytes = maxSteps * this.stepBytes;
    this.historyBatchBytes = this.numBlocks * this.historyBlockBytes;
    this.spikeCoefficients = engine.allocate(batchSize * this.historyBatchBytes);
    this.psiBefore = engine.allocate(batchSize * this.rowBytes);
    this.carriedCoefficients = engine.allocate(
      batchSize * this.numBlocks * CARRIED_COEFFICIENTS * BLOCK_BYTES,
    );
    this.powerTable = engine.allocate((maxSteps + 1) * 8);
    this.beta = engine.allocate(this.rowBytes);
    engine.floats(this.beta, numNeurons).set(Array.from(beta));
    this.psiSpikeAddress = engine.allocate((batchSize * numNeurons + 4) * FLOAT_BYTES);
    this.rateAddress = engine.allocate(batchSize * this.rowBytes);
    const units = () => engine.allocate(batchSize * numNeurons * 4);
    const counts = () => engine.allocate(batchSize * 4);
    this.spikeUnits = [units(), units()];
    this.spikeCounts = [counts(), counts()];
  }

  /**
   * Gives the host step ({@link recordHostStep}) the feedback B of the learning signal
   * L(u) = B Err(u), which is then formed from the recorded errors in the chunk's job (with
   * the `feedback` kernel's arithmetic). Call once, before the first step.
   */
  attachFeedback(feedback: WasmFeedback): void {
    if (this.feedback !== null)
      throw new Error("WasmTraceLayer: the feedback is already attached.");
    if (
      feedback.engine !== this.engine ||
      feedback.batchSize !== this.batchSize ||
      feedback.numNeurons !== this.numNeurons
    ) {
      throw new Error("WasmTraceLayer: the feedback belongs to another engine or layer shape.");
    }
    this.feedback = feedback;
    this.errorStepBytes = this.batchSize * feedback.nOut * FLOAT_BYTES;
    for (const history of this.histories) {
      history.errors = this.engine.allocate(this.maxSteps * this.errorStepBytes);
      history.masked = this.engine.allocate(this.maxSteps * 4);
    }
  }

  /**
   * Where to read the layer's `PsiSpike` of the next step, `[batch][numNeurons]`: a view of the
   * module memory (take it anew for every step; growing the memory may detach it).
   */
  psiSpikeInput(): Float32Array {
    return this.engine.floats(this.psiSpikeAddress, this.batchSize * this.numNeurons);
  }

  /**
   * Records step `this.steps` of the current chunk from the layer's `PsiSpike` in
   * {@link psiSpikeInput} (models.ts: psi(u), or -max(psi(u), 2^-126) at a spike): psi(u), the
   * compacted spikes z(u) ({@link hostSpikes}), with `regularisation` the firing rate and r(u)
   * (else r = 0), and the step's readout errors `[batch][nOut]` for the learning signal
   * L(u) = B Err(u) with the attached feedback (null, or no feedback: L = 0). Exactly the
   * per-step host arithmetic (float64 rate).
   */
  recordHostStep(
    regularisation: HostRegularisation | null,
    errors: ArrayLike<number> | null,
  ): void {
    const { batchSize, numNeurons: n, row, maxSteps, engine } = this;
    const u = this.steps;
    if (u >= maxSteps)
      throw new Error(
        `WasmTraceLayer: the chunk already holds ${maxSteps} steps; compute its coefficients first.`,
      );
    if (u === 0) {
      engine.queue.waitFor(this.historyJob[this.front]!);
      this.signalFromErrors = this.feedback !== null;
    } else if (this.signalFromErrors !== (this.feedback !== null))
      throw new Error("WasmTraceLayer: a chunk mixes setStep and recordHostStep.");
    this.spikeFront = this.spikeFront === 0 ? 1 : 0;
    const step = u * this.historyStepBytes;
    const alpha = regularisation ? regularisation.alpha : 0;
    engine.kernels.hostStep(
      this.psiSpikeAddress,
      n,
      batchSize,
      this.psi + step,
      this.regulariser + step,
      this.rowBytes,
      this.rateAddress,
      regularisation ? 1 : 0,
      this.spikeUnits[this.spikeFront],
      this.spikeCounts[this.spikeFront],
      -PSI_SPIKE_FLOOR,
      alpha,
      1 - alpha,
      regularisation ? regularisation.strength : 0,
      regularisation ? regularisation.targetPerStep : 0,
    );
    const history = this.histories[this.front]!;
    if (this.feedback) {
      // L(u) itself is formed in the chunk's job (computeCoefficients).
      engine.ints(history.masked + u * 4, 1)[0] = errors ? 1 : 0;
      if (errors)
        engine
          .floats(history.errors + u * this.errorStepBytes, batchSize * this.feedback.nOut)
          .set(errors);
    } else {
      const start = (this.learningSignal + step) / FLOAT_BYTES;
      engine.heapFloats.fill(0, start, start + batchSize * row);
    }
    this.steps++;
  }

  /**
   * The spikes of the last host step (`delay` 0) or of the one before (`delay` 1, none before
   * the trial): units `[batch][numNeurons]`, the first `counts[b]` of row b. Views of the module
   * memory, valid until the next host step.
   */
  hostSpikes(delay: 0 | 1): { readonly units: Int32Array; readonly counts: Int32Array } {
    const which = delay === 0 ? this.spikeFront : this.spikeFront === 0 ? 1 : 0;
    return {
      units: this.engine.ints(this.spikeUnits[which], this.batchSize * this.numNeurons),
      counts: this.engine.ints(this.spikeCounts[which], this.batchSize),
    };
  }

  private powers = new Float64Array(0);
  /** alpha^0 .. alpha^maxSteps as f64 in the module memory (for the traces kernel). */
  private readonly powerTable: number;
  private powerTableWritten = false;

  /**
   * Address of alpha^0 .. alpha^maxSteps (f64) in the module memory, the same table for every
   * chunk length (alpha^u does not depend on K), written once: no queued job ever sees it change.
   */
  alphaPowerTable(K: number): number {
    if (K > this.maxSteps)
      throw new Error(
        `WasmTraceLayer: a chunk of ${K} steps is longer than the ${this.maxSteps} the layer holds.`,
      );
    if (!this.powerTableWritten) {
      this.engine.doubles(this.powerTable, this.maxSteps + 1).set(this.alphaPowers(this.maxSteps));
      this.powerTableWritten = true;
    }
    return this.powerTable;
  }

  /** alpha^0 .. alpha^K (presynaptic trace decay over a chunk of K steps), each the product of the one before and alpha. */
  alphaPowers(K: number): Float64Array {
    if (this.powers.length < K + 1) {
      this.powers = new Float64Array(K + 1);
      for (let u = 0, x = 1; u <= K; u++, x *= this.alpha) this.powers[u] = x;
    }
    return this.powers.subarray(0, K + 1);
  }

  /** The history the current chunk is recorded into (addresses). */
  get psi(): number {
    return this.histories[this.front]!.psi;
  }
  get learningSignal(): number {
    return this.histories[this.front]!.learningSignal;
  }
  get regulariser(): number {
    return this.histories[this.front]!.regulariser;
  }

  /** Starts a trial: psi before the first step, the firing rate and the spikes before it are 0. */
  startTrial(): void {
    this.engine.wait();
    this.engine.floats(this.psiBefore, this.batchSize * this.row).fill(0);
    this.engine.floats(this.rateAddress, this.batchSize * this.row).fill(0);
    for (const counts of this.spikeCounts) this.engine.ints(counts, this.batchSize).fill(0);
    this.steps = 0;
  }

  /**
   * Records step `this.steps` of the current chunk: psi, L and r (`[batch][n]` each; r may be
   * null for no regulariser).
   */
  setStep(
    psi: ArrayLike<number>,
    learningSignal: ArrayLike<number>,
    regulariser: ArrayLike<number> | null,
  ): void {
    const { batchSize, numNeurons: n, row, maxSteps } = this;
    const u = this.steps;
    if (u >= maxSteps)
      throw new Error(
        `WasmTraceLayer: the chunk already holds ${maxSteps} steps; compute its coefficients first.`,
      );
    if (u === 0) {
      this.engine.queue.waitFor(this.historyJob[this.front]!);
      this.signalFromErrors = false;
    } else if (this.signalFromErrors)
      throw new Error("WasmTraceLayer: a chunk mixes setStep and recordHostStep.");
    const heap = this.engine.heapFloats;
    const size = batchSize * n;
    const record = (address: number, values: ArrayLike<number> | null) => {
      const start = (address + u * this.historyStepBytes) / FLOAT_BYTES;
      if (values === null) heap.fill(0, start, start + batchSize * row);
      else if (row === n && (values instanceof Float32Array || values instanceof Float64Array))
        heap.set(values.length === size ? values : values.subarray(0, size), start);
      else
        for (let b = 0; b < batchSize; b++)
          for (let j = 0; j < n; j++) heap[start + b * row + j] = values[b * n + j]!;
    };
    record(this.psi, psi);
    record(this.learningSignal, learningSignal);
    record(this.regulariser, regulariser);
    this.steps++;
  }

  /**
   * Queues the learning signal of the recorded steps (host steps with feedback) and the
   * backward recursions, for every batch element (see `WasmTraceEngine.queue`); both are shared
   * out by blocks of neurons. With `last` (a trial's last chunk, applied with `position.last`)
   * only the gradient's coefficients are formed.
   */
  computeCoefficients(options: { readonly last?: boolean } = {}): void {
    const { batchSize, rowBytes, steps: K, numBlocks } = this;
    if (K === 0) return;
    this.gradientOnly = options.last === true;
    const queue = this.engine.queue;
    if (this.signalFromErrors && this.feedback) {
      const history = this.histories[this.front]!;
      queue.callShared(
        "learningSignal",
        numBlocks,
        history.errors,
        history.masked,
        this.feedback.feedbackT,
        this.learningSignal,
        batchSize,
        this.feedback.nOut,
        rowBytes,
        K,
        this.errorStepBytes,
        this.historyStepBytes,
      );
    }
    queue.callShared(
      "backward",
      numBlocks,
      this.psi,
      this.learningSignal,
      this.regulariser,
      this.beta,
      this.psiBefore,
      this.spikeCoefficients,
      this.carriedCoefficients,
      batchSize,
      K,
      rowBytes,
      this.historyBatchBytes,
      this.historyBlockBytes,
      this.historyStepBytes,
      this.adaptive ? 1 : 0,
      this.gradientOnly ? 0 : 1,
      this.alpha,
      this.rho,
      this.kappa,
    );
  }

  /**
   * After all projections queued the chunk: queues the copy of psi(t1) to psi before the next
   * chunk, and records the next chunk into the other history.
   */
  endChunk(): void {
    const { batchSize, rowBytes, steps: K } = this;
    if (K === 0) return;
    this.engine.queue.copy(
      this.psiBefore,
      this.psi + (K - 1) * this.historyStepBytes,
      batchSize * rowBytes,
    );
    this.historyJob[this.front] = this.engine.queue.pendingJob;
    this.front = 1 - this.front;
    this.steps = 0;
  }
}

/** Carried state and gradient of one projection into a `WasmTraceLayer`. */
export class WasmTraceProjection {
  /** Presynaptic traces p(t0) `[batch][numPre]`. */
  readonly p: number;
  /** Per-synapse state b (, a) `[batch][block][numPre][b, a][16]`. */
  readonly state: number;
  /** Gradient `[block][numPre][16]`. */
  readonly gradient: number;
  /** The gradient in core layout `[numPre][numPost]`, written by {@link readGradient}. */
  private readonly gradientOut: number;
  /** Bytes of one presynaptic neuron's state in one block. */
  private readonly stateRowBytes: number;
  /** Start of each (batch element, presynaptic neuron)'s spikes, as addresses into the offsets, `[batch * numPre + 1]`. */
  private readonly rowStart: number;
  /** Counting-sort scratch, `[batch * numPre]`. */
  private readonly cursor: number;
  /** End of each batch element's spikes in `units` and `steps`, `[batch]`. */
  private readonly batchEnds: number;
  /**
   * Dense rows (sortSpikes in wasm-spikes.ts): per (batch element, presynaptic neuron) the end
   * of its silent steps in the offsets, or 0 on the event path `[batch * numPre]`; per batch
   * element the number of dense rows of the chunk, and those of all chunks so far `[batch + 1]`; the sort's step marks `[maxSteps x outputs]`; the
   * application's per-block totals `[block][3][16]`.
   */
  private readonly denseEnd: number;
  private readonly denseRowCounts: number;
  private readonly seenSteps: number;
  private readonly totals: number;
  /** The chunk's spikes (presynaptic neuron, step), and their offsets sorted by (batch element, presynaptic neuron). */
  private units = 0;
  private steps = 0;
  private offsets = 0;
  private spikeCapacity = 0;

  constructor(
    readonly layer: WasmTraceLayer,
    readonly numPre: number,
  ) {
    const { engine, batchSize, numBlocks } = layer;
    this.stateRowBytes = stateQuantities(layer.adaptive) * BLOCK_BYTES;
    this.p = engine.allocate(batchSize * numPre * FLOAT_BYTES);
    this.state = engine.allocate(batchSize * numBlocks * numPre * this.stateRowBytes);
    this.gradient = engine.allocate(numBlocks * numPre * BLOCK_BYTES);
    this.gradientOut = engine.allocate(numPre * layer.numNeurons * FLOAT_BYTES);
    this.rowStart = engine.allocate((batchSize * numPre + 1) * 4);
    this.cursor = engine.allocate(batchSize * numPre * 4);
    this.batchEnds = engine.allocate(batchSize * 4);
    this.denseEnd = engine.allocate(batchSize * numPre * 4);
    this.denseRowCounts = engine.allocate((batchSize + 1) * 4);
    this.seenSteps = engine.allocate(layer.maxSteps * spikeOutputs(layer.adaptive) * 4);
    this.totals = engine.allocate(numBlocks * 3 * BLOCK_BYTES);
    this.eventCursor = new Int32Array(batchSize);
    this.eventEnds = new Int32Array(batchSize);
    this.seen = engine.allocate(numPre * 4);
    this.eventStarts = engine.allocate((batchSize + 1) * 4);
  }

  /** Bytes of per-synapse state (independent of the trial length). */
  get stateBytes(): number {
    const { batchSize, numBlocks } = this.layer;
    return (batchSize * this.stateRowBytes + BLOCK_BYTES) * numBlocks * this.numPre;
  }

  /** The job that reads the spike scratch (the last `apply`'s). */
  private lastJob = 0;

  /** Room for `count` spikes in the scratch arrays (may grow the memory, detaching views). */
  private reserveSpikes(count: number): void {
    if (count > this.spikeCapacity) {
      const engine = this.layer.engine;
      this.spikeCapacity = Math.max(count, 2 * this.spikeCapacity, 1024);
      this.units = engine.allocate(this.spikeCapacity * 4);
      this.steps = engine.allocate(this.spikeCapacity * 4);
      this.offsets = engine.allocate(this.spikeCapacity * 4);
    }
  }

  /** Applies the layer's current chunk with the presynaptic spikes of each batch element. */
  apply(spikes: readonly ChunkSpikes[], position: ChunkPosition): void {
    const layer = this.layer;
    const { engine, batchSize, steps: K } = layer;
    this.checkPosition(position);
    if (spikes.length !== batchSize)
      throw new Error(
        `WasmTraceProjection: expected spikes of ${batchSize} batch elements, got ${spikes.length}.`,
      );
    let total = 0;
    for (const events of spikes) total += events.count;
    // The spike scratch below is read by this projection's calls of the last chunk: wait for them.
    engine.queue.waitFor(this.lastJob);
    // Reserve scratch space first: growing the memory detaches every view made before.
    this.reserveSpikes(total);
    const alphaPowers = layer.alphaPowerTable(K);
    const units = engine.ints(this.units, this.spikeCapacity);
    const steps = engine.ints(this.steps, this.spikeCapacity);
    const batchEnds = engine.ints(this.batchEnds, batchSize);
    let end = 0;
    for (let batch = 0; batch < batchSize; batch++) {
      const events = spikes[batch]!;
      units.set(events.units.subarray(0, events.count), end);
      steps.set(events.steps.subarray(0, events.count), end);
      end += events.count;
      batchEnds[batch] = end;
    }
    this.queueChunk(position, alphaPowers);
  }

  /** Events of a trial taken by the chunks so far: per batch element, the index of the first not taken. */
  private readonly eventCursor: Int32Array;
  /** Per batch element, the end of the chunk's events (scratch). */
  private readonly eventEnds: Int32Array;
  /** collectEvents: per presynaptic neuron, the stamp of its last event `[numPre]`; the chunk's events `[batch + 1]` starts, steps and units. */
  private readonly seen: number;
  private readonly eventStarts: number;
  private eventSteps = 0;
  private eventUnits = 0;
  private eventCapacity = 0;

  /** Starts taking a new trial's events ({@link applyEvents}) from its first step. */
  startEvents(): void {
    this.eventCursor.fill(0);
    this.layer.engine.ints(this.seen, this.numPre).fill(0);
  }

  /**
   * Applies the layer's current chunk with presynaptic spikes given as the trial's events of
   * each batch element (steps ascending, units below numPre): those of the chunk's steps
   * t0 .. t0 + K - 1, taken in order since {@link startEvents}. A presynaptic neuron counts once
   * per step, however often an event repeats (as a spike source does). `numSteps` is the trial length.
   */
  applyEvents(
    events: readonly { readonly steps: Int32Array; readonly units: Int32Array }[],
    t0: number,
    numSteps: number,
    position: ChunkPosition,
  ): void {
    const layer = this.layer;
    const { engine, batchSize, steps: K } = layer;
    this.checkPosition(position);
    if (events.length !== batchSize)
      throw new Error(
        `WasmTraceProjection: expected events of ${batchSize} batch elements, got ${events.length}.`,
      );
    const end = t0 + K;
    const cursor = this.eventCursor;
    const ends = this.eventEnds;
    let total = 0;
    for (let b = 0; b < batchSize; b++) {
      // the first event at or after `end` (steps ascending)
      const steps = events[b]!.steps;
      let lo = cursor[b]!;
      let hi = steps.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (steps[mid]! < end) lo = mid + 1;
        else hi = mid;
      }
      ends[b] = lo;
      total += lo - cursor[b]!;
    }
    // The spike scratch is read by this projection's calls of the last chunk: wait for them.
    engine.queue.waitFor(this.lastJob);
    // Reserve first: growing the memory detaches every view made before.
    this.reserveSpikes(total);
    if (total > this.eventCapacity) {
      this.eventCapacity = Math.max(total, 2 * this.eventCapacity, 1024);
      this.eventSteps = engine.allocate(this.eventCapacity * 4);
      this.eventUnits = engine.allocate(this.eventCapacity * 4);
    }
    const alphaPowers = layer.alphaPowerTable(K);
    const eventSteps = engine.ints(this.eventSteps, this.eventCapacity);
    const eventUnits = engine.ints(this.eventUnits, this.eventCapacity);
    const starts = engine.ints(this.eventStarts, batchSize + 1);
    let at = 0;
    for (let b = 0; b < batchSize; b++) {
      const from = cursor[b]!;
      const to = ends[b]!;
      starts[b] = at;
      eventSteps.set(events[b]!.steps.subarray(from, to), at);
      eventUnits.set(events[b]!.units.subarray(from, to), at);
      at += to - from;
      cursor[b] = to;
    }
    starts[batchSize] = at;
    engine.kernels.collectEvents(
      this.eventSteps,
      this.eventUnits,
      this.eventStarts,
      batchSize,
      this.seen,
      1,
      numSteps,
      t0,
      this.units,
      this.steps,
      this.batchEnds,
    );
    this.queueChunk(position, alphaPowers);
  }

  private checkPosition(position: ChunkPosition): void {
    if (this.layer.gradientOnly && !position.last) {
      throw new Error(
        "WasmTraceProjection: the layer's coefficients are the gradient's only (computeCoefficients({ last: true })); this chunk carries state out.",
      );
    }
  }

  /** Queues the chunk's calls on the spikes in the scratch: the spike sort, the application and the presynaptic traces. */
  private queueChunk(position: ChunkPosition, alphaPowers: number): void {
    const layer = this.layer;
    const { engine, batchSize, steps: K } = layer;
    const numPre = this.numPre;
    const { queue } = engine;
    this.lastJob = queue.pendingJob;
    const spikeArgs = [batchSize, numPre, this.units, this.steps, this.batchEnds] as const;
    queue.call(
      "sortSpikes",
      ...spikeArgs,
      this.rowStart,
      this.cursor,
      this.offsets,
      layer.stepBytes,
      K,
      this.seenSteps,
      this.denseEnd,
      this.denseRowCounts,
      denseThreshold(K, layer.numBlocks * (position.last ? 1 : spikeOutputs(layer.adaptive))),
    );
    // One task per block of post neurons: the worker thread and this one (while it waits) share them.
    queue.callShared(
      "apply",
      layer.numBlocks,
      batchSize,
      numPre,
      layer.numBlocks,
      this.rowStart,
      this.offsets,
      layer.spikeCoefficients,
      layer.historyBatchBytes,
      layer.historyBlockBytes,
      layer.carriedCoefficients,
      this.p,
      this.state,
      this.gradient,
      position.first ? 0 : 1,
      position.last ? 0 : 1,
      layer.adaptive ? 1 : 0,
      K,
      this.denseEnd,
      this.denseRowCounts,
      this.totals,
    );
    // p(t1) = alpha^K p(t0) + sum over spikes alpha^(K - 1 - step)
    if (!position.last)
      queue.call("advanceTraces", ...spikeArgs, this.p, alphaPowers, K, position.first ? 1 : 0);
  }

  /** Copies `[block][pre][16]`-blocked values of one batch element into `[pre][numNeurons]`. */
  private unblock(
    address: number,
    quantity: number,
    quantities: number,
    out: Float32Array,
    outOffset: number,
  ): void {
    const { engine, numNeurons, numBlocks } = this.layer;
    const numPre = this.numPre;
    const view = engine.floats(address, numBlocks * numPre * quantities * BLOCK_FLOATS);
    for (let block = 0; block < numBlocks; block++) {
      const width = Math.min(BLOCK_FLOATS, numNeurons - block * BLOCK_FLOATS);
      let from = quantity * BLOCK_FLOATS + block * numPre * quantities * BLOCK_FLOATS;
      let to = outOffset + block * BLOCK_FLOATS;
      for (let i = 0; i < numPre; i++, from += quantities * BLOCK_FLOATS, to += numNeurons) {
        for (let l = 0; l < width; l++) out[to + l] = view[from + l]!;
      }
    }
  }

  /** The gradient summed over batch and trials so far, `[numPre][numPost]` (a copy). */
  readGradient(): Float32Array {
    return this.gradientView().slice();
  }

  /**
   * The gradient summed over batch and trials so far, `[numPre][numPost]`, as a view of the
   * module memory: valid (and free to change) until the next chunk is queued or the memory grows.
   */
  gradientView(): Float32Array {
    const { engine, numBlocks, numNeurons } = this.layer;
    engine.wait();
    engine.kernels.unblock(
      this.gradient,
      this.numPre,
      numBlocks,
      BLOCK_BYTES,
      this.gradientOut,
      numNeurons,
    );
    return engine.floats(this.gradientOut, this.numPre * numNeurons);
  }

  /**
   * The carried per-synapse state after the last applied chunk, `[batch][numPre][numPost]` each
   * (a copy; `a` is empty for a non-adaptive layer). Meaningful after a chunk that carried state out.
   */
  readState(): { b: Float32Array; a: Float32Array } {
    this.layer.engine.wait();
    const { batchSize, numNeurons, numBlocks, adaptive } = this.layer;
    const quantities = stateQuantities(adaptive);
    const perBatch = this.numPre * numNeurons;
    const b = new Float32Array(batchSize * perBatch);
    const a = new Float32Array(adaptive ? batchSize * perBatch : 0);
    const batchBytes = numBlocks * this.numPre * this.stateRowBytes;
    for (let batch = 0; batch < batchSize; batch++) {
      this.unblock(this.state + batch * batchBytes, 0, quantities, b, batch * perBatch);
      if (adaptive)
        this.unblock(this.state + batch * batchBytes, 1, quantities, a, batch * perBatch);
    }
    return { b, a };
  }

  /**
   * How many (batch element, presynaptic neuron) rows took the dense path (their sum formed as
   * the chunk's total less the silent steps; wasm-spikes.ts `sortSpikes`): in the last applied
   * chunk, and in all chunks since the projection was made. Waits for the queued jobs. For tests
   * and benchmarks.
   */
  denseRows(): { readonly lastChunk: number; readonly total: number } {
    const { engine, batchSize } = this.layer;
    engine.wait();
    const counts = engine.ints(this.denseRowCounts, batchSize + 1);
    return {
      lastChunk: counts.subarray(0, batchSize).reduce((sum, count) => sum + count, 0),
      total: counts[batchSize]!,
    };
  }

  zeroGradient(): void {
    this.layer.engine.wait();
    this.layer.engine
      .floats(this.gradient, this.layer.numBlocks * this.numPre * BLOCK_FLOATS)
      .fill(0);
  }
}
