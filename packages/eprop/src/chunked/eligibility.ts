/**
 * Drives chunked e-prop during a training trial (docs/chunked-eprop.md). The compiled network
 * runs only the forward pass: hidden neurons (with psi) and the readout's leaky integrator y.
 * After every step u this reads each hidden layer's z(u) and psi(u) (one array, `PsiSpike`)
 * and the readout y(u), and computes on the host the softmax pi(u) = softmax(y(u)), the error
 * Err(u) = m(u) (pi(u) - pi*), the loss and output sums of the trial and the bias gradient, and
 * (in WebAssembly) psi(u), the spike lists and the regulariser factor r(u). Every K steps it
 * queues the chunk's job: the learning signal L(u) = B Err(u) and the hidden projections'
 * eligibility traces for the whole chunk, in WebAssembly SIMD (trace-engine.ts), run in a
 * worker thread where there is one; and adds the chunk's readout gradient.
 * Only per-synapse state crosses chunk boundaries, so memory does not grow with the trial length.
 */
import type { Runtime, SpikeEvents } from "@snn/core";
import type { EpropNetworkDescription } from "../description";
import type { ProjectionInfo } from "../projections";
import { EpropConfigError } from "../errors";
import { lossMaskByStep, type PreparedTrial } from "../trial";
import { emptyReadoutSums, ReadoutSoftmax, type ReadoutSums } from "../readout-softmax";
import { WasmTraceEngine, type TraceEngineOptions } from "./trace-engine";
import { WasmFeedback } from "./trace-feedback";
import { WasmTraceLayer, type HostRegularisation } from "./trace-layer";
import { WasmTraceProjection } from "./trace-projection";
import { wasm } from "@snn/core/internal";
import { HostReadoutErrors, HostReadoutGradient, readoutRow } from "./host-readout-gradient";
import type { ChunkedTraceEvaluator } from "./trace-evaluator";
import {
  feedbackOwnerOf,
  layerGradients,
  SpikeList,
  type FusedForwardRun,
  type FusedTarget,
  type LayerState,
  type SpikeSource,
} from "./chunk-state";

/** Per-trial chunked evaluation of an e-prop network's gradients on the host. */
export class ChunkedEligibility implements ChunkedTraceEvaluator {
  readonly where = "host";
  /** Every step's state is read back. */
  readonly stepsPerCall = 1;
  private readonly engine: WasmTraceEngine;
  private readonly layers: LayerState[] = [];
  private readonly sources: SpikeSource[] = [];
  /** For each source, the layer whose spikes it carries. */
  private readonly sourceLayers: LayerState[] = [];
  private readonly nOut: number;
  private readonly kappa: number;
  /** kappa^i for i = 0 .. K. */
  private readonly kappaPowers: Float64Array;
  private readonly regularisation: HostRegularisation | null;
  private inputs: readonly SpikeEvents[] = [];
  /** `[T][batch]` 0/1 loss mask and `[batch][nOut]` targets of the trial. */
  private mask = new Uint8Array(0);
  private targets: Float32Array = new Float32Array(0);
  private numSteps = 0;
  private chunkStart = 0;
  /** Steps of the current chunk: the trial's first chunk takes T mod K steps (if not 0), every later one K. */
  private chunkLength = 0;
  /** Write pi(s-1) into the readout's `Pi` after step s (someone observes the trial step by step). */
  private observed = false;
  /** Err(u) of the current chunk, `[K][batch][errorRow]` (rows padded to pairs). */
  private readonly errors: Float64Array;
  /** Floats per row of {@link errors}. */
  private readonly errorRow: number;
  /** The chunk's errors in the module memory, for the readout gradient kernel. */
  private readonly readoutErrors: HostReadoutErrors;
  /** Err(u) of this step, `[batch][nOut]`. */
  private readonly stepErrors: Float32Array;
  /** The readout's y of this step as read from the runtime, `[batch][nOut]`. */
  private readonly yBuffer: Float32Array;
  /** The softmax and loss rule (readout-softmax.ts), one batch element at a time. */
  private readonly softmax: ReadoutSoftmax;
  /** pi(u) of this step and pi(u-1), `[batch][nOut]` (kept only while observed). */
  private pi: Float32Array;
  private previousPi: Float32Array;
  private readonly sums: ReadoutSums;
  private readonly biasGradient: Float64Array;
  /** c(u) = kappa c(u-1) + 1, the bias eligibility. */
  private biasTrace = 0;

  constructor(
    private readonly description: EpropNetworkDescription,
    projections: readonly ProjectionInfo[],
    private readonly batchSize: number,
    /** Steps per chunk (K). */
    readonly chunkSteps: number,
    options: TraceEngineOptions = {},
  ) {
    if (!wasm.wasmSimdSupported()) {
      throw new EpropConfigError(
        "Chunked e-prop needs WebAssembly with SIMD (Node 16.4+, current browsers); use eligibility: 'perStep' on this engine.",
      );
    }
    this.engine = new WasmTraceEngine(options);
    if (!Number.isInteger(chunkSteps) || chunkSteps < 1) {
      throw new EpropConfigError(
        `chunkSteps must be a positive integer, got ${String(chunkSteps)}.`,
      );
    }
    const dt = description.dt;
    const readout = description.readout;
    const nOut = readout.size;
    this.nOut = nOut;
    this.kappa = Math.exp(-dt / readout.tauOutMs);
    this.kappaPowers = Float64Array.from({ length: chunkSteps + 1 }, (_, i) => this.kappa ** i);
    const reg = description.regularisation;
    this.regularisation = reg
      ? {
          alpha: Math.exp(-dt / reg.tauMs),
          strength: reg.strength,
          targetPerStep: (reg.targetRateHz * dt) / 1000,
        }
      : null;
    this.errorRow = readoutRow(nOut);
    this.errors = new Float64Array(batchSize * chunkSteps * this.errorRow);
    this.readoutErrors = new HostReadoutErrors(
      this.engine,
      batchSize,
      nOut,
      chunkSteps,
      this.kappaPowers,
    );
    this.biasGradient = new Float64Array(nOut);
    this.stepErrors = new Float32Array(batchSize * nOut);
    this.yBuffer = new Float32Array(batchSize * nOut);
    this.softmax = new ReadoutSoftmax(nOut);
    this.pi = new Float32Array(batchSize * nOut);
    this.previousPi = new Float32Array(batchSize * nOut);
    this.sums = emptyReadoutSums(batchSize, nOut);
    for (const layer of description.hidden) {
      const trace = new WasmTraceLayer(
        this.engine,
        batchSize,
        layer.size,
        chunkSteps,
        layer.beta,
        Math.exp(-dt / layer.tauMemMs),
        Math.exp(-dt / layer.tauAdaptMs),
        this.kappa,
      );
      const incoming = projections.filter((p) => p.kind !== "readout" && p.post === layer.name);
      const readoutProjection =
        projections.find((p) => p.kind === "readout" && p.pre === layer.name) ?? null;
      const feedbackOwner = feedbackOwnerOf(description, layer.name, readoutProjection);
      const feedback = feedbackOwner
        ? new WasmFeedback(this.engine, batchSize, layer.size, nOut)
        : null;
      if (feedback) trace.attachFeedback(feedback);
      this.layers.push({
        name: layer.name,
        size: layer.size,
        trace,
        projections: incoming.map((info) => ({
          info,
          trace: new WasmTraceProjection(trace, info.nPre),
          source:
            info.pre === description.input.name
              ? null
              : this.sourceFor(info.pre, info.kind === "recurrent" ? 1 : 0),
        })),
        feedback,
        feedbackOwner,
        readout: readoutProjection
          ? {
              info: readoutProjection,
              gradient: new HostReadoutGradient(this.readoutErrors, layer.size),
              spikes: Array.from({ length: batchSize }, () => new SpikeList()),
            }
          : null,
      });
    }
    for (const source of this.sources) {
      this.sourceLayers.push(this.layers.find((l) => l.name === source.pre)!);
    }
  }

  private sourceFor(pre: string, delay: 0 | 1): SpikeSource {
    let source = this.sources.find((s) => s.pre === pre && s.delay === delay);
    if (!source) {
      source = { pre, delay, lists: Array.from({ length: this.batchSize }, () => new SpikeList()) };
      this.sources.push(source);
    }
    return source;
  }

  /** Bytes of state the evaluation holds: per-synapse state and K-step histories, independent of T. */
  get stateBytes(): number {
    return this.engine.bytes + this.errors.byteLength;
  }

  /**
   * Starts a trial; reads the feedback weights it will use (the readout weights for symmetric
   * e-prop). With `observed`, pi(s-1) is written into the readout's `Pi` after every step s
   * (as the per-step readout does), for callers that read the network step by step.
   */
  async startTrial(
    trial: PreparedTrial,
    runtime: Runtime,
    options: { readonly observed?: boolean } = {},
  ): Promise<void> {
    const T = trial.numSteps;
    this.inputs = trial.inputs;
    this.numSteps = T;
    this.observed = options.observed === true;
    this.chunkStart = 0;
    // The short chunk (if any) comes first: a chunk's job runs beside the next chunk's forward
    // pass, so the long middle jobs get whole chunks to hide behind, and the last job (the
    // gradient only, which the end of the trial waits for) is a whole chunk's cheap one.
    this.chunkLength = T % this.chunkSteps || this.chunkSteps;
    this.mask = lossMaskByStep(trial);
    this.targets = trial.targets;
    this.biasGradient.fill(0);
    this.biasTrace = 0;
    this.sums.loss.fill(0);
    this.sums.pi.fill(0);
    this.sums.y.fill(0);
    this.pi.fill(0);
    this.previousPi.fill(0);
    for (const layer of this.layers) {
      layer.trace.startTrial();
      for (const projection of layer.projections) {
        projection.trace.zeroGradient();
        projection.trace.startEvents();
      }
      layer.readout?.gradient.reset();
      if (layer.feedback && layer.feedbackOwner)
        layer.feedback.setWeights(
          await runtime.readVar(layer.feedbackOwner.owner, layer.feedbackOwner.variable),
        );
    }
    for (const source of this.sources) for (const list of source.lists) list.count = 0;
    for (const layer of this.layers) for (const list of layer.readout?.spikes ?? []) list.count = 0;
  }

  /**
   * Call after simulation step `s` (0-based) of the trial: processes time u = s. With a runtime
   * that reads synchronously (`readVarInto`) in a trial nobody observes, it is done on return;
   * otherwise it returns the promise to wait for.
   */
  afterStep(s: number, runtime: Runtime): void | Promise<void> {
    if (s >= this.numSteps) return;
    if (runtime.readVarInto === undefined || this.observed) return this.afterStepAsync(s, runtime);
    const y = this.yBuffer;
    runtime.readVarInto(this.description.readout.name, "Y", y);
    const masked = this.readoutStep(s, y);
    const layers = this.layers;
    for (let l = 0; l < layers.length; l++) {
      const layer = layers[l]!;
      runtime.readVarInto(layer.name, "PsiSpike", layer.trace.psiSpikeInput());
      this.hiddenStep(layer, s, masked);
    }
    this.endStep(s);
  }

  /** Steps from `s` to the end of its chunk (or of the trial): what one {@link runFused} may run. */
  stepsToChunkEnd(s: number): number {
    return Math.min(this.chunkStart + this.chunkLength, this.numSteps) - s;
  }

  /**
   * Fused training (inference/fused-training.ts): runs steps `first .. first + count - 1`
   * (within one chunk) in the fused forward kernel, which writes psi and r into the (one) hidden
   * layer's chunk history as the host step would, then processes them as {@link afterStep} does
   * after each, reading y and the spikes from the run.
   */
  runFused(first: number, count: number, forward: FusedForwardRun): void {
    if (this.layers.length !== 1)
      throw new Error("internal error: runFused needs one hidden layer");
    const layer = this.layers[0]!;
    const trace = layer.trace;
    trace.beginRun(count);
    const offset = trace.steps * trace.historyStepBytes;
    forward.run(first, count, trace.psi + offset, trace.regulariser + offset);
    const y = this.yBuffer;
    for (let i = 0; i < count; i++) {
      const s = first + i;
      forward.readY(i, y);
      const masked = this.readoutStep(s, y);
      trace.recordRunStep(
        masked ? this.stepErrors : null,
        forward.spikes(i + 1),
        forward.spikes(i),
      );
      this.readoutSpikes(layer, s);
      this.endStep(s);
    }
    forward.endRun(count);
  }

  /** What {@link runFused} needs to place the forward kernel's outputs: the trace memory and the (one) layer's rates and histories. */
  fusedTarget(): FusedTarget | null {
    if (this.layers.length !== 1) return null;
    const trace = this.layers[0]!.trace;
    return {
      arena: this.engine,
      rate: trace.rate,
      historyStepBytes: trace.historyStepBytes,
      regularisation: this.regularisation,
    };
  }

  /** {@link afterStep} reading through promises, or writing pi(s-1) into the readout's `Pi` for an observer. */
  private async afterStepAsync(s: number, runtime: Runtime): Promise<void> {
    const readout = this.description.readout.name;
    const y = this.yBuffer;
    if (runtime.readVarInto !== undefined) runtime.readVarInto(readout, "Y", y);
    else y.set(await runtime.readVar(readout, "Y"));
    const masked = this.readoutStep(s, y);
    if (this.observed && s >= 1) await runtime.writeVar(readout, "Pi", this.previousPi);
    for (const layer of this.layers) {
      const input = layer.trace.psiSpikeInput();
      if (runtime.readVarInto !== undefined) runtime.readVarInto(layer.name, "PsiSpike", input);
      else input.set(await runtime.readVar(layer.name, "PsiSpike"));
      this.hiddenStep(layer, s, masked);
    }
    this.endStep(s);
  }

  /** After the layers' host steps of step s: the spikes into their sources' lists, and the chunk's job at its last step. */
  private endStep(s: number): void {
    const local = s - this.chunkStart;
    this.collectSpikes(local);
    const last = s === this.numSteps - 1;
    if (local + 1 === this.chunkLength || last)
      this.endChunk(local + 1, { first: this.chunkStart === 0, last });
  }

  /**
   * pi(u) = softmax(y(u)) (max-subtracted), Err(u) = m(u) (pi(u) - pi*), the bias gradient
   * sum_t Err(t) c(t) and the trial's loss, pi and y sums (readout-softmax.ts). Returns whether
   * any batch element has m(u) = 1 (otherwise every error of the step is 0).
   */
  private readoutStep(u: number, y: Float32Array): boolean {
    const {
      batchSize,
      nOut,
      kappa,
      errors,
      stepErrors,
      softmax,
      targets,
      biasGradient,
      observed,
      mask,
      sums,
    } = this;
    const p = softmax.pi;
    const pi = this.previousPi;
    this.previousPi = this.pi;
    this.pi = pi;
    const c = kappa * this.biasTrace + 1;
    this.biasTrace = c;
    let anyMasked = false;
    let row = (u - this.chunkStart) * batchSize * this.errorRow;
    const errorRow = this.errorRow;
    const maskRow = u * batchSize;
    for (let b = 0, out = 0; b < batchSize; b++, out += nOut, row += errorRow) {
      const m = mask[maskRow + b]!;
      if (m === 0) {
        for (let k = 0; k < nOut; k++) {
          errors[row + k] = 0;
          stepErrors[out + k] = 0;
        }
        if (!observed) continue;
      }
      softmax.compute(y, out);
      if (observed) for (let k = 0; k < nOut; k++) pi[out + k] = p[k]!;
      if (m === 0) continue;
      anyMasked = true;
      for (let k = 0; k < nOut; k++) {
        const error = p[k]! - targets[out + k]!;
        errors[row + k] = error;
        stepErrors[out + k] = error;
        biasGradient[k]! += error * c;
      }
      softmax.accumulate(y, targets, out, sums);
    }
    return anyMasked;
  }

  /**
   * Records the layer's step from its `PsiSpike` (read into `layer.trace.psiSpikeInput()`;
   * models.ts: psi(u), or -max(psi(u), 2^-126) at a spike) in WebAssembly: psi(u), the compacted
   * spikes z(u), the firing rate and r(u), and the step's errors for L(u) = B Err(u), formed in
   * the chunk's job (trace-engine.ts `recordHostStep`); then adds z(u) to the readout's spike lists.
   */
  private hiddenStep(layer: LayerState, u: number, masked: boolean): void {
    layer.trace.recordHostStep(this.regularisation, masked ? this.stepErrors : null);
    this.readoutSpikes(layer, u);
  }

  /** Adds the layer's spikes z(u) (of its host step) to the readout's spike lists. */
  private readoutSpikes(layer: LayerState, u: number): void {
    const readout = layer.readout;
    if (readout) {
      const { units, counts } = layer.trace.hostSpikes(0);
      const local = u - this.chunkStart;
      const n = layer.size;
      for (let b = 0; b < this.batchSize; b++)
        readout.spikes[b]!.pushStep(local, units, b * n, counts[b]!);
    }
  }

  /** Appends the hidden spikes entering the traces at time u to their sources' lists (the input's are taken from its events per chunk). */
  private collectSpikes(local: number): void {
    const batchSize = this.batchSize;
    for (let s = 0; s < this.sources.length; s++) {
      const layer = this.sourceLayers[s]!;
      const lists = this.sources[s]!.lists;
      // z(u) for delay 0; z(u-1) for the recurrent delay of 1 (no spikes before the trial).
      const spikes = layer.trace.hostSpikes(this.sources[s]!.delay);
      const n = layer.size;
      for (let b = 0; b < batchSize; b++)
        lists[b]!.pushStep(local, spikes.units, b * n, spikes.counts[b]!);
    }
  }

  private endChunk(steps: number, position: { first: boolean; last: boolean }): void {
    if (this.layers.some((layer) => layer.readout)) this.readoutErrors.load(this.errors, steps);
    for (const layer of this.layers) {
      layer.trace.computeCoefficients({ last: position.last });
      for (const projection of layer.projections) {
        // Input spikes come from the trial's events (collected in WebAssembly), hidden ones from the lists of the steps.
        if (projection.source === null)
          projection.trace.applyEvents(this.inputs, this.chunkStart, this.numSteps, position);
        else projection.trace.apply(projection.source.lists, position);
      }
      layer.trace.endChunk();
      if (layer.readout) this.readoutChunk(layer, steps);
    }
    // The queued trace calls run now, in the worker thread where there is one, while the next
    // chunk's forward pass runs here; the next chunk's end (or the gradients) waits for them.
    this.engine.queue.flush();
    for (const source of this.sources) for (const list of source.lists) list.count = 0;
    this.chunkStart += steps;
    this.chunkLength = this.chunkSteps;
  }

  /** Resolves when the worker thread (if any) takes jobs, or after a timeout (see `KernelQueue.whenStarted`). */
  threadStarted(): Promise<void> {
    return this.engine.queue.whenStarted();
  }

  /** Whether the traces are evaluated in a worker thread. */
  get threaded(): boolean {
    return this.engine.queue.threaded;
  }

  /** Stops the worker thread, if any. */
  dispose(): void {
    this.engine.dispose();
  }

  /**
   * Readout gradient over a chunk: dW_kj = sum_t Err_k(t) zbar_j(t), zbar_j(t) = kappa zbar_j(t-1) + z_j(t).
   * With the backward-filtered error E(u) = sum_{t >= u in the chunk} kappa^(t-u) Err(t), a spike
   * at u adds E(u) and the carried zbar_j(t0) adds kappa zbar_j(t0) E(0) (in WebAssembly, float64:
   * host-readout-gradient.ts).
   */
  private readoutChunk(layer: LayerState, steps: number): void {
    const readout = layer.readout!;
    readout.gradient.addChunk(readout.spikes, steps, this.kappa);
    for (const list of readout.spikes) list.count = 0;
  }

  /** The readout's loss, pi and y summed over the masked steps of the last trial, `[batch][nOut]` each (live buffers). */
  readoutSums(): ReadoutSums {
    return this.sums;
  }

  /** Writes the last trial's gradients ({@link gradients}) into the network's gradient variables. */
  async finishTrial(runtime: Runtime): Promise<void> {
    for (const { owner, variable, values } of this.gradients())
      await runtime.writeVar(owner, variable, values);
  }

  /**
   * Gradients of the last trial summed over the batch, by core owner and variable, in core
   * layout (`[pre][post]` for projections). The hidden projections' values are views of the
   * trace engine's memory, valid until the next trial starts: copy them (as `writeVar` does) first.
   */
  gradients(): { owner: string; variable: string; values: Float32Array }[] {
    const out = layerGradients(this.layers);
    out.push({
      owner: this.description.readout.name,
      variable: "BiasGradSum",
      values: Float32Array.from(this.biasGradient),
    });
    return out;
  }
}
