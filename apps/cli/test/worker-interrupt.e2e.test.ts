/**
 * End-to-end, with a real redis-server: Ctrl-C (SIGINT) on an `snn worker` in the middle of a
 * run stops its trainer with a checkpoint and hands the job back at once (no stall timeout to
 * wait for); a second worker takes it over, resumes from that checkpoint, and ends with a final
 * checkpoint byte-identical to a run that was never interrupted.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { BIN, ensureBuilt, runCli } from "./cli";
import { TestRedis } from "./redis-server";

/**
 * 96 batches of 16 per epoch, 2 epochs: a second or two, so that the run is still in its first
 * epoch when the worker that took it is stopped, also on a loaded machine.
 */
const CONFIG = {
  dataset: "latency-mnist",
  data: "full",
  hidden: 16,
  "train-samples": 1536,
  "test-samples": 16,
  "batch-size": 16,
  epochs: 2,
};
/** Batches in the whole run: each written once to metrics.jsonl across the hand-back. */
const BATCHES = (CONFIG["train-samples"] / CONFIG["batch-size"]) * CONFIG.epochs;

let dir: string;
let redis: TestRedis;
const children: ChildProcess[] = [];

beforeAll(async () => {
  ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), "snn-worker-sigint-"));
  redis = await TestRedis.start();
});
afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
  await redis.dispose();
  rmSync(dir, { recursive: true, force: true });
});

interface WorkerProcess {
  readonly child: ChildProcess;
  log: string;
  readonly exited: Promise<number | null>;
}

/** `snn worker` in the background; a long stall timeout, so only a hand-back can move the job. */
function startWorker(): WorkerProcess {
  const child = spawn(
    process.execPath,
    [BIN, "worker", "--redis", redis.url, "--stall-timeout", "600"],
    { cwd: dir, env: { ...process.env, SNN_DEBUG: "" }, stdio: ["ignore", "ignore", "pipe"] },
  );
  children.push(child);
  const worker: WorkerProcess = {
    child,
    log: "",
    exited: new Promise((resolve) => child.on("close", (code) => resolve(code))),
  };
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (worker.log += chunk));
  return worker;
}

async function waitFor(what: string, condition: () => boolean, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function runJson(runDir: string): { status: string; epochsCompleted: number; createdAt: string } {
  return JSON.parse(readFileSync(join(runDir, "run.json"), "utf8")) as {
    status: string;
    epochsCompleted: number;
    createdAt: string;
  };
}

/** Batches of epoch 1 in a run's metrics so far. */
function firstEpochBatches(runDir: string): number {
  const file = join(runDir, "metrics.jsonl");
  if (!existsSync(file)) return 0;
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l.includes('"kind":"batch"') && l.includes('"epoch":1,')).length;
}

it("Ctrl-C on a worker mid-run hands the job back with a checkpoint; another worker finishes it, byte-identical to an uninterrupted run", async () => {
  const runs = join(dir, "runs");
  const sweep = join(dir, "handback.json");
  writeFileSync(sweep, JSON.stringify({ name: "handback", base: CONFIG, seeds: [7] }));
  // Both workers are ready before the job is submitted: whichever takes it is stopped, and the
  // job must come back to the queue at once for the other to take it (the stall timeout is 10
  // minutes). Nothing here waits for a worker to start while the run trains.
  const workers = [startWorker(), startWorker()];
  await waitFor("both workers to be ready", () =>
    workers.every((w) => /waiting for runs/.test(w.log)),
  );
  const submitted = await runCli(["sweep", "submit", sweep, "--redis", redis.url, "--runs", runs], {
    cwd: dir,
  });
  expect(submitted.code, submitted.stderr).toBe(0);
  await waitFor("a worker to start the run", () =>
    workers.some((w) => /handback\/base-seed7: training/.test(w.log)),
  );
  const taker = workers.findIndex((w) => /handback\/base-seed7: training/.test(w.log));
  const first = workers[taker]!;
  const second = workers[1 - taker]!;
  const runDir = join(runs, "handback", "base-seed7");
  await waitFor("a few batches of the first epoch", () => firstEpochBatches(runDir) >= 3);
  // What the first worker wrote: kept when the run is resumed, gone if it were started afresh.
  const createdAt = runJson(runDir).createdAt;
  const firstBatch = readFileSync(join(runDir, "metrics.jsonl"), "utf8").split("\n")[0];
  first.child.kill("SIGINT");
  // The uninterrupted reference trains beside the rest of the sweep.
  const configFile = join(dir, "reference.json");
  writeFileSync(configFile, JSON.stringify({ ...CONFIG, seed: 7 }));
  const reference = join(dir, "reference");
  const referenceRun = runCli(["train", "--config", configFile, "--out", reference, "--quiet"], {
    cwd: dir,
    timeoutMs: 120_000,
  });
  expect(await first.exited).toBe(130);
  expect(first.log).toMatch(
    /handback\/base-seed7: stopped with a checkpoint and handed back to the queue/,
  );
  await waitFor("the second worker to finish the run", () =>
    /handback\/base-seed7: finished/.test(second.log),
  );
  expect(second.log).toMatch(
    /handback\/base-seed7: taking over, resuming from the last checkpoint/,
  );
  expect(runJson(runDir)).toMatchObject({ status: "finished", epochsCompleted: 2, createdAt });
  const metrics = readFileSync(join(runDir, "metrics.jsonl"), "utf8").split("\n");
  expect(metrics[0]).toBe(firstBatch);
  expect(metrics.filter((l) => l.includes('"kind":"batch"'))).toHaveLength(BATCHES);

  const referenceResult = await referenceRun;
  expect(referenceResult.code, referenceResult.stderr).toBe(0);
  const final = "epoch-0002.safetensors";
  expect(
    readFileSync(join(runDir, "checkpoints", final)).equals(
      readFileSync(join(reference, "checkpoints", final)),
    ),
  ).toBe(true);
  expect(
    readFileSync(join(runDir, "best.safetensors")).equals(
      readFileSync(join(reference, "best.safetensors")),
    ),
  ).toBe(true);

  second.child.kill("SIGINT");
  expect(await second.exited).toBe(130);
}, 180_000);
