import { checkFiniteTrial } from "./non-finite";
import type { Backend } from "@snn/core";
import { wasm } from "@snn/core/internal";
import {
  decodeCheckpoint,
  encodeCheckpoint,
  readCheckpointFile,
  writeCheckpointFile,
  type CheckpointData,
  type TrainingConfig,
  type TrainingProgress,
} from "./checkpoint";
import { resolveAdamOptions, type AdamOptions, type EligibilityMode } from "./compile";
import {
  defineEpropNetwork,
  parametersOf,
  type EpropNetworkDescription,
  type EpropNetworkOptions,
} from "./description";
import {
  EpropRuntime,
  type ChunkedTraces,
  type OptimizerState,
  type TrialOutputs,
} from "./eprop-runtime";
import { CheckpointError, EpropBatchError, EpropConfigError } from "./errors";
import { checkParameters, initialParameters, type ParameterSet } from "./parameters";
import {
  checkLossMaskOption,
  prepareTrial,
  sliceBatch,
  type EpropBatch,
  type LossMaskOption,
  type PreparedTrial,
} from "./trial";
import type { InferenceWorkerInit, WorkerInit } from "./parallel/protocol";
import { inferInOrder, type ForwardResult } from "./parallel/ordered-inference";
import { availableThreads, TrialWorkerPool } from "./parallel/worker-pool";

/** Most worker threads `threads` may ask for (training and evaluation). */
export const MAX_TRAIN_THREADS = 64;

/** Checks a `threads` option: an integer from 1 to {@link MAX_TRAIN_THREADS}. */
function checkThreads(threads: unknown): number {
  if (
    typeof threads !== "number" ||
    !Number.isInteger(threads) ||
    threads < 1 ||
    threads > MAX_TRAIN_THREADS
  ) {
    throw new EpropConfigError(
      `threads must be an integer from 1 to ${MAX_TRAIN_THREADS} (1: no worker threads), got ${String(threads)}.`,
    );
  }
  return threads;
}

/**
 * Whether the chunked eligibility traces of each runtime get a thread of their own when training
 * runs in several threads (`threads > 1`) and `traceThread` is not given. Measured on 2 cores
 * (packages/eprop/README.md, "Threads").
 */
const PARALLEL_TRACE_THREAD = false;

/** Options a dataset's `batches` receives. */
export interface DatasetBatchOptions {
  readonly batchSize: number;
  /** Step length in ms. */
  readonly dt: number;
  /** Shuffle seed; absent keeps dataset order (evaluation). */
  readonly shuffleSeed?: number;
  readonly epoch?: number;
  /** Trial length in steps, when the trainer was given one. */
  readonly numSteps?: number;
}

/**
 * What the trainer needs from a dataset (the `SpikeDataset` of @snn/datasets has this shape):
 * sizes, and reproducible batches for a seed and epoch.
 */
export interface EpropDataset {
  readonly numChannels: number;
  readonly numClasses: number;
  batches(options: DatasetBatchOptions): AsyncIterable<EpropBatch>;
}

/** Metrics of one training batch. Loss is cross-entropy summed over masked steps, averaged over examples. */
export interface BatchMetrics {
  /** 0-based epoch and batch within it. */
  readonly epoch: number;
  readonly batch: number;
  readonly examples: number;
  readonly numSteps: number;
  readonly loss: number;
  /** Fraction correct (argmax of the masked sum of softmax outputs). */
  readonly accuracy: number;
  /** Mean firing rate per hidden layer, Hz. */
  readonly firingRatesHz: Readonly<Record<string, number>>;
  /** Adam steps taken so far (including this batch's). */
  readonly optimizerSteps: number;
  /** Wall time of the batch, s. */
  readonly seconds: number;
}

/** Metrics of one epoch (averages over its examples). */
export interface EpochMetrics {
  readonly epoch: number;
  readonly batches: number;
  readonly examples: number;
  readonly loss: number;
  readonly accuracy: number;
  readonly firingRatesHz: Readonly<Record<string, number>>;
  readonly seconds: number;
}

/** Metrics of an evaluation. */
export interface EvaluationMetrics {
  readonly examples: number;
  readonly loss: number;
  /** argmax of the masked sum of softmax outputs. */
  readonly accuracy: number;
  /** argmax of the masked sum of readout values (the per-timestep "sum of readout" prediction). */
  readonly readoutSumAccuracy: number;
  readonly firingRatesHz: Readonly<Record<string, number>>;
}

/** Options of `Trainer.evaluate`. */
export interface EvaluateOptions {
  /** Examples per trial; default the training batch size, else 32. */
  readonly batchSize?: number;
  /** Loss mask; default the trainer's. */
  readonly lossMask?: LossMaskOption;
  /**
   * Threads to run the batches in. 1: the calling thread, one batch after another. More: the
   * batches are shared out as they come over that many worker threads, each with its own
   * inference runtime and copy of the parameters (the calling thread reads the data and
   * gathers the results in batch order): the same results as 1, to the bit. Default: the
   * cores available (`os.availableParallelism()`) where the backend can be made in a worker
   * thread (`backend.worker`, e.g. the CPU backend) and there are worker threads (Node);
   * else 1 (and 1 where such workers fail to start). Workers start only when there is more
   * than one batch, and stay for later calls with the same threads and batch size (until
   * `dispose`).
   */
  readonly threads?: number;
}

/** Options of `Trainer.predictBatches`. */
export interface PredictBatchesOptions extends EvaluateOptions {
  /** Called with each batch's predictions, in batch order, as they are ready (awaited). */
  readonly onBatch?: (prediction: BatchPrediction) => void | Promise<void>;
}

/** The predictions of one batch of `Trainer.predictBatches`. */
export interface BatchPrediction {
  /** 0-based place of the batch among those given. */
  readonly batch: number;
  /** The batch's labels (zeros where it has none). */
  readonly labels: Int32Array;
  /** Argmax of the masked sum of softmax outputs, per example. */
  readonly classes: Int32Array;
  /** Argmax of the masked sum of readout values, per example. */
  readonly readoutSumClasses: Int32Array;
  /** Cross-entropy summed over the masked steps, per example. */
  readonly loss: Float64Array;
  /** Spikes of each hidden layer in the trial, per example (summed over neurons). */
  readonly spikeCounts: Readonly<Record<string, Float64Array>>;
  /** Milliseconds the batch's trial took in the thread that ran it (no waiting, no compiling). */
  readonly ms: number;
  /** That thread: 0 with `threads: 1` (the calling thread), else the worker thread (0-based). */
  readonly thread: number;
}

/** Called after every batch and epoch; may be async (training waits), e.g. to save a checkpoint. */
export interface TrainCallbacks {
  onBatchEnd?(metrics: BatchMetrics, trainer: Trainer): void | Promise<void>;
  onEpochEnd?(metrics: EpochMetrics, trainer: Trainer): void | Promise<void>;
}

export interface TrainOptions {
  /** Train until this many epochs are complete (a resumed trainer continues where it stopped). */
  readonly epochs: number;
  readonly batchSize: number;
  /** Seed of the per-epoch shuffle. Default 0. */
  readonly shuffleSeed?: number;
  /**
   * Runs each batch as trials of at most this many examples and takes one Adam step on their
   * summed gradients: the same training as whole batches (up to float rounding), with the
   * memory of the smaller size, e.g. batch 512 as 4 x 128 where 512 does not fit. Default
   * `batchSize`, or `ceil(batchSize / threads)` with `threads > 1`. It may change between runs
   * and on resume.
   */
  readonly microBatchSize?: number;
  /**
   * Data-parallel training in this many threads (default 1: the calling thread only). Each batch
   * runs as micro-batches (of `microBatchSize`, default `ceil(batchSize / threads)`) shared out
   * in contiguous runs: the first run on the calling thread, the others in worker threads, each
   * with its own runtime of the network. Their gradients are summed in micro-batch order and one
   * Adam step is taken here: the same parameters, to the bit, and the same metrics as
   * `threads: 1` with the same `microBatchSize`. Node only; needs a backend that can be made
   * in a worker (`backend.worker`, e.g. the CPU backend). Evaluation has a `threads` option of
   * its own (`EvaluateOptions.threads`). It may change between runs and on resume.
   */
  readonly threads?: number;
  readonly callbacks?: TrainCallbacks;
}

export interface TrainerOptions {
  /** The network: a description from `defineEpropNetwork`, or its options. */
  readonly network: EpropNetworkDescription | EpropNetworkOptions;
  readonly backend: Backend;
  /** Adam settings; default lr 0.001, beta1 0.9, beta2 0.999, eps 1e-8. */
  readonly optimizer?: AdamOptions;
  /** Loss mask; default the batch's mask when it has one, else every step. */
  readonly lossMask?: LossMaskOption;
  /** Trial length to ask datasets for, in steps; default the dataset's. */
  readonly numSteps?: number;
  /** Initial parameters (spec layout `[post][pre]`), all or some; the rest are drawn from the network's seed. */
  readonly parameters?: Readonly<Record<string, ArrayLike<number>>>;
  /**
   * How hidden-layer eligibility traces are evaluated (both exact): `chunked` per chunk of
   * steps, from per-neuron histories (on the host in WebAssembly, or on the WebGPU backend's
   * device in WGSL), or `perStep` inside the compiled network, every synapse every step.
   * Default `auto`: `chunked` (it does far less work; docs/chunked-eprop.md), except on an
   * engine without WebAssembly SIMD with a backend other than WebGPU, where `perStep`.
   */
  readonly eligibility?: EligibilityMode | "auto";
  /** Steps per chunk for chunked eligibility (default `DEFAULT_CHUNK_STEPS`, 250). */
  readonly chunkSteps?: number;
  /** Where chunked eligibility runs: `host` or `device` (default: the device on WebGPU, else the host); see `EpropRuntimeOptions.chunkedTraces`. */
  readonly chunkedTraces?: ChunkedTraces;
  /**
   * Whether each training runtime evaluates host chunked traces in a worker thread of its own
   * (see `EpropRuntimeOptions.traceThread`; the same gradients either way). Default: yes when
   * training in one thread, no with `threads > 1` (where the training threads already fill
   * the cores; measured in the README's "Threads" section).
   */
  readonly traceThread?: boolean;
}

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

class Accumulator {
  examples = 0;
  loss = 0;
  correct = 0;
  readoutSumCorrect = 0;
  private readonly spikes = new Map<string, number>();
  private readonly neuronSeconds = new Map<string, number>();

  constructor(private readonly description: EpropNetworkDescription) {}

  add(outputs: TrialOutputs, labels: Int32Array): void {
    const dtSeconds = this.description.dt / 1000;
    for (let b = 0; b < outputs.count; b++) {
      this.examples++;
      this.loss += outputs.loss[b]!;
      if (outputs.predictions[b] === labels[b]) this.correct++;
      if (outputs.readoutSumPredictions[b] === labels[b]) this.readoutSumCorrect++;
      for (const layer of this.description.hidden) {
        this.spikes.set(
          layer.name,
          (this.spikes.get(layer.name) ?? 0) + outputs.spikeCounts[layer.name]![b]!,
        );
        this.neuronSeconds.set(
          layer.name,
          (this.neuronSeconds.get(layer.name) ?? 0) + layer.size * outputs.numSteps * dtSeconds,
        );
      }
    }
  }

  rates(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const layer of this.description.hidden) {
      const time = this.neuronSeconds.get(layer.name) ?? 0;
      out[layer.name] = time > 0 ? (this.spikes.get(layer.name) ?? 0) / time : 0;
    }
    return out;
  }

  mean(value: number): number {
    return this.examples > 0 ? value / this.examples : 0;
  }
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
  private pool: TrialWorkerPool | null = null;
  private inferenceRuntime: EpropRuntime | null = null;
  /** Inference worker threads of evaluation (`threads > 1`). */
  private inferencePool: TrialWorkerPool | null = null;
  /** Whether inference workers failed to start where `threads` was the default (then 1 thread). */
  private inferenceWorkersFailed = false;
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

  /** The worker threads for `threads` (none for 1), made or reused. */
  private async ensurePool(
    threads: number,
    batchSize: number,
    traceThread: boolean | undefined,
  ): Promise<TrialWorkerPool | null> {
    if (threads === 1) {
      this.disposePool();
      return null;
    }
    const source = this.backend.worker;
    if (source === undefined) {
      throw new EpropConfigError(
        `threads: ${threads} needs a backend that can be made again in a worker thread (one with a 'worker' source, such as the CPU backend); the ${this.backend.name} backend cannot. Use threads: 1.`,
      );
    }
    const init: WorkerInit = {
      mode: "train",
      description: this.description,
      backend: source,
      batchSize,
      optimizer: this.config.optimizer,
      eligibility: this.eligibility,
      ...(this.chunkSteps !== undefined ? { chunkSteps: this.chunkSteps } : {}),
      ...(this.chunkedTraces !== undefined ? { chunkedTraces: this.chunkedTraces } : {}),
      ...(traceThread !== undefined ? { traceThread } : {}),
    };
    const key = TrialWorkerPool.keyOf(threads - 1, init);
    if (this.pool !== null && this.pool.key === key && !this.pool.broken) return this.pool;
    this.disposePool();
    this.pool = await TrialWorkerPool.start(threads - 1, init);
    return this.pool;
  }

  private disposePool(): void {
    this.pool?.dispose();
    this.pool = null;
  }

  /**
   * One batch's trials over the threads (see `TrainOptions.threads`): the first contiguous run
   * of micro-batches here, the others in the workers, all with the current parameters; the
   * gradients summed in micro-batch order, then one Adam step. Returns the outputs in order.
   */
  private async runParallelBatch(
    session: EpropRuntime,
    pool: TrialWorkerPool,
    parts: readonly { trial: PreparedTrial; where: string }[],
  ): Promise<TrialOutputs[]> {
    const count = parts.length;
    const threads = Math.min(pool.size + 1, count);
    const first = (t: number): number => Math.floor((t * count) / threads);
    const parameters = await session.getParameters();
    const jobs: Promise<{ outputs: TrialOutputs; gradients: Float32Array[] }[]>[] = [];
    for (let t = 1; t < threads; t++)
      jobs.push(pool.run(t - 1, parameters, parts.slice(first(t), first(t + 1))));
    // Every job is waited for before this returns or throws: the workers are idle after.
    const settled = Promise.allSettled(jobs);
    const outputs: TrialOutputs[] = [];
    try {
      for (let k = 0; k < first(1); k++) {
        const { trial, where } = parts[k]!;
        const result = await session.runTrial(trial);
        await checkFiniteTrial(session, trial, result, where);
        await session.accumulateGradients();
        outputs.push(result);
      }
      for (const job of await settled) {
        if (job.status === "rejected") throw job.reason;
        for (const { outputs: result, gradients } of job.value) {
          session.addGradients(gradients);
          outputs.push(result);
        }
      }
    } catch (error) {
      await settled;
      session.discardAccumulatedGradients();
      throw error;
    }
    await session.applyAccumulatedGradients();
    return outputs;
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
    if (threads > 1 && this.backend.worker === undefined) {
      throw new EpropConfigError(
        `threads: ${threads} needs a backend that can be made again in a worker thread (one with a 'worker' source, such as the CPU backend); the ${this.backend.name} backend cannot. Use threads: 1.`,
      );
    }
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
            const parts: { trial: PreparedTrial; where: string }[] = [];
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
            const outputs = await this.runParallelBatch(session, pool, parts);
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

  private async inference(batchSize: number): Promise<EpropRuntime> {
    if (!this.inferenceRuntime || this.inferenceRuntime.batchSize !== batchSize) {
      this.inferenceRuntime?.dispose();
      this.inferenceRuntime = await EpropRuntime.create(this.description, {
        backend: this.backend,
        batchSize,
        mode: "inference",
        parameters: await this.getParameters(),
      });
    } else {
      await this.inferenceRuntime.setParameters(await this.getParameters());
    }
    return this.inferenceRuntime;
  }

  /** The threads of an evaluation: the option checked, or the default (see `EvaluateOptions.threads`). */
  private evaluationThreads(threads: number | undefined): number {
    if (threads === undefined)
      return this.backend.worker !== undefined
        ? Math.min(availableThreads(), MAX_TRAIN_THREADS)
        : 1;
    checkThreads(threads);
    if (threads > 1 && this.backend.worker === undefined) {
      throw new EpropConfigError(
        `threads: ${threads} needs a backend that can be made again in a worker thread (one with a 'worker' source, such as the CPU backend); the ${this.backend.name} backend cannot. Use threads: 1.`,
      );
    }
    return threads;
  }

  /** The inference worker threads of evaluation, made or reused. */
  private async ensureInferencePool(threads: number, batchSize: number): Promise<TrialWorkerPool> {
    const init: InferenceWorkerInit = {
      mode: "inference",
      description: this.description,
      backend: this.backend.worker!,
      batchSize,
    };
    const key = TrialWorkerPool.keyOf(threads, init);
    const pool = this.inferencePool;
    if (pool !== null && pool.key === key && !pool.broken) return pool;
    this.inferencePool?.dispose();
    this.inferencePool = null;
    this.inferencePool = await TrialWorkerPool.start(threads, init);
    return this.inferencePool;
  }

  /**
   * Runs batches forward with the current parameters and hands each trial's result on in batch
   * order: in the calling thread with `threads: 1` (or a single batch), else over `threads`
   * inference workers (see `EvaluateOptions.threads`). Each batch is padded to `batchSize`
   * (default: the first batch's size); without labels, its labels are zeros.
   */
  private async forward(
    batches: AsyncIterable<EpropBatch> | Iterable<EpropBatch>,
    options: {
      batchSize?: number;
      lossMask: LossMaskOption | undefined;
      threads: number;
      /** Whether `threads` is the default (not given). */
      byDefault: boolean;
    },
    deliver: (trial: PreparedTrial, result: ForwardResult, index: number) => void | Promise<void>,
  ): Promise<void> {
    const description = this.description;
    let batchSize = options.batchSize;
    async function* prepared(): AsyncGenerator<PreparedTrial> {
      for await (const batch of batches) {
        const count = Array.isArray(batch?.inputs) ? batch.inputs.length : 0;
        if (count === 0) throw new EpropBatchError("The batch has no inputs.");
        batchSize ??= count;
        const withLabels =
          batch.labels?.length === count ? batch : { ...batch, labels: new Int32Array(count) };
        yield prepareTrial(withLabels, description, batchSize, options.lossMask);
      }
    }
    const trials = prepared();
    try {
      // The first two trials decide: workers only for more than one.
      const head: PreparedTrial[] = [];
      for (let k = 0; k < (options.threads > 1 ? 2 : 1); k++) {
        const next = await trials.next();
        if (next.done === true) break;
        head.push(next.value);
      }
      if (head.length === 0) return;
      async function* all(): AsyncGenerator<PreparedTrial> {
        yield* head;
        yield* trials;
      }
      const size = head[0]!.inputs.length;
      let pool: TrialWorkerPool | null = null;
      if (head.length >= 2 && !(options.byDefault && this.inferenceWorkersFailed)) {
        try {
          pool = await this.ensureInferencePool(options.threads, size);
        } catch (error) {
          // By default (no threads given), workers that cannot start (say, a bundle without
          // train-worker.js) leave the batches to the calling thread, from then on.
          if (!options.byDefault) throw error;
          this.inferenceWorkersFailed = true;
        }
      }
      if (pool === null) {
        const session = await this.inference(size);
        let index = 0;
        for await (const trial of all()) {
          const start = performance.now();
          const outputs = await session.runTrial(trial);
          await deliver(trial, { outputs, ms: performance.now() - start, thread: 0 }, index++);
        }
        return;
      }
      await inferInOrder(pool, await this.getParameters(), all(), deliver);
    } finally {
      await trials.return(undefined);
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
    const threads = this.evaluationThreads(options.threads);
    this.enter("evaluate");
    try {
      const totals = new Accumulator(this.description);
      await this.forward(
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
    const iterable =
      typeof batches === "object" &&
      batches !== null &&
      (Symbol.asyncIterator in batches || Symbol.iterator in batches);
    if (!iterable)
      throw new EpropBatchError("predictBatches: give the batches as an array or an iterable.");
    checkLossMaskOption(options.lossMask);
    const lossMask = options.lossMask ?? this.config.lossMask ?? undefined;
    if (
      options.batchSize !== undefined &&
      (!Number.isInteger(options.batchSize) || options.batchSize < 1)
    ) {
      throw new EpropConfigError(
        `batchSize must be a positive integer, got ${String(options.batchSize)}.`,
      );
    }
    const threads = this.evaluationThreads(options.threads);
    this.enter("predictBatches");
    try {
      const predictions: BatchPrediction[] = [];
      await this.forward(
        batches,
        {
          ...(options.batchSize !== undefined ? { batchSize: options.batchSize } : {}),
          lossMask,
          threads,
          byDefault: options.threads === undefined,
        },
        async (trial, { outputs, ms, thread }, batch) => {
          const count = trial.count;
          const prediction: BatchPrediction = {
            batch,
            labels: trial.labels.slice(0, count),
            classes: outputs.predictions.slice(0, count),
            readoutSumClasses: outputs.readoutSumPredictions.slice(0, count),
            loss: outputs.loss.slice(0, count),
            spikeCounts: Object.fromEntries(
              Object.entries(outputs.spikeCounts).map(([k, v]) => [k, v.slice(0, count)]),
            ),
            ms,
            thread,
          };
          predictions.push(prediction);
          await options.onBatch?.(prediction);
        },
      );
      return predictions;
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
      const session = await this.inference(count);
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
        `The checkpoint is for a different network (${describeDifference(this.description, data.network)}); create the trainer with Trainer.fromCheckpoint instead.`,
      );
    }
    this.enter("restoreCheckpoint");
    try {
      this.trainRuntime?.dispose();
      this.trainRuntime = null;
      this.inferenceRuntime?.dispose();
      this.inferenceRuntime = null;
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
    this.disposePool();
    this.inferencePool?.dispose();
    this.inferencePool = null;
    this.trainRuntime?.dispose();
    this.trainRuntime = null;
    this.inferenceRuntime?.dispose();
    this.inferenceRuntime = null;
  }
}

async function loadCheckpointData(
  source: string | Uint8Array | CheckpointData,
): Promise<CheckpointData> {
  if (typeof source === "string") return readCheckpointFile(source);
  if (source instanceof Uint8Array) return decodeCheckpoint(source);
  if (typeof source === "object" && source !== null && "network" in source) return source;
  throw new CheckpointError(
    "A checkpoint must be a file path, safetensors bytes or decoded checkpoint data.",
  );
}

function describeDifference(a: EpropNetworkDescription, b: EpropNetworkDescription): string {
  const layers = (d: EpropNetworkDescription): string =>
    [
      `${d.input.name}(${d.input.size})`,
      ...d.hidden.map((h) => `${h.name}(${h.size} ${h.neuron})`),
      `${d.readout.name}(${d.readout.size})`,
    ].join(" -> ");
  const la = layers(a);
  const lb = layers(b);
  if (la !== lb) return `this trainer: ${la}; checkpoint: ${lb}`;
  return "same layers, but different settings (time constants, feedback, regularisation, dt or seed)";
}
