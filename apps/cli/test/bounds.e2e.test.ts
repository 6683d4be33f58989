/**
 * End-to-end through the built CLI: damaged and hostile data files (an HDF5 file that makes
 * HDF5 loop forever, class names with escape sequences, a spike at 30,000 s, event steps of
 * 2^32, a file that names no split) and oversized networks are refused quickly with one clear
 * line, never a hang, a stack trace or a raw "Aborted(...)".
 */
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { APP_DIR, ensureBuilt, runCli } from "./cli";

const SHD = join(APP_DIR, "..", "..", "packages", "datasets", "test-data", "shd-float32.h5");
let dir: string;

beforeAll(() => {
  ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), "snn-cli-bounds-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A folder with shd_train.h5 (the test file with `bytes` changed) and an intact shd_test.h5. */
function shdFolder(
  name: string,
  bytes: readonly (readonly [number, number | readonly number[]])[],
): string {
  const folder = join(dir, name);
  mkdirSync(folder);
  const data = readFileSync(SHD);
  for (const [offset, value] of bytes) {
    if (typeof value === "number") data[offset] = value;
    else data.set(value, offset);
  }
  writeFileSync(join(folder, "shd_train.h5"), data);
  copyFileSync(SHD, join(folder, "shd_test.h5"));
  return folder;
}

describe("damaged HDF5 files", () => {
  it("data info on the file that hung HDF5 (issue 18) fails within seconds with one line", async () => {
    const folder = shdFolder("hang", [[4296, 0]]);
    const started = Date.now();
    const result = await runCli(
      ["data", "info", "--dataset", "shd", "--data", folder, "--split", "train"],
      { env: { SNN_HDF5_TIMEOUT_MS: "2000" }, timeoutMs: 60_000 },
    );
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(result.code).toBe(1);
    expect(result.stderr).not.toMatch(/^Usage: /m);
    expect(result.stderr.split("\n")[0]).toMatch(
      /^snn data info: error: .*shd_train\.h5: HDF5 did not read \/extra\/keys within 2 s, so the file is damaged.*Download it again/,
    );
    expect(result.stderr).not.toMatch(/Aborted|HDF5-DIAG|\n\s+at /);
  });

  it("data info escapes control characters in class names", async () => {
    // "zero" in /extra/keys becomes ESC "[31" (same length): a colour code if printed raw.
    const folder = shdFolder("escape", [[4384, [0x1b, 0x5b, 0x33, 0x31]]]);
    const result = await runCli([
      "data",
      "info",
      "--dataset",
      "shd",
      "--data",
      folder,
      "--split",
      "train",
    ]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain("samples per class: \\x1b[31:");
    expect(result.stdout).not.toContain("\u001b");
  });

  it("a --data file that names no split is refused instead of being used as train and test", async () => {
    const file = join(dir, "recording.h5");
    copyFileSync(SHD, file);
    const result = await runCli(["data", "info", "--dataset", "shd", "--data", file]);
    expect(result.code).toBe(2);
    expect(result.stderr.split("\n")[0]).toMatch(/says neither "train" nor "test"/);
  });
});

describe("bounds before work", () => {
  it("a spike at 30,000 s is refused before the run folder is made, naming the sample and --steps", async () => {
    // Sample 0's last spike time (float32 seconds at byte 2608) becomes 30000 s.
    const late = Buffer.alloc(4);
    late.writeFloatLE(30000);
    const folder = shdFolder("late", [[2608, [...late]]]);
    const started = Date.now();
    const result = await runCli(
      [
        "train",
        "--dataset",
        "shd",
        "--data",
        folder,
        "--hidden",
        "8",
        "--epochs",
        "1",
        "--batch-size",
        "8",
        "--dt",
        "2",
        "--out",
        join(dir, "late-run"),
        "--quiet",
      ],
      { timeoutMs: 120_000 },
    );
    expect(Date.now() - started).toBeLessThan(60_000);
    expect(result.code).toBe(1);
    expect(result.stderr.split("\n")[0]).toMatch(
      /^snn train: error: sample 0 of SHD shd_train\.h5 has a spike at 30000\.0 s, so its trial would be 1500000\d steps of 2 ms, far longer than SHD's usual 1400 ms.*--steps N/,
    );
    // Refused before anything was written: no run folder to delete or mark failed.
    expect(existsSync(join(dir, "late-run"))).toBe(false);
  });

  it("trials whose length comes from the data and would exceed the memory limit are refused before the run folder is made", async () => {
    // The test file's last spike is at 50 ms: at 0.0001 ms steps about 500,000 steps, so a
    // batch of 8 trials needs about 0.06 GB of loss masks, more than a limit of 0.01 GB.
    const folder = shdFolder("long-steps", []);
    const result = await runCli(
      [
        "train",
        "--dataset",
        "shd",
        "--data",
        folder,
        "--hidden",
        "8",
        "--epochs",
        "1",
        "--batch-size",
        "8",
        "--dt",
        "0.0001",
        "--out",
        join(dir, "long-steps-run"),
        "--quiet",
      ],
      {
        env: { SNN_MAX_TRIAL_STEPS: String(2 ** 31 - 1), SNN_MAX_MEMORY_GB: "0.01" },
        timeoutMs: 120_000,
      },
    );
    expect(result.code).toBe(1);
    expect(result.stderr.split("\n")[0]).toMatch(
      /^snn train: error: sample \d+ of SHD shd_train\.h5 \(the longest trial, 0\.0001 ms steps\) asks for trials of \d+ steps in batches of 8, which needs about 0\.06 GB of memory .*more than the limit of 0\.01 GB \(SNN_MAX_MEMORY_GB=0\.01\); give a trial length with --steps N \(later spikes are cropped\) or a smaller --batch-size\.$/,
    );
    // Refused before anything was written (before, the first batch failed the run it had made).
    expect(existsSync(join(dir, "long-steps-run"))).toBe(false);
  });

  it("--hidden 100000000 is refused at once, naming the memory limit and --hidden", async () => {
    const started = Date.now();
    const result = await runCli([
      "train",
      "--dataset",
      "latency-mnist",
      "--data",
      "embedded",
      "--hidden",
      "100000000",
      "--epochs",
      "1",
      "--train-samples",
      "32",
      "--test-samples",
      "16",
      "--out",
      join(dir, "huge"),
    ]);
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(result.code).toBe(2);
    expect(result.stderr.split("\n")[0]).toMatch(
      /--hidden 100000000 .*needs about \d+.* GB of memory, more than the limit of .*use a smaller --hidden/,
    );
  });

  it("--events steps of 2^32 are refused instead of wrapping to 0 in an Int32Array", async () => {
    const events = join(dir, "events.json");
    writeFileSync(events, JSON.stringify({ inputs: [{ steps: [4294967296], units: [3] }] }));
    const result = await runCli(["infer", "--pretrained", "smnist", "--events", events]);
    expect(result.code, result.stderr).toBe(1);
    expect(result.stderr.split("\n")[0]).toMatch(
      /inputs\[0\]\.steps\[0\] is 4294967296, beyond the limit of 1000000 steps per trial/,
    );
  });

  it("a long --events trial (the step limit raised) whose memory exceeds the limit is refused before it runs", async () => {
    const events = join(dir, "long-events.json");
    const inputs = [0, 1, 2].map((k) => ({ steps: [5, 100_000_000 + k], units: [3, 4] }));
    writeFileSync(events, JSON.stringify({ numSteps: 300_000_000, inputs }));
    const started = Date.now();
    const result = await runCli(
      ["infer", "--pretrained", "smnist", "--events", events, "--batch-size", "2"],
      { env: { SNN_MAX_TRIAL_STEPS: String(2 ** 31 - 1), SNN_MAX_MEMORY_GB: "2" } },
    );
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(result.code, result.stderr).toBe(1);
    expect(result.stderr.split("\n")[0]).toBe(
      `snn infer: error: --events ${events} asks for trials of 300000000 steps in batches of 2, which needs about 11.2 GB of memory (16 bytes per step and trial for the loss masks), more than the limit of 2.0 GB (SNN_MAX_MEMORY_GB=2); give a smaller "numSteps" in ${events} (and no later events) or a smaller --batch-size.`,
    );
  });
});

/**
 * The checkpoint with its training metadata's `numSteps` set to `numSteps`, everything else
 * (tensors, offsets) as it was: a damaged or hostile checkpoint that still decodes.
 */
function withTrialLength(checkpoint: Buffer, numSteps: number): Buffer {
  const headerLength = Number(checkpoint.readBigUInt64LE(0));
  const header = JSON.parse(checkpoint.subarray(8, 8 + headerLength).toString("utf8")) as {
    __metadata__: Record<string, string>;
  };
  const training = JSON.parse(header.__metadata__["training"]!) as Record<string, unknown>;
  header.__metadata__["training"] = JSON.stringify({ ...training, numSteps });
  let text = JSON.stringify(header);
  text += " ".repeat((8 - (Buffer.byteLength(text) % 8)) % 8); // keep the data 8-byte aligned
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(Buffer.byteLength(text)));
  return Buffer.concat([length, Buffer.from(text, "utf8"), checkpoint.subarray(8 + headerLength)]);
}

describe("a checkpoint asking for 10^9 steps", () => {
  let run: string;
  let loose: string;
  beforeAll(async () => {
    run = join(dir, "billion-run");
    const trained = await runCli([
      "train",
      "--dataset",
      "latency-mnist",
      "--data",
      "embedded",
      "--hidden",
      "8",
      "--epochs",
      "1",
      "--max-batches",
      "1",
      "--train-samples",
      "16",
      "--test-samples",
      "8",
      "--out",
      run,
      "--quiet",
    ]);
    expect(trained.code, trained.stderr).toBe(0);
    const best = join(run, "best.safetensors");
    const damaged = withTrialLength(readFileSync(best), 1e9);
    writeFileSync(best, damaged);
    // The same checkpoint outside any run: only its own metadata says how long a trial is.
    loose = join(dir, "billion.safetensors");
    writeFileSync(loose, damaged);
  }, 120_000);

  it.each([
    ["evaluate", "the run", () => ["evaluate", run]],
    ["infer", "the run", () => ["infer", run, "--count", "2"]],
    [
      "evaluate",
      "a loose checkpoint",
      () => ["evaluate", loose, "--dataset", "latency-mnist", "--data", "embedded"],
    ],
    [
      "infer",
      "a loose checkpoint",
      () => ["infer", loose, "--dataset", "latency-mnist", "--data", "embedded"],
    ],
  ])("snn %s of %s is refused within seconds, naming the limit", async (_command, _what, args) => {
    const started = Date.now();
    const result = await runCli(args(), { timeoutMs: 60_000 });
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(result.code, result.stderr).toBe(1);
    expect(result.stderr.split("\n")[0]).toMatch(
      /asks for trials of 1000000000 steps, more than the limit of 1000000 steps; give a shorter --steps \(or raise the limit with SNN_MAX_TRIAL_STEPS\)/,
    );
    expect(result.stderr).not.toMatch(/^\s+at |internal error/m);
  });
});
