/**
 * The run folder as `snn train` handles it: opening a run to resume (its lock, its data path),
 * checkpoint names and pruning, the synchronous run.json write of an abandoned batch, and
 * marking a run failed with what to do next.
 */
import { renameSync, rmSync, writeFileSync } from "node:fs";
import { readdir, rm } from "node:fs/promises";
import { join, relative } from "node:path";
import { NonFiniteStateError } from "@snn/eprop";
import { absoluteDataPath } from "../data";
import { CommandError, UsageError, fileSystemError, oneLine } from "../errors";
import type { RunDirectory, RunState } from "../run-dir";
import type { RunLock } from "../run-lock";
import { isLegacyRelativeDataPath, resolveStoredDataPath } from "../stored-data";
import type { TrainConfig } from "../train-config";
import { DivergedError } from "./train-divergence";

export function epochName(epoch: number): string {
  return `epoch-${String(epoch).padStart(4, "0")}.safetensors`;
}

/** Writes run.json synchronously (used when abandoning a batch on a second Ctrl-C). */
export function saveStateSync(run: RunDirectory, state: RunState): void {
  state.updatedAt = new Date().toISOString();
  const temp = `${run.stateFile}.${process.pid}.sync.tmp`;
  try {
    writeFileSync(temp, `${JSON.stringify(state, null, 2)}\n`);
    renameSync(temp, run.stateFile);
  } catch {
    // Leaves run.json as it was ("running" without a live lock reads as stopped: resumable).
    rmSync(temp, { force: true });
  }
}

export async function pruneCheckpoints(
  run: RunDirectory,
  keep: number,
  protect: ReadonlySet<string>,
): Promise<void> {
  if (keep <= 0) return;
  const dir = join(run.root, "checkpoints");
  const names = (await readdir(dir)).filter((n) => /^epoch-\d+\.safetensors$/.test(n)).sort();
  for (const name of names.slice(0, Math.max(0, names.length - keep))) {
    if (!protect.has(join(dir, name))) await rm(join(dir, name), { force: true });
  }
}

/** The folder as the user would type it in a command (relative to the working folder when inside it). */
export function shownPath(cwd: string, dir: string): string {
  const rel = relative(cwd, dir);
  return rel === "" ? "." : rel.startsWith("..") ? dir : rel;
}

/**
 * Opens the run in DIR for `--resume`: checks it is a run that can continue, and takes its
 * lock (the caller releases it). A failed run resumes from its last good checkpoint unless
 * resuming would repeat the failure (divergence).
 */
export async function openForResume(
  run: RunDirectory,
  shown: string,
): Promise<{ config: TrainConfig; state: RunState; lock: RunLock }> {
  await run.open(); // a run at all, with a readable run.json: before creating a lock file in the folder
  const lock = run.lock("snn train --resume");
  try {
    const { config, state } = await run.open(); // again, under the lock
    if (
      state.status === "failed" &&
      (state.resumable === false || state.latestCheckpoint === undefined)
    ) {
      // A smaller --lr is the cure for divergence only, not for e.g. a full disk.
      const diverged = state.latestCheckpoint !== undefined || /diverged/i.test(state.reason ?? "");
      throw new CommandError(
        `${shown} failed (${state.reason ?? "no reason recorded"}) ${state.latestCheckpoint === undefined ? "before its first checkpoint" : "in a way that resuming would repeat"}, so it cannot be resumed; start a new run in another folder${diverged ? " (e.g. with a smaller --lr)" : ""}, or delete ${shown} first.`,
      );
    }
    if (state.latestCheckpoint === undefined) {
      throw new CommandError(
        `${shown} has no checkpoint yet (the run stopped before its first one), so there is nothing to resume; start it again without --resume, with another --out (or delete ${shown} first).`,
      );
    }
    return { config, state, lock };
  } catch (error) {
    lock.release();
    throw error;
  }
}

/**
 * The data of a resumed run. A run made before data paths were stored absolutely keeps a path
 * relative to the folder it was trained in: it is resolved by the rule of stored-data.ts, or
 * taken from `--data` (which is accepted with --resume only for such a run), and returned to
 * be recorded absolutely in config.json (`record`). Any other run's data cannot change.
 */
export function resumedDataPath(
  stored: TrainConfig,
  given: string | undefined,
  run: RunDirectory,
  cwd: string,
): { config: TrainConfig; record?: string } {
  if (!isLegacyRelativeDataPath(stored.data)) {
    if (given !== undefined)
      throw new UsageError(
        `--resume continues a run with its own data (${stored.data ?? "the dataset's default"}); drop --data.`,
        "train",
      );
    return { config: stored };
  }
  const record =
    given !== undefined
      ? absoluteDataPath(given, cwd)
      : resolveStoredDataPath(stored.data, run.root, cwd, run.configFile, "--data PATH");
  return { config: { ...stored, data: record }, record };
}

/**
 * Marks the run failed with the reason of `error` (in run.json) and returns the error to
 * report: what went wrong, and whether to resume (from the last good checkpoint) or start over.
 */
export async function failRun(
  run: RunDirectory,
  state: RunState,
  error: unknown,
  names: { shown: string; resumeCommand: string },
): Promise<CommandError> {
  // Non-finite state inside a trial is divergence too: resuming would repeat it.
  const diverged = error instanceof DivergedError || error instanceof NonFiniteStateError;
  const reason = oneLine(
    fileSystemError(error)?.message ?? (error instanceof Error ? error.message : String(error)),
  ).replace(/\.$/, "");
  const marked = await run.markFailed(state, reason, !diverged);
  // What run.json says now decides what --resume does: when it could not be written, that is
  // its last written state ("running", read as a stopped run), not the state in memory, which
  // may name a checkpoint run.json never recorded.
  const recorded = marked ? state : run.lastWrittenState;
  const checkpoint = recorded?.latestCheckpoint;
  const status = marked
    ? "The run is marked failed in run.json"
    : `run.json could not be written either, so it still says "${recorded?.status ?? "running"}" as last saved${checkpoint !== undefined ? ` (naming ${checkpoint})` : ""}, which snn reads as a run that stopped`;
  let next: string;
  if (diverged)
    next = `start a new run with a smaller --lr (another --out, or delete ${names.shown} first)`;
  else if (checkpoint !== undefined)
    next = `fix the cause, then resume from the last good checkpoint (${checkpoint}) with: ${names.resumeCommand}; or delete ${names.shown} to start over`;
  else
    next = `it failed before its first checkpoint: fix the cause and delete ${names.shown} (or choose another --out) to start over`;
  const message = `training failed: ${reason}. ${status}; ${next}.`;
  return new CommandError(message);
}
