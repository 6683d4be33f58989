/**
 * End-to-end: sweeps through the built `snn` with real redis-server processes (no mocks):
 * two workers share a sweep whose results equal `snn train` run by hand; a SIGKILLed worker's
 * run is taken over and ends byte-identical to an uninterrupted run; a sweep survives a Redis
 * restart; bad sweep files, wrong passwords, unreachable Redis, job data edited in Redis and a
 * changed sweep under an old name give clear errors.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formatAccuracy, meanSd, parseSweep, redisTarget, submitSweep } from "@snn/sweep";
import { BIN, ensureBuilt, runCli } from "./cli";
import { TestRedis, freePort } from "./redis-server";

/** Tiny runs: 8 hidden neurons, 4 batches of 8 per epoch. */
const TINY = {
  dataset: "latency-mnist",
  data: "full",
  hidden: 8,
  "train-samples": 32,
  "test-samples": 16,
  "batch-size": 8,
  epochs: 2,
};
const STALL = ["--stall-timeout", "2"];
const LONG = 300_000;

let dir: string;
beforeAll(() => {
  ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), "snn-sweep-e2e-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function writeJson(name: string, value: unknown): string {
  const file = join(dir, name);
  writeFileSync(file, JSON.stringify(value));
  return file;
}

/** A background `snn worker`, its log so far, and a way to stop it. */
interface WorkerProcess {
  readonly child: ChildProcess;
  log: string;
  readonly exited: Promise<number | null>;
}

function startWorkerProcess(url: string, extra: readonly string[] = []): WorkerProcess {
  const child = spawn(process.execPath, [BIN, "worker", "--redis", url, ...STALL, ...extra], {
    cwd: dir,
    env: { ...process.env, SNN_DEBUG: "" },
    stdio: ["ignore", "ignore", "pipe"],
  });
  const worker: WorkerProcess = {
    child,
    log: "",
    exited: new Promise((resolve) => child.on("close", (code) => resolve(code))),
  };
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => {
    worker.log += chunk;
  });
  return worker;
}

async function waitFor(
  what: string,
  condition: () => boolean | Promise<boolean>,
  timeoutMs = LONG,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function status(
  url: string,
  name: string,
): Promise<{ runs: { runId: string; state: string; failedAttempts: number; error?: string }[] }> {
  const result = await runCli(["sweep", "status", name, "--redis", url, "--json"], { cwd: dir });
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as {
    runs: { runId: string; state: string; failedAttempts: number; error?: string }[];
  };
}

async function allDone(url: string, name: string): Promise<boolean> {
  return (await status(url, name)).runs.every((r) => r.state === "done");
}

/** Trains `config` with plain `snn train` into `out`. */
async function trainByHand(config: Record<string, unknown>, out: string): Promise<void> {
  const file = writeJson(`${out.replace(/\W/g, "_")}.json`, config);
  const result = await runCli(["train", "--config", file, "--out", out, "--quiet"], {
    cwd: dir,
    timeoutMs: LONG,
  });
  expect(result.code, result.stderr).toBe(0);
}

function finalTestAccuracy(runDir: string): number {
  const epochs = readFileSync(join(runDir, "metrics.jsonl"), "utf8")
    .split("\n")
    .filter((l) => l.includes('"kind":"epoch"'))
    .map((l) => JSON.parse(l) as { testAccuracy: number });
  return epochs[epochs.length - 1]!.testAccuracy;
}

describe("sweep files and connections that are wrong", () => {
  it.each([
    [{ base: TINY }, /"name" must be/],
    [{ name: "x", base: TINY, grid: { hidden: [] } }, /"grid"."hidden" must be a non-empty list/],
    [{ name: "x", base: { ...TINY, colour: 3 } }, /unknown key "colour"/],
    [{ name: "x", base: TINY, grid: { hidden: [8] }, configs: [{}] }, /either "grid" or "configs"/],
    [{ name: "x", base: TINY, seeds: [1, 1] }, /lists a seed twice/],
    [
      { name: "x", base: TINY, grid: { hidden: [0] } },
      /configuration "hidden-0".*hidden.*greater than 0/,
    ],
    [
      { name: "x", base: TINY, grid: { hidden: [8, 16, 32] }, seeds: 5, budget: { maxRuns: 10 } },
      /15 runs, over its budget of 10/,
    ],
  ])("a bad sweep file is refused with exit status 2: %j", async (sweep, message) => {
    const result = await runCli(
      ["sweep", "run", writeJson("bad.json", sweep), "--runs", join(dir, "bad-runs")],
      { cwd: dir },
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).not.toMatch(/at .*\.js:\d+/); // no stack trace
  });

  it("an unreachable Redis is a one-line error for submit, and a retry with backoff for a worker", async () => {
    const port = await freePort();
    const sweep = writeJson("unreachable.json", { name: "unreachable", base: TINY });
    const submit = await runCli(
      [
        "sweep",
        "submit",
        sweep,
        "--redis",
        `redis://127.0.0.1:${port}`,
        "--runs",
        join(dir, "u-runs"),
      ],
      { cwd: dir },
    );
    expect(submit.code).toBe(1);
    expect(submit.stderr).toMatch(
      /cannot reach Redis at redis:\/\/127\.0\.0\.1:\d+: connection refused/,
    );
    const worker = startWorkerProcess(`redis://127.0.0.1:${port}`);
    await waitFor(
      "the worker's retry message",
      () => /connection refused.*Retrying in/.test(worker.log),
      60_000,
    );
    worker.child.kill("SIGINT");
    expect(await worker.exited).toBe(130);
  });

  it("a wrong or missing password is refused for good, naming the problem", async () => {
    const redis = await TestRedis.start("s3cret");
    try {
      const sweep = writeJson("password.json", { name: "password", base: TINY });
      const wrong = await runCli(
        [
          "sweep",
          "submit",
          sweep,
          "--redis",
          `redis://:nope@127.0.0.1:${redis.port}`,
          "--runs",
          join(dir, "p-runs"),
        ],
        { cwd: dir },
      );
      expect(wrong.code).toBe(1);
      expect(wrong.stderr).toMatch(/refused the password \(WRONGPASS/);
      expect(wrong.stderr).not.toContain("nope"); // the password is not echoed
      const none = await runCli(["worker", "--redis", `redis://127.0.0.1:${redis.port}`], {
        cwd: dir,
        timeoutMs: 60_000,
      });
      expect(none.code).toBe(1);
      expect(none.stderr).toMatch(/needs a password; give it in the URL/);
      const right = await runCli(
        ["sweep", "submit", sweep, "--redis", redis.url, "--runs", join(dir, "p-runs")],
        { cwd: dir },
      );
      expect(right.code, right.stderr).toBe(0);
    } finally {
      await redis.dispose();
    }
  });
});

describe("the time budget per run", () => {
  it('a run over "maxMinutesPerRun" is stopped with a checkpoint and reported as over budget', async () => {
    const runs = join(dir, "budget-runs");
    // 512 batches per epoch for 5 epochs: far longer than 0.02 minutes (1.2 s).
    const sweep = writeJson("budget.json", {
      name: "budget",
      base: { ...TINY, "train-samples": 4096, epochs: 5 },
      seeds: [1],
      budget: { maxMinutesPerRun: 0.02 },
    });
    const run = await runCli(["sweep", "run", sweep, "--runs", runs], {
      cwd: dir,
      timeoutMs: 120_000,
    });
    const message =
      'the run trained longer than its budget of 0.02 minutes ("budget"."maxMinutesPerRun"); it was stopped with a checkpoint.';
    expect(run.code, run.stderr).toBe(1);
    // Reported once, and not tried again.
    expect(run.stderr).toContain(`base-seed1: failed: ${message}\n`);
    expect(run.stderr).not.toMatch(/trying again|attempt 2/);
    expect(run.stderr).toContain(
      `snn sweep run: error: 1 run failed (first: base-seed1: ${message}).`,
    );
    expect(run.stderr).not.toMatch(/at .*\.js:\d+/); // no stack trace
    expect(run.stdout).toContain("Sweep budget: 0 of 1 runs finished, 1 failed.");

    const runDir = join(runs, "budget", "base-seed1");
    const state = JSON.parse(readFileSync(join(runDir, "run.json"), "utf8")) as {
      status: string;
      epochsCompleted: number;
      latestCheckpoint?: string;
    };
    expect(state.status).toBe("interrupted");
    expect(state.epochsCompleted).toBeLessThan(5);
    expect(state.latestCheckpoint).toMatch(/^checkpoints\/.*\.safetensors$/);
    expect(existsSync(join(runDir, state.latestCheckpoint!))).toBe(true);

    const status = await runCli(["sweep", "status", "budget", "--runs", runs], { cwd: dir });
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toContain(
      "sweep budget: 1 runs: 0 queued, 0 running, 1 stopped, 0 done, 0 failed",
    );
    expect(status.stdout).toMatch(/base-seed1 +stopped +\d+ epochs? done, checkpoint kept/);
    const results = await runCli(
      ["sweep", "results", "budget", "--runs", runs, "--format", "json"],
      { cwd: dir },
    );
    expect(results.code, results.stderr).toBe(0);
    const config = (
      JSON.parse(results.stdout) as {
        configs: { finished: number; seeds: { runId: string; status: string }[] }[];
      }
    ).configs[0]!;
    expect(config.finished).toBe(0);
    expect(config.seeds).toEqual([
      expect.objectContaining({ runId: "base-seed1", status: "interrupted" }),
    ]);
  }, 150_000);
});

describe("sweeps on a real Redis", () => {
  let redis: TestRedis;
  const workers: WorkerProcess[] = [];
  beforeAll(async () => {
    redis = await TestRedis.start();
  });
  afterAll(async () => {
    for (const w of workers) w.child.kill("SIGKILL");
    await redis.dispose();
  });

  it("a damaged registry entry in Redis is one line naming the key and the fix, for status and submit", async () => {
    const set = spawnSync(
      "redis-cli",
      ["-p", String(redis.port), "HSET", "snn:sweeps", "damaged", '{"fingerprint": 7'],
      { encoding: "utf8" },
    );
    expect(set.status, set.stderr).toBe(0);
    const message =
      /^snn sweep (status|submit): error: the entry of sweep "damaged" in .* \(hash snn:sweeps\) is damaged: .*; remove it with 'redis-cli HDEL snn:sweeps damaged' and submit the sweep again/;
    const shown = await runCli(["sweep", "status", "damaged", "--redis", redis.url], { cwd: dir });
    expect(shown.code).toBe(1);
    expect(shown.stderr.split("\n")[0]).toMatch(message);
    expect(shown.stderr).not.toMatch(/internal error|^\s+at /m);
    const sweep = writeJson("damaged.json", { name: "damaged", base: TINY });
    const submitted = await runCli(
      ["sweep", "submit", sweep, "--redis", redis.url, "--runs", join(dir, "damaged-runs")],
      { cwd: dir },
    );
    expect(submitted.code).toBe(1);
    expect(submitted.stderr.split("\n")[0]).toMatch(message);
    expect(existsSync(join(dir, "damaged-runs"))).toBe(false);
  });

  it(
    "two workers run a 2 x 2 sweep whose results equal snn train run one by one",
    async () => {
      const runs = join(dir, "shared-runs");
      const sweep = writeJson("pair.json", {
        name: "pair",
        base: TINY,
        grid: { neuron: ["lif", "alif"] },
        seeds: [1, 2],
      });
      const submit = await runCli(
        ["sweep", "submit", sweep, "--redis", redis.url, "--runs", runs],
        { cwd: dir },
      );
      expect(submit.code, submit.stderr).toBe(0);
      // Submitting the same sweep again changes nothing; another sweep of that name is refused.
      expect(
        (
          await runCli(["sweep", "submit", sweep, "--redis", redis.url, "--runs", runs], {
            cwd: dir,
          })
        ).stdout,
      ).toMatch(/already submitted/);
      const other = await runCli(
        [
          "sweep",
          "submit",
          writeJson("pair2.json", { name: "pair", base: TINY, seeds: [3] }),
          "--redis",
          redis.url,
          "--runs",
          runs,
        ],
        { cwd: dir },
      );
      expect(other.code).toBe(1);
      expect(other.stderr).toMatch(/a different sweep named "pair" was already submitted/);

      const a = startWorkerProcess(redis.url);
      const b = startWorkerProcess(redis.url);
      workers.push(a, b);
      await waitFor("the sweep to finish", () => allDone(redis.url, "pair"));
      expect(a.log).toMatch(/pair\/.*: finished/);
      expect(b.log).toMatch(/pair\/.*: finished/);

      const results = await runCli(["sweep", "results", "pair", "--runs", runs], { cwd: dir });
      expect(results.code, results.stderr).toBe(0);
      for (const neuron of ["lif", "alif"]) {
        const accuracies: number[] = [];
        for (const seed of [1, 2]) {
          const reference = join(dir, `by-hand-${neuron}-${seed}`);
          await trainByHand({ ...TINY, neuron, seed }, reference);
          const swept = join(runs, "pair", `neuron-${neuron}-seed${seed}`);
          accuracies.push(finalTestAccuracy(reference));
          expect(finalTestAccuracy(swept)).toBe(finalTestAccuracy(reference));
          expect(
            readFileSync(join(swept, "checkpoints", "epoch-0002.safetensors")).equals(
              readFileSync(join(reference, "checkpoints", "epoch-0002.safetensors")),
            ),
          ).toBe(true);
        }
        const line = results.stdout.split("\n").find((l) => l.startsWith(`neuron-${neuron} `));
        expect(line).toContain("2/2");
        expect(line).toContain(formatAccuracy(meanSd(accuracies)));
      }
      expect(existsSync(join(runs, "pair", "plots", "accuracy.svg"))).toBe(true);
      a.child.kill("SIGINT");
      b.child.kill("SIGINT");
      expect(await a.exited).toBe(130);
      expect(await b.exited).toBe(130);
    },
    LONG * 2,
  );

  it(
    "a SIGKILLed worker's run is taken over and ends byte-identical to an uninterrupted run",
    async () => {
      const runs = join(dir, "failover-runs");
      // Long enough (64 batches per epoch) that the killed worker's trainer, which ends itself
      // within 250 ms of losing its parent, cannot finish the run first on an idle machine.
      const config = { ...TINY, "train-samples": 512, epochs: 3 };
      const sweep = writeJson("failover.json", { name: "failover", base: config, seeds: [4] });
      const first = startWorkerProcess(redis.url);
      workers.push(first);
      expect(
        (
          await runCli(["sweep", "submit", sweep, "--redis", redis.url, "--runs", runs], {
            cwd: dir,
          })
        ).code,
      ).toBe(0);
      const runDir = join(runs, "failover", "base-seed4");
      // Kill the worker once the first epoch's checkpoint is written, in the middle of the run.
      await waitFor(
        "the first epoch",
        () =>
          existsSync(join(runDir, "metrics.jsonl")) &&
          readFileSync(join(runDir, "metrics.jsonl"), "utf8").includes('"kind":"epoch"'),
      );
      first.child.kill("SIGKILL");
      await first.exited;
      const second = startWorkerProcess(redis.url);
      workers.push(second);
      await waitFor("the run to finish on the second worker", () => allDone(redis.url, "failover"));
      expect(second.log).toMatch(
        /failover\/base-seed4: taking over, resuming from the last checkpoint/,
      );
      const reference = join(dir, "failover-reference");
      await trainByHand({ ...config, seed: 4 }, reference);
      expect(
        readFileSync(join(runDir, "checkpoints", "epoch-0003.safetensors")).equals(
          readFileSync(join(reference, "checkpoints", "epoch-0003.safetensors")),
        ),
      ).toBe(true);
      second.child.kill("SIGINT");
      expect(await second.exited).toBe(130);
    },
    LONG * 2,
  );

  it(
    "a sweep completes when Redis is stopped and started again in the middle",
    async () => {
      const runs = join(dir, "restart-runs");
      const sweep = writeJson("restart.json", { name: "restart", base: TINY, seeds: [5, 6] });
      expect(
        (
          await runCli(["sweep", "submit", sweep, "--redis", redis.url, "--runs", runs], {
            cwd: dir,
          })
        ).code,
      ).toBe(0);
      const worker = startWorkerProcess(redis.url);
      workers.push(worker);
      await waitFor("a run to start", () => /restart\/base-seed\d: training/.test(worker.log));
      await redis.stop();
      await waitFor(
        "the worker to notice",
        () => /lost Redis|Connection is closed|ECONNREFUSED/.test(worker.log),
        60_000,
      );
      await new Promise((r) => setTimeout(r, 1000));
      await redis.startAgain();
      await waitFor("the sweep to finish", () => allDone(redis.url, "restart"));
      const results = JSON.parse(
        (
          await runCli(["sweep", "results", "restart", "--runs", runs, "--format", "json"], {
            cwd: dir,
          })
        ).stdout,
      ) as { configs: { finished: number }[] };
      expect(results.configs[0]!.finished).toBe(2);
      worker.child.kill("SIGINT");
      expect(await worker.exited).toBe(130);
    },
    LONG * 2,
  );
});

describe("damaged jobs and changed sweeps on a real Redis", () => {
  let redis: TestRedis;
  beforeAll(async () => {
    redis = await TestRedis.start();
  });
  afterAll(async () => {
    await redis.dispose();
  });

  /** Replaces the data of job `id` in Redis, as a hand edit would. */
  function setJobData(id: string, data: string): void {
    const set = spawnSync(
      "redis-cli",
      ["-p", String(redis.port), "HSET", `snn:snn-sweep:${id}`, "data", data],
      { encoding: "utf8" },
    );
    expect(set.status, set.stderr).toBe(0);
  }

  it(
    "a job whose data was edited to a wrong shape fails naming the job and field; the worker trains the rest",
    async () => {
      const runs = join(dir, "damaged-job-runs");
      const sweep = writeJson("edited.json", { name: "edited", base: TINY, seeds: [1, 2, 3] });
      const submit = await runCli(
        ["sweep", "submit", sweep, "--redis", redis.url, "--runs", runs],
        { cwd: dir },
      );
      expect(submit.code, submit.stderr).toBe(0);
      const runDir = join(runs, "edited", "base-seed1");
      // No runId; a config that is not an object.
      setJobData(
        "edited.base-seed1",
        JSON.stringify({ sweep: "edited", runDir, train: { ...TINY, seed: 1 } }),
      );
      setJobData(
        "edited.base-seed2",
        JSON.stringify({ sweep: "edited", runId: "base-seed2", runDir, train: "hidden=8" }),
      );
      const worker = startWorkerProcess(redis.url);
      try {
        await waitFor("the sweep to end", async () =>
          (await status(redis.url, "edited")).runs.every(
            (r) => r.state === "done" || r.state === "failed",
          ),
        );
        const runsNow = (await status(redis.url, "edited")).runs;
        expect(runsNow.map((r) => r.state)).toEqual(["failed", "failed", "done"]);
        const tail =
          ": it is not what 'snn sweep submit' wrote, so it is marked failed without training; to train that run, submit the sweep again under another \"name\".";
        expect(runsNow[0]!.error).toBe(
          `job edited.base-seed1 in the queue is damaged ("runId" must be a non-empty string, got nothing)${tail}`,
        );
        expect(runsNow[1]!.error).toBe(
          `job edited.base-seed2 in the queue is damaged ("train" must be an object of 'snn train' options, got "hidden=8")${tail}`,
        );
        expect(worker.log).toMatch(
          /^\S+ job edited\.base-seed1 in the queue is damaged \("runId"/m,
        );
        expect(worker.log).toMatch(/edited\/base-seed3: finished/);
        expect(worker.log).not.toMatch(/TypeError|internal error|^\s+at /m);
        expect(existsSync(runDir)).toBe(false); // nothing was trained for the damaged jobs
        expect(worker.child.exitCode).toBeNull(); // still running
      } finally {
        worker.child.kill("SIGINT");
      }
      expect(await worker.exited).toBe(130);
    },
    LONG,
  );

  it(
    "a job whose data is not JSON fails at once naming the job; status shows it; the worker trains the rest",
    async () => {
      const runs = join(dir, "unreadable-job-runs");
      const sweep = writeJson("unreadable.json", { name: "unreadable", base: TINY, seeds: [1, 2] });
      const submit = await runCli(
        ["sweep", "submit", sweep, "--redis", redis.url, "--runs", runs],
        { cwd: dir },
      );
      expect(submit.code, submit.stderr).toBe(0);
      const runDir = join(runs, "unreadable", "base-seed1");
      setJobData("unreadable.base-seed1", '{"sweep": "unreadable", "runId": "base-seed1", ');
      // Status reads the queued job as it is (not an error about Redis).
      const before = await status(redis.url, "unreadable");
      expect(before.runs.map((r) => r.state)).toEqual(["queued", "queued"]);
      const worker = startWorkerProcess(redis.url);
      try {
        await waitFor("the sweep to end", async () =>
          (await status(redis.url, "unreadable")).runs.every(
            (r) => r.state === "done" || r.state === "failed",
          ),
        );
        const runsNow = (await status(redis.url, "unreadable")).runs;
        expect(runsNow.map((r) => r.state)).toEqual(["failed", "done"]);
        expect(runsNow[0]!.failedAttempts).toBe(1); // failed at once, not retried or stalled
        expect(runsNow[0]!.error).toBe(
          `job unreadable.base-seed1 in the queue is damaged (its data is not JSON: "{\\"sweep\\": \\"unreadable\\", \\"runId\\": \\"base-seed1\\", "): it is not what 'snn sweep submit' wrote, so it is marked failed without training; to train that run, submit the sweep again under another "name".`,
        );
        expect(worker.log).toMatch(
          /^\S+ job unreadable\.base-seed1 in the queue is damaged \(its data is not JSON/m,
        );
        expect(worker.log).not.toMatch(/SyntaxError|internal error|^\s+at /m);
        expect(existsSync(runDir)).toBe(false);
        expect(worker.child.exitCode).toBeNull(); // still running
      } finally {
        worker.child.kill("SIGINT");
      }
      expect(await worker.exited).toBe(130);
    },
    LONG,
  );

  it("a sweep submitted with relative paths by an older snn is refused naming what changed", async () => {
    const runs = join(dir, "relative-runs");
    // What an older snn submitted: the sweep file's initFrom as written, relative.
    const old = parseSweep(
      { name: "relative", base: { ...TINY, initFrom: "start.safetensors" } },
      "relative.json",
    );
    await submitSweep({ target: redisTarget(redis.url), spec: old, runsRoot: runs, attempts: 1 });
    const sweep = writeJson("relative.json", {
      name: "relative",
      base: { ...TINY, initFrom: "start.safetensors" },
    });
    const again = await runCli(["sweep", "submit", sweep, "--redis", redis.url, "--runs", runs], {
      cwd: dir,
    });
    expect(again.code).toBe(1);
    const line = again.stderr.split("\n")[0]!;
    expect(line).toContain(
      `a different sweep named "relative" was already submitted to ${redis.url} (`,
    );
    expect(line).toContain(
      `: "initFrom" was "start.safetensors", now ${JSON.stringify(join(dir, "start.safetensors"))} (in 1 of 1 runs); relative paths in a sweep file ("data", "initFrom") are now made absolute from the sweep file's folder`,
    );
    expect(line).toMatch(/; give this sweep another "name"\.$/);
    // The same from the runs folder alone (snn sweep run, no Redis).
    const local = await runCli(["sweep", "run", sweep, "--runs", runs], { cwd: dir });
    expect(local.code).toBe(1);
    expect(local.stderr).toMatch(
      /^snn sweep run: error: a different sweep named "relative" already exists in .*: "initFrom" was "start\.safetensors", now .*relative paths in a sweep file.*; give this sweep another "name", or use another runs folder\.$/m,
    );
  });
});
