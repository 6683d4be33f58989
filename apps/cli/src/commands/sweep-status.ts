import { resolve } from "node:path";
import {
  collectResults,
  readManifest,
  readRunState,
  runDirectory,
  sweepStatus,
  type RunStatus,
} from "@snn/sweep";
import type { Command } from "../command";
import { UsageError } from "../errors";
import { REDIS_OPTION, RUNS_OPTION, redisFromOptions } from "./sweep-common";

/**
 * A run as `snn sweep status` shows it: a queued run's state, or, read from run directories,
 * `stopped` (interrupted with a checkpoint, e.g. by Ctrl-C or the per-run time budget).
 */
type ShownRun = Omit<RunStatus, "state"> & { readonly state: RunStatus["state"] | "stopped" };

function progressText(run: ShownRun): string {
  if (run.state === "stopped") {
    const epochs = run.progress?.epoch ?? 0;
    return `${epochs} epoch${epochs === 1 ? "" : "s"} done, checkpoint kept; the same 'snn sweep run' continues it`;
  }
  if (run.state === "done" && run.result)
    return `test accuracy ${(run.result.testAccuracy * 100).toFixed(1)} %`;
  if (run.state === "failed") return run.error ?? "";
  const p = run.progress;
  const where = p ? `epoch ${p.epoch}/${p.epochs}, batch ${p.batch}/${p.batches}` : "";
  const retries =
    run.failedAttempts > 0
      ? `${where ? ", " : ""}${run.failedAttempts} failed attempt${run.failedAttempts === 1 ? "" : "s"}${run.error ? ` (last: ${run.error})` : ""}`
      : "";
  return where + retries;
}

/** Runs of a sweep from its run directories (no Redis): queued, running, stopped, done, failed. */
function statusFromDirectories(runsRoot: string, name: string): ShownRun[] {
  const manifest = readManifest(runsRoot, name);
  const results = new Map(
    collectResults(runsRoot, name).configs.flatMap((c) =>
      c.seeds.map((s) => [s.runId, s] as const),
    ),
  );
  return manifest.runs.map((r): ShownRun => {
    const state = readRunState(runDirectory(runsRoot, name, r.id));
    const row = results.get(r.id);
    if (state.status === "finished" && row?.testAccuracy !== undefined) {
      return {
        runId: r.id,
        state: "done",
        failedAttempts: 0,
        result: {
          epochs: state.epochsCompleted,
          testAccuracy: row.testAccuracy,
          bestAccuracy: row.testAccuracy,
          trainSeconds: row.trainSeconds ?? 0,
        },
      };
    }
    if (state.status === "missing") return { runId: r.id, state: "queued", failedAttempts: 0 };
    if (state.status === "failed") return { runId: r.id, state: "failed", failedAttempts: 1 };
    return {
      runId: r.id,
      state: state.status === "interrupted" ? "stopped" : "running",
      failedAttempts: 0,
      progress: { epoch: state.epochsCompleted, epochs: Number.NaN, batch: 0, batches: 0 },
    };
  });
}

/** `snn sweep status NAME`: queued, running, done and failed runs with their progress. */
export const sweepStatusCommand: Command = {
  spec: {
    name: "sweep status",
    summary: "Show a sweep's queued, running, done and failed runs with their progress.",
    description: [
      "With --redis: the state of every job of a submitted sweep in the queue (with progress, failed attempts",
      "and errors). Without it: the state of a sweep's run directories under --runs (e.g. of 'snn sweep run'); a run",
      "stopped with a checkpoint (Ctrl-C, or over its time budget) shows as stopped.",
    ].join("\n"),
    positionals: [{ name: "NAME", description: "The sweep's name.", required: true }],
    options: [
      REDIS_OPTION,
      { ...RUNS_OPTION, defaultText: "runs (without --redis)" },
      { name: "json", kind: "boolean", description: "Print the runs as JSON." },
    ],
    examples: [
      {
        comment: "A submitted sweep",
        command: "snn sweep status sizes --redis redis://queue.lab:6379",
      },
      { comment: "A local sweep", command: "snn sweep status sizes --runs runs" },
    ],
  },
  async run(parsed, io) {
    const v = parsed.values;
    const name = parsed.positionals[0]!;
    const useRedis =
      v["redis"] !== undefined ||
      (v["runs"] === undefined && (io.env["SNN_REDIS_URL"] ?? "") !== "");
    let runs: ShownRun[];
    if (useRedis) {
      runs = (
        await sweepStatus(
          redisFromOptions(v["redis"] as string | undefined, io.env, "sweep status"),
          name,
        )
      ).runs;
    } else {
      if (v["runs"] === undefined && !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name))
        throw new UsageError(`${JSON.stringify(name)} is not a sweep name.`, "sweep status");
      runs = statusFromDirectories(
        resolve(io.cwd, (v["runs"] as string | undefined) ?? "runs"),
        name,
      );
    }
    if (v["json"] === true) {
      io.stdout.write(`${JSON.stringify({ sweep: name, runs }, null, 2)}\n`);
      return 0;
    }
    const counts = { queued: 0, running: 0, stopped: 0, done: 0, failed: 0, missing: 0 };
    for (const r of runs) counts[r.state]++;
    const width = Math.max(3, ...runs.map((r) => r.runId.length));
    const lines = [
      `sweep ${name}: ${runs.length} runs: ${counts.queued} queued, ${counts.running} running,${counts.stopped > 0 ? ` ${counts.stopped} stopped,` : ""} ${counts.done} done, ${counts.failed} failed${counts.missing > 0 ? `, ${counts.missing} missing from the queue` : ""}`,
      ...runs.map((r) =>
        `  ${r.runId.padEnd(width)}  ${r.state.padEnd(7)}  ${progressText(r).replace(", batch 0/0", "").replace("/NaN", "")}`.trimEnd(),
      ),
    ];
    io.stdout.write(`${lines.join("\n")}\n`);
    return 0;
  },
};
