import type { Backend } from "@snn/core";
import {
  describeNetworkDifference,
  encodeCheckpoint,
  loadCheckpointData,
  writeCheckpointFile,
  type CheckpointData,
  type TrainingConfig,
  type TrainingProgress,
} from "./checkpoint";
import type { EligibilityMode } from "./compile";
import type { DatasetBatchOptions, EpropDataset } from "./dataset";
import type { EpropNetworkDescription } from "./description";
import { EpropRuntime, type ChunkedTraces, type OptimizerState } from "./eprop-runtime";
import { CheckpointError, EpropBatchError, EpropConfigError } from "./errors";
import { Inference, type EvaluateOptions } from "./inference";
import { Accumulator, type EpochMetrics, type EvaluationMetrics } from "./metrics";
import { checkParameters, type ParameterSet } from "./parameters";
import type { TrainWorkerInit } from "./parallel/protocol";
import { checkWorkerBackend, evaluationThreads } from "./parallel/threads";
import { TrainingThreads } from "./parallel/training-threads";
import type { TrialWorkerPool } from "./parallel/worker-pool";
import type { TrainerOptions, TrainOptions } from "./trainer-options";
import { checkDataset, resolveTrainerOptions, zeroMoments } from "./trainer-setup";
import {
  checkPredictBatches,
  predictBatches,
  type BatchPrediction,
  type PredictBatchesOptions,
} from "./predict-batches";
import { checkTrainOptions, trainEpoch, type BatchRunner } from "./train-loop";
import { checkLossMaskOption, prepareTrial, type EpropBatch } from "./trial";

/**
 * Whether the chunked eligibility traces of each runtime get a thread of their own when training
 * runs in several threads (`threads > 1`) and `traceThread` is not given. Measured on 2 cores
 * (packages/eprop/README.md, "Threads").
 */
const PARALLEL_TRACE_THREAD = false;

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
    const setup = resolveTrainerOptions(options);
    this.description = setup.description;
    this.backend = options.backend;
    this.eligibility = setup.eligibility;
    this.chunkSteps = setup.chunkSteps;
    this.chunkedTraces = setup.chunkedTraces;
    this.traceThreadOption = setup.traceThread;
    this.config = setup.config;
    this.hostParameters = setup.parameters;
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
    checkDataset(dataset, this.description);
    const { epochs, batchSize, shuffleSeed, threads, microBatchSize } = checkTrainOptions(
      options,
      this.backend,
    );
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
      const runner: BatchRunner = {
        description: this.description,
        session,
        pool,
        batchSize,
        microBatchSize,
        lossMask: this.config.lossMask ?? undefined,
      };
      const history: EpochMetrics[] = [];
      while (this.progress_.epoch < epochs && !this.stopRequested) {
        const epoch = this.progress_.epoch;
        const epochStart = performance.now();
        const { totals, batches } = await trainEpoch({
          runner,
          epoch,
          batches: dataset.batches(this.batchOptions(batchSize, { shuffleSeed, epoch })),
          skip: this.progress_.batchInEpoch,
          batchDone: async (batchInEpoch, { seconds, ...metrics }) => {
            this.progress_ = {
              epoch,
              batchInEpoch,
              optimizerSteps: this.progress_.optimizerSteps + 1,
            };
            await options.callbacks?.onBatchEnd?.(
              { ...metrics, optimizerSteps: this.progress_.optimizerSteps, seconds },
              this,
            );
            return this.stopRequested;
          },
        });
        if (this.stopRequested) break;
        this.progress_ = {
          epoch: epoch + 1,
          batchInEpoch: 0,
          optimizerSteps: this.progress_.optimizerSteps,
        };
        const epochMetrics: EpochMetrics = {
          epoch,
          batches,
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
    checkDataset(dataset, this.description);
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
