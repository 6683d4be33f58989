import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { RunStateError, parseRunState } from "./run-state";

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "snn-cli-state-"));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const good = {
  version: 1,
  status: "finished",
  epochsCompleted: 2,
  step: 16,
  latestCheckpoint: "checkpoints/epoch-0002.safetensors",
  best: { epoch: 1, accuracy: 0.5, checkpoint: "best.safetensors" },
  createdAt: "2024-01-01T00:00:00.000Z",
  updatedAt: "2024-01-01T00:00:01.000Z",
};

describe("parseRunState", () => {
  it("accepts a run.json snn train writes, and a failed one with its reason", () => {
    const root = tempDir();
    expect(parseRunState(good, "run.json", root)).toEqual(good);
    expect(
      parseRunState(
        { ...good, status: "failed", reason: "training diverged", resumable: false },
        "run.json",
        root,
      ).status,
    ).toBe("failed");
  });

  it.each([
    [null, /run\.json is damaged: it holds null, not an object/],
    [[], /it holds an array/],
    [7, /it holds number/],
    [{ ...good, version: 2 }, /"version" is 2, not 1/],
    [{ ...good, status: "done" }, /"status" must be one of running, interrupted, finished, failed/],
    [{ ...good, epochsCompleted: "2" }, /"epochsCompleted" must be a whole number/],
    [{ ...good, step: -1 }, /"step" must be a whole number/],
    [{ ...good, createdAt: null }, /"createdAt" must be a time/],
    [{ ...good, reason: 5 }, /"reason" must be a string/],
    [{ ...good, resumable: "yes" }, /"resumable" must be true or false/],
    [{ ...good, latestCheckpoint: 3 }, /"latestCheckpoint" must be a path/],
    [
      { ...good, latestCheckpoint: "../../other/best.safetensors" },
      /"latestCheckpoint" \(\.\.\/\.\.\/other\/best\.safetensors\) points outside the run folder/,
    ],
    [{ ...good, latestCheckpoint: "/etc/passwd" }, /points outside the run folder/],
    [{ ...good, latestCheckpoint: "." }, /points outside the run folder/],
    [{ ...good, best: null }, /"best" must be an object/],
    [
      { ...good, best: { ...good.best, accuracy: 2 } },
      /"best\.accuracy" must be a number from 0 to 1/,
    ],
    [
      { ...good, best: { ...good.best, checkpoint: "../x.safetensors" } },
      /"best\.checkpoint" .* points outside the run folder/,
    ],
    [{ ...good, swa: [] }, /"swa" must be an object/],
    [
      { ...good, swa: { epochs: [0], accuracy: 0.5, checkpoint: "swa.safetensors" } },
      /"swa\.epochs" must be a list of whole numbers of at least 1/,
    ],
    [
      { ...good, swa: { epochs: [2], accuracy: 0.5, checkpoint: "../swa.safetensors" } },
      /"swa\.checkpoint" .* points outside the run folder/,
    ],
  ])("refuses %j with a message naming the field", (value, message) => {
    const root = tempDir();
    let thrown: unknown;
    try {
      parseRunState(value, "run.json", root);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(RunStateError);
    expect((thrown as Error).message).toMatch(message);
    expect((thrown as RunStateError).exitCode).toBe(1);
  });

  it("refuses a checkpoint path that is a symbolic link out of the run folder", () => {
    const root = tempDir();
    const outside = tempDir();
    writeFileSync(join(outside, "other.safetensors"), "x");
    mkdirSync(join(root, "checkpoints"));
    symlinkSync(
      join(outside, "other.safetensors"),
      join(root, "checkpoints", "epoch-0002.safetensors"),
    );
    expect(() => parseRunState(good, "run.json", root)).toThrow(
      /"latestCheckpoint" .* is a link that leads outside the run folder/,
    );
  });
});
