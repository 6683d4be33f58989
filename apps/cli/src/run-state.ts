/**
 * DIR/run.json of a run directory: its type and a strict reader. A damaged file (not an
 * object, a field of the wrong type, a checkpoint path that leaves the run folder) is refused
 * with a message naming the field, like a damaged checkpoint.
 */
import { existsSync, realpathSync } from "node:fs";
import { isAbsolute, relative, resolve, sep } from "node:path";
import { CommandError } from "./errors";

/** What a run is doing: `failed` runs carry the `reason`. */
export type RunStatus = "running" | "interrupted" | "finished" | "failed";

/** DIR/run.json. */
export interface RunState {
  readonly version: 1;
  /**
   * "running" while a process holds DIR/run.lock; "running" without a live lock means the
   * process was killed (resume it).
   */
  status: RunStatus;
  /** Why the run failed (status "failed"). */
  reason?: string;
  /** Whether `--resume` can continue a failed run from its last checkpoint (false: it diverged). */
  resumable?: boolean;
  /** Epochs fully done. */
  epochsCompleted: number;
  /** Batches done since the start of training. */
  step: number;
  /** Checkpoint to resume from (relative to the run directory, inside it). */
  latestCheckpoint?: string;
  /**
   * The best epoch so far: by validation accuracy when the run holds samples out for validation
   * (`validationAccuracy` is then set), else by test accuracy. `accuracy` is its test accuracy.
   */
  best?: { epoch: number; accuracy: number; validationAccuracy?: number; checkpoint: string };
  /** The average of the weights at the ends of the `--lr-waves` waves after the first (SWA). */
  swa?: SwaState;
  backend?: string;
  device?: string;
  createdAt: string;
  updatedAt: string;
}

/** run.json's record of the SWA network: the epochs averaged, its test score and its file. */
export interface SwaState {
  epochs: number[];
  accuracy: number;
  loss?: number;
  checkpoint: string;
}

const STATUSES: readonly RunStatus[] = ["running", "interrupted", "finished", "failed"];

/** run.json is damaged. Exit status 1. */
export class RunStateError extends CommandError {}

/**
 * Checks the parsed contents of `file` (the run.json of the run folder `root`) and returns
 * them as a {@link RunState}; throws {@link RunStateError} naming the first wrong field.
 */
export function parseRunState(value: unknown, file: string, root: string): RunState {
  const fail: (what: string) => never = (what) => {
    throw new RunStateError(
      `${file} is damaged: ${what}; restore it from a backup, or delete the run folder and train again.`,
    );
  };
  if (value === null || typeof value !== "object" || Array.isArray(value))
    fail(
      `it holds ${value === null ? "null" : Array.isArray(value) ? "an array" : typeof value}, not an object`,
    );
  const s = value as Record<string, unknown>;
  if (s["version"] !== 1)
    fail(
      `"version" is ${JSON.stringify(s["version"])}, not 1 (written by another version of snn?)`,
    );
  if (!STATUSES.includes(s["status"] as RunStatus))
    fail(`"status" must be one of ${STATUSES.join(", ")}`);
  for (const key of ["epochsCompleted", "step"]) {
    const n = s[key];
    if (typeof n !== "number" || !Number.isInteger(n) || n < 0)
      fail(`"${key}" must be a whole number of at least 0`);
  }
  for (const key of ["createdAt", "updatedAt"])
    if (typeof s[key] !== "string") fail(`"${key}" must be a time (a string)`);
  for (const key of ["backend", "device", "reason"])
    if (s[key] !== undefined && typeof s[key] !== "string") fail(`"${key}" must be a string`);
  if (s["resumable"] !== undefined && typeof s["resumable"] !== "boolean")
    fail(`"resumable" must be true or false`);
  if (s["latestCheckpoint"] !== undefined)
    checkInside(s["latestCheckpoint"], "latestCheckpoint", root, fail);
  if (s["best"] !== undefined) {
    const best = s["best"] as Record<string, unknown> | null;
    if (best === null || typeof best !== "object" || Array.isArray(best))
      fail(`"best" must be an object`);
    if (
      typeof best!["epoch"] !== "number" ||
      !Number.isInteger(best!["epoch"]) ||
      best!["epoch"] < 1
    )
      fail(`"best.epoch" must be a whole number of at least 1`);
    const accuracy = best!["accuracy"];
    if (typeof accuracy !== "number" || !(accuracy >= 0 && accuracy <= 1))
      fail(`"best.accuracy" must be a number from 0 to 1`);
    const validation = best!["validationAccuracy"];
    if (
      validation !== undefined &&
      !(typeof validation === "number" && validation >= 0 && validation <= 1)
    )
      fail(`"best.validationAccuracy" must be a number from 0 to 1`);
    checkInside(best!["checkpoint"], "best.checkpoint", root, fail);
  }
  if (s["swa"] !== undefined) {
    const swa = s["swa"] as Record<string, unknown> | null;
    if (swa === null || typeof swa !== "object" || Array.isArray(swa))
      fail(`"swa" must be an object`);
    const epochs = swa!["epochs"];
    if (
      !Array.isArray(epochs) ||
      epochs.length === 0 ||
      !epochs.every((e) => typeof e === "number" && Number.isInteger(e) && e >= 1)
    )
      fail(`"swa.epochs" must be a list of whole numbers of at least 1`);
    const accuracy = swa!["accuracy"];
    if (typeof accuracy !== "number" || !(accuracy >= 0 && accuracy <= 1))
      fail(`"swa.accuracy" must be a number from 0 to 1`);
    if (swa!["loss"] !== undefined && typeof swa!["loss"] !== "number")
      fail(`"swa.loss" must be a number`);
    checkInside(swa!["checkpoint"], "swa.checkpoint", root, fail);
  }
  return s as unknown as RunState;
}

/** A checkpoint path of run.json: relative, and inside the run folder (also after symbolic links). */
function checkInside(
  path: unknown,
  key: string,
  root: string,
  fail: (what: string) => never,
): void {
  if (typeof path !== "string" || path === "") fail(`"${key}" must be a path (a string)`);
  const p = path as string;
  if (isAbsolute(p) || !isWithin(root, resolve(root, p)))
    fail(`"${key}" (${p}) points outside the run folder`);
  const full = resolve(root, p);
  if (existsSync(full)) {
    let real: string;
    try {
      real = realpathSync(full);
    } catch {
      return;
    }
    if (!isWithin(realpathSync(root), real))
      fail(`"${key}" (${p}) is a link that leads outside the run folder`);
  }
}

function isWithin(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel !== "" && !rel.startsWith(`..${sep}`) && rel !== ".." && !isAbsolute(rel);
}
