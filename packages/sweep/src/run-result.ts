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

/** The result of a finished run, or undefined when the run has not finished. */
export function readRunResult(runDir: string): RunResult | undefined {
  if (readRunState(runDir).status !== "finished") return undefined;
  const file = join(runDir, "metrics.jsonl");
  if (!existsSync(file)) return undefined;
  const epochs: { testAccuracy?: number; durationMs?: number }[] = [];
  for (const line of readFileSync(file, "utf8").split("\n")) {
    if (line.trim() === "") continue;
    try {
      const record = JSON.parse(line) as {
        kind?: string;
        testAccuracy?: number;
        durationMs?: number;
      };
      if (record.kind === "epoch") epochs.push(record);
    } catch {
      // a torn line: skip it
    }
  }
  const last = epochs[epochs.length - 1];
  if (last === undefined || typeof last.testAccuracy !== "number") return undefined;
  const accuracies = epochs
    .map((e) => e.testAccuracy)
    .filter((a): a is number => typeof a === "number");
  return {
    epochs: epochs.length,
    testAccuracy: last.testAccuracy,
    bestAccuracy: Math.max(...accuracies),
    trainSeconds: epochs.reduce((sum, e) => sum + (e.durationMs ?? 0), 0) / 1000,
  };
}
