import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readCheckpointFile } from "@snn/eprop";
import { afterAll, describe, expect, it } from "vitest";
import type { CliIO } from "./io";
import { main } from "./main";

const TINY = [
  "--dataset",
  "latency-mnist",
  "--hidden",
  "8",
  "--epochs",
  "1",
  "--train-samples",
  "32",
  "--test-samples",
  "16",
  "--batch-size",
  "16",
  "--seed",
  "3",
  "-q",
];

function io(cwd: string): CliIO & { err: string } {
  const state = {
    err: "",
    stdout: { write: () => true },
    stderr: { write: (t: string) => (state.err += t) },
    env: {},
    cwd,
    onInterrupt: () => () => {},
    exit: () => {},
  };
  return state;
}

function maxDifference(a: Float32Array, b: Float32Array): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

describe("snn train --init-from (a new run starting from a checkpoint's weights)", () => {
  const cwd = mkdtempSync(join(tmpdir(), "snn-cli-init-from-"));
  afterAll(() => rmSync(cwd, { recursive: true, force: true }));

  it("starts from the run's best weights with a fresh optimiser, records the checkpoint, and differs from a random start", async () => {
    expect(await main(["train", ...TINY, "--out", "a"], io(cwd))).toBe(0);
    // A vanishing learning rate: after one epoch the weights are still the ones it started from.
    const tuned = io(cwd);
    expect(
      await main(["train", ...TINY, "--lr", "1e-12", "--init-from", "a", "--out", "b"], tuned),
      tuned.err,
    ).toBe(0);
    expect(await main(["train", ...TINY, "--lr", "1e-12", "--out", "c"], io(cwd))).toBe(0);

    const config = JSON.parse(readFileSync(join(cwd, "b", "config.json"), "utf8")) as Record<
      string,
      unknown
    >;
    expect(config["init-from"]).toBe(join(cwd, "a", "best.safetensors"));
    const start = await readCheckpointFile(join(cwd, "a", "best.safetensors"));
    const fromA = await readCheckpointFile(join(cwd, "b", "best.safetensors"));
    const fresh = await readCheckpointFile(join(cwd, "c", "best.safetensors"));
    for (const name of ["input->hidden", "hidden->hidden", "hidden->output"]) {
      expect(maxDifference(fromA.parameters[name]!, start.parameters[name]!)).toBeLessThan(1e-6);
      expect(maxDifference(fresh.parameters[name]!, start.parameters[name]!)).toBeGreaterThan(1e-3);
    }
    // The optimiser and progress start afresh: one epoch of two batches.
    expect(fromA.optimizer.step).toBe(2);
    expect(fromA.progress.epoch).toBe(1);
    const runA = JSON.parse(readFileSync(join(cwd, "a", "run.json"), "utf8")) as {
      best: { accuracy: number };
    };
    const runB = JSON.parse(readFileSync(join(cwd, "b", "run.json"), "utf8")) as {
      best: { accuracy: number };
    };
    expect(runB.best.accuracy).toBe(runA.best.accuracy);

    // A checkpoint file works as well as a run folder, and the run resumes like any other.
    const byFile = io(cwd);
    expect(
      await main(
        [
          "train",
          ...TINY,
          "--init-from",
          join("a", "checkpoints", "epoch-0001.safetensors"),
          "--out",
          "d",
        ],
        byFile,
      ),
      byFile.err,
    ).toBe(0);
    const resumed = io(cwd);
    expect(
      await main(["train", "--resume", "d", "--epochs", "2", "-q"], resumed),
      resumed.err,
    ).toBe(0);
    expect(existsSync(join(cwd, "d", "checkpoints", "epoch-0002.safetensors"))).toBe(true);
  }, 60_000);

  it("refuses a checkpoint of another network, a missing path and a file that is not a checkpoint, before making the run folder", async () => {
    const other = io(cwd);
    expect(
      await main(["train", ...TINY, "--hidden", "9", "--init-from", "a", "--out", "e"], other),
    ).toBe(1);
    expect(other.err).toMatch(
      /--init-from .*best\.safetensors: its network does not fit this run's: parameter 'input->hidden' is \[8, \d+\] there and \[9, \d+\] here\. Give the same --hidden/,
    );
    const missing = io(cwd);
    expect(await main(["train", ...TINY, "--init-from", "nothere", "--out", "e"], missing)).toBe(2);
    expect(missing.err).toMatch(/--init-from nothere: cannot .*no such file or folder \(ENOENT\)/);
    writeFileSync(join(cwd, "notes.safetensors"), "not a checkpoint");
    const bad = io(cwd);
    expect(
      await main(["train", ...TINY, "--init-from", "notes.safetensors", "--out", "e"], bad),
    ).toBe(1);
    expect(bad.err).toMatch(/--init-from .*notes\.safetensors: .*(corrupt|truncated|safetensors)/);
    expect(existsSync(join(cwd, "e"))).toBe(false);
  }, 60_000);
});
