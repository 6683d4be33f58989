import { resolve } from "node:path";
import { submitSweep } from "@snn/sweep";
import type { Command } from "../command";
import { UsageError } from "../errors";
import { REDIS_OPTION, RUNS_OPTION, readSweepFile, redisFromOptions } from "./sweep-common";
import { SWEEP_FILE_HELP } from "./sweep-run";

/** `snn sweep submit SWEEP.json --redis URL --runs DIR`: one queued job per run. */
export const sweepSubmitCommand: Command = {
  spec: {
    name: "sweep submit",
    summary: "Queue a sweep's runs in Redis for 'snn worker' processes on any number of machines.",
    description: [
      SWEEP_FILE_HELP,
      "Each run becomes one BullMQ job holding its configuration and run directory (never code). --runs must be",
      "a folder every worker reaches under the same path (e.g. an NFS mount). Submitting the same sweep again",
      "changes nothing; a different sweep under an existing name is refused.",
    ].join("\n"),
    positionals: [{ name: "SWEEP.json", description: "The sweep file.", required: true }],
    options: [
      REDIS_OPTION,
      RUNS_OPTION,
      {
        name: "attempts",
        kind: "integer",
        positive: true,
        valueName: "N",
        description:
          "Failed attempts per run (each resumes from the last checkpoint) before it is marked failed.",
        defaultText: "3",
      },
    ],
    examples: [
      {
        comment: "Queue a sweep; start 'snn worker --redis ...' on each machine",
        command:
          "snn sweep submit sizes.json --redis redis://:secret@queue.lab:6379 --runs /shared/runs",
      },
    ],
  },
  async run(parsed, io) {
    const v = parsed.values;
    const spec = readSweepFile(parsed.positionals[0]!, io.cwd, "sweep submit");
    const target = redisFromOptions(v["redis"] as string | undefined, io.env, "sweep submit");
    if (v["runs"] === undefined)
      throw new UsageError(
        "give the folder for the runs with --runs DIR (a path every worker sees under the same name).",
        "sweep submit",
      );
    const runsRoot = resolve(io.cwd, v["runs"] as string);
    const { runs, resubmitted } = await submitSweep({
      target,
      spec,
      runsRoot,
      attempts: (v["attempts"] as number | undefined) ?? 3,
    });
    io.stdout.write(
      resubmitted
        ? `Sweep ${spec.name} was already submitted (${runs} runs); nothing changed. Progress: snn sweep status ${spec.name} --redis URL\n`
        : `Submitted sweep ${spec.name}: ${runs} runs to ${target.display}, run directories in ${runsRoot}/${spec.name}. Start workers with: snn worker --redis URL\n`,
    );
    return 0;
  },
};
