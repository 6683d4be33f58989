/**
 * Forward-only runs of a trainer's network (`Trainer.evaluate`, `predictBatches`, `predict`):
 * an inference runtime in the calling thread, or a pool of inference worker threads for
 * `threads > 1`, each made once and kept while the batch size and threads stay the same.
 */
import type { Backend } from "@snn/core";
import type { EpropNetworkDescription } from "./description";
import { EpropRuntime } from "./eprop-runtime";
import { EpropBatchError } from "./errors";
import type { ParameterSet } from "./parameters";
import { inferInOrder, type ForwardResult } from "./parallel/ordered-inference";
import type { InferenceWorkerInit } from "./parallel/protocol";
import { TrialWorkerPool } from "./parallel/worker-pool";
import { prepareTrial, type EpropBatch, type LossMaskOption, type PreparedTrial } from "./trial";

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

/** How {@link Inference.forward} runs its batches. */
export interface ForwardOptions {
  /** Examples per trial (smaller batches are padded); default the first batch's size. */
  readonly batchSize?: number;
  readonly lossMask: LossMaskOption | undefined;
  /** Checked threads (`evaluationThreads`). */
  readonly threads: number;
  /** Whether `threads` is the default (not given): then workers that fail to start leave the work here. */
  readonly byDefault: boolean;
}

/** The forward-only runtimes of one trainer. */
export class Inference {
  private runtime_: EpropRuntime | null = null;
  private pool: TrialWorkerPool | null = null;
  /** Whether inference workers failed to start where `threads` was the default (then 1 thread). */
  private workersFailed = false;

  constructor(
    private readonly description: EpropNetworkDescription,
    private readonly backend: Backend,
    /** The trainer's current parameters (spec layout). */
    private readonly parameters: () => Promise<ParameterSet>,
  ) {}

  /** An inference runtime of `batchSize` trials with the trainer's current parameters. */
  async runtime(batchSize: number): Promise<EpropRuntime> {
    if (!this.runtime_ || this.runtime_.batchSize !== batchSize) {
      this.runtime_?.dispose();
      this.runtime_ = await EpropRuntime.create(this.description, {
        backend: this.backend,
        batchSize,
        mode: "inference",
        parameters: await this.parameters(),
      });
    } else {
      await this.runtime_.setParameters(await this.parameters());
    }
    return this.runtime_;
  }

  /** The inference worker threads, made or reused. */
  private async ensurePool(threads: number, batchSize: number): Promise<TrialWorkerPool> {
    const init: InferenceWorkerInit = {
      mode: "inference",
      description: this.description,
      backend: this.backend.worker!,
      batchSize,
    };
    const key = TrialWorkerPool.keyOf(threads, init);
    const pool = this.pool;
    if (pool !== null && pool.key === key && !pool.broken) return pool;
    this.pool?.dispose();
    this.pool = null;
    this.pool = await TrialWorkerPool.start(threads, init);
    return this.pool;
  }

  /**
   * Runs batches forward with the current parameters and hands each trial's result on in batch
   * order: in the calling thread with `threads: 1` (or a single batch), else over `threads`
   * inference workers (see `EvaluateOptions.threads`). Each batch is padded to `batchSize`
   * (default: the first batch's size); without labels, its labels are zeros.
   */
  async forward(
    batches: AsyncIterable<EpropBatch> | Iterable<EpropBatch>,
    options: ForwardOptions,
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
      if (head.length >= 2 && !(options.byDefault && this.workersFailed)) {
        try {
          pool = await this.ensurePool(options.threads, size);
        } catch (error) {
          // By default (no threads given), workers that cannot start (say, a bundle without
          // train-worker.js) leave the batches to the calling thread, from then on.
          if (!options.byDefault) throw error;
          this.workersFailed = true;
        }
      }
      if (pool === null) {
        const session = await this.runtime(size);
        let index = 0;
        for await (const trial of all()) {
          const start = performance.now();
          const outputs = await session.runTrial(trial);
          await deliver(trial, { outputs, ms: performance.now() - start, thread: 0 }, index++);
        }
        return;
      }
      await inferInOrder(pool, await this.parameters(), all(), deliver);
    } finally {
      await trials.return(undefined);
    }
  }

  /** Frees the runtime (the next run makes a new one with the parameters of then); the workers stay. */
  releaseRuntime(): void {
    this.runtime_?.dispose();
    this.runtime_ = null;
  }

  /** Frees the runtime and the worker threads. */
  dispose(): void {
    this.pool?.dispose();
    this.pool = null;
    this.releaseRuntime();
  }
}
