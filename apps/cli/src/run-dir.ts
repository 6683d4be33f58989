/**
 * The run directory of `snn train`:
 *
 * ```
 * DIR/config.json          resolved configuration (loadable with --config)
 * DIR/run.json             state: status (failed runs: the reason), epochs done, best epoch, latest checkpoint, backend
 * DIR/run.lock             the owner while a process writes the run (pid, host, start time); see run-lock.ts
 * DIR/metrics.jsonl        one JSON object per line: {"kind":"batch",...} and {"kind":"epoch",...}
 * DIR/checkpoints/NAME     checkpoints (epoch-0001, ..., interrupted), each written atomically
 * DIR/best.safetensors     the checkpoint with the best test accuracy
 * DIR/plots/*.svg          accuracy.svg, loss.svg, firing-rate.svg, raster.svg
 * ```
 *
 * A writer (a new run, or a resume) owns the folder through {@link RunDirectory.create} or
 * {@link RunDirectory.lock}, which return a {@link RunLock} to release when done. A new run is
 * written only into a missing or empty folder; nothing else in a folder is ever overwritten.
 * Readers (evaluate, infer) use {@link RunDirectory.open} without the lock.
 */
import { existsSync, readFileSync, readdirSync, rmSync, rmdirSync, statSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { configToJson, parseConfigObject, resolveTrainConfig } from "./config";
import type { TrainConfig } from "./train-config";
import { CommandError, UsageError, fileSystemError } from "./errors";
import { makeDirectories, nodeFileOps, writeFileAtomic, type FileOps } from "./files";
import { jsonReplacer } from "./progress";
import { LOCK_FILE, RunLock } from "./run-lock";
import { RunStateError, parseRunState, type RunState } from "./run-state";

export { writeFileAtomic } from "./files";
export type { RunState, RunStatus } from "./run-state";

/** A line of metrics.jsonl for one training batch. */
export interface BatchRecord {
  readonly kind: "batch";
  readonly epoch: number;
  /** 1-based batch within the epoch, of `batches`. */
  readonly batch: number;
  readonly batches: number;
  /** Batches done since the start of training (1-based). */
  readonly step: number;
  /** Samples in the batch. */
  readonly examples: number;
  /** Mean loss per sample and fraction correct in this batch. */
  readonly loss: number;
  readonly accuracy: number;
  readonly firingRatesHz: Readonly<Record<string, number>>;
  readonly durationMs: number;
}

/** A line of metrics.jsonl for one finished epoch. */
export interface EpochRecord {
  readonly kind: "epoch";
  readonly epoch: number;
  /** Batches done since the start of training at the end of this epoch. */
  readonly step: number;
  readonly trainLoss: number;
  readonly trainAccuracy: number;
  readonly testLoss?: number;
  readonly testAccuracy?: number;
  /** On the training samples held out by `--validation` (absent without it). */
  readonly validationLoss?: number;
  readonly validationAccuracy?: number;
  readonly firingRatesHz: Readonly<Record<string, number>>;
  readonly durationMs: number;
}

export type MetricsRecord = BatchRecord | EpochRecord;

/** Files of a run directory. */
export class RunDirectory {
  readonly root: string;
  /** What this process last wrote to run.json (a copy); see {@link lastWrittenState}. */
  private written: RunState | undefined;

  constructor(
    root: string,
    /** File writes (tests replace them to simulate a full disk). */
    readonly files: FileOps = nodeFileOps,
  ) {
    this.root = resolve(root);
  }

  get configFile(): string {
    return join(this.root, "config.json");
  }
  get stateFile(): string {
    return join(this.root, "run.json");
  }
  get metricsFile(): string {
    return join(this.root, "metrics.jsonl");
  }
  get lockFile(): string {
    return join(this.root, LOCK_FILE);
  }
  get plotsDir(): string {
    return join(this.root, "plots");
  }
  get bestDir(): string {
    return join(this.root, "best");
  }
  checkpointDir(name: string): string {
    return join(this.root, "checkpoints", name);
  }

  /**
   * Throws a {@link CommandError} saying why a new run cannot be written here (and what to
   * do instead) unless the folder is missing or empty. Changes nothing; `shown` is the folder
   * as the user typed it, for the commands the message suggests.
   */
  checkNewRun(shown: string = this.root): void {
    const problem = newRunProblem(this.root, shown);
    if (problem !== undefined) throw new CommandError(problem);
  }

  /**
   * Creates a fresh run in a missing or empty folder and takes its lock (held by `command`):
   * config.json, an empty metrics.jsonl and run.json with status "running". Release the
   * returned lock when the run ends. When that fails (a full disk, a read-only folder) it
   * removes what it made, so the folder is again missing or empty and the same `--out` works
   * once the cause is fixed, rather than holding half a run that is "not a run".
   */
  async create(
    config: TrainConfig,
    command = "snn train",
    shown: string = this.root,
  ): Promise<{ state: RunState; lock: RunLock }> {
    this.checkNewRun(shown);
    const madeFolders = await makeDirectories(this.root);
    /** Files and folders this call made inside the run folder, in order. */
    const made: string[] = [];
    let lock: RunLock | undefined;
    try {
      lock = RunLock.acquire(this.root, command);
      // Checked again under the lock: another process may have written here meanwhile.
      this.checkNewRun(shown);
      made.push(...(await makeDirectories(join(this.root, "checkpoints"))));
      made.push(...(await makeDirectories(this.plotsDir)));
      // Named before each write: an atomic write that fails leaves no file, and the folder
      // was empty (checked under the lock), so removing the name removes only what we made.
      made.push(this.configFile);
      await writeFileAtomic(
        this.configFile,
        `${JSON.stringify(configToJson(config), null, 2)}\n`,
        this.files,
      );
      made.push(this.metricsFile);
      await writeFileAtomic(this.metricsFile, "", this.files);
      made.push(this.stateFile);
      const now = new Date().toISOString();
      const state: RunState = {
        version: 1,
        status: "running",
        epochsCompleted: 0,
        step: 0,
        createdAt: now,
        updatedAt: now,
      };
      await this.saveState(state);
      return { state, lock };
    } catch (error) {
      for (const path of made.reverse()) removeQuietly(path);
      lock?.release();
      for (const folder of madeFolders.reverse()) removeQuietly(folder);
      throw error;
    }
  }

  /** Takes the lock of this existing run for `command` (e.g. a resume); release it when done. */
  lock(command = "snn train --resume"): RunLock {
    return RunLock.acquire(this.root, command);
  }

  /**
   * Reads and checks config and state of an existing run (for --resume and evaluate). A folder
   * without them is not a run (a usage error), unless a live process holds its lock: then it
   * is a run being created, and the error names that process.
   */
  async open(): Promise<{ config: TrainConfig; state: RunState }> {
    if (!existsSync(this.stateFile) || !existsSync(this.configFile)) {
      // A new run another process is still setting up: say whose it is.
      const heldBy = RunLock.check(this.root);
      if (heldBy !== undefined) throw new CommandError(heldBy);
      throw new UsageError(
        `${this.root} is not a run directory of 'snn train' (no run.json and config.json).`,
      );
    }
    const json = readJson(this.configFile);
    let config: TrainConfig;
    try {
      config = resolveTrainConfig({ cli: {}, file: parseConfigObject(json, this.configFile) });
    } catch (error) {
      // A config.json that is not a configuration is damaged run state (1), not bad usage (2).
      if (!(error instanceof UsageError)) throw error;
      throw new RunStateError(
        `${this.configFile} is damaged: ${error.message.replace(`${this.configFile}: `, "")} Restore it from a backup, or delete the run folder and train again.`,
      );
    }
    return { config, state: this.readState() };
  }

  /**
   * Replaces the data path in config.json by `data` (absolute), atomically, leaving every
   * other key as it is (a resume records the path of a run that stored it relative). Call it
   * while holding the lock.
   */
  async recordDataPath(data: string): Promise<void> {
    const json = readJson(this.configFile);
    if (typeof json !== "object" || json === null || Array.isArray(json))
      throw new RunStateError(`${this.configFile} is damaged: it is not a JSON object.`);
    await writeFileAtomic(
      this.configFile,
      `${JSON.stringify({ ...(json as Record<string, unknown>), data }, null, 2)}\n`,
      this.files,
    );
  }

  /** run.json, checked (a damaged one throws naming the field). */
  readState(): RunState {
    return parseRunState(readJson(this.stateFile), this.stateFile, this.root);
  }

  async saveState(state: RunState): Promise<void> {
    state.updatedAt = new Date().toISOString();
    const text = `${JSON.stringify(state, null, 2)}\n`;
    await writeFileAtomic(this.stateFile, text, this.files);
    this.written = JSON.parse(text) as RunState;
  }

  /**
   * What run.json says as far as this process knows: the state it last wrote successfully,
   * which stays on disk while it holds the lock, even when a later write failed (the state in
   * memory may then name a checkpoint run.json does not). Undefined before its first write.
   */
  get lastWrittenState(): RunState | undefined {
    return this.written;
  }

  /**
   * Marks the run failed with `reason` (resumable: whether --resume may continue it from its
   * latest checkpoint). Best effort: when even run.json cannot be written (a read-only folder, a
   * full disk) it keeps its last written state, "running", and the lock is released (or left to a
   * dead process), which every command reads as a run that stopped, like a killed one:
   * `--resume` continues from the checkpoint that run.json names.
   */
  async markFailed(state: RunState, reason: string, resumable: boolean): Promise<boolean> {
    state.status = "failed";
    state.reason = reason;
    state.resumable = resumable && state.latestCheckpoint !== undefined;
    try {
      await this.saveState(state);
      return true;
    } catch {
      return false;
    }
  }

  /** Writes a checkpoint file (`name` relative to the run folder) atomically. */
  async writeCheckpoint(name: string, bytes: Uint8Array): Promise<void> {
    await writeFileAtomic(join(this.root, name), bytes, this.files);
  }

  async appendMetrics(records: readonly MetricsRecord[]): Promise<void> {
    if (records.length === 0) return;
    await this.files.appendFile(
      this.metricsFile,
      records.map((r) => `${JSON.stringify(r, jsonReplacer)}\n`).join(""),
    );
  }

  /** All records of metrics.jsonl (a torn last line from a crash is ignored). */
  async readMetrics(): Promise<MetricsRecord[]> {
    if (!existsSync(this.metricsFile)) return [];
    return parseMetrics(await readFile(this.metricsFile, "utf8"));
  }

  /** Drops records beyond `step` (work after the checkpoint a resume starts from). */
  async truncateMetrics(step: number): Promise<void> {
    const kept = (await this.readMetrics()).filter((r) => r.step <= step);
    await writeFileAtomic(
      this.metricsFile,
      kept.map((r) => `${JSON.stringify(r, jsonReplacer)}\n`).join(""),
      this.files,
    );
  }
}

/** Removes a file, or a folder if it is empty; errors (already gone, not empty) are ignored. */
function removeQuietly(path: string): void {
  try {
    if (statSync(path).isDirectory()) rmdirSync(path);
    else rmSync(path, { force: true });
  } catch {
    // Gone, or a folder another process has written into meanwhile: leave it.
  }
}

/** Files a lock leaves or uses; they do not make a folder non-empty. */
function isLockFile(name: string): boolean {
  return (
    name === LOCK_FILE ||
    name === `${LOCK_FILE}.break` ||
    (name.startsWith(`${LOCK_FILE}.`) && name.endsWith(".tmp"))
  );
}

/** Why `root` cannot take a new run, or undefined when it is missing or empty. */
function newRunProblem(root: string, shown: string): string | undefined {
  let isDirectory: boolean;
  try {
    isDirectory = statSync(root).isDirectory();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return undefined;
    throw error;
  }
  if (!isDirectory) return `--out ${shown} is a file, not a folder; give a new or empty folder.`;
  const entries = readdirSync(root).filter((name) => !isLockFile(name));
  if (entries.length === 0) return undefined;
  // First: a live writer's folder is that writer's, also while it is still writing its first
  // files (no run.json yet, which would otherwise read as "not a run").
  const heldBy = RunLock.check(root);
  if (heldBy !== undefined) return heldBy;
  const run = new RunDirectory(root);
  if (!entries.includes("run.json")) {
    const listed =
      entries.sort().slice(0, 3).join(", ") +
      (entries.length > 3 ? `, ... (${entries.length} entries)` : "");
    return `--out ${shown} is not empty (${listed}) and is not a run of 'snn train'; a new run is written only into a new or empty folder, so that nothing there is overwritten: choose another --out.`;
  }
  let state: RunState;
  try {
    state = run.readState();
  } catch (error) {
    return `--out ${shown} holds a run whose run.json is damaged (${error instanceof Error ? error.message : String(error)}); choose another --out.`;
  }
  const resume = `snn train --resume ${shown}`;
  if (
    (state.status === "running" || state.status === "interrupted") &&
    state.latestCheckpoint === undefined
  ) {
    // --resume would refuse it (nothing to resume from): do not send the user there.
    return `--out ${shown} holds a run that stopped before its first checkpoint (${state.status === "running" ? "its process stopped without saying why, e.g. it was killed" : "interrupted"}), so there is nothing to resume: delete ${shown} to start over, or choose another --out.`;
  }
  switch (state.status) {
    case "failed":
      if (state.resumable === true && state.latestCheckpoint !== undefined) {
        return `--out ${shown} holds a run that failed (${state.reason ?? "no reason recorded"}). Fix the cause, then resume it from its last good checkpoint (${state.latestCheckpoint}) with: ${resume}; or delete ${shown} to start over; or choose another --out.`;
      }
      return `--out ${shown} holds a run that failed (${state.reason ?? "no reason recorded"}) ${state.latestCheckpoint === undefined ? "before its first checkpoint" : "in a way resuming would repeat"}, so it cannot be resumed: delete ${shown} to start over, or choose another --out.`;
    case "finished":
      return `--out ${shown} holds a finished run; choose another --out (or train it for more epochs with: ${resume} --epochs N).`;
    default:
      return `--out ${shown} holds an unfinished run (${state.status === "running" ? "its process stopped without saying why, e.g. it was killed" : "interrupted"}); continue it with: ${resume}; or delete ${shown} to start over; or choose another --out.`;
  }
}

/** Parses JSON lines, skipping blank and unparsable (torn) lines. */
export function parseMetrics(text: string): MetricsRecord[] {
  const out: MetricsRecord[] = [];
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    try {
      const record = JSON.parse(line) as MetricsRecord;
      if (record.kind === "batch" || record.kind === "epoch") out.push(record);
    } catch {
      // A line cut short by a crash: ignore it.
    }
  }
  return out;
}

/** A file of the run as JSON; unreadable or broken JSON is a {@link RunStateError}. */
function readJson(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw fileSystemError(error) ?? error;
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new RunStateError(
      `${file} is damaged: it is not valid JSON (${(e as Error).message}); restore it from a backup, or delete the run folder and train again.`,
    );
  }
}

/** A new run directory under `cwd`: `runs/<dataset>-<date>T<time>` (with `-2`, `-3`, ... if taken). */
export function defaultRunDirectory(cwd: string, dataset: string, now = new Date()): string {
  const stamp = now
    .toISOString()
    .replace(/\.\d+Z$/, "")
    .replace(/:/g, "-");
  const base = join(cwd, "runs", `${dataset}-${stamp}`);
  let dir = base;
  for (let k = 2; existsSync(dir); k++) dir = `${base}-${k}`;
  return dir;
}
