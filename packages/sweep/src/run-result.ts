/**
 * What a finished `snn train` run directory says about the run: read from its run.json and the
 * epoch lines of metrics.jsonl (the files `snn train` documents), never from a queue.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

/** The outcome of one finished run. */
export interface RunResult {
  /** Epochs trained. */
  readonly epochs: number;
  /** Test accuracy after the last epoch (0..1). */
  readonly testAccuracy: number;
  /** Best test accuracy of any epoch (0..1). */
  readonly bestAccuracy: number;
  /** Training time: the sum of the epochs' wall times, seconds (evaluation included). */
  readonly trainSeconds: number;
}

/** The state of a run directory as far as a sweep cares. */
export interface RunDirState {
  /** `missing`: no run.json; otherwise run.json's status. */
  readonly status: "missing" | "running" | "interrupted" | "finished" | "failed" | string;
  readonly epochsCompleted: number;
  /** Checkpoint to resume from, relative to the run directory. */
  readonly latestCheckpoint?: string;
}

function readJsonFile(file: string): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(readFileSync(file, "utf8")) as unknown;
    return typeof value === "object" && value !== null
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** Reads `DIR/run.json` (a missing or unreadable one reads as `missing`). */
export function readRunState(runDir: string): RunDirState {
  const state = readJsonFile(join(runDir, "run.json"));
  if (state === undefined) return { status: "missing", epochsCompleted: 0 };
  return {
    status: typeof state["status"] === "string" ? state["status"] : "missing",
    epochsCompleted: typeof state["epochsCompleted"] === "number" ? state["epochsCompleted"] : 0,
    ...(typeof state["latestCheckpoint"] === "string"
      ? { latestCheckpoint: state["latestCheckpoint"] }
      : {}),
  };
}

/** The result of a finished run, or undefined when the run has not finished (or its metrics are damaged). */
export function readRunResult(runDir: string): RunResult | undefined {
  return inspectRun(runDir).result;
}

/**
 * A finished run's result, or why a run that says it finished has none: its metrics.jsonl must
 * hold one epoch line for each of the `epochsCompleted` of run.json, the last being that epoch.
 * A torn or missing last line would otherwise report an earlier epoch's accuracy as the final.
 */
export function inspectRun(runDir: string): { result?: RunResult; problem?: string } {
  const state = readRunState(runDir);
  if (state.status !== "finished") return {};
  const file = join(runDir, "metrics.jsonl");
  if (!existsSync(file)) return { problem: `${file} is missing` };
  const epochs: { epoch?: number; testAccuracy?: number; durationMs?: number }[] = [];
  let torn = 0;
  for (const line of readFileSync(file, "utf8").split("\n")) {
    if (line.trim() === "") continue;
    try {
      const record = JSON.parse(line) as {
        kind?: string;
        epoch?: number;
        testAccuracy?: number;
        durationMs?: number;
      };
      if (record.kind === "epoch") epochs.push(record);
    } catch {
      torn++;
    }
  }
  const expected = state.epochsCompleted;
  const last = epochs[epochs.length - 1];
  const damaged = torn > 0 ? ` (${torn} unreadable line${torn === 1 ? "" : "s"})` : "";
  if (last === undefined || epochs.length !== expected || last.epoch !== expected) {
    return {
      problem: `${file} holds ${epochs.length} epoch result${epochs.length === 1 ? "" : "s"}${last?.epoch !== undefined ? ` (the last of epoch ${last.epoch})` : ""} but run.json says ${expected} epoch${expected === 1 ? "" : "s"} finished${damaged}`,
    };
  }
  if (typeof last.testAccuracy !== "number" || !Number.isFinite(last.testAccuracy))
    return { problem: `${file}: epoch ${expected} has no test accuracy${damaged}` };
  const accuracies = epochs
    .map((e) => e.testAccuracy)
    .filter((a): a is number => typeof a === "number");
  return {
    result: {
      epochs: epochs.length,
      testAccuracy: last.testAccuracy,
      bestAccuracy: Math.max(...accuracies),
      trainSeconds: epochs.reduce((sum, e) => sum + (e.durationMs ?? 0), 0) / 1000,
    },
  };
}
