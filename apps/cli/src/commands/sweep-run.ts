import { resolve } from "node:path";
import { formatAccuracy, runSweepLocally, sweepDirectory } from "@snn/sweep";
import type { Command } from "../command";
import { CommandError } from "../errors";
import { interruptExitCode, type InterruptSignal } from "../interrupt";
import { RUNS_OPTION, readSweepFile, snnCommand } from "./sweep-common";

/** The description of a sweep file, shared by the sweep commands' help. */
export const SWEEP_FILE_HELP = [
  'A sweep file is JSON: {"name": "sizes", "base": {...}, "grid": {"hidden": [64, 128]}, "seeds": [1, 2, 3]}.',
  '"base" holds options of \'snn train --config\'; "grid" varies options over all combinations, or "configs" lists',
  'overrides one by one ([{"name": "small", "hidden": 64}, ...]); "seeds" is a list or a count; an optional',
  '"budget" caps the runs and the minutes per run: {"maxRuns": 100, "maxMinutesPerRun": 60}.',
].join("\n");

/** `snn sweep run SWEEP.json`: every run of a sweep on this machine, no Redis. */
export const sweepRunCommand: Command = {
  spec: {
    name: "sweep run",
    summary:
      "Run a sweep (configurations x seeds) on this machine with N trainer processes; no Redis needed.",
    description: [
      SWEEP_FILE_HELP,
      "Runs go to DIR/<name>/<configuration>-seed<N>/ as 'snn train' run directories. Running the same sweep",
      "again continues it (finished runs are kept, stopped ones resume from their checkpoint); a different",
      "sweep with the same name in the same folder is refused. Ctrl-C stops every trainer with a checkpoint.",
    ].join("\n"),
    positionals: [{ name: "SWEEP.json", description: "The sweep file.", required: true }],
    options: [
      { ...RUNS_OPTION, defaultText: "runs" },
      {
        name: "workers",
        short: "j",
        kind: "integer",
        positive: true,
        valueName: "N",
        description: "Runs trained at once (each is one process).",
        defaultText: "1",
      },
      {
        name: "attempts",
        kind: "integer",
        positive: true,
        valueName: "N",
        description:
          "Attempts per run (each resumes from the last checkpoint) before it counts as failed.",
        defaultText: "2",
      },
    ],
    examples: [
      {
        comment: "Three configurations x five seeds, two at a time",
        command: "snn sweep run sizes.json --workers 2",
      },
      {
        comment: "Then the table of mean ± sd and the charts",
        command: "snn sweep results sizes --runs runs",
      },
    ],
  },
  async run(parsed, io) {
    const v = parsed.values;
    const spec = readSweepFile(parsed.positionals[0]!, io.cwd, "sweep run");
    const runsRoot = resolve(io.cwd, (v["runs"] as string | undefined) ?? "runs");
    const workers = (v["workers"] as number | undefined) ?? 1;
    const stop = new AbortController();
    let interrupted: InterruptSignal = "SIGINT";
    const removeInterrupt = io.onInterrupt((signal) => {
      if (!stop.signal.aborted) interrupted = signal;
      if (!stop.signal.aborted)
        io.stderr.write(
          "\nInterrupted: stopping the trainers with a checkpoint; run the same command again to continue.\n",
        );
      stop.abort();
    });
    const total = spec.configs.length * spec.seeds.length;
    io.stderr.write(
      `sweep ${spec.name}: ${spec.configs.length} configuration${spec.configs.length === 1 ? "" : "s"} x ${spec.seeds.length} seed${spec.seeds.length === 1 ? "" : "s"} = ${total} runs, ${workers} at a time, in ${sweepDirectory(runsRoot, spec.name)}\n`,
    );
    try {
      const summary = await runSweepLocally({
        snn: snnCommand(),
        spec,
        runsRoot,
        workers,
        attempts: (v["attempts"] as number | undefined) ?? 2,
        signal: stop.signal,
        onEvent: (e) => {
          if (e.kind === "started")
            io.stderr.write(
              `[${e.index}/${e.total}] ${e.runId}: training${e.attempt > 1 ? ` (attempt ${e.attempt})` : ""}\n`,
            );
          else if (e.kind === "finished")
            io.stderr.write(
              `${e.runId}: finished, test accuracy ${formatAccuracy({ mean: e.result.testAccuracy, sd: 0, n: 1 }).replace(" ± 0.0", "")}\n`,
            );
          else if (e.kind === "failed")
            io.stderr.write(`${e.runId}: failed${e.final ? "" : ", trying again"}: ${e.message}\n`);
        },
      });
      if (summary.stopped) {
        io.stderr.write(
          `Stopped with ${summary.finished} of ${total} runs finished; continue with the same command.\n`,
        );
        return interruptExitCode(interrupted);
      }
      io.stdout.write(
        `Sweep ${spec.name}: ${summary.finished} of ${total} runs finished${summary.failed.length > 0 ? `, ${summary.failed.length} failed` : ""}. Results: snn sweep results ${spec.name} --runs ${(v["runs"] as string | undefined) ?? "runs"}\n`,
      );
      if (summary.failed.length > 0)
        throw new CommandError(
          `${summary.failed.length} run${summary.failed.length === 1 ? "" : "s"} failed (first: ${summary.failed[0]!.runId}: ${summary.failed[0]!.message}).`,
        );
      return 0;
    } finally {
      removeInterrupt();
    }
  },
};
