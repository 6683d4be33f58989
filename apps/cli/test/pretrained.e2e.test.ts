/**
 * `snn evaluate --pretrained smnist` and `snn infer --pretrained smnist` through the built CLI:
 * the network shipped with @snn/pretrained on its data, the checks of RUN against --pretrained
 * and of the data against the model.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadPretrained, type PretrainedModel } from "@snn/pretrained";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureBuilt, runCli } from "./cli";

let dir: string;
let model: PretrainedModel;
beforeAll(async () => {
  ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), "snn-cli-pretrained-"));
  model = await loadPretrained("smnist");
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A usage error: exit 2, one error line and the usage on stderr, nothing on stdout. */
async function expectUsageError(args: string[], message: RegExp): Promise<void> {
  const result = await runCli(args, { cwd: dir });
  expect(result.code, result.stderr).toBe(2);
  const lines = result.stderr.trimEnd().split("\n");
  expect(lines[0]).toMatch(message);
  expect(lines[1]).toMatch(/^Usage: snn (evaluate|infer) \[options\] \[RUN\]$/);
  expect(result.stderr).not.toMatch(/^\s+at /m);
  expect(result.stdout).toBe("");
}

describe("--pretrained smnist", () => {
  it("evaluates the shipped network on its subset of MNIST test digits: the accuracy its file reports", async () => {
    const subset = model.metadata.evaluation.subset;
    expect(subset.definition.source).toBe("mnist-test");
    // The subset is the first N digits of the MNIST test set: what --data full --test-samples N reads.
    const args = [
      "evaluate",
      "--pretrained",
      "smnist",
      "--data",
      "full",
      "--test-samples",
      String(subset.examples),
    ];
    const result = await runCli([...args, "--json"], { cwd: dir });
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as {
      pretrained: string;
      checkpoint: string;
      dataset: string;
      examples: number;
      accuracy: number;
      confusion: number[][];
    };
    expect(report.pretrained).toBe("smnist");
    expect(report.checkpoint).toMatch(/packages\/pretrained\/models\/smnist\.safetensors$/);
    expect(report.dataset).toMatch(/MNIST/);
    expect(report.examples).toBe(subset.examples);
    expect(report.accuracy).toBe(subset.accuracy);
    expect(report.confusion.reduce((sum, row, k) => sum + row[k]!, 0)).toBe(subset.correct);
    const text = await runCli(
      ["evaluate", "--pretrained", "smnist", "--data", "full", "--test-samples", "20"],
      { cwd: dir },
    );
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(
      /^model: pretrained smnist, e-prop LSNN for spiking sequential MNIST .*; test accuracy \d+\.\d\d% on the 10000 digits of the MNIST test set/m,
    );
    expect(text.stdout).toMatch(/^accuracy: \d+\.\d\d% \(\d+\/20\)$/m);
  }, 90_000);

  it("classifies test digits as the file's subset predictions say", async () => {
    const subset = model.metadata.evaluation.subset;
    const result = await runCli(
      ["infer", "--pretrained", "smnist", "--samples", "0-9", "--data", "full", "--json"],
      { cwd: dir },
    );
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as {
      pretrained: string;
      predictions: { sample: number; label: number; predicted: number }[];
    };
    expect(report.pretrained).toBe("smnist");
    expect(report.predictions.map((p) => p.sample)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    // Inference on the CPU is deterministic, and batches do not change a digit's prediction.
    expect(report.predictions.map((p) => p.predicted).join("")).toBe(
      subset.predictions.slice(0, 10),
    );
    const text = await runCli(
      ["infer", "--pretrained", "smnist", "--count", "2", "--data", "full"],
      { cwd: dir },
    );
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/^model: pretrained smnist, /m);
    expect(text.stdout).toMatch(
      /^sample 1: predicted \d \(sum of readout: \d\)  label 2  (correct|wrong)$/m,
    );
  }, 90_000);

  it("evaluates and classifies test digits the same in 1 and 2 threads", async () => {
    const evaluate = async (threads: string) => {
      const args = ["evaluate", "--pretrained", "smnist", "--data", "full"];
      const result = await runCli(
        [...args, "--test-samples", "12", "--batch-size", "4", "--threads", threads, "--json"],
        { cwd: dir },
      );
      expect(result.code, result.stderr).toBe(0);
      return JSON.parse(result.stdout) as Record<string, unknown>;
    };
    const one = await evaluate("1");
    const two = await evaluate("2");
    expect([one["threads"], two["threads"]]).toEqual([1, 2]);
    expect(one["examples"]).toBe(12);
    expect({ ...two, threads: 1 }).toEqual(one);
    const infer = async (threads: string) => {
      const args = ["infer", "--pretrained", "smnist", "--data", "full", "--samples", "0-9"];
      const result = await runCli([...args, "--batch-size", "3", "--threads", threads, "--json"], {
        cwd: dir,
      });
      expect(result.code, result.stderr).toBe(0);
      return JSON.parse(result.stdout) as {
        predictions: { predicted: number }[];
        latencies: { thread: number }[];
      };
    };
    const single = await infer("1");
    const parallel = await infer("2");
    expect(parallel.predictions).toEqual(single.predictions);
    expect(parallel.predictions.map((p) => p.predicted).join("")).toBe(
      model.metadata.evaluation.subset.predictions.slice(0, 10),
    );
    expect(new Set(parallel.latencies.map((l) => l.thread))).toEqual(new Set([0, 1]));
  }, 120_000);

  it("reads spike trains from a file with the model's trial length", async () => {
    const events = {
      inputs: [
        model.encodeImage(
          new Uint8Array(784)
            .fill(0)
            .map((_, i) => (i % 28 === 14 && i > 100 && i < 700 ? 255 : 0)),
        ),
      ].map((e) => ({ steps: Array.from(e.steps), units: Array.from(e.units) })),
    };
    writeFileSync(join(dir, "one.json"), JSON.stringify(events));
    const result = await runCli(
      ["infer", "--pretrained", "smnist", "--events", "one.json", "--json"],
      { cwd: dir },
    );
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as { predictions: { predicted: number }[] };
    expect(report.predictions).toHaveLength(1);
    expect(report.predictions[0]!.predicted).toBeGreaterThanOrEqual(0);
    expect(report.predictions[0]!.predicted).toBeLessThan(10);
  }, 60_000);

  it.each([
    [
      ["evaluate"],
      /^snn evaluate: error: missing RUN: give a run directory of 'snn train' or a \.safetensors checkpoint, or --pretrained smnist/,
    ],
    [["infer"], /^snn infer: error: missing RUN: .*--pretrained smnist/],
    [
      ["evaluate", "runs/x", "--pretrained", "smnist"],
      /^snn evaluate: error: give either RUN \(runs\/x\) or --pretrained smnist, not both\.$/,
    ],
    [
      ["infer", "runs/x", "--pretrained", "smnist"],
      /^snn infer: error: give either RUN \(runs\/x\) or --pretrained smnist, not both\.$/,
    ],
    [
      ["evaluate", "--pretrained", "cifar"],
      /^snn evaluate: error: --pretrained must be one of smnist, smnist-512; got "cifar"\.$/,
    ],
    [
      ["evaluate", "--pretrained", "smnist", "--checkpoint", "latest"],
      /--checkpoint chooses a checkpoint of a run directory/,
    ],
    [
      ["evaluate", "--pretrained", "smnist", "--dataset", "shd"],
      /^snn evaluate: error: --dataset shd does not fit --pretrained smnist, which reads sequential MNIST in the (79|80)-channel(-cue)? encoding/,
    ],
    [
      ["infer", "--pretrained", "smnist", "--steps", "3"],
      /^snn infer: error: --steps 3 does not fit --pretrained smnist/,
    ],
  ])("snn %s is a usage error", async (args, message) => {
    await expectUsageError(args, message);
  });

  it("refuses an encoding the model does not read", async () => {
    const other = model.input.encoding === "79-channel" ? "80" : "79";
    await expectUsageError(
      ["evaluate", "--pretrained", "smnist", "--encoding", other],
      new RegExp(`^snn evaluate: error: --encoding ${other} does not fit --pretrained smnist`),
    );
  });

  it("--help names --pretrained and its example", async () => {
    for (const command of ["evaluate", "infer"]) {
      const result = await runCli([command, "--help"], { cwd: dir });
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/^Usage: snn (evaluate|infer) \[options\] \[RUN\]$/m);
      expect(result.stdout).toMatch(/--pretrained smnist/);
      expect(result.stdout).toMatch(new RegExp(`snn ${command} --pretrained smnist`));
    }
  });
});
