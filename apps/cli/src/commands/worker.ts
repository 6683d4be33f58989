import { startWorker, type WorkerEvent } from "@snn/sweep";
import type { Command } from "../command";
import type { CliIO } from "../io";
import { interruptExitCode, type InterruptSignal } from "../interrupt";
import { REDIS_OPTION, redisFromOptions, snnCommand } from "./sweep-common";

function describe(e: WorkerEvent): string {
  switch (e.kind) {
    case "waiting-for-redis":
      return `${e.message} Retrying in ${(e.retryInMs / 1000).toFixed(1)} s.`;
    case "ready":
      return `waiting for runs (${e.concurrency} at a time); Ctrl-C hands running jobs back to the queue.`;
    case "redis-error":
      return e.message;
    case "started":
      return `${e.sweep}/${e.runId}: ${e.resumed ? "taking over, resuming from the last checkpoint" : "training"}${e.attempt > 1 ? ` (attempt ${e.attempt})` : ""}`;
    case "finished":
      return `${e.sweep}/${e.runId}: finished, test accuracy ${(e.result.testAccuracy * 100).toFixed(1)} %`;
    case "handed-back":
      return `${e.sweep}/${e.runId}: stopped with a checkpoint and handed back to the queue`;
    case "failed":
      return `${e.sweep}/${e.runId}: attempt failed${e.final ? " (no attempts left: the run is marked failed)" : ", it will be tried again"}: ${e.message}`;
    case "damaged-job":
      return e.message;
  }
}

function log(io: CliIO, text: string): void {
  io.stderr.write(`${new Date().toISOString().slice(11, 19)} ${text}\n`);
}

/** `snn worker --redis URL`: trains queued sweep runs until Ctrl-C. */
export const workerCommand: Command = {
  spec: {
    name: "worker",
    summary:
      "Train the runs of submitted sweeps from a Redis queue, until Ctrl-C (start one per machine).",
    description: [
      "Takes jobs of 'snn sweep submit' from Redis and trains each with 'snn train' into its run directory. A worker",
      "that dies (SIGKILL, a lost machine) stops renewing its jobs' locks; after --stall-timeout another worker takes",
      "the job over and resumes it from the run's last checkpoint, ending with the same weights. Ctrl-C (or SIGTERM, SIGHUP)",
      "stops the trainers with a checkpoint and hands their jobs back at once. While Redis is unreachable the worker",
      "waits and reconnects with backoff; the trainers go on.",
    ].join("\n"),
    options: [
      REDIS_OPTION,
      {
        name: "concurrency",
        short: "c",
        kind: "integer",
        positive: true,
        valueName: "N",
        description: "Runs trained at once by this worker (each is one process).",
        defaultText: "1",
      },
      {
        name: "stall-timeout",
        kind: "number",
        positive: true,
        valueName: "S",
        description:
          "Seconds without a lock renewal after which a worker counts as dead and its job is taken over.",
        defaultText: "30",
      },
    ],
    examples: [
      {
        comment: "Two runs at a time on this machine",
        command: "snn worker --redis redis://:secret@queue.lab:6379 --concurrency 2",
      },
    ],
  },
  async run(parsed, io) {
    const v = parsed.values;
    const target = redisFromOptions(v["redis"] as string | undefined, io.env, "worker");
    const concurrency = (v["concurrency"] as number | undefined) ?? 1;
    const stallTimeoutMs = Math.round(((v["stall-timeout"] as number | undefined) ?? 30) * 1000);
    let stop: (() => void) | undefined;
    const stopped = new Promise<void>((resolve) => {
      stop = resolve;
    });
    let interrupted: InterruptSignal | undefined;
    const onStop = (signal: InterruptSignal): void => {
      if (interrupted === undefined)
        log(io, "stopping: handing running jobs back to the queue (with checkpoints)...");
      interrupted ??= signal;
      stop?.();
    };
    const removeInterrupt = io.onInterrupt(onStop); // Ctrl-C, SIGTERM and SIGHUP
    try {
      log(io, `worker ${process.pid} connecting to ${target.display}`);
      const startup = startWorker({
        target,
        snn: snnCommand(),
        concurrency,
        stallTimeoutMs,
        onEvent: (e) => log(io, describe(e)),
      });
      const worker = await Promise.race([startup, stopped.then(() => undefined)]);
      if (worker === undefined) {
        startup.then((w) => w.close()).catch(() => {});
        return interruptExitCode(interrupted ?? "SIGINT");
      }
      await stopped;
      await worker.close();
      log(io, "stopped.");
      return interruptExitCode(interrupted ?? "SIGINT");
    } finally {
      removeInterrupt();
    }
  },
};
