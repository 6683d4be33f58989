/**
 * Worker threads of data-parallel training (`Trainer.train` with `threads > 1`) and of threaded
 * evaluation (`Trainer.evaluate`/`predictBatches` with `threads > 1`): each holds an
 * `EpropRuntime` of the trainer's network (a training runtime of the micro-batch size, or an
 * inference runtime of the evaluation's batch size), runs the trials it is sent with the
 * parameters it is sent, and returns their outputs (and, in training, gradients; see
 * train-worker.ts). Node only (worker threads of `node:worker_threads`, started from the entry
 * that worker-threads.ts finds).
 */
import { EpropConfigError } from "../errors";
import type { ParameterSet } from "../parameters";
import {
  fromFailure,
  type FromWorker,
  type ToWorker,
  type WorkerInferenceResult,
  type WorkerInit,
  type WorkerTrial,
  type WorkerTrialResult,
} from "./protocol";
import type { PreparedTrial } from "../trial";
import { hasWorkerThreads, startWorker, type NodeWorker } from "./worker-threads";

/** One worker thread and its jobs in flight (answered in order). */
class TrialWorker {
  private readonly pending = new Map<
    number,
    {
      resolve(answer: WorkerTrialResult[] | WorkerInferenceResult): void;
      reject(error: Error): void;
    }
  >();
  private nextId = 1;
  private failure: Error | null = null;
  private started: { resolve(): void; reject(error: Error): void } | null = null;

  constructor(
    private readonly worker: NodeWorker,
    readonly index: number,
    /** "training" or "inference", for error messages. */
    private readonly role: string,
  ) {
    worker.on("message", (message: FromWorker) => this.receive(message));
    worker.on("error", (error) => this.fail(error));
    worker.on("exit", (code) =>
      this.fail(new Error(`${role} worker thread ${index + 1} exited with code ${code}`)),
    );
    worker.unref();
  }

  start(init: WorkerInit): Promise<void> {
    return new Promise((resolve, reject) => {
      this.started = { resolve, reject };
      this.worker.ref();
      this.worker.postMessage({ kind: "init", init } satisfies ToWorker);
    });
  }

  private receive(message: FromWorker): void {
    if (message.kind === "ready" || message.kind === "initFailed") {
      const started = this.started;
      this.started = null;
      this.worker.unref();
      if (message.kind === "ready") started?.resolve();
      else
        started?.reject(
          fromFailure(
            message.failure,
            `${this.role} worker thread ${this.index + 1} could not start`,
          ),
        );
      return;
    }
    const job = this.pending.get(message.id);
    if (job === undefined) return;
    this.pending.delete(message.id);
    if (this.pending.size === 0) this.worker.unref();
    if (message.kind === "done") job.resolve(message.results);
    else if (message.kind === "inferred") job.resolve(message.result);
    else job.reject(fromFailure(message.failure, `${this.role} worker thread ${this.index + 1}`));
  }

  private fail(error: Error): void {
    if (this.failure !== null) return;
    this.failure = new Error(
      `${this.role} worker thread ${this.index + 1} failed: ${error.stack ?? error.message}`,
    );
    this.started?.reject(this.failure);
    this.started = null;
    for (const job of this.pending.values()) job.reject(this.failure);
    this.pending.clear();
  }

  /** Sends a job (`id` filled in here) and waits for its answer. */
  private send<T extends WorkerTrialResult[] | WorkerInferenceResult>(
    job: (id: number) => ToWorker,
  ): Promise<T> {
    if (this.failure !== null) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, {
        resolve: resolve as (answer: WorkerTrialResult[] | WorkerInferenceResult) => void,
        reject,
      });
      this.worker.ref();
      this.worker.postMessage(job(id));
    });
  }

  run(parameters: ParameterSet, trials: readonly WorkerTrial[]): Promise<WorkerTrialResult[]> {
    return this.send((id) => ({ kind: "trials", id, parameters, trials }));
  }

  infer(
    parameters: ParameterSet | undefined,
    trial: PreparedTrial,
  ): Promise<WorkerInferenceResult> {
    return this.send((id) => ({
      kind: "infer",
      id,
      ...(parameters !== undefined ? { parameters } : {}),
      trial,
    }));
  }

  /** Whether the thread died (it is not used again). */
  get broken(): boolean {
    return this.failure !== null;
  }

  dispose(): void {
    this.failure ??= new Error(`the ${this.role} worker threads were disposed`);
    for (const job of this.pending.values()) job.reject(this.failure);
    this.pending.clear();
    void this.worker.terminate();
  }
}

/** `count` worker threads with runtimes made from `init`. */
export class TrialWorkerPool {
  private constructor(
    private readonly workers: readonly TrialWorker[],
    /** What the runtimes were made from, as JSON: a pool is reused while it is the same. */
    readonly key: string,
  ) {}

  static async start(count: number, init: WorkerInit): Promise<TrialWorkerPool> {
    if (!hasWorkerThreads()) {
      throw new EpropConfigError(
        "threads > 1 needs worker threads (Node 20.16+, node:worker_threads); use threads: 1 here.",
      );
    }
    const role = init.mode === "inference" ? "inference" : "training";
    const workers: TrialWorker[] = [];
    try {
      for (let i = 0; i < count; i++) workers.push(new TrialWorker(startWorker(), i, role));
      await Promise.all(workers.map((w) => w.start(init)));
    } catch (error) {
      for (const worker of workers) worker.dispose();
      throw error;
    }
    return new TrialWorkerPool(workers, TrialWorkerPool.keyOf(count, init));
  }

  static keyOf(count: number, init: WorkerInit): string {
    return JSON.stringify({ count, init });
  }

  get size(): number {
    return this.workers.length;
  }

  get broken(): boolean {
    return this.workers.some((w) => w.broken);
  }

  /** Runs trials on worker `index` (0-based) with these parameters (spec layout). */
  run(
    index: number,
    parameters: ParameterSet,
    trials: readonly WorkerTrial[],
  ): Promise<WorkerTrialResult[]> {
    return this.workers[index]!.run(parameters, trials);
  }

  /**
   * Runs one trial forward on worker `index` (0-based; a pool of inference runtimes), first
   * setting these parameters (spec layout) when given: they stay for its later jobs.
   */
  infer(
    index: number,
    parameters: ParameterSet | undefined,
    trial: PreparedTrial,
  ): Promise<WorkerInferenceResult> {
    return this.workers[index]!.infer(parameters, trial);
  }

  dispose(): void {
    for (const worker of this.workers) worker.dispose();
  }
}
