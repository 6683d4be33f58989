/**
 * `snn sweep run`: a sweep on this machine, no Redis. Up to `workers` trainers run at once;
 * finished runs are skipped, so running the same sweep again continues it. A failing run is
 * attempted again (resuming from its checkpoint) up to `attempts` times.
 */
import { claimSweepDirectory } from "./manifest";
import { runDirectory } from "./runs";
import type { RunResult } from "./run-result";
import type { SweepSpec } from "./sweep-file";
import { trainRun, type RunProgress, type SnnCommand } from "./train-process";

/** What the local sweep reports (the CLI prints it). */
export type LocalEvent =
  | {
      readonly kind: "started";
      readonly runId: string;
      readonly attempt: number;
      readonly index: number;
      readonly total: number;
    }
  | { readonly kind: "progress"; readonly runId: string; readonly progress: RunProgress }
  | { readonly kind: "finished"; readonly runId: string; readonly result: RunResult }
  | {
      readonly kind: "failed";
      readonly runId: string;
      readonly message: string;
      readonly final: boolean;
    };

export interface LocalSweepOptions {
  readonly snn: SnnCommand;
  readonly spec: SweepSpec;
  readonly runsRoot: string;
  /** Trainers at once. */
  readonly workers: number;
  /** Attempts per run. */
  readonly attempts: number;
  /** Aborting stops every trainer with a checkpoint; running the sweep again continues it. */
  readonly signal?: AbortSignal;
  readonly onEvent?: (event: LocalEvent) => void;
}

export interface LocalSweepSummary {
  readonly finished: number;
  readonly failed: readonly { readonly runId: string; readonly message: string }[];
  /** True when stopped by the signal before every run ended. */
  readonly stopped: boolean;
}

/** Runs every run of the sweep on this machine. */
export async function runSweepLocally(options: LocalSweepOptions): Promise<LocalSweepSummary> {
  const { spec, runsRoot, onEvent } = options;
  const { manifest } = claimSweepDirectory(runsRoot, spec);
  const runs = manifest.runs;
  const timeLimitMs =
    spec.budget.maxMinutesPerRun === undefined ? undefined : spec.budget.maxMinutesPerRun * 60_000;
  let next = 0;
  let finished = 0;
  let stopped = false;
  const failed: { runId: string; message: string }[] = [];

  const slot = async (): Promise<void> => {
    while (next < runs.length && options.signal?.aborted !== true) {
      const index = next++;
      const run = runs[index]!;
      const runDir = runDirectory(runsRoot, spec.name, run.id);
      for (let attempt = 1; attempt <= options.attempts; attempt++) {
        onEvent?.({
          kind: "started",
          runId: run.id,
          attempt,
          index: index + 1,
          total: runs.length,
        });
        const outcome = await trainRun({
          snn: options.snn,
          runDir,
          train: run.train,
          ...(options.signal ? { signal: options.signal } : {}),
          ...(timeLimitMs !== undefined ? { timeLimitMs } : {}),
          onProgress: (progress) => onEvent?.({ kind: "progress", runId: run.id, progress }),
        });
        if (outcome.kind === "finished") {
          finished++;
          onEvent?.({ kind: "finished", runId: run.id, result: outcome.result });
          break;
        }
        if (outcome.kind === "stopped") {
          stopped = true;
          break;
        }
        const final = !outcome.retry || attempt === options.attempts;
        onEvent?.({ kind: "failed", runId: run.id, message: outcome.message, final });
        if (final) {
          failed.push({ runId: run.id, message: outcome.message });
          break;
        }
      }
    }
  };
  await Promise.all(
    Array.from({ length: Math.max(1, Math.min(options.workers, runs.length)) }, () => slot()),
  );
  return {
    finished,
    failed,
    stopped:
      stopped || (options.signal?.aborted === true && finished + failed.length < runs.length),
  };
}
