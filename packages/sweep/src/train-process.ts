/**
 * Trains one run of a sweep by running `snn train` as a child process, the way a user would:
 * a fresh run with `--config FILE --out DIR`, or `--resume DIR` when the run directory already
 * has a checkpoint (`snn train`'s resume is exact, so a run taken over after a crash ends with
 * the same weights as one that never stopped). Progress comes from `--log-format json`.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { inspectRun, readRunState, type RunResult } from "./run-result";
import type { ConfigObject } from "./sweep-file";

/** How to start `snn`: the executable and the arguments before the subcommand. */
export interface SnnCommand {
  /** Usually `process.execPath` (node). */
  readonly command: string;
  /** Usually `[path of dist/bin.js]`. */
  readonly args: readonly string[];
}

/** Where a run is: 1-based epoch and batch of the totals. */
export interface RunProgress {
  readonly epoch: number;
  readonly epochs: number;
  readonly batch: number;
  readonly batches: number;
}

/** The trainer process of a run: where it ran (to recognise its lock after a takeover). */
export interface TrainerIdentity {
  readonly hostname: string;
  readonly pid: number;
}

export interface TrainRunOptions {
  readonly snn: SnnCommand;
  readonly runDir: string;
  /** The complete `snn train --config` object (used when the run starts fresh). */
  readonly train: ConfigObject;
  readonly onProgress?: (progress: RunProgress) => void;
  /** Called once the trainer process has started. */
  readonly onStart?: (trainer: TrainerIdentity) => void;
  /** Aborting stops the trainer like Ctrl-C: it finishes its batch, saves a checkpoint and exits. */
  readonly signal?: AbortSignal;
  /**
   * Stop the trainer (as on abort) after this long and report the run as over budget. A trainer
   * that has not reported its first batch by then is still starting and could not save a
   * checkpoint: it is stopped at its first batch, or {@link STARTUP_GRACE_MS} (or as long as
   * the limit, if longer) later at the latest.
   */
  readonly timeLimitMs?: number;
  /**
   * The trainer that held this run before (recorded by the queue). When the run's lock is still
   * that process's on another machine, the queue has declared it dead, so the lock is removed.
   */
  readonly previousTrainer?: TrainerIdentity;
  /** Environment of the trainer (default: this process's, without SNN_MAX_BATCHES). */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** How an attempt at a run ended. */
export type TrainOutcome =
  | { readonly kind: "finished"; readonly result: RunResult }
  /** Stopped on request (abort) with a checkpoint: the run continues elsewhere or later. */
  | { readonly kind: "stopped" }
  /** Failed; `retry` says whether another attempt may succeed (not for bad options or an exceeded budget). */
  | { readonly kind: "failed"; readonly message: string; readonly retry: boolean };

/** How long a trainer still starting when its time limit is over may take to its first batch. */
const STARTUP_GRACE_MS = 60_000;

/** The preload that ends the trainer when its parent dies (built beside this module). */
function parentWatchUrl(): string | undefined {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const candidate of [
    join(here, "parent-watch.js"),
    join(here, "..", "dist", "parent-watch.js"),
  ]) {
    if (existsSync(candidate)) return pathToFileURL(candidate).href;
  }
  return undefined;
}

/** Removes the run's lock when it still names the previous trainer on another machine. */
function releaseDeadLock(runDir: string, previous: TrainerIdentity | undefined): void {
  if (previous === undefined || previous.hostname === hostname()) return; // same host: snn train checks the pid itself
  const file = join(runDir, "run.lock");
  try {
    const holder = JSON.parse(readFileSync(file, "utf8")) as { pid?: number; hostname?: string };
    if (holder.pid === previous.pid && holder.hostname === previous.hostname)
      rmSync(file, { force: true });
  } catch {
    // no lock, or unreadable: leave it to snn train
  }
}

/** The last meaningful line of the trainer's error output (its one-line error message). */
function lastErrorLine(stderr: string): string {
  const lines = stderr
    .split("\n")
    .map((l) => l.trim())
    .filter(
      (l) => l !== "" && !l.startsWith("{") && !l.startsWith("Usage:") && !l.startsWith("Run 'snn"),
    );
  return lines[lines.length - 1] ?? "";
}

/** Runs (or resumes, or just reads) one run; never throws for a failing trainer. */
export async function trainRun(options: TrainRunOptions): Promise<TrainOutcome> {
  const { runDir } = options;
  const state = readRunState(runDir);
  if (state.status === "finished") {
    const { result, problem } = inspectRun(runDir);
    if (result) return { kind: "finished", result };
    return {
      kind: "failed",
      message: `${runDir} says it finished but its results cannot be read (${problem ?? "no epoch results"}); delete the folder to train the run again.`,
      retry: false,
    };
  }
  let configDir: string | undefined;
  let args: string[];
  if (state.status !== "missing" && state.latestCheckpoint !== undefined) {
    releaseDeadLock(runDir, options.previousTrainer);
    args = ["train", "--resume", runDir, "--log-format", "json"];
  } else {
    if (state.status !== "missing" || existsSync(runDir)) {
      // Started but stopped before its first checkpoint: nothing to keep, start again.
      releaseDeadLock(runDir, options.previousTrainer);
      rmSync(runDir, { recursive: true, force: true });
    }
    configDir = mkdtempSync(join(tmpdir(), "snn-sweep-"));
    const configFile = join(configDir, "config.json");
    writeFileSync(configFile, `${JSON.stringify(options.train, null, 2)}\n`);
    args = ["train", "--config", configFile, "--out", runDir, "--log-format", "json"];
  }
  try {
    return await runTrainer(options, args);
  } finally {
    if (configDir !== undefined) rmSync(configDir, { recursive: true, force: true });
  }
}

/** Longest partial stdout line kept while waiting for its newline (characters). */
const MAX_PENDING_LINE = 1 << 20;

function runTrainer(options: TrainRunOptions, args: readonly string[]): Promise<TrainOutcome> {
  const env: Record<string, string | undefined> = { ...(options.env ?? process.env) };
  delete env["SNN_MAX_BATCHES"]; // the sweep's configuration is the whole truth
  env["SNN_SWEEP_PARENT"] = String(process.pid);
  const watch = parentWatchUrl();
  const child = spawn(
    options.snn.command,
    [...(watch !== undefined ? ["--import", watch] : []), ...options.snn.args, ...args],
    {
      env,
      // Its own process group: a Ctrl-C at the worker's terminal reaches the worker only, which
      // then stops the trainer exactly once (a second SIGINT would abandon the batch).
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  return new Promise((resolve) => {
    let stopped = false;
    let overBudget = false;
    /** The trainer has reported a batch: from then on a SIGINT ends it with a checkpoint. */
    let training = false;
    let stderr = "";
    let pending = "";
    const stop = (): void => {
      if (stopped || child.exitCode !== null) return;
      stopped = true;
      child.kill("SIGINT");
    };
    const onAbort = (): void => stop();
    options.signal?.addEventListener("abort", onAbort);
    if (options.signal?.aborted === true) stop();
    const limitMs = options.timeLimitMs;
    let timer =
      limitMs === undefined
        ? undefined
        : setTimeout(() => {
            overBudget = true;
            if (training) stop();
            else timer = setTimeout(stop, Math.max(limitMs, STARTUP_GRACE_MS));
          }, limitMs);
    child.on("spawn", () => options.onStart?.({ hostname: hostname(), pid: child.pid! }));
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      pending += chunk;
      const lines = pending.split("\n");
      pending = lines.pop() ?? "";
      // Progress lines are short: an endless line without a newline is not kept in memory.
      if (pending.length > MAX_PENDING_LINE) pending = "";
      for (const line of lines) {
        if (!line.startsWith("{")) continue;
        try {
          const event = JSON.parse(line) as { event?: string } & Partial<RunProgress>;
          if (
            event.event === "batch" &&
            typeof event.epoch === "number" &&
            typeof event.batch === "number"
          ) {
            training = true;
            if (overBudget) stop();
            options.onProgress?.({
              epoch: event.epoch,
              epochs: event.epochs ?? 0,
              batch: event.batch,
              batches: event.batches ?? 0,
            });
          }
        } catch {
          // not a progress line
        }
      }
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr = (stderr + chunk).slice(-20_000);
    });
    const finish = (outcome: TrainOutcome): void => {
      if (timer) clearTimeout(timer);
      options.signal?.removeEventListener("abort", onAbort);
      resolve(outcome);
    };
    child.on("error", (error) =>
      finish({
        kind: "failed",
        message: `could not start snn train: ${error.message}`,
        retry: false,
      }),
    );
    child.on("close", (code, signal) => {
      if (code === 0) {
        const { result, problem } = inspectRun(options.runDir);
        finish(
          result
            ? { kind: "finished", result }
            : {
                kind: "failed",
                message: `snn train ended without readable results in ${options.runDir} (${problem ?? "run.json does not say it finished"}).`,
                retry: true,
              },
        );
        return;
      }
      if (overBudget) {
        const minutes = (options.timeLimitMs ?? 0) / 60_000;
        // A trainer stopped before it could handle the signal (still starting) saved nothing.
        const checkpoint = readRunState(options.runDir).latestCheckpoint;
        finish({
          kind: "failed",
          message: `the run trained longer than its budget of ${minutes} minutes ("budget"."maxMinutesPerRun"); it was stopped ${checkpoint !== undefined ? "with a checkpoint" : "before its first checkpoint"}.`,
          retry: false,
        });
        return;
      }
      if (stopped && code === 130) {
        finish({ kind: "stopped" });
        return;
      }
      const why =
        lastErrorLine(stderr) ||
        (signal !== null
          ? `snn train was killed by ${signal}`
          : `snn train exited with status ${code}`);
      // Status 2 is a usage error (bad options, missing data): another attempt fails the same way.
      finish({ kind: "failed", message: why, retry: code !== 2 });
    });
  });
}
