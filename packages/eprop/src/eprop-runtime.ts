import { planNetwork, type Runtime } from "@snn/core";
import { DeviceChunkedEligibility } from "./chunked/device-eligibility";
import { ChunkedEligibility } from "./chunked/eligibility";
import type { ChunkedTraceEvaluator } from "./chunked/trace-evaluator";
import { compileEpropNetwork, type EpropLayout } from "./compile";
import type { EpropNetworkDescription } from "./description";
import { EpropConfigError } from "./errors";
import { HostReadout } from "./host-readout";
import { FusedInference } from "./inference/fused-inference";
import { FusedTraining, runFusedTrainingTrial } from "./inference/fused-training";
import { adamBetaPower } from "./custom-update-models";
import { checkParameters, transpose, type ParameterSet } from "./parameters";
import { runFusedTrial, runSteppedTrial, type TrialParts } from "./run-trial";
import type { PreparedTrial } from "./trial";
import {
  DEFAULT_CHUNK_STEPS,
  type ChunkedTraces,
  type EpropRuntimeOptions,
  type OptimizerState,
  type TrialOutputs,
} from "./eprop-runtime-options";

export {
  DEFAULT_CHUNK_STEPS,
  type ChunkedTraces,
  type EpropRuntimeOptions,
  type OptimizerState,
  type TrialOutputs,
} from "./eprop-runtime-options";

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
    /** The same in chunked training on the host, with the evaluation it feeds (fused-training.ts). */
    private readonly fusedTrain: FusedTraining | null,
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
    let fusedTraining: FusedTraining | null = null;
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
          if (options.fusedTraining !== false)
            fusedTraining = FusedTraining.create(description, layout, runtime, chunked, chunkSteps);
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
    return new EpropRuntime(
      description,
      layout,
      runtime,
      traces,
      hostReadout,
      fused,
      fusedTraining,
    );
  }

  /**
   * Whether trials without `afterStep` run as fused inference (see
   * {@link EpropRuntimeOptions.fusedInference}); false where the network is stepped.
   */
  get fusedInference(): boolean {
    return this.fused !== null;
  }

  /**
   * Whether training trials without `afterStep` run as fused training (see
   * {@link EpropRuntimeOptions.fusedTraining}); false where the network is stepped.
   */
  get fusedTraining(): boolean {
    return this.fusedTrain !== null;
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

  /**
   * Bytes of state held by the backend and by the chunked evaluation: independent of the trial
   * length (fused training's input events, in the evaluation's memory, are data, not counted).
   */
  get stateBytes(): number {
    // Fused training keeps the trials' input events in the trace memory: data, not state.
    const events = this.fusedTrain?.forward.eventBytes ?? 0;
    return this.runtime.capabilities.bufferBytes.total + (this.traces?.stateBytes ?? 0) - events;
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
    if (trial.inputs.length !== layout.batchSize) {
      throw new EpropConfigError(
        `runTrial: the trial was prepared for batch size ${trial.inputs.length}, this runtime has ${layout.batchSize}.`,
      );
    }
    const parts: TrialParts = {
      description: this.description,
      layout,
      runtime,
      traces: this.traces,
      hostReadout: this.hostReadout,
      fused: this.fused,
    };
    if (this.fused !== null && options.afterStep === undefined) return runFusedTrial(parts, trial);
    if (this.fusedTrain !== null && options.afterStep === undefined)
      return runFusedTrainingTrial(parts, this.fusedTrain, trial);
    return runSteppedTrial(parts, trial, options.afterStep);
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
