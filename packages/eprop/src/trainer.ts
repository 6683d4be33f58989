import type { Backend } from "@snn/core";
import { wasm } from "@snn/core/internal";
import {
  describeNetworkDifference,
  encodeCheckpoint,
  loadCheckpointData,
  writeCheckpointFile,
  type CheckpointData,
  type TrainingConfig,
  type TrainingProgress,
} from "./checkpoint";
import { resolveAdamOptions, type EligibilityMode } from "./compile";
import type { DatasetBatchOptions, EpropDataset } from "./dataset";
import {
  defineEpropNetwork,
  parametersOf,
  type EpropNetworkDescription,
  type EpropNetworkOptions,
} from "./description";
import { EpropRuntime, type ChunkedTraces, type OptimizerState } from "./eprop-runtime";
import { CheckpointError, EpropBatchError, EpropConfigError } from "./errors";
import { Inference, type EvaluateOptions } from "./inference";
import { Accumulator, type EpochMetrics, type EvaluationMetrics } from "./metrics";
import { checkFiniteTrial } from "./non-finite";
import { checkParameters, initialParameters, type ParameterSet } from "./parameters";
import type { TrainWorkerInit, WorkerTrial } from "./parallel/protocol";
import { checkThreads, checkWorkerBackend, evaluationThreads } from "./parallel/threads";
import { TrainingThreads } from "./parallel/training-threads";
import type { TrialWorkerPool } from "./parallel/worker-pool";
import type { TrainerOptions, TrainOptions } from "./trainer-options";
import {
  checkPredictBatches,
  predictBatches,
  type BatchPrediction,
  type PredictBatchesOptions,
} from "./predict-batches";
import { checkLossMaskOption, prepareTrial, sliceBatch, type EpropBatch } from "./trial";

/**
 * Whether the chunked eligibility traces of each runtime get a thread of their own when training
 * runs in several threads (`threads > 1`) and `traceThread` is not given. Measured on 2 cores
 * (packages/eprop/README.md, "Threads").
 */
const PARALLEL_TRACE_THREAD = false;

function isDescription(
  value: EpropNetworkDescription | EpropNetworkOptions,
): value is EpropNetworkDescription {
  return (value as EpropNetworkDescription).format === "snn-eprop-network";
}

function zeroMoments(description: EpropNetworkDescription): OptimizerState {
  const m: ParameterSet = {};
  const v: ParameterSet = {};
  for (const info of parametersOf(description)) {
    if (!info.trainable) continue;
    const n = info.shape.reduce((a, b) => a * b, 1);
    m[info.name] = new Float32Array(n);
    v[info.name] = new Float32Array(n);
  }
  return { step: 0, m, v };
}

/**
 * Trains an e-prop network on a backend: epochs of shuffled batches, one Adam step per batch
 * on the gradient summed over batch and time, metrics, callbacks and exact checkpoints.
 *
 * ```ts
 * const trainer = new Trainer({ network: { input: { size: 700 }, hidden: [{ name: "hidden", size: 256, neuron: "ALIF" }], readout: { size: 20 } }, backend: cpuBackend() });
 * await trainer.train(dataset, { epochs: 10, batchSize: 32, shuffleSeed: 1,
 *   callbacks: { onEpochEnd: (m, t) => t.saveCheckpoint("run.safetensors") } });
 * const test = await trainer.evaluate(testSet);
 * ```
 */
export class Trainer {
  readonly description: EpropNetworkDescription;
  readonly backend: Backend;
  /** How hidden-layer eligibility is evaluated in training (resolved from the `eligibility` option). */
  readonly eligibility: EligibilityMode;
  private readonly chunkSteps: number | undefined;
  private readonly chunkedTraces: ChunkedTraces | undefined;
  private readonly traceThreadOption: boolean | undefined;
  private config: TrainingConfig;
  private progress_: TrainingProgress = { epoch: 0, batchInEpoch: 0, optimizerSteps: 0 };
  private trainRuntime: EpropRuntime | null = null;
  /** The trace-thread setting the training runtime was made with. */
  private trainTraceThread: boolean | undefined = undefined;
  /** Worker threads of data-parallel training (`threads > 1`). */
  private readonly trainingThreads = new TrainingThreads();
  /** Forward-only runs: evaluation and prediction. */
  private readonly inference: Inference;
  /** Parameters and optimiser state while no training runtime holds them. */
  private hostParameters: ParameterSet;
  private hostOptimizer: OptimizerState;
  private stopRequested = false;
  private busy = false;

  constructor(options: TrainerOptions) {
    if (typeof options !== "object" || options === null)
      throw new EpropConfigError("new Trainer(options): give { network, backend }.");
    if (typeof options.backend?.compile !== "function") {
      throw new EpropConfigError(
        "new Trainer: give a backend, e.g. { backend: cpuBackend() } from @snn/backend-cpu.",
      );
    }
    if (options.network === undefined)
      throw new EpropConfigError("new Trainer: give the network (a description or its options).");
    this.description = isDescription(options.network)
      ? options.network
      : defineEpropNetwork(options.network);
    this.backend = options.backend;
    const eligibility = options.eligibility ?? "auto";
    if (eligibility !== "auto" && eligibility !== "chunked" && eligibility !== "perStep") {
      throw new EpropConfigError(
        `eligibility must be 'auto', 'chunked' or 'perStep', got ${String(eligibility)}.`,
      );
    }
    this.eligibility =
      eligibility === "auto"
        ? options.backend.name === "webgpu" || wasm.wasmSimdSupported()
          ? "chunked"
          : "perStep"
        : eligibility;
    this.chunkSteps = options.chunkSteps;
    this.chunkedTraces = options.chunkedTraces;
    if (options.traceThread !== undefined && typeof options.traceThread !== "boolean") {
      throw new EpropConfigError(
        `traceThread must be true or false, got ${String(options.traceThread)}.`,
      );
    }
    this.traceThreadOption = options.traceThread;
    checkLossMaskOption(options.lossMask);
    if (
      options.numSteps !== undefined &&
      (!Number.isInteger(options.numSteps) || options.numSteps < 1)
    ) {
      throw new EpropConfigError(
        `numSteps must be a positive integer, got ${String(options.numSteps)}.`,
      );
    }
    this.config = {
      optimizer: resolveAdamOptions(options.optimizer),
      lossMask: options.lossMask ?? null,
      numSteps: options.numSteps ?? null,
      batchSize: null,
      shuffleSeed: null,
    };
    this.hostParameters = initialParameters(this.description);
    if (options.parameters) {
      checkParameters(this.description, options.parameters, true);
      for (const [name, values] of Object.entries(options.parameters))
        this.hostParameters[name] = Float32Array.from(values);
    }
    this.hostOptimizer = zeroMoments(this.description);
    this.inference = new Inference(this.description, this.backend, () => this.getParameters());
  }

  /** Where training stands (next epoch and batch, Adam steps taken). */
  get progress(): TrainingProgress {
    return this.progress_;
  }

  /** The training settings (optimizer, loss mask, batch size and shuffle seed of the current run). */
  get trainingConfig(): TrainingConfig {
    return this.config;
  }

  /**
   * Sets Adam's learning rate for the batches that follow (e.g. a decay per epoch). The rate is
   * a dynamic param of the compiled optimizer: it changes in place, with parameters and
   * optimizer state untouched. The rate is part of {@link trainingConfig} and of checkpoints.
   */
  async setLearningRate(learningRate: number): Promise<void> {
    if (typeof learningRate !== "number" || !(learningRate > 0) || !Number.isFinite(learningRate)) {
      throw new EpropConfigError(
        `setLearningRate: the learning rate must be a positive number, got ${String(learningRate)}.`,
      );
    }
    if (learningRate === this.config.optimizer.learningRate) return;
    this.enter("setLearningRate");
    try {
      this.trainRuntime?.setLearningRate(learningRate);
      this.config = { ...this.config, optimizer: { ...this.config.optimizer, learningRate } };
    } finally {
      this.busy = false;
    }
  }

  /**
   * Starts Adam afresh: its moments and step count go to zero, while parameters, settings and
   * progress stay. With a new learning-rate wave this is a warm restart (SGDR): training goes on
   * from the current weights exactly as a new trainer initialised with them would.
   */
  async resetOptimizer(): Promise<void> {
    this.enter("resetOptimizer");
    try {
      const fresh = zeroMoments(this.description);
      if (this.trainRuntime) await this.trainRuntime.setOptimizerState(fresh);
      else this.hostOptimizer = fresh;
    } finally {
      this.busy = false;
    }
  }

  /**
   * How the current training runtime evaluates e-prop's eligibility traces: null before the
   * first training batch and for per-step e-prop; else where chunked traces run (`host` or
   * `device`) and, on the host, whether in a worker thread (see `EpropRuntime.traceThread`).
   */
  get traceEvaluation(): { readonly where: ChunkedTraces; readonly thread: boolean } | null {
    const where = this.trainRuntime?.chunkedTraces ?? null;
    return where === null ? null : { where, thread: this.trainRuntime!.traceThread };
  }

  /** Asks a running `train` to stop after the current batch (progress and checkpoints stay exact). */
  stop(): void {
    this.stopRequested = true;
  }

  private async ensureTrainRuntime(
    batchSize: number,
    traceThread: boolean | undefined,
  ): Promise<EpropRuntime> {
    if (
      this.trainRuntime &&
      this.trainRuntime.batchSize === batchSize &&
      this.trainTraceThread === traceThread
    )
      return this.trainRuntime;
    if (this.trainRuntime) await this.releaseTrainRuntime();
    const runtime = await EpropRuntime.create(this.description, {
      backend: this.backend,
      batchSize,
      mode: "train",
      optimizer: this.config.optimizer,
      parameters: this.hostParameters,
      eligibility: this.eligibility,
      ...(this.chunkSteps !== undefined ? { chunkSteps: this.chunkSteps } : {}),
      ...(this.chunkedTraces !== undefined ? { chunkedTraces: this.chunkedTraces } : {}),
      ...(traceThread !== undefined ? { traceThread } : {}),
    });
    await runtime.setOptimizerState(this.hostOptimizer);
    this.trainRuntime = runtime;
    this.trainTraceThread = traceThread;
    return runtime;
  }

  /** The training worker threads for `threads` (none for 1), made or reused. */
  private async ensurePool(
    threads: number,
    batchSize: number,
    traceThread: boolean | undefined,
  ): Promise<TrialWorkerPool | null> {
    if (threads === 1) {
      this.trainingThreads.dispose();
      return null;
    }
    checkWorkerBackend(threads, this.backend);
    const init: TrainWorkerInit = {
      mode: "train",
      description: this.description,
      backend: this.backend.worker!,
      batchSize,
      optimizer: this.config.optimizer,
      eligibility: this.eligibility,
      ...(this.chunkSteps !== undefined ? { chunkSteps: this.chunkSteps } : {}),
      ...(this.chunkedTraces !== undefined ? { chunkedTraces: this.chunkedTraces } : {}),
      ...(traceThread !== undefined ? { traceThread } : {}),
    };
    return this.trainingThreads.ensure(threads, init);
  }

  private async releaseTrainRuntime(): Promise<void> {
    if (!this.trainRuntime) return;
    this.hostParameters = await this.trainRuntime.getParameters();
    this.hostOptimizer = await this.trainRuntime.getOptimizerState();
    this.trainRuntime.dispose();
    this.trainRuntime = null;
  }

  private checkDataset(dataset: EpropDataset): void {
    if (typeof dataset !== "object" || dataset === null || typeof dataset.batches !== "function") {
      throw new EpropBatchError(
        "The dataset must have numChannels, numClasses and batches({ batchSize, dt, shuffleSeed, epoch }).",
      );
    }
    if (dataset.numChannels !== this.description.input.size) {
      throw new EpropBatchError(
        `The dataset has ${String(dataset.numChannels)} input channels but the network's input layer has ${this.description.input.size}; make them equal.`,
      );
    }
    if (dataset.numClasses !== this.description.readout.size) {
      throw new EpropBatchError(
        `The dataset has ${String(dataset.numClasses)} classes but the readout has ${this.description.readout.size} neurons; make them equal.`,
      );
    }
  }

  private batchOptions(
    batchSize: number,
    extra: { shuffleSeed?: number; epoch?: number },
  ): DatasetBatchOptions {
    return {
      batchSize,
      dt: this.description.dt,
      ...extra,
      ...(this.config.numSteps !== null ? { numSteps: this.config.numSteps } : {}),
    };
  }

  private enter(call: string): void {
    if (this.busy)
      throw new EpropConfigError(`${call}: the trainer is busy with another call; await it first.`);
    this.busy = true;
  }

  /**
   * Trains until `epochs` epochs are complete, continuing from {@link progress} (a fresh
   * trainer starts at epoch 0; a restored one at its checkpoint's next batch). Returns the
   * metrics of the epochs completed in this call.
   */
  async train(dataset: EpropDataset, options: TrainOptions): Promise<EpochMetrics[]> {
    this.checkDataset(dataset);
    if (typeof options !== "object" || options === null) {
      throw new EpropConfigError(
        "train(dataset, options) needs its options: { epochs, batchSize } at least, e.g. train(dataset, { epochs: 10, batchSize: 32 }).",
      );
    }
    const { epochs, batchSize } = options;
    const shuffleSeed = options.shuffleSeed ?? 0;
    if (!Number.isInteger(epochs) || epochs < 0)
      throw new EpropConfigError(`epochs must be a non-negative integer, got ${String(epochs)}.`);
    if (!Number.isInteger(batchSize) || batchSize < 1)
      throw new EpropConfigError(`batchSize must be a positive integer, got ${String(batchSize)}.`);
    if (!Number.isInteger(shuffleSeed) || shuffleSeed < 0)
      throw new EpropConfigError(
        `shuffleSeed must be a non-negative integer, got ${String(shuffleSeed)}.`,
      );
    const threads = checkThreads(options.threads ?? 1);
    checkWorkerBackend(threads, this.backend);
    const microBatchSize = options.microBatchSize ?? Math.ceil(batchSize / threads);
    if (!Number.isInteger(microBatchSize) || microBatchSize < 1 || microBatchSize > batchSize) {
      throw new EpropConfigError(
        `microBatchSize must be an integer from 1 to batchSize (${batchSize}), got ${String(options.microBatchSize)}.`,
      );
    }
    if (
      this.progress_.batchInEpoch > 0 &&
      (this.config.batchSize !== batchSize || this.config.shuffleSeed !== shuffleSeed)
    ) {
      throw new EpropConfigError(
        `Training stopped in the middle of epoch ${this.progress_.epoch} with batchSize ${String(this.config.batchSize)} and shuffleSeed ${String(this.config.shuffleSeed)}; resume with the same values (got ${batchSize} and ${shuffleSeed}) so the epoch continues with the same batches.`,
      );
    }
    this.enter("train");
    this.stopRequested = false;
    try {
      this.config = { ...this.config, batchSize, shuffleSeed };
      const traceThread =
        this.traceThreadOption ?? (threads > 1 ? PARALLEL_TRACE_THREAD : undefined);
      const session = await this.ensureTrainRuntime(microBatchSize, traceThread);
      const pool = await this.ensurePool(threads, microBatchSize, traceThread);
      const history: EpochMetrics[] = [];
      while (this.progress_.epoch < epochs && !this.stopRequested) {
        const epoch = this.progress_.epoch;
        const skip = this.progress_.batchInEpoch;
        const epochStart = performance.now();
        const totals = new Accumulator(this.description);
        let index = 0;
        for await (const batch of dataset.batches(
          this.batchOptions(batchSize, { shuffleSeed, epoch }),
        )) {
          if (index < skip) {
            index++;
            continue;
          }
          const start = performance.now();
          const metrics = new Accumulator(this.description);
          const count = Array.isArray(batch?.inputs) ? batch.inputs.length : 0;
          let numSteps = 0;
          if (count > batchSize) prepareTrial(batch, this.description, batchSize); // says the batch is too large
          if (pool !== null && count > microBatchSize) {
            // data-parallel: the micro-batches over the threads, one Adam step here
            const parts: WorkerTrial[] = [];
            for (let first = 0; first < count; first += microBatchSize) {
              const last = Math.min(count, first + microBatchSize);
              parts.push({
                trial: prepareTrial(
                  sliceBatch(batch, first, last),
                  this.description,
                  microBatchSize,
                  this.config.lossMask ?? undefined,
                ),
                where: `epoch ${epoch}, batch ${index} (samples ${first}..${last - 1})`,
              });
            }
            const outputs = await TrainingThreads.runBatch(session, pool, parts);
            for (const [k, result] of outputs.entries()) {
              metrics.add(result, parts[k]!.trial.labels);
              totals.add(result, parts[k]!.trial.labels);
              numSteps = parts[k]!.trial.numSteps;
            }
          } else {
            // one trial per micro-batch (one for the whole batch by default), one Adam step
            for (let first = 0; first === 0 || first < count; first += microBatchSize) {
              const part =
                count > microBatchSize
                  ? sliceBatch(batch, first, Math.min(count, first + microBatchSize))
                  : batch;
              const trial = prepareTrial(
                part,
                this.description,
                microBatchSize,
                this.config.lossMask ?? undefined,
              );
              const outputs = await session.runTrial(trial);
              // Before the gradient is used: NaN or infinite state stops training with its location.
              await checkFiniteTrial(
                session,
                trial,
                outputs,
                `epoch ${epoch}, batch ${index}${count > microBatchSize ? ` (samples ${first}..${Math.min(count, first + microBatchSize) - 1})` : ""}`,
              );
              if (first + microBatchSize < count) await session.accumulateGradients();
              else await session.applyOptimizer();
              metrics.add(outputs, trial.labels);
              totals.add(outputs, trial.labels);
              numSteps = trial.numSteps;
            }
          }
          index++;
          this.progress_ = {
            epoch,
            batchInEpoch: index,
            optimizerSteps: this.progress_.optimizerSteps + 1,
          };
          await options.callbacks?.onBatchEnd?.(
            {
              epoch,
              batch: index - 1,
              examples: metrics.examples,
              numSteps,
              loss: metrics.mean(metrics.loss),
              accuracy: metrics.mean(metrics.correct),
              firingRatesHz: metrics.rates(),
              optimizerSteps: this.progress_.optimizerSteps,
              seconds: (performance.now() - start) / 1000,
            },
            this,
          );
          if (this.stopRequested) break;
        }
        if (this.stopRequested) break;
        this.progress_ = {
          epoch: epoch + 1,
          batchInEpoch: 0,
          optimizerSteps: this.progress_.optimizerSteps,
        };
        const epochMetrics: EpochMetrics = {
          epoch,
          batches: index - skip,
          examples: totals.examples,
          loss: totals.mean(totals.loss),
          accuracy: totals.mean(totals.correct),
          firingRatesHz: totals.rates(),
          seconds: (performance.now() - epochStart) / 1000,
        };
        history.push(epochMetrics);
        await options.callbacks?.onEpochEnd?.(epochMetrics, this);
      }
      return history;
    } finally {
      this.busy = false;
    }
  }

  /** Current parameters in the spec layout (`[post][pre]` weights, bias, random feedback). */
  async getParameters(): Promise<ParameterSet> {
    return this.trainRuntime
      ? this.trainRuntime.getParameters()
      : Object.fromEntries(Object.entries(this.hostParameters).map(([k, v]) => [k, v.slice()]));
  }

  /** Replaces some or all parameters (spec layout). */
  async setParameters(values: Readonly<Record<string, ArrayLike<number>>>): Promise<void> {
    checkParameters(this.description, values, true);
    if (this.trainRuntime) {
      await this.trainRuntime.setParameters(values);
    } else {
      for (const [name, v] of Object.entries(values))
        this.hostParameters[name] = Float32Array.from(v);
    }
  }

  /**
   * Evaluates the current parameters on every batch of a dataset (dataset order) with a
   * forward-only network, in one thread or several (`options.threads`, default the cores
   * available; the same metrics either way). Default batch size: the training batch size, else
   * 32; default loss mask: the trainer's.
   */
  async evaluate(dataset: EpropDataset, options: EvaluateOptions = {}): Promise<EvaluationMetrics> {
    this.checkDataset(dataset);
    checkLossMaskOption(options.lossMask);
    const lossMask = options.lossMask ?? this.config.lossMask ?? undefined;
    const batchSize = options.batchSize ?? this.config.batchSize ?? 32;
    if (!Number.isInteger(batchSize) || batchSize < 1)
      throw new EpropConfigError(`batchSize must be a positive integer, got ${String(batchSize)}.`);
    const threads = evaluationThreads(options.threads, this.backend);
    this.enter("evaluate");
    try {
      const totals = new Accumulator(this.description);
      await this.inference.forward(
        dataset.batches(this.batchOptions(batchSize, {})),
        { batchSize, lossMask, threads, byDefault: options.threads === undefined },
        (trial, { outputs }) => totals.add(outputs, trial.labels),
      );
      return {
        examples: totals.examples,
        loss: totals.mean(totals.loss),
        accuracy: totals.mean(totals.correct),
        readoutSumAccuracy: totals.mean(totals.readoutSumCorrect),
        firingRatesHz: totals.rates(),
      };
    } finally {
      this.busy = false;
    }
  }

  /**
   * Predictions of every batch given (an array, a dataset's `batches(...)`, any iterable), in
   * order, with the current parameters: in one thread or several (`options.threads`, default the
   * cores available; the same predictions either way, see `EvaluateOptions.threads`). Each batch
   * runs as one trial of `options.batchSize` examples (default: the first batch's size; smaller
   * batches are padded); default loss mask: the trainer's.
   */
  async predictBatches(
    batches: AsyncIterable<EpropBatch> | Iterable<EpropBatch>,
    options: PredictBatchesOptions = {},
  ): Promise<BatchPrediction[]> {
    const lossMask = checkPredictBatches(batches, options, this.config.lossMask ?? undefined);
    const threads = evaluationThreads(options.threads, this.backend);
    this.enter("predictBatches");
    try {
      return await predictBatches(this.inference, batches, options, lossMask, threads);
    } finally {
      this.busy = false;
    }
  }

  /** Predicted classes of one batch: softmax-sum (`classes`) and readout-sum predictions, and the loss per element. */
  async predict(
    batch: EpropBatch,
  ): Promise<{ classes: Int32Array; readoutSumClasses: Int32Array; loss: Float64Array }> {
    const count = Array.isArray(batch?.inputs) ? batch.inputs.length : 0;
    if (count === 0) throw new EpropBatchError("predict: the batch has no inputs.");
    this.enter("predict");
    try {
      const session = await this.inference.runtime(count);
      const withLabels =
        batch.labels?.length === count ? batch : { ...batch, labels: new Int32Array(count) };
      const outputs = await session.runTrial(
        prepareTrial(withLabels, this.description, count, this.config.lossMask ?? undefined),
      );
      return {
        classes: outputs.predictions.slice(0, count),
        readoutSumClasses: outputs.readoutSumPredictions.slice(0, count),
        loss: outputs.loss.slice(0, count),
      };
    } finally {
      this.busy = false;
    }
  }

  /** The checkpoint contents: network, training settings, progress, parameters and Adam state. */
  async checkpoint(): Promise<CheckpointData> {
    const parameters = await this.getParameters();
    const optimizer = this.trainRuntime
      ? await this.trainRuntime.getOptimizerState()
      : this.hostOptimizer;
    return {
      network: this.description,
      training: this.config,
      progress: this.progress_,
      parameters,
      optimizer,
    };
  }

  /** The checkpoint as safetensors bytes. */
  async encodeCheckpoint(): Promise<Uint8Array> {
    return encodeCheckpoint(await this.checkpoint());
  }

  /** Writes a checkpoint file atomically (temporary file, then rename). Node only. */
  async saveCheckpoint(path: string): Promise<void> {
    await writeCheckpointFile(path, await this.checkpoint());
  }

  /**
   * Restores a checkpoint (a path, safetensors bytes, or decoded data) into this trainer: its
   * network must equal this trainer's. Parameters, Adam state, settings and progress are
   * replaced, so the next `train` continues exactly where the checkpoint was taken.
   */
  async restoreCheckpoint(source: string | Uint8Array | CheckpointData): Promise<void> {
    const data = await loadCheckpointData(source);
    const mine = JSON.stringify(this.description);
    const theirs = JSON.stringify(data.network);
    if (mine !== theirs) {
      throw new CheckpointError(
        `The checkpoint is for a different network (${describeNetworkDifference(this.description, data.network)}); create the trainer with Trainer.fromCheckpoint instead.`,
      );
    }
    this.enter("restoreCheckpoint");
    try {
      this.trainRuntime?.dispose();
      this.trainRuntime = null;
      this.inference.releaseRuntime();
      this.hostParameters = Object.fromEntries(
        Object.entries(data.parameters).map(([k, v]) => [k, v.slice()]),
      );
      this.hostOptimizer = data.optimizer;
      this.config = data.training;
      this.progress_ = data.progress;
    } finally {
      this.busy = false;
    }
  }

  /** A trainer with the network, parameters, Adam state, settings and progress of a checkpoint. */
  static async fromCheckpoint(
    source: string | Uint8Array | CheckpointData,
    options: { readonly backend: Backend } & Pick<
      TrainerOptions,
      "eligibility" | "chunkSteps" | "chunkedTraces" | "traceThread"
    >,
  ): Promise<Trainer> {
    if (typeof options?.backend?.compile !== "function") {
      throw new EpropConfigError(
        "Trainer.fromCheckpoint(source, { backend }) needs a backend to train on, e.g. { backend: cpuBackend() } from @snn/backend-cpu.",
      );
    }
    const data = await loadCheckpointData(source);
    const trainer = new Trainer({
      network: data.network,
      backend: options.backend,
      ...(options.eligibility !== undefined ? { eligibility: options.eligibility } : {}),
      ...(options.chunkSteps !== undefined ? { chunkSteps: options.chunkSteps } : {}),
      ...(options.chunkedTraces !== undefined ? { chunkedTraces: options.chunkedTraces } : {}),
      ...(options.traceThread !== undefined ? { traceThread: options.traceThread } : {}),
      optimizer: data.training.optimizer,
      ...(data.training.lossMask !== null ? { lossMask: data.training.lossMask } : {}),
      ...(data.training.numSteps !== null ? { numSteps: data.training.numSteps } : {}),
      parameters: data.parameters,
    });
    await trainer.restoreCheckpoint(data);
    return trainer;
  }

  /** Frees the backend runtimes (and the worker threads of training and evaluation). */
  dispose(): void {
    this.trainingThreads.dispose();
    this.inference.dispose();
    this.trainRuntime?.dispose();
    this.trainRuntime = null;
  }
}
