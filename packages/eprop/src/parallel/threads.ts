/** The `threads` options of training and evaluation: their checks and their default. */
import type { Backend } from "@snn/core";
import { EpropConfigError } from "../errors";
import { availableThreads } from "./worker-threads";

/** Most worker threads `threads` may ask for (training and evaluation). */
export const MAX_TRAIN_THREADS = 64;

/** Checks a `threads` option: an integer from 1 to {@link MAX_TRAIN_THREADS}. */
export function checkThreads(threads: unknown): number {
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

/** Throws where `threads > 1` asks for workers of a backend that cannot be made in a worker. */
export function checkWorkerBackend(threads: number, backend: Backend): void {
  if (threads > 1 && backend.worker === undefined) {
    throw new EpropConfigError(
      `threads: ${threads} needs a backend that can be made again in a worker thread (one with a 'worker' source, such as the CPU backend); the ${backend.name} backend cannot. Use threads: 1.`,
    );
  }
}

/**
 * The threads of an evaluation: the option checked, or by default the cores available where
 * the backend can be made in a worker (see `EvaluateOptions.threads`), else 1.
 */
export function evaluationThreads(threads: number | undefined, backend: Backend): number {
  if (threads === undefined)
    return backend.worker !== undefined ? Math.min(availableThreads(), MAX_TRAIN_THREADS) : 1;
  checkThreads(threads);
  checkWorkerBackend(threads, backend);
  return threads;
}
