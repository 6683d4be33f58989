import { planNetwork, type Backend, type CompileOptions, type Runtime } from "@snn/core";
import { DeviceChunkedEligibility } from "./chunked/device-eligibility";
import { ChunkedEligibility } from "./chunked/eligibility";
import type { ChunkedTraceEvaluator } from "./chunked/trace-evaluator";
import {
  compileEpropNetwork,
  type AdamOptions,
  type EligibilityMode,
  type EpropLayout,
  type ReadoutSoftmaxPlace,
} from "./compile";
import type { EpropNetworkDescription } from "./description";
import { EpropConfigError } from "./errors";
import { HostReadout } from "./host-readout";
import { FusedInference } from "./inference/fused-inference";
import { adamBetaPower } from "./models";
import { checkParameters, transpose, type ParameterSet } from "./parameters";
import { argmax, type PreparedTrial } from "./trial";

/** What one trial produced, per batch element (padding elements included, with zeros). */
export interface TrialOutputs {
  readonly numSteps: number;
  /** Batch elements with data. */
  readonly count: number;
  /** Cross-entropy summed over the masked steps, per element. */
  readonly loss: Float64Array;
  /** argmax_k sum_t m(t) pi_k(t), per element. */
  readonly predictions: Int32Array;
  /** argmax_k sum_t m(t) y_k(t) (sum-of-readout prediction), per element. */
  readonly readoutSumPredictions: Int32Array;
  /** Spikes in the trial's T steps per hidden layer and element (summed over neurons). */
  readonly spikeCounts: Readonly<Record<string, Float64Array>>;
}

/** Adam state in the spec layout: the step count and both moments of every trainable parameter. */
export interface OptimizerState {
  readonly step: number;
  readonly m: ParameterSet;
  readonly v: ParameterSet;
}

export interface EpropRuntimeOptions {
  readonly backend: Backend;
  readonly batchSize: number;
  /** Default `train`. */
  readonly mode?: "train" | "inference";
  readonly optimizer?: AdamOptions;
  /** Initial parameters in the spec layout, all or some; the rest are drawn from the description's seed. */
  readonly parameters?: Readonly<Record<string, ArrayLike<number>>>;
  readonly compileOptions?: CompileOptions;
  /**
   * Training: evaluate hidden-layer eligibility traces every step in the compiled network
   * (`perStep`), or per chunk of `chunkSteps` steps on the host with WebAssembly SIMD
   * (`chunked`, docs/chunked-eprop.md; the forward pass still runs on the backend, whose
   * per-step state is read back). Default `perStep`.
   */
  readonly eligibility?: EligibilityMode;
  /** Steps per chunk for `chunked` eligibility. Default {@link DEFAULT_CHUNK_STEPS}. */
  readonly chunkSteps?: number;
  /**
   * `chunked` eligibility: evaluate each chunk's traces in a worker thread while the next
   * chunk's forward pass runs (default true; used where the engine has shared WebAssembly
   * memory and worker threads, i.e. Node 20.16+). The gradients are the same to the bit.
   */
  readonly traceThread?: boolean;
  /**
   * Where `chunked` eligibility is evaluated: on the host in WebAssembly (`host`; the backend's
   * per-step state is read back every step), or on the backend's own device in WGSL (`device`,
   * WebGPU only: nothing is read back inside a trial). Default: `device` where the backend
   * offers it (the WebGPU backend), else `host`.
   */
  readonly chunkedTraces?: ChunkedTraces;
  /**
   * Inference: where the readout's softmax, loss and output sums are computed. `host`: from y,
   * read after every step, with the max-subtracted softmax of chunked training
   * (readout-softmax.ts; 10 exp per step and batch element for 10 outputs), the network holding
   * only the leaky-integrator readout; `network`: by the readout's own softmax projection in the
   * network (an exp per output pair), with no per-step reads. Default: `network` on the WebGPU
   * backend (a read per step would cost a device round trip), else `host`. Training fixes it
   * (host with chunked eligibility, network per step): give it only in inference.
   */
  readonly readoutSoftmax?: ReadoutSoftmaxPlace;
  /**
   * Inference: run trials (those without `afterStep`) as fused inference where it reproduces
   * the compiled network, one WebAssembly call per run of steps instead of the network's kernels
   * step by step (inference/fused-inference.ts; the CPU backend, one hidden layer, the softmax on
   * the host), with the same results to the bit. Default true; false always steps the network.
   */
  readonly fusedInference?: boolean;
}

/** Where chunked eligibility is evaluated (see {@link EpropRuntimeOptions.chunkedTraces}). */
export type ChunkedTraces = "host" | "device";

/**
 * Default chunk length (steps) of chunked eligibility, chosen from the `eprop` benchmark: on
 * two cores 250 steps beat 100, 125, 200 and 300 at T = 250 (one chunk: no per-synapse state
 * crosses a boundary) and 100 and 200 at T = 500 to 2000, where each boundary streams the
 * per-synapse state (62 MB at the benchmark size) through memory; 500 was no faster.
 * The histories grow with K, O(neurons x batch x K): the state is 144 MiB at the benchmark size
 * with K = 250, against 99.6 MiB with K = 100 (59 MiB of it the per-synapse state).
 */
export const DEFAULT_CHUNK_STEPS = 250;

/**
 * An e-prop network compiled on a backend: runs trials, reads gradients, applies Adam, and
 * moves parameters and optimiser state in and out in the spec layout (`[post][pre]`).
 *
 * ```ts
 * const session = await EpropRuntime.create(description, { backend: cpuBackend(), batchSize: 8 });
 * await session.runTrial(prepareTrial(batch, description, 8));
 * await session.applyOptimizer();
 * ```
 */
export class EpropRuntime {
  private constructor(
    readonly description: EpropNetworkDescription,
    readonly layout: EpropLayout,
    /** The compiled core runtime (populations, projections and custom updates of the pass). */
    readonly runtime: Runtime,
    /** The chunked evaluation of hidden-layer eligibility (on the host or the device), when `eligibility` is `chunked`. */
    private readonly traces: ChunkedTraceEvaluator | null,
    /** The readout's softmax and sums on the host in inference (`readoutSoftmax: 'host'`). */
    private readonly hostReadout: HostReadout | null,
    /** The forward pass as one WebAssembly kernel, where it reproduces the network (inference). */
    private readonly fused: FusedInference | null,
  ) {}

  /** Gradient sums of the micro-batches since the last Adam step, per trained parameter (core layout). */
  private gradientSums: (Float64Array | null)[] | null = null;

  /** Where each trained parameter's batch-summed gradient lives, in layout order. */
  private get gradients(): { readonly owner: string; readonly variable: string }[] {
    return this.layout.parameters.flatMap((location) =>
      location.gradient ? [location.gradient] : [],
    );
  }

  static async create(
    description: EpropNetworkDescription,
    options: EpropRuntimeOptions,
  ): Promise<EpropRuntime> {
    if (typeof options?.backend?.compile !== "function") {
      throw new EpropConfigError(
        "EpropRuntime.create: give a backend, e.g. { backend: cpuBackend() } from @snn/backend-cpu.",
      );
    }
    const mode = options.mode ?? "train";
    const readoutSoftmax =
      options.readoutSoftmax ??
      (mode === "inference" ? (options.backend.name === "webgpu" ? "network" : "host") : undefined);
    const { network, layout } = compileEpropNetwork(description, {
      batchSize: options.batchSize,
      mode,
      ...(readoutSoftmax ? { readoutSoftmax } : {}),
      ...(options.optimizer ? { optimizer: options.optimizer } : {}),
      ...(options.parameters ? { parameters: options.parameters } : {}),
      ...(options.eligibility ? { eligibility: options.eligibility } : {}),
    });
    const where = options.chunkedTraces;
    if (where !== undefined && where !== "host" && where !== "device") {
      throw new EpropConfigError(`chunkedTraces must be 'host' or 'device', got ${String(where)}.`);
    }
    const runtime = await options.backend.compile(
      planNetwork(network),
      options.compileOptions ?? {},
    );
    const chunkSteps = options.chunkSteps ?? DEFAULT_CHUNK_STEPS;
    let traces: ChunkedTraceEvaluator | null = null;
    try {
      if (layout.eligibility === "chunked") {
        const deviceAccess = runtime.deviceAccess;
        if (where === "device" && !deviceAccess) {
          throw new EpropConfigError(
            `chunkedTraces: 'device' needs a backend whose kernels can be extended on its device (the WebGPU backend); the ${runtime.capabilities.backend} backend cannot. Use chunkedTraces: 'host'.`,
          );
        }
        if (where !== "host" && deviceAccess) {
          traces = await DeviceChunkedEligibility.create(
            description,
            layout.projections,
            options.batchSize,
            chunkSteps,
            runtime,
            deviceAccess,
          );
        } else {
          const chunked = new ChunkedEligibility(
            description,
            layout.projections,
            options.batchSize,
            chunkSteps,
            {
              ...(options.traceThread !== undefined ? { thread: options.traceThread } : {}),
            },
          );
          traces = chunked;
          await chunked.threadStarted();
        }
      }
    } catch (error) {
      runtime.dispose();
      throw error;
    }
    const hostReadout =
      layout.mode === "inference" && layout.readoutSoftmax === "host"
        ? new HostReadout(layout.readoutPopulation, options.batchSize, description.readout.size)
        : null;
    let fused: FusedInference | null = null;
    if (hostReadout !== null && options.fusedInference !== false) {
      fused = FusedInference.create(description, layout, runtime);
      await fused?.loadParameters(runtime);
    }
    return new EpropRuntime(description, layout, runtime, traces, hostReadout, fused);
  }

  /**
   * Whether trials without `afterStep` run as fused inference (see
   * {@link EpropRuntimeOptions.fusedInference}); false where the network is stepped.
   */
  get fusedInference(): boolean {
    return this.fused !== null;
  }

  /** Where chunked eligibility is evaluated, or null when it is not chunked. */
  get chunkedTraces(): ChunkedTraces | null {
    return this.traces?.where ?? null;
  }

  /**
   * Whether the host's chunked traces run in a worker thread beside the forward pass: in Node
   * 20.16+, and in a browser where the page is cross-origin isolated and this runs in a Web
   * Worker (a page's main thread may not block). False when inline, on the device, or per step.
   */
  get traceThread(): boolean {
    return this.traces?.threaded ?? false;
  }

  get batchSize(): number {
    return this.layout.batchSize;
  }

  get mode(): "train" | "inference" {
    return this.layout.mode;
  }

  /** Bytes of state held by the backend and by the chunked evaluation: independent of the trial length. */
  get stateBytes(): number {
    return this.runtime.capabilities.bufferBytes.total + (this.traces?.stateBytes ?? 0);
  }

  /**
   * Runs one trial: resets per-trial state, sets input and loss-mask spikes and targets, and
   * steps T + extra steps. Training runtimes leave the batch's gradients in the per-element
   * accumulators (read with {@link readGradients}, applied with {@link applyOptimizer}).
   * `afterStep(s)` is called after every step s (0-based), e.g. to read state. In chunked
   * training, and in inference with the softmax on the host (`readoutSoftmax: 'host'`, the
   * default but on WebGPU), the trial runs T steps (extra steps 0) and the readout's softmax is
   * computed on the host; while `afterStep` is given, the readout's `Pi` still holds pi(s-1)
   * after step s, as in the per-step form. With fused inference ({@link fusedInference}) a trial
   * without `afterStep` runs in the fused kernel, with the same outputs, and leaves the compiled
   * network's state as it was.
   */
  async runTrial(
    trial: PreparedTrial,
    options: { afterStep?: (step: number) => void | Promise<void> } = {},
  ): Promise<TrialOutputs> {
    const { runtime, layout } = this;
    const { numSteps } = trial;
    if (trial.inputs.length !== layout.batchSize) {
      throw new EpropConfigError(
        `runTrial: the trial was prepared for batch size ${trial.inputs.length}, this runtime has ${layout.batchSize}.`,
      );
    }
    if (this.fused !== null && options.afterStep === undefined) return this.runFusedTrial(trial);
    await runtime.runCustomUpdate(layout.groups.reset);
    runtime.startTrial();
    runtime.setSpikeEvents(layout.inputPopulation, trial.inputs);
    const traces = this.traces;
    const hostReadout = this.hostReadout;
    // With the softmax on the host, the host applies the mask and targets (no mask source, no Target).
    if (layout.readoutSoftmax === "network") {
      runtime.setSpikeEvents(layout.maskPopulation!, trial.maskEvents);
      await runtime.writeVar(layout.readoutPopulation, "Target", trial.targets);
    }
    const total = numSteps + layout.extraSteps;
    const spikeCounts: Record<string, Float64Array> = {};
    const afterStep = options.afterStep;
    await traces?.startTrial(trial, runtime, { observed: afterStep !== undefined });
    hostReadout?.startTrial(trial, { observed: afterStep !== undefined });
    if (traces && !afterStep) {
      // As many steps at a time as the evaluation allows (on the device a chunk: its steps in
      // one command buffer, then its trace kernels; on the host one), then the evaluation.
      const stepSync = runtime.stepSync?.bind(runtime);
      for (let s = 0; s < numSteps;) {
        const steps = traces.stepsPerCall;
        if (stepSync) stepSync(steps);
        else await runtime.step(steps);
        s += steps;
        await traces.afterStep(s - 1, runtime);
      }
      await this.readSpikeCounts(spikeCounts);
      await traces.finishTrial(runtime);
    } else if (hostReadout && !afterStep && !traces) {
      // Inference with the softmax on the host: the steps whose y no loss needs run in one call,
      // each step the mask covers on its own, followed by the host's readout.
      const stepSync = runtime.stepSync?.bind(runtime);
      for (let s = 0; s < numSteps;) {
        const next = hostReadout.nextStepToRead(s);
        const count = next > s ? next - s : 1;
        if (stepSync) stepSync(count);
        else await runtime.step(count);
        s += count;
        if (next === s - 1) {
          const reading = hostReadout.afterStep(next, runtime);
          if (reading) await reading;
        }
      }
      await this.readSpikeCounts(spikeCounts);
    } else if (afterStep || traces || hostReadout) {
      // A host runtime steps synchronously: no promise per step (a tenth of batch-1 inference).
      const stepSync = runtime.stepSync?.bind(runtime);
      for (let s = 0; s < total; s++) {
        if (stepSync) stepSync(1);
        else await runtime.step(1);
        if (s === numSteps - 1) await this.readSpikeCounts(spikeCounts);
        if (traces) await traces.afterStep(s, runtime);
        if (hostReadout) {
          const reading = hostReadout.afterStep(s, runtime);
          if (reading) await reading;
        }
        if (afterStep) await afterStep(s);
      }
      if (traces) await traces.finishTrial(runtime);
    } else {
      await runtime.step(numSteps);
      await this.readSpikeCounts(spikeCounts);
      await runtime.step(layout.extraSteps);
    }
    let lossAcc: ArrayLike<number>;
    let piAcc: ArrayLike<number>;
    let yAcc: ArrayLike<number>;
    if (traces || hostReadout) {
      // The host (readout-softmax.ts) or the device evaluation computed the softmax, loss and sums from y.
      const sums = traces ? await traces.readoutSums() : hostReadout!.readoutSums();
      [lossAcc, piAcc, yAcc] = [sums.loss, sums.pi, sums.y];
    } else {
      [lossAcc, piAcc, yAcc] = await Promise.all([
        runtime.readVar(layout.readoutPopulation, "LossAcc"),
        runtime.readVar(layout.readoutPopulation, "PiAcc"),
        runtime.readVar(layout.readoutPopulation, "YAcc"),
      ]);
    }
    return this.outputsOf(trial, lossAcc, piAcc, yAcc, spikeCounts);
  }

  /**
   * A trial as fused inference: the steps whose y no loss needs in one kernel call, each step
   * the mask covers on its own, followed by the host's readout (as the stepped form with the
   * softmax on the host).
   */
  private runFusedTrial(trial: PreparedTrial): TrialOutputs {
    const fused = this.fused!;
    const hostReadout = this.hostReadout!;
    const { numSteps } = trial;
    fused.startTrial(trial);
    hostReadout.startTrial(trial);
    const readY = (into: Float32Array): void => fused.readY(into);
    for (let s = 0; s < numSteps;) {
      const next = hostReadout.nextStepToRead(s);
      const count = next > s ? next - s : 1;
      fused.run(s, count);
      s += count;
      if (next === s - 1) hostReadout.afterStepFrom(next, readY);
    }
    const sums = hostReadout.readoutSums();
    return this.outputsOf(trial, sums.loss, sums.pi, sums.y, {
      [fused.hiddenName]: fused.spikeCounts(),
    });
  }

  /** A trial's outputs from the readout's loss, pi and y sums and the spike counts. */
  private outputsOf(
    trial: PreparedTrial,
    lossAcc: ArrayLike<number>,
    piAcc: ArrayLike<number>,
    yAcc: ArrayLike<number>,
    spikeCounts: Record<string, Float64Array>,
  ): TrialOutputs {
    const nOut = this.description.readout.size;
    const { numSteps } = trial;
    const batchSize = this.layout.batchSize;
    const loss = new Float64Array(batchSize);
    const predictions = new Int32Array(batchSize);
    const readoutSumPredictions = new Int32Array(batchSize);
    for (let b = 0; b < batchSize; b++) {
      let sum = 0;
      for (let k = 0; k < nOut; k++) sum += lossAcc[b * nOut + k]!;
      loss[b] = sum;
      predictions[b] = argmax(piAcc, b * nOut, nOut);
      readoutSumPredictions[b] = argmax(yAcc, b * nOut, nOut);
    }
    return { numSteps, count: trial.count, loss, predictions, readoutSumPredictions, spikeCounts };
  }

  private async readSpikeCounts(into: Record<string, Float64Array>): Promise<void> {
    const batchSize = this.layout.batchSize;
    for (const layer of this.description.hidden) {
      const counts = await this.runtime.readVar(layer.name, "SpikeCount");
      const perElement = new Float64Array(batchSize);
      for (let b = 0; b < batchSize; b++) {
        let sum = 0;
        for (let j = 0; j < layer.size; j++) sum += counts[b * layer.size + j]!;
        perElement[b] = sum;
      }
      into[layer.name] = perElement;
    }
  }

  /** Runs a custom update group if the network has one (chunked training has no batch reductions). */
  private async runGroup(group: string): Promise<void> {
    if (this.runtime.plan.customUpdateGroups[group]) await this.runtime.runCustomUpdate(group);
  }

  private requireTrain(call: string): void {
    if (this.layout.mode !== "train")
      throw new EpropConfigError(
        `${call} needs a runtime compiled in 'train' mode; this one is for inference.`,
      );
  }

  /** Sums the last trial's gradients over the batch and returns them in the spec layout (dE/dW, `[post][pre]`). */
  async readGradients(): Promise<ParameterSet> {
    this.requireTrain("readGradients");
    await this.runGroup(this.layout.groups.reduce);
    const out: ParameterSet = {};
    for (const location of this.layout.parameters) {
      if (!location.gradient) continue;
      const values = await this.runtime.readVar(
        location.gradient.owner,
        location.gradient.variable,
      );
      out[location.info.name] = this.fromCore(location, values);
    }
    return out;
  }

  /**
   * Sets Adam's learning rate for the steps that follow (a schedule): a dynamic param of the
   * compiled optimizer, changed in place.
   */
  setLearningRate(learningRate: number): void {
    this.requireTrain("setLearningRate");
    if (typeof learningRate !== "number" || !(learningRate > 0) || !Number.isFinite(learningRate)) {
      throw new EpropConfigError(
        `setLearningRate: the learning rate must be a positive number, got ${String(learningRate)}.`,
      );
    }
    for (const location of this.layout.parameters) {
      if (location.adamUpdate)
        this.runtime.setParam(location.adamUpdate, "LearningRate", learningRate);
    }
  }

  /**
   * Adds the last trial's gradients, summed over its batch, to a running sum that the next
   * {@link applyOptimizer} adds its own trial to and steps on. So one batch can run as several
   * smaller trials (micro-batches) with one Adam step on their total: the same step as the whole
   * batch at once (the loss and the regulariser are sums over batch elements), with the memory of
   * the smaller batch size. Call it after every trial of a batch but the last.
   */
  async accumulateGradients(): Promise<void> {
    this.requireTrain("accumulateGradients");
    this.addGradients(await this.readTrialGradients());
  }

  /**
   * The last trial's gradients summed over its batch, in the core layout, one array per trained
   * parameter in layout order: what {@link accumulateGradients} adds, for {@link addGradients}
   * of another runtime of the same network (data-parallel training: trials in other threads).
   */
  async readTrialGradients(): Promise<Float32Array[]> {
    this.requireTrain("readTrialGradients");
    await this.runGroup(this.layout.groups.reduce);
    const out: Float32Array[] = [];
    for (const gradient of this.gradients)
      out.push(Float32Array.from(await this.runtime.readVar(gradient.owner, gradient.variable)));
    return out;
  }

  /**
   * Adds gradients from {@link readTrialGradients} (of this or another runtime of the same
   * network) to the running sum of {@link accumulateGradients}, exactly as that adds a trial:
   * micro-batches added in the same order give the same sum, to the bit.
   */
  addGradients(gradients: readonly ArrayLike<number>[]): void {
    this.requireTrain("addGradients");
    const locations = this.gradients;
    if (!Array.isArray(gradients) || gradients.length !== locations.length) {
      throw new EpropConfigError(
        `addGradients: expected ${locations.length} gradient arrays (one per trained parameter), got ${Array.isArray(gradients) ? gradients.length : String(gradients)}.`,
      );
    }
    const sums = this.gradientSums ?? locations.map(() => null);
    for (const [k, values] of gradients.entries()) {
      const sum = (sums[k] ??= new Float64Array(values.length));
      if (values.length !== sum.length)
        throw new EpropConfigError(
          `addGradients: gradient ${k} has ${values.length} values, expected ${sum.length}.`,
        );
      for (let i = 0; i < values.length; i++) sum[i] = sum[i]! + values[i]!;
    }
    this.gradientSums = sums;
  }

  /** Forgets the gradients accumulated since the last Adam step (e.g. after a failed batch). */
  discardAccumulatedGradients(): void {
    this.gradientSums = null;
  }

  /** Micro-batches accumulated since the last Adam step (see {@link accumulateGradients}). */
  get hasAccumulatedGradients(): boolean {
    return this.gradientSums !== null;
  }

  /**
   * Sums the last trial's gradients over the batch and takes one Adam step; after
   * {@link accumulateGradients}, on the sum of those trials' gradients and this one's.
   */
  async applyOptimizer(): Promise<void> {
    this.requireTrain("applyOptimizer");
    if (this.gradientSums !== null) {
      await this.accumulateGradients();
      await this.applyAccumulatedGradients();
    } else {
      await this.runGroup(this.layout.groups.reduce);
      await this.runGroup(this.layout.groups.adam);
    }
  }

  /**
   * Takes one Adam step on the gradients accumulated so far ({@link accumulateGradients},
   * {@link addGradients}) alone, without the last trial's: for a batch whose last trial ran
   * elsewhere.
   */
  async applyAccumulatedGradients(): Promise<void> {
    this.requireTrain("applyAccumulatedGradients");
    const sums = this.gradientSums;
    if (sums === null)
      throw new EpropConfigError(
        "applyAccumulatedGradients: no gradients were accumulated since the last Adam step.",
      );
    this.gradientSums = null;
    for (const [k, gradient] of this.gradients.entries()) {
      await this.runtime.writeVar(gradient.owner, gradient.variable, Float32Array.from(sums[k]!));
    }
    await this.runGroup(this.layout.groups.adam);
  }

  private fromCore(
    location: EpropLayout["parameters"][number],
    values: ArrayLike<number>,
  ): Float32Array {
    if (!location.transposed) return Float32Array.from(values);
    const [nPost, nPre] = location.info.shape as [number, number];
    return transpose(values, nPre, nPost);
  }

  private toCore(
    location: EpropLayout["parameters"][number],
    values: ArrayLike<number>,
  ): Float32Array {
    if (!location.transposed) return Float32Array.from(values);
    const [nPost, nPre] = location.info.shape as [number, number];
    return transpose(values, nPost, nPre);
  }

  /** Every parameter (weights, bias, random feedback) in the spec layout. */
  async getParameters(): Promise<ParameterSet> {
    const out: ParameterSet = {};
    for (const location of this.layout.parameters) {
      out[location.info.name] = this.fromCore(
        location,
        await this.runtime.readVar(location.owner, location.variable),
      );
    }
    return out;
  }

  /** Overwrites some or all parameters (spec layout); checks names and shapes. */
  async setParameters(values: Readonly<Record<string, ArrayLike<number>>>): Promise<void> {
    checkParameters(this.description, values, true);
    for (const location of this.layout.parameters) {
      const given = values[location.info.name];
      if (given === undefined) continue;
      await this.runtime.writeVar(location.owner, location.variable, this.toCore(location, given));
    }
    await this.fused?.loadParameters(this.runtime);
  }

  /** Adam's step count and moments. */
  async getOptimizerState(): Promise<OptimizerState> {
    this.requireTrain("getOptimizerState");
    const m: ParameterSet = {};
    const v: ParameterSet = {};
    let step = 0;
    for (const location of this.layout.parameters) {
      if (!location.adamUpdate) continue;
      m[location.info.name] = this.fromCore(
        location,
        await this.runtime.readVar(location.adamUpdate, "M"),
      );
      v[location.info.name] = this.fromCore(
        location,
        await this.runtime.readVar(location.adamUpdate, "V"),
      );
      const steps = await this.runtime.readVar(location.adamUpdate, "Step");
      step = steps[0] ?? 0;
    }
    return { step, m, v };
  }

  /**
   * Restores Adam's step count and moments (from {@link getOptimizerState} or a checkpoint);
   * gradients accumulated since the last step are discarded.
   */
  async setOptimizerState(state: OptimizerState): Promise<void> {
    this.requireTrain("setOptimizerState");
    this.gradientSums = null;
    if (!Number.isInteger(state.step) || state.step < 0) {
      throw new EpropConfigError(
        `Optimizer step must be a non-negative integer, got ${String(state.step)}.`,
      );
    }
    const trainable = this.layout.parameters.filter((l) => l.adamUpdate);
    checkParameters(this.description, state.m, true);
    checkParameters(this.description, state.v, true);
    // The bias-correction powers as the running products hold them after state.step steps.
    const beta1Power = adamBetaPower(this.layout.optimizer.beta1, state.step);
    const beta2Power = adamBetaPower(this.layout.optimizer.beta2, state.step);
    for (const location of trainable) {
      const m = state.m[location.info.name];
      const v = state.v[location.info.name];
      if (!m || !v)
        throw new EpropConfigError(`Optimizer state has no moments for '${location.info.name}'.`);
      await this.runtime.writeVar(location.adamUpdate!, "M", this.toCore(location, m));
      await this.runtime.writeVar(location.adamUpdate!, "V", this.toCore(location, v));
      await this.runtime.writeVar(
        location.adamUpdate!,
        "Step",
        new Float32Array(m.length).fill(state.step),
      );
      await this.runtime.writeVar(
        location.adamUpdate!,
        "Beta1Power",
        new Float32Array(m.length).fill(beta1Power),
      );
      await this.runtime.writeVar(
        location.adamUpdate!,
        "Beta2Power",
        new Float32Array(m.length).fill(beta2Power),
      );
    }
  }

  /** Frees the backend runtime (and the trace thread of chunked eligibility). */
  dispose(): void {
    this.traces?.dispose();
    this.runtime.dispose();
  }
}
