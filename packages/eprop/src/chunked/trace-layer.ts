/** A hidden layer's histories and chunk coefficients in chunked e-prop on the host (see trace-engine.ts). */
import { PSI_SPIKE_FLOOR } from "../models";
import { FLOAT_BYTES, paddedRow, type WasmTraceEngine } from "./trace-engine";
import type { WasmFeedback } from "./trace-feedback";
import { BLOCK_BYTES, BLOCK_FLOATS, CARRIED_COEFFICIENTS, spikeOutputs } from "./wasm-common";

/** The firing-rate regulariser as the host step applies it: f(u) = alpha f(u-1) + (1 - alpha) z(u), r(u) = strength (f(u) - targetPerStep). */
export interface HostRegularisation {
  readonly alpha: number;
  readonly strength: number;
  readonly targetPerStep: number;
}

/** Compacted spikes of a step: units `[batch][numNeurons]`, the first `counts[b]` of row b. */
export interface HostSpikes {
  readonly units: Int32Array;
  readonly counts: Int32Array;
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
  /** Host step ({@link recordHostStep}): the layer's `PsiSpike` `[batch][numNeurons]` (and 4 floats of slack), the firing rate `[batch][row]` (float64). */
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
    this.rateAddress = engine.allocate(batchSize * this.rowBytes * 2);
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
    return this.views().psiSpike;
  }

  /** Views of the host step's input and spike lists, made again only when the memory has grown. */
  private viewsOf: {
    readonly buffer: ArrayBufferLike;
    readonly psiSpike: Float32Array;
    readonly spikes: readonly { readonly units: Int32Array; readonly counts: Int32Array }[];
  } | null = null;

  private views(): NonNullable<WasmTraceLayer["viewsOf"]> {
    const buffer = this.engine.buffer;
    if (this.viewsOf === null || this.viewsOf.buffer !== buffer) {
      const { engine, batchSize, numNeurons } = this;
      this.viewsOf = {
        buffer,
        psiSpike: engine.floats(this.psiSpikeAddress, batchSize * numNeurons),
        spikes: [0, 1].map((which) => ({
          units: engine.ints(this.spikeUnits[which]!, batchSize * numNeurons),
          counts: engine.ints(this.spikeCounts[which]!, batchSize),
        })),
      };
    }
    return this.viewsOf;
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
    const { batchSize, numNeurons: n, maxSteps, engine } = this;
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
    this.given = null;
    this.recordErrors(u, errors);
  }

  /** Step u's errors for the learning signal (or L = 0 without feedback), and the step counted. */
  private recordErrors(u: number, errors: ArrayLike<number> | null): void {
    const { batchSize, row, engine } = this;
    const history = this.histories[this.front]!;
    if (this.feedback) {
      // L(u) itself is formed in the chunk's job (computeCoefficients).
      engine.heapInts[(history.masked + u * 4) / 4] = errors ? 1 : 0;
      if (errors) {
        if (errors.length !== batchSize * this.feedback.nOut)
          throw new Error("WasmTraceLayer: the step's errors are not [batch][nOut].");
        engine.heapFloats.set(errors, (history.errors + u * this.errorStepBytes) / FLOAT_BYTES);
      }
    } else {
      const start = (this.learningSignal + u * this.historyStepBytes) / FLOAT_BYTES;
      engine.heapFloats.fill(0, start, start + batchSize * row);
    }
    this.steps++;
  }

  /** Fused training: the spikes of the current step and the one before, as the forward kernel listed them. */
  private given: readonly [HostSpikes, HostSpikes] | null = null;

  /** The firing rates `[batch][row]` (f64) the host step keeps. */
  get rate(): number {
    return this.rateAddress;
  }

  /**
   * Fused training (inference/fused-training.ts): before a forward run writes psi and r of
   * `count` steps into the current chunk's histories from step {@link steps} on, as the host
   * step would; waits for the job that read this history last.
   */
  beginRun(count: number): void {
    const u = this.steps;
    if (u + count > this.maxSteps)
      throw new Error(
        `WasmTraceLayer: the chunk holds ${this.maxSteps} steps; ${u + count} asked for.`,
      );
    if (u === 0) {
      this.engine.queue.waitFor(this.historyJob[this.front]!);
      this.signalFromErrors = this.feedback !== null;
    } else if (this.signalFromErrors !== (this.feedback !== null))
      throw new Error("WasmTraceLayer: a chunk mixes setStep and recordHostStep.");
  }

  /**
   * Fused training: records a step of the run (after {@link beginRun}) as {@link recordHostStep}
   * does, whose psi and r the forward kernel wrote: the errors, and the spikes of the step and
   * of the one before (in {@link hostSpikes}'s form) until the next step.
   */
  recordRunStep(errors: ArrayLike<number> | null, current: HostSpikes, previous: HostSpikes): void {
    this.given = [current, previous];
    this.recordErrors(this.steps, errors);
  }

  /**
   * The spikes of the last host step (`delay` 0) or of the one before (`delay` 1, none before
   * the trial): units `[batch][numNeurons]`, the first `counts[b]` of row b. Views of the module
   * memory, valid until the next host step.
   */
  hostSpikes(delay: 0 | 1): HostSpikes {
    if (this.given !== null) return this.given[delay];
    const which = delay === 0 ? this.spikeFront : this.spikeFront === 0 ? 1 : 0;
    return this.views().spikes[which]!;
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
    this.engine.doubles(this.rateAddress, this.batchSize * this.row).fill(0);
    this.given = null;
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
