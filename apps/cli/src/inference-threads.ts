/**
 * `--threads N` of `snn evaluate` and `snn infer`: how many threads run the batches (the CPU
 * backend's worker threads; @snn/eprop's `threads` of `Trainer.evaluate`/`predictBatches`),
 * by default the cores available.
 */
import { availableParallelism } from "node:os";
import type { Backend } from "@snn/core";
import { MAX_TRAIN_THREADS } from "@snn/eprop";
import type { OptionSpec } from "./args";
import { UsageError } from "./errors";

/** The option, as `snn evaluate` and `snn infer` declare it. */
export const THREADS_OPTION: OptionSpec = {
  name: "threads",
  kind: "integer",
  positive: true,
  valueName: "N",
  description:
    "Run the batches in N threads (CPU backend): each thread holds a copy of the network and takes the next batch; the results are gathered in batch order and are those of one thread, to the bit. 1: one batch after another in the main thread.",
  defaultText: "the cores available",
};

/** The value of `--threads` as given (a positive integer, already parsed), checked against its limit. */
export function requestedThreads(value: unknown, command: string): number | undefined {
  if (value === undefined) return undefined;
  const threads = value as number;
  if (threads > MAX_TRAIN_THREADS)
    throw new UsageError(
      `--threads ${threads} is more than ${MAX_TRAIN_THREADS}; give at most ${MAX_TRAIN_THREADS}.`,
      command,
    );
  return threads;
}

/**
 * The threads to run in: `requested`, or the cores available (at most the limit) where the
 * backend can run in worker threads, else 1. More than 1 on a backend that cannot is a usage
 * error.
 */
export function inferenceThreads(
  requested: number | undefined,
  backend: { readonly backend: Backend; readonly name: string },
  command: string,
): number {
  const canThread = backend.backend.worker !== undefined;
  if (requested === undefined)
    return canThread ? Math.min(availableParallelism(), MAX_TRAIN_THREADS) : 1;
  if (requested > 1 && !canThread)
    throw new UsageError(
      `--threads ${requested} needs --backend cpu (the ${backend.name} backend runs in one thread); drop --threads or use --backend cpu.`,
      command,
    );
  return requested;
}
