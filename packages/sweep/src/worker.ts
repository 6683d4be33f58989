/**
 * A BullMQ worker that trains sweep runs. Each job runs `snn train` in a child process
 * (see train-process.ts); the child's checkpoints in the shared run directory are what make a
 * takeover lossless:
 *
 * - a worker that dies stops renewing its job lock; after `stallTimeoutMs` BullMQ's stalled
 *   check (in any live worker) puts the job back, and the next worker resumes the run from its
 *   last checkpoint (the dead worker's trainer ended with it: see parent-watch.ts);
 * - `close()` (Ctrl-C) stops the trainers with a checkpoint and hands their jobs back to the
 *   queue at once;
 * - a worker that cannot renew a lock (Redis gone too long) stops that trainer, so two
 *   machines never write one run;
 * - a failing run is retried up to the job's attempts, then ends failed with its error;
 * - a job whose data is damaged (see job-data.ts) fails at once, naming the field.
 */
import { Job, UnrecoverableError, WaitingError, Worker } from "bullmq";
import { connectionOptions, waitForRedis, type RedisTarget } from "./redis";
import { SweepError } from "./errors";
import { checkRunJobData, TolerantJob } from "./job-data";
import { KEY_PREFIX, QUEUE_NAME, type RunJobData } from "./queue";
import type { RunResult } from "./run-result";
import { trainRun, type RunProgress, type SnnCommand } from "./train-process";

/** What the worker reports (the CLI prints it). */
export type WorkerEvent =
  | { readonly kind: "waiting-for-redis"; readonly message: string; readonly retryInMs: number }
  | { readonly kind: "ready"; readonly concurrency: number }
  | { readonly kind: "redis-error"; readonly message: string }
  | {
      readonly kind: "started";
      readonly runId: string;
      readonly sweep: string;
      readonly resumed: boolean;
      readonly attempt: number;
    }
  | {
      readonly kind: "finished";
      readonly runId: string;
      readonly sweep: string;
      readonly result: RunResult;
    }
  | { readonly kind: "handed-back"; readonly runId: string; readonly sweep: string }
  | {
      readonly kind: "failed";
      readonly runId: string;
      readonly sweep: string;
      readonly message: string;
      readonly final: boolean;
    }
  | {
      /** A job whose data has the wrong shape: failed without training, not retried. */
      readonly kind: "damaged-job";
      readonly jobId: string;
      readonly message: string;
    };

export interface WorkerOptions {
  readonly target: RedisTarget;
  readonly snn: SnnCommand;
  /** Runs trained at once by this worker. */
  readonly concurrency: number;
  /** A worker silent this long (no lock renewal) is declared dead and its jobs are taken over, ms. */
  readonly stallTimeoutMs: number;
  /** How often a job may be taken over from dead workers before it fails. */
  readonly maxStalls?: number;
  readonly onEvent: (event: WorkerEvent) => void;
}

/** A running worker. */
export interface SweepWorker {
  /** Stops taking jobs, stops the trainers with a checkpoint and hands their jobs back. */
  close(): Promise<void>;
}

/** BullMQ's worker, reading jobs whose data is not JSON too (see {@link TolerantJob}). */
class RunWorker extends Worker<RunJobData, RunResult> {
  protected override get Job(): typeof Job {
    return TolerantJob;
  }
}

/** Progress is written to Redis at most this often per job, ms. */
const PROGRESS_INTERVAL_MS = 1000;

/** Connects (waiting for Redis with backoff) and starts taking jobs. */
export async function startWorker(options: WorkerOptions): Promise<SweepWorker> {
  const { target, onEvent } = options;
  const stopping = new AbortController();
  await waitForRedis(
    target,
    (error, retryInMs) => onEvent({ kind: "waiting-for-redis", message: error.message, retryInMs }),
    stopping.signal,
  );
  /** Active jobs: their abort controllers. */
  const active = new Map<string, AbortController>();
  let lastErrorAt = 0;

  const processor = async (job: Job<RunJobData, RunResult>, token?: string): Promise<RunResult> => {
    let data: RunJobData;
    try {
      data = checkRunJobData(job.data, job.id ?? "(without an id)");
    } catch (error) {
      if (!(error instanceof SweepError)) throw error;
      onEvent({ kind: "damaged-job", jobId: job.id ?? "", message: error.message });
      throw new UnrecoverableError(error.message);
    }
    const abort = new AbortController();
    active.set(job.id!, abort);
    if (stopping.signal.aborted) abort.abort();
    let lastProgressAt = 0;
    let lastEpoch = -1;
    const onProgress = (p: RunProgress): void => {
      const now = Date.now();
      if (now - lastProgressAt < PROGRESS_INTERVAL_MS && p.epoch === lastEpoch) return;
      lastProgressAt = now;
      lastEpoch = p.epoch;
      job.updateProgress({ ...p }).catch(() => {}); // progress is best effort
    };
    try {
      const resumed = data.trainer !== undefined;
      onEvent({
        kind: "started",
        runId: data.runId,
        sweep: data.sweep,
        resumed,
        attempt: job.attemptsMade + 1,
      });
      const outcome = await trainRun({
        snn: options.snn,
        runDir: data.runDir,
        train: data.train,
        signal: abort.signal,
        ...(data.timeLimitMs !== undefined ? { timeLimitMs: data.timeLimitMs } : {}),
        ...(data.trainer !== undefined ? { previousTrainer: data.trainer } : {}),
        onStart: (trainer) => {
          job.updateData({ ...data, trainer }).catch(() => {});
        },
        onProgress,
      });
      switch (outcome.kind) {
        case "finished":
          onEvent({
            kind: "finished",
            runId: data.runId,
            sweep: data.sweep,
            result: outcome.result,
          });
          return outcome.result;
        case "stopped":
          // Back to the wait list at once, for another worker (or this one when it restarts).
          await job.moveToWait(token).catch(() => {});
          onEvent({ kind: "handed-back", runId: data.runId, sweep: data.sweep });
          throw new WaitingError();
        case "failed": {
          const attempts = job.opts.attempts ?? 1;
          onEvent({
            kind: "failed",
            runId: data.runId,
            sweep: data.sweep,
            message: outcome.message,
            final: !outcome.retry || job.attemptsMade + 1 >= attempts,
          });
          throw outcome.retry
            ? new Error(outcome.message)
            : new UnrecoverableError(outcome.message);
        }
      }
    } finally {
      active.delete(job.id!);
    }
  };

  const worker = new RunWorker(QUEUE_NAME, processor, {
    connection: connectionOptions(target),
    prefix: KEY_PREFIX,
    concurrency: options.concurrency,
    lockDuration: options.stallTimeoutMs,
    stalledInterval: Math.max(1000, Math.round(options.stallTimeoutMs / 2)),
    maxStalledCount: options.maxStalls ?? 3,
  });
  worker.on("error", (error: Error) => {
    // Lost connections are retried by ioredis with backoff; say so once in a while.
    const now = Date.now();
    if (now - lastErrorAt < 5000) return;
    lastErrorAt = now;
    onEvent({ kind: "redis-error", message: describeError(target, error) });
  });
  worker.on("lockRenewalFailed", (jobIds: string[]) => {
    // Another worker may take these jobs over: stop our trainers so only one writes each run.
    for (const id of jobIds) active.get(id)?.abort();
  });
  await worker.waitUntilReady();
  onEvent({ kind: "ready", concurrency: options.concurrency });

  return {
    async close() {
      stopping.abort();
      for (const abort of active.values()) abort.abort();
      await worker.close();
    },
  };
}

function describeError(target: RedisTarget, error: Error): string {
  const code = (error as { code?: string }).code;
  if (
    code === "ECONNREFUSED" ||
    code === "ECONNRESET" ||
    /Connection is closed|ECONNREFUSED/.test(error.message)
  ) {
    return `lost Redis at ${target.display} (${code ?? error.message}); reconnecting with backoff, the running trainers go on.`;
  }
  return `Redis at ${target.display}: ${error.message}`;
}
