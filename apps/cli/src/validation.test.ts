import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { CliIO } from "./io";
import { main } from "./main";

/** `snn train --validation N` end to end, on real (embedded) MNIST digits. */
describe("snn train --validation", () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  function io(cwd: string): CliIO & { err: string; out: string } {
    const state = {
      err: "",
      out: "",
      stdout: { write: (t: string) => ((state.out += t), true) },
      stderr: { write: (t: string) => ((state.err += t), true) },
      env: {},
      cwd,
      onInterrupt: () => () => {},
      exit: () => {},
    };
    return state;
  }

  const TINY = [
    "train",
    "--dataset",
    "latency-mnist",
    "--data",
    "embedded",
    "--hidden",
    "16",
    "--train-samples",
    "96",
    "--test-samples",
    "32",
    "--batch-size",
    "16",
    "--seed",
    "2",
  ];

  it("trains on the rest, scores the held-out samples every epoch, and picks best.safetensors by them", async () => {
    const cwd = mkdtempSync(join(tmpdir(), "snn-cli-validation-"));
    dirs.push(cwd);
    const state = io(cwd);
    const code = await main(
      [...TINY, "--epochs", "3", "--validation", "32", "--out", "r", "--log-format", "json"],
      state,
    );
    expect(code, state.err).toBe(0);
    const events = state.out
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const start = events.find((e) => e["event"] === "start")!;
    // 96 training samples less the 32 held out.
    expect(String(start["description"])).toMatch(/\(64 train, 32 test\)/);
    const batchesPerEpoch = events.filter((e) => e["event"] === "batch" && e["epoch"] === 1);
    expect(batchesPerEpoch.at(-1)!["batches"]).toBe(4);

    const epochs = readFileSync(join(cwd, "r", "metrics.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, number | string>)
      .filter((r) => r["kind"] === "epoch");
    expect(epochs).toHaveLength(3);
    for (const r of epochs) {
      expect(r["validationAccuracy"]).toBeGreaterThanOrEqual(0);
      expect(r["validationAccuracy"]).toBeLessThanOrEqual(1);
      expect(Number.isFinite(r["validationLoss"])).toBe(true);
    }
    const run = JSON.parse(readFileSync(join(cwd, "r", "run.json"), "utf8")) as {
      best: { epoch: number; accuracy: number; validationAccuracy: number };
    };
    const validation = epochs.map((r) => r["validationAccuracy"] as number);
    const bestEpoch = validation.indexOf(Math.max(...validation)) + 1;
    expect(run.best.epoch).toBe(bestEpoch);
    expect(run.best.validationAccuracy).toBe(validation[bestEpoch - 1]);
    expect(run.best.accuracy).toBe(epochs[bestEpoch - 1]!["testAccuracy"]);
    const end = events.find((e) => e["event"] === "end")!;
    expect(String(end["message"])).toMatch(
      /best by validation: epoch \d, validation [\d.]+%, test/,
    );
    expect(readFileSync(join(cwd, "r", "plots", "accuracy.svg"), "utf8")).toMatch(/validation/);

    // config.json keeps the option, so --resume holds the same samples out.
    const config = JSON.parse(readFileSync(join(cwd, "r", "config.json"), "utf8")) as {
      validation: number;
    };
    expect(config.validation).toBe(32);
  }, 120_000);

  it("refuses a count that leaves nothing to train on, before the run folder exists", async () => {
    const cwd = mkdtempSync(join(tmpdir(), "snn-cli-validation-"));
    dirs.push(cwd);
    const state = io(cwd);
    const code = await main([...TINY, "--epochs", "1", "--validation", "96", "--out", "r"], state);
    expect(code).toBe(2);
    expect(state.err).toMatch(
      /--validation 96: the training set .* has 96 samples, so nothing would be left to train on/,
    );
    expect(readdirSync(cwd)).toEqual([]);
  }, 60_000);
});
