/**
 * Worker threads of data-parallel training (`Trainer.train` with `threads > 1`) and of threaded
 * evaluation (`Trainer.evaluate`/`predictBatches` with `threads > 1`): each holds an
 * `EpropRuntime` of the trainer's network (a training runtime of the micro-batch size, or an
 * inference runtime of the evaluation's batch size), runs the trials it is sent with the
 * parameters it is sent, and returns their outputs (and, in training, gradients; see
 * train-worker.ts). Node only (worker threads of `node:worker_threads`).
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

interface NodeWorker {
  postMessage(message: unknown): void;
  on(event: "message", listener: (message: FromWorker) => void): void;
  on(event: "error", listener: (error: Error) => void): void;
  on(event: "exit", listener: (code: number) => void): void;
  ref(): void;
  unref(): void;
  terminate(): Promise<number>;
}

interface NodeWorkerThreads {
  Worker: new (url: URL | string, options?: { workerData?: unknown }) => NodeWorker;
}

let entryOverride: URL | null = null;

/**
 * Replaces the worker's entry module (default: train-worker.js beside the built index.js; from
 * the TypeScript sources, as in the workspace's tests, a bootstrap that loads them).
 */
export function setTrainWorkerEntry(url: URL | null): void {
  entryOverride = url;
}

/**
 * The worker's entry: train-worker.js beside the built index.js, or, where this module runs
 * from its TypeScript source (the workspace's tests resolve packages to their sources), the
 * bootstrap that loads the sources (src/test-support/train-worker-bootstrap.mjs).
 */
function workerEntry(): URL {
  if (entryOverride !== null) return entryOverride;
  if (!import.meta.url.endsWith(".ts")) return new URL("./train-worker.js", import.meta.url);
  // A variable, not a literal: bundlers that resolve `new URL("...", import.meta.url)` at build
  // time must not look for a file that only the sources have.
  const bootstrap = "../test-support/train-worker-bootstrap.mjs";
  return new URL(bootstrap, import.meta.url);
}

function workerThreads(): NodeWorkerThreads | null {
  const process = (globalThis as { process?: { getBuiltinModule?: (name: string) => unknown } })
    .process;
  if (typeof process?.getBuiltinModule !== "function") return null;
  try {
    return (process.getBuiltinModule("node:worker_threads") as NodeWorkerThreads) ?? null;
  } catch {
    return null;
  }
}

/**
 * The threads this process may run at once (Node's `os.availableParallelism()`), or 1 where
 * there are no worker threads (a browser, an older Node).
 */
export function availableThreads(): number {
  if (workerThreads() === null) return 1;
  const process = (globalThis as { process?: { getBuiltinModule?: (name: string) => unknown } })
    .process;
  try {
    const os = process?.getBuiltinModule?.("node:os") as
      { availableParallelism?(): number; cpus(): readonly unknown[] } | undefined;
    const count = os?.availableParallelism?.() ?? os?.cpus().length ?? 1;
    return Number.isInteger(count) && count >= 1 ? count : 1;
  } catch {
    return 1;
  }
}

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
    worker.on("message", (message) => this.receive(message));
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
    const api = workerThreads();
    if (api === null) {
      throw new EpropConfigError(
        "threads > 1 needs worker threads (Node 20.16+, node:worker_threads); use threads: 1 here.",
      );
    }
    const url = workerEntry();
    const role = init.mode === "inference" ? "inference" : "training";
    const workers: TrialWorker[] = [];
    try {
      for (let i = 0; i < count; i++) workers.push(new TrialWorker(new api.Worker(url), i, role));
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
