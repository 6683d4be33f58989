/**
 * End-to-end: the built `snn` owns its run folders. A folder that is not an empty or missing
 * one is never written into; one process at a time writes a run (real concurrent processes);
 * a lock left by a killed run is taken over; SIGTERM and SIGHUP stop a run like Ctrl-C (a
 * checkpoint, run.json "interrupted", the lock released, exit 128 + the signal's number);
 * damaged run.json files and file-system failures are one line with exit status 1.
 */
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import type { ChildProcess } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { APP_DIR, ensureBuilt, runCli, type CliResult } from "./cli";

/** A tiny run: 196 channels, 8 hidden neurons, 20 steps; 16 batches of 8 per epoch. */
const TINY = [
  "--dataset",
  "latency-mnist",
  "--hidden",
  "8",
  "--train-samples",
  "128",
  "--batch-size",
  "8",
  "--test-samples",
  "16",
  "--seed",
  "5",
];

let dir: string;
beforeAll(() => {
  ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), "snn-cli-rundir-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * Runs `first` until it has reported a batch (so it holds the lock), stops it there (SIGSTOP)
 * while `second` runs beside it, then lets it go on (SIGCONT).
 */
async function beside(
  first: readonly string[],
  second: readonly string[],
): Promise<{ first: CliResult; second: CliResult }> {
  let paused!: (child: ChildProcess) => void;
  const stopped = new Promise<ChildProcess>((resolve) => (paused = resolve));
  let sent = false;
  const a = runCli(first, {
    cwd: dir,
    onStdout: (child, stdout) => {
      if (!sent && stdout.includes('"event":"batch"')) {
        sent = true;
        child.kill("SIGSTOP");
        paused(child);
      }
    },
  });
  const child = await Promise.race([stopped, a.then(() => undefined)]);
  expect(child, "the first process ended before its first batch").toBeDefined();
  try {
    return { second: await runCli(second, { cwd: dir }), first: await (child!.kill("SIGCONT"), a) };
  } finally {
    child!.kill("SIGCONT");
  }
}

function noStack(result: CliResult): void {
  expect(result.stderr).not.toMatch(/^\s+at /m);
  expect(result.stderr).not.toMatch(/internal error/);
}

describe("snn train never writes into a folder it does not own", () => {
  it("refuses an existing folder that is not a run, and --out . in a project folder, touching nothing", async () => {
    const project = join(dir, "project");
    mkdirSync(join(project, "plots"), { recursive: true });
    writeFileSync(join(project, "config.json"), '{"mine":1}\n');
    writeFileSync(join(project, "metrics.jsonl"), "notes\n");
    for (const [out, cwd] of [
      ["project", dir],
      [".", project],
    ] as const) {
      const result = await runCli(["train", ...TINY, "--epochs", "1", "--out", out], { cwd });
      expect(result.code, result.stderr).toBe(1);
      expect(result.stderr.split("\n")[0]).toBe(
        `snn train: error: --out ${out} is not empty (config.json, metrics.jsonl, plots) and is not a run of 'snn train'; a new run is written only into a new or empty folder, so that nothing there is overwritten: choose another --out.`,
      );
      noStack(result);
    }
    expect(readdirSync(project).sort()).toEqual(["config.json", "metrics.jsonl", "plots"]);
    expect(readFileSync(join(project, "config.json"), "utf8")).toBe('{"mine":1}\n');
    expect(readFileSync(join(project, "metrics.jsonl"), "utf8")).toBe("notes\n");
    expect(readdirSync(join(project, "plots"))).toEqual([]);
  });

  it("accepts an empty folder", async () => {
    mkdirSync(join(dir, "empty"));
    const result = await runCli(
      ["train", ...TINY, "--epochs", "1", "--max-batches", "1", "--out", "empty", "-q"],
      { cwd: dir },
    );
    expect(result.code, result.stderr).toBe(0);
    expect(existsSync(join(dir, "empty", "run.json"))).toBe(true);
    expect(existsSync(join(dir, "empty", "run.lock"))).toBe(false);
  });

  it("--out on a file, under /proc or through a file is one line naming the path, exit 1, at once", async () => {
    writeFileSync(join(dir, "a-file"), "x");
    const cases: [string, RegExp][] = [
      ["a-file", /--out a-file is a file, not a folder/],
      [
        "a-file/run",
        new RegExp(
          `cannot (create the folder|read) ${join(dir, "a-file")}.*: a part of the path is a file, not a folder \\(ENOTDIR\\)`,
        ),
      ],
    ];
    if (existsSync("/proc/self"))
      cases.push([
        "/proc/x",
        /cannot create the folder \/proc\/x: no such file or folder \(ENOENT\)/,
      ]);
    for (const [out, message] of cases) {
      const result = await runCli(["train", ...TINY, "--epochs", "1", "--out", out], {
        cwd: dir,
        timeoutMs: 30_000,
      });
      expect(result.code, `${out}: ${result.stderr}`).toBe(1);
      expect(result.stderr.split("\n")[0]).toMatch(message);
      noStack(result);
    }
  });
});

describe("one writer per run folder (concurrent processes of the built CLI)", () => {
  it("a second snn train into the same --out is refused naming the first; the run is the first one's alone", async () => {
    const { first, second } = await beside(
      ["train", ...TINY, "--epochs", "1", "--out", "shared", "--log-format", "json"],
      ["train", ...TINY, "--epochs", "1", "--seed", "6", "--out", "shared"],
    );
    expect(first.code, first.stderr).toBe(0);
    expect(second.code).toBe(1);
    expect(second.stderr.split("\n")[0]).toMatch(
      new RegExp(
        `^snn train: error: .*shared is being written by snn train \\(pid \\d+ on ${hostname()}, since .*\\); wait for it to finish or stop it, or choose another folder\\.$`,
      ),
    );
    noStack(second);
    const config = JSON.parse(readFileSync(join(dir, "shared", "config.json"), "utf8")) as Record<
      string,
      unknown
    >;
    expect(config["seed"]).toBe(5);
    const batches = readFileSync(join(dir, "shared", "metrics.jsonl"), "utf8")
      .split("\n")
      .filter((l) => l.includes('"kind":"batch"'));
    expect(batches).toHaveLength(16);
    expect(existsSync(join(dir, "shared", "run.lock"))).toBe(false);
  }, 60_000);

  it("a second --resume of a run being resumed is refused; the metrics are not duplicated", async () => {
    const { first, second } = await beside(
      ["train", "--resume", "shared", "--epochs", "2", "--log-format", "json"],
      ["train", "--resume", "shared", "--epochs", "2"],
    );
    expect(first.code, first.stderr).toBe(0);
    expect(second.code).toBe(1);
    expect(second.stderr.split("\n")[0]).toMatch(
      /is being written by snn train --resume \(pid \d+ on /,
    );
    const records = readFileSync(join(dir, "shared", "metrics.jsonl"), "utf8")
      .split("\n")
      .filter((l) => l !== "")
      .map((l) => JSON.parse(l) as { kind: string; step: number });
    expect(records.filter((r) => r.kind === "batch").map((r) => r.step)).toEqual(
      Array.from({ length: 32 }, (_, k) => k + 1),
    );
  }, 60_000);

  it("the lock of a killed run is taken over by --resume, which says so", async () => {
    const out = "killed";
    const killed = await runCli(
      ["train", ...TINY, "--epochs", "2", "--out", out, "--log-format", "json"],
      {
        cwd: dir,
        onStdout: (child, stdout) => {
          if (stdout.includes('"event":"epoch"')) child.kill("SIGKILL");
        },
      },
    );
    expect(killed.signal).toBe("SIGKILL");
    const lock = JSON.parse(readFileSync(join(dir, out, "run.lock"), "utf8")) as {
      pid: number;
      hostname: string;
      startedAt: string;
    };
    expect(lock.hostname).toBe(hostname());
    expect(JSON.parse(readFileSync(join(dir, out, "run.json"), "utf8"))).toMatchObject({
      status: "running",
    });
    const again = await runCli(["train", ...TINY, "--epochs", "2", "--out", out], { cwd: dir });
    expect(again.code).toBe(1);
    expect(again.stderr.split("\n")[0]).toMatch(
      /holds an unfinished run \(its process stopped without saying why, e\.g\. it was killed\); continue it with: snn train --resume killed/,
    );
    const resumed = await runCli(["train", "--resume", out], { cwd: dir });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toContain(
      `took over the lock of snn train (pid ${lock.pid} on ${lock.hostname}, started ${lock.startedAt}), which is no longer running`,
    );
    expect(JSON.parse(readFileSync(join(dir, out, "run.json"), "utf8"))).toMatchObject({
      status: "finished",
      epochsCompleted: 2,
    });
    expect(existsSync(join(dir, out, "run.lock"))).toBe(false);
  }, 60_000);
});

describe("SIGTERM and SIGHUP stop a run like Ctrl-C", () => {
  const readState = (out: string) =>
    JSON.parse(readFileSync(join(dir, out, "run.json"), "utf8")) as Record<string, unknown>;

  for (const [signal, code] of [
    ["SIGTERM", 143],
    ["SIGHUP", 129],
  ] as const) {
    it(`${signal} finishes the batch, checkpoints, releases the lock and exits ${code}; --resume then finishes the run`, async () => {
      const out = `stopped-by-${signal}`;
      let sent = false;
      const stopped = await runCli(
        ["train", ...TINY, "--epochs", "2", "--out", out, "--log-format", "json"],
        {
          cwd: dir,
          onStdout: (child, stdout) => {
            if (!sent && stdout.includes('"event":"batch"')) {
              sent = true;
              child.kill(signal);
            }
          },
        },
      );
      expect(sent).toBe(true);
      expect(stopped.signal, stopped.stderr).toBeNull(); // handled, not killed by the signal
      expect(stopped.code, stopped.stderr).toBe(code);
      noStack(stopped);
      expect(stopped.stderr).toContain(
        `Interrupted by ${signal}: finishing the current batch, then saving a checkpoint (${signal} again to abandon the batch).`,
      );
      expect(stopped.stderr).toMatch(new RegExp(`Resume with: snn train --resume ${out}$`, "m"));
      const state = readState(out);
      expect(state).toMatchObject({
        status: "interrupted",
        latestCheckpoint: "checkpoints/interrupted.safetensors",
      });
      expect(state["step"]).toBeLessThan(32);
      expect(existsSync(join(dir, out, "checkpoints", "interrupted.safetensors"))).toBe(true);
      expect(existsSync(join(dir, out, "run.lock"))).toBe(false);

      const resumed = await runCli(["train", "--resume", out, "--log-format", "json"], {
        cwd: dir,
      });
      expect(resumed.code, resumed.stderr).toBe(0);
      expect(resumed.stdout).not.toContain("took over the lock"); // it was released, not left stale
      expect(resumed.stdout).not.toContain("stopped without recording why");
      expect(readState(out)).toMatchObject({ status: "finished", epochsCompleted: 2 });
      expect(existsSync(join(dir, out, "run.lock"))).toBe(false);
    }, 120_000);
  }

  it("a second SIGTERM abandons the batch: exit 143, the run interrupted, its lock released", async () => {
    const out = "sigterm-twice";
    let first = false;
    let second = false;
    // Larger batches than TINY's (784 steps, 48 neurons) leave time for the second signal.
    const slow = [
      "--data",
      "embedded",
      "--hidden",
      "48",
      "--batch-size",
      "8",
      "--train-samples",
      "64",
      "--test-samples",
      "8",
      "--epochs",
      "1",
      "--seed",
      "3",
    ];
    const result = await runCli(["train", ...slow, "--out", out, "--log-format", "json"], {
      cwd: dir,
      onStdout: (child, stdout) => {
        if (!first && stdout.includes('"event":"batch"')) {
          first = true;
          child.kill("SIGTERM");
        }
      },
      onStderr: (child, stderr) => {
        if (first && !second && stderr.includes("Interrupted by SIGTERM")) {
          second = true;
          child.kill("SIGTERM");
        }
      },
    });
    expect(second).toBe(true);
    expect(result.code, result.stderr).toBe(143);
    expect(result.stderr).toMatch(
      /Abandoned the current batch\. The last checkpoint \(none\) is kept\./,
    );
    noStack(result);
    expect(readState(out)).toMatchObject({ status: "interrupted", epochsCompleted: 0 });
    expect(existsSync(join(dir, out, "run.lock"))).toBe(false);
  }, 120_000);
});

describe("--config FILE with a relative data path", () => {
  it("reads it from the config file's folder, not the current one, and stores it absolutely in the run", async () => {
    const project = join(dir, "config-project");
    cpSync(join(import.meta.dirname, "fixtures", "shd"), join(project, "data", "shd"), {
      recursive: true,
    });
    mkdirSync(join(project, "configs"));
    // From here "../data/shd" would be elsewhere/data/shd, which does not exist.
    const elsewhere = join(project, "elsewhere", "deeper");
    mkdirSync(elsewhere, { recursive: true });
    const settings = { dataset: "shd", data: "../data/shd", epochs: 1, hidden: 8, batchSize: 4 };
    writeFileSync(join(project, "configs", "shd.json"), JSON.stringify(settings));
    const trained = await runCli(
      ["train", "--config", "../../configs/shd.json", "--dt", "2", "--out", "run", "-q"],
      { cwd: elsewhere },
    );
    expect(trained.code, trained.stderr).toBe(0);
    const stored = JSON.parse(readFileSync(join(elsewhere, "run", "config.json"), "utf8")) as {
      data: string;
    };
    expect(stored.data).toBe(join(project, "data", "shd"));

    // The same file run from the project folder, where "../data/shd" is not the data: the file's
    // folder still decides. And a path that only the current folder has is refused, not read.
    writeFileSync(
      join(project, "configs", "cwd.json"),
      JSON.stringify({ ...settings, data: "data/shd" }),
    );
    const refused = await runCli(["train", "--config", "configs/cwd.json", "--out", "run2"], {
      cwd: project,
    });
    expect(refused.code).toBe(1);
    expect(refused.stderr.split("\n")[0]).toMatch(
      /configs\/cwd\.json names the data "data\/shd", a path relative to the config file's folder: .*configs\/data\/shd does not exist/,
    );
    noStack(refused);
    expect(existsSync(join(project, "run2"))).toBe(false);
  }, 120_000);
});

describe("failed runs and damaged run.json", () => {
  it("a loss window longer than an SHD sample is refused before the folder exists; a run that fails after (divergence) is marked failed with the reason, and reusing --out says what to do", async () => {
    // SHD trials vary in length: the window must fit the shortest sample, checked up front.
    const data = join(import.meta.dirname, "fixtures", "shd");
    const window = await runCli(
      [
        "train",
        "--dataset",
        "shd",
        "--data",
        data,
        "--epochs",
        "1",
        "--hidden",
        "8",
        "--batch-size",
        "4",
        "--dt",
        "1",
        "--loss-steps",
        "100000",
        "--out",
        "shd-window",
      ],
      { cwd: dir },
    );
    expect(window.code).toBe(2);
    expect(window.stderr.split("\n")[0]).toMatch(
      /^snn train: error: --loss-steps 100000 is longer than the shortest trial of SHD shd_train\.h5: sample \d+ is \d+ steps? of 1 ms/,
    );
    noStack(window);
    expect(existsSync(join(dir, "shd-window"))).toBe(false);

    const args = ["train", ...TINY, "--epochs", "1", "--lr", "1e30", "--out", "diverged", "-q"];
    const failed = await runCli(args, { cwd: dir });
    expect(failed.code).toBe(1);
    expect(failed.stderr.split("\n")[0]).toMatch(
      /^snn train: error: training failed: training diverged: .*The run is marked failed in run\.json; start a new run with a smaller --lr/,
    );
    noStack(failed);
    const state = JSON.parse(readFileSync(join(dir, "diverged", "run.json"), "utf8")) as Record<
      string,
      unknown
    >;
    expect(state).toMatchObject({ status: "failed", resumable: false });
    expect(state["reason"]).toMatch(/diverged/);
    expect(existsSync(join(dir, "diverged", "run.lock"))).toBe(false);
    const reuse = await runCli(args, { cwd: dir });
    expect(reuse.code).toBe(1);
    expect(reuse.stderr.split("\n")[0]).toMatch(
      /holds a run that failed \(.*\) before its first checkpoint, so it cannot be resumed: delete diverged to start over, or choose another --out\.$/,
    );
  }, 60_000);

  it("a bad sample met mid-training (--steps skips the up-front scan) marks the run failed with the sample as the reason, and reusing --out says to delete it", async () => {
    const data = join(dir, "bad-sample-data");
    mkdirSync(data);
    const testData = join(APP_DIR, "..", "..", "packages", "datasets", "test-data");
    // Sample 3 of the training file has a spike on channel 700 of 0..699.
    cpSync(join(testData, "bad-unit-out-of-range.h5"), join(data, "shd_train.h5"));
    cpSync(join(testData, "shd-float32.h5"), join(data, "shd_test.h5"));
    const args = [
      "train",
      "--dataset",
      "shd",
      "--data",
      data,
      "--hidden",
      "8",
      "--epochs",
      "2",
      "--batch-size",
      "2",
      "--dt",
      "2",
      "--steps",
      "30",
      "--out",
      "bad-sample",
      "-q",
    ];
    const failed = await runCli(args, { cwd: dir });
    expect(failed.code).toBe(1);
    expect(failed.stderr.split("\n")[0]).toMatch(
      /^snn train: error: training failed: shd_train\.h5, sample 3: spike 0 has unit id 700, outside 0\.\.699.* The run is marked failed in run\.json; it failed before its first checkpoint/,
    );
    noStack(failed);
    const state = JSON.parse(readFileSync(join(dir, "bad-sample", "run.json"), "utf8")) as Record<
      string,
      unknown
    >;
    expect(state).toMatchObject({ status: "failed", resumable: false, epochsCompleted: 0 });
    expect(state["reason"]).toMatch(/^shd_train\.h5, sample 3: /);
    expect(existsSync(join(dir, "bad-sample", "run.lock"))).toBe(false);
    const reuse = await runCli(args, { cwd: dir });
    expect(reuse.code).toBe(1);
    expect(reuse.stderr.split("\n")[0]).toMatch(
      /holds a run that failed \(shd_train\.h5, sample 3: .*\) before its first checkpoint, so it cannot be resumed: delete bad-sample to start over/,
    );
  }, 60_000);

  it("a checkpoint that cannot be written marks the run failed, keeps the last good one, leaves no temporary file, and resumes", async () => {
    const first = await runCli(
      ["train", ...TINY, "--epochs", "1", "--max-batches", "2", "--out", "blocked", "-q"],
      { cwd: dir },
    );
    expect(first.code, first.stderr).toBe(0);
    // A folder where epoch 2's checkpoint file goes: the rename onto it fails (EISDIR), for root too.
    const blocker = join(dir, "blocked", "checkpoints", "epoch-0002.safetensors");
    mkdirSync(blocker);
    const failed = await runCli(["train", "--resume", "blocked", "--epochs", "2", "-q"], {
      cwd: dir,
    });
    expect(failed.code).toBe(1);
    expect(failed.stderr.split("\n")[0]).toMatch(
      /^snn train: error: training failed: cannot rename .*epoch-0002\.safetensors.* \(EISDIR\).*resume from the last good checkpoint \(checkpoints\/epoch-0001\.safetensors\) with: snn train --resume blocked/,
    );
    noStack(failed);
    expect(JSON.parse(readFileSync(join(dir, "blocked", "run.json"), "utf8"))).toMatchObject({
      status: "failed",
      resumable: true,
      epochsCompleted: 1,
      latestCheckpoint: "checkpoints/epoch-0001.safetensors",
    });
    expect(
      readdirSync(join(dir, "blocked", "checkpoints")).filter((f) => f.endsWith(".tmp")),
    ).toEqual([]);
    rmSync(blocker, { recursive: true });
    const resumed = await runCli(["train", "--resume", "blocked", "--epochs", "2", "-q"], {
      cwd: dir,
    });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, "blocked", "run.json"), "utf8"))).toMatchObject({
      status: "finished",
      epochsCompleted: 2,
      latestCheckpoint: "checkpoints/epoch-0002.safetensors",
    });
  }, 60_000);

  it("evaluate and --resume refuse a run.json that is null, mistyped, or points outside the run", async () => {
    const run = join(dir, "shared");
    const good = readFileSync(join(run, "run.json"), "utf8");
    const evaluate = ["evaluate", "shared", "--checkpoint", "latest"];
    const resume = ["train", "--resume", "shared"];
    const cases: [string, string[], RegExp][] = [
      ["null", evaluate, /run\.json is damaged: it holds null, not an object/],
      [
        good.replace(/"epochsCompleted": \d+/, '"epochsCompleted": "two"'),
        resume,
        /"epochsCompleted" must be a whole number/,
      ],
      [
        good.replace(
          /"latestCheckpoint": "[^"]*"/,
          '"latestCheckpoint": "../../other/best.safetensors"',
        ),
        evaluate,
        /"latestCheckpoint" \(\.\.\/\.\.\/other\/best\.safetensors\) points outside the run folder/,
      ],
      ["{", resume, /run\.json is damaged: it is not valid JSON/],
    ];
    try {
      for (const [text, args, message] of cases) {
        writeFileSync(join(run, "run.json"), text);
        const result = await runCli(args, { cwd: dir });
        expect(result.code, `${args.join(" ")} with ${text.slice(0, 40)}: ${result.stderr}`).toBe(
          1,
        );
        expect(result.stderr.split("\n")[0]).toMatch(message);
        noStack(result);
      }
    } finally {
      writeFileSync(join(run, "run.json"), good);
    }
  }, 120_000);
});
