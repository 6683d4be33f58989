/**
 * End-to-end: when the worker thread that evaluates the chunked e-prop traces dies in the
 * middle of a training, the built `snn train` stops at once with one clear line (exit 1, no
 * stack), marks the run failed and resumable from its last checkpoint, and `--resume` finishes
 * it exactly as an uninterrupted run. The real thread is ended from outside through Node's
 * inspector (see end-trace-thread.cjs); nothing in the CLI or the library is replaced.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { ensureBuilt, runCli } from "./cli";

const PRELOAD = join(import.meta.dirname, "end-trace-thread.cjs");
/** 64 batches per epoch, so the thread is ended while epoch 2 or 3 runs. */
const ARGS = [
  "train",
  "--dataset",
  "latency-mnist",
  "--data",
  "embedded",
  "--hidden",
  "16",
  "--train-samples",
  "256",
  "--batch-size",
  "4",
  "--test-samples",
  "16",
  "--epochs",
  "3",
  "--seed",
  "4",
];

let dir: string;
beforeAll(() => {
  ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), "snn-cli-trace-thread-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function readState(run: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(dir, run, "run.json"), "utf8")) as Record<string, unknown>;
}

it("a trace thread that dies mid-training fails the run with one line, marks it failed and resumable, and --resume finishes it exactly", async () => {
  let sent = false;
  const failed = await runCli([...ARGS, "--out", "killed", "--log-format", "json"], {
    cwd: dir,
    env: { NODE_OPTIONS: `${process.env["NODE_OPTIONS"] ?? ""} --require ${PRELOAD}`.trim() },
    onStdout: (child, stdout) => {
      if (!sent && stdout.includes('"event":"epoch"')) {
        sent = true;
        child.kill("SIGUSR2");
      }
    },
  });
  // The traces really ran in the worker thread (else there would be nothing to end).
  expect(failed.stdout).toContain("e-prop traces: on the host, in a worker thread");
  expect(sent).toBe(true);
  expect(failed.signal, failed.stderr).toBeNull();
  expect(failed.code, failed.stderr).toBe(1);
  expect(failed.stderr.split("\n").filter((l) => l !== "")).toHaveLength(1);
  expect(failed.stderr).toMatch(
    /^snn train: error: training failed: The chunked e-prop trace thread has stopped \(exit code 7\);.* The run is marked failed in run\.json; fix the cause, then resume from the last good checkpoint \(checkpoints\/epoch-000[12]\.safetensors\) with: snn train --resume killed/,
  );
  expect(failed.stderr).not.toMatch(/^\s+at |internal error/m);
  const state = readState("killed");
  expect(state).toMatchObject({ status: "failed", resumable: true });
  expect(state["reason"]).toMatch(/trace thread has stopped/);
  const done = state["epochsCompleted"] as number;
  expect([1, 2]).toContain(done);
  expect(state["latestCheckpoint"]).toBe(`checkpoints/epoch-000${done}.safetensors`);
  expect(
    readdirSync(join(dir, "killed")).filter((f) => f.endsWith(".tmp") || f === "run.lock"),
  ).toEqual([]);

  const resumed = await runCli(["train", "--resume", "killed", "-q"], { cwd: dir });
  expect(resumed.code, resumed.stderr).toBe(0);
  expect(readState("killed")).toMatchObject({ status: "finished", epochsCompleted: 3 });

  const reference = await runCli([...ARGS, "--out", "reference", "-q"], { cwd: dir });
  expect(reference.code, reference.stderr).toBe(0);
  const last = join("checkpoints", "epoch-0003.safetensors");
  expect(
    Buffer.compare(
      readFileSync(join(dir, "killed", last)),
      readFileSync(join(dir, "reference", last)),
    ),
  ).toBe(0);
}, 120_000);
