/**
 * End-to-end: the built `snn` trains on the embedded digits, is interrupted with SIGINT,
 * resumes exactly, and its run is evaluated and used for inference. Plots are parsed as XML.
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureBuilt, runCli, type CliResult } from "./cli";
import { allElements, parseXml, seriesOf } from "./xml";

/**
 * A tiny network on the embedded sequential MNIST: 8 batches of 4 per epoch, 2 epochs. Chunks
 * of 50 steps (not the default 100): an exact resume must keep the run's chunk length.
 */
const TINY = [
  "--data",
  "embedded",
  "--hidden",
  "24",
  "--batch-size",
  "4",
  "--train-samples",
  "32",
  "--test-samples",
  "8",
  "--epochs",
  "2",
  "--steps",
  "500",
  "--loss-steps",
  "30",
  "--seed",
  "7",
  "--chunk-steps",
  "50",
];

let dir: string;
beforeAll(() => {
  ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), "snn-cli-train-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface JsonEvent {
  event: string;
  [key: string]: unknown;
}

function events(stdout: string): JsonEvent[] {
  return stdout
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as JsonEvent);
}

function metrics(runDir: string): Record<string, unknown>[] {
  return readFileSync(join(runDir, "metrics.jsonl"), "utf8")
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

function svgSeries(file: string): Map<string, ReturnType<typeof parseXml>> {
  const root = parseXml(readFileSync(file, "utf8"));
  expect(root.name).toBe("svg");
  return seriesOf(root);
}

describe("snn train on the embedded digits", () => {
  let reference: CliResult;
  let interrupted: CliResult;
  let resumed: CliResult;
  let interruptedState: { status: string; latestCheckpoint: string; step: number };
  let interruptedCheckpointExists = false;
  const referenceDir = () => join(dir, "reference");
  const runDir = () => join(dir, "interrupted");

  beforeAll(async () => {
    reference = await runCli(["train", ...TINY, "--out", referenceDir(), "--log-format", "json"], {
      cwd: dir,
    });
    let sent = false;
    interrupted = await runCli(["train", ...TINY, "--out", runDir(), "--log-format", "json"], {
      cwd: dir,
      onStdout: (child, stdout) => {
        if (!sent && stdout.includes('"event":"batch"')) {
          sent = true;
          child.kill("SIGINT");
        }
      },
    });
    interruptedState = JSON.parse(
      readFileSync(join(runDir(), "run.json"), "utf8"),
    ) as typeof interruptedState;
    interruptedCheckpointExists = existsSync(join(runDir(), interruptedState.latestCheckpoint));
    resumed = await runCli(["train", "--resume", runDir(), "--log-format", "json"], { cwd: dir });
  }, 120_000);

  it("an uninterrupted run writes config, metrics, checkpoints, best and plots", () => {
    expect(reference.code, reference.stderr).toBe(0);
    const run = referenceDir();
    for (const file of [
      "config.json",
      "run.json",
      "metrics.jsonl",
      "best.safetensors",
      "checkpoints/epoch-0001.safetensors",
      "checkpoints/epoch-0002.safetensors",
    ]) {
      expect(existsSync(join(run, file)), file).toBe(true);
    }
    const config = JSON.parse(readFileSync(join(run, "config.json"), "utf8")) as Record<
      string,
      unknown
    >;
    expect(config).toMatchObject({
      dataset: "smnist",
      hidden: 24,
      "batch-size": 4,
      epochs: 2,
      steps: 500,
      seed: 7,
      "chunk-steps": 50,
    });
    expect(events(reference.stdout)[0]!["description"]).toMatch(
      /e-prop: chunked eligibility, 50 steps per chunk, traces on the host/,
    );
    // once training runs: where the traces actually run (Node 20.16+: a worker thread)
    expect(reference.stderr).not.toMatch(/^\{/m); // every JSON event is on stdout
    const notes = events(reference.stdout);
    const traces = notes.find(
      (e) => e["event"] === "note" && String(e["message"]).startsWith("e-prop traces:"),
    );
    expect(traces?.["message"]).toBe(
      "e-prop traces: on the host, in a worker thread beside the forward pass",
    );
    expect(traces?.["traces"]).toEqual({ where: "host", thread: true });
    const state = JSON.parse(readFileSync(join(run, "run.json"), "utf8")) as Record<
      string,
      unknown
    >;
    expect(state).toMatchObject({ status: "finished", epochsCompleted: 2, step: 16 });
    const records = metrics(run);
    expect(records.filter((r) => r["kind"] === "batch")).toHaveLength(16);
    const epochs = records.filter((r) => r["kind"] === "epoch");
    expect(epochs.map((r) => r["epoch"])).toEqual([1, 2]);
    for (const e of epochs) {
      expect(e["testAccuracy"]).toBeGreaterThanOrEqual(0);
      expect(e["testAccuracy"]).toBeLessThanOrEqual(1);
      expect(Number.isFinite(e["testLoss"])).toBe(true);
    }
    // JSON-lines progress: start, 16 batches, 2 evaluations, 2 epochs, end.
    const log = events(reference.stdout);
    expect(log[0]!.event).toBe("start");
    expect(log.filter((e) => e.event === "batch")).toHaveLength(16);
    expect(log.filter((e) => e.event === "epoch")).toHaveLength(2);
    expect(log[log.length - 1]).toMatchObject({ event: "end", status: "finished" });
    const batch = log.find((e) => e.event === "batch")!;
    expect(batch).toHaveProperty("etaMs");
    expect(batch).toHaveProperty("firingRatesHz.hidden");
  });

  it("--micro-batch runs each batch as smaller trials with one Adam step: the uninterrupted run's losses; too large a value is a usage error", async () => {
    const out = join(dir, "micro");
    const micro = await runCli(
      [
        "train",
        ...TINY,
        "--epochs",
        "1",
        "--micro-batch",
        "3",
        "--out",
        out,
        "--log-format",
        "json",
      ],
      { cwd: dir },
    );
    expect(micro.code, micro.stderr).toBe(0);
    expect(events(micro.stdout)[0]!["description"]).toMatch(/batch 4 \(in micro-batches of 3\)/);
    expect(JSON.parse(readFileSync(join(out, "config.json"), "utf8"))).toMatchObject({
      "batch-size": 4,
      "micro-batch": 3,
    });
    const losses = (run: string) =>
      metrics(run)
        .filter((r) => r["kind"] === "batch" && r["epoch"] === 1)
        .map((r) => r["loss"] as number);
    const expected = losses(referenceDir());
    expect(expected).toHaveLength(8);
    const got = losses(out);
    expect(got).toHaveLength(8);
    for (const [k, loss] of expected.entries())
      expect(Math.abs(got[k]! - loss), `batch ${k + 1}`).toBeLessThanOrEqual(1e-4 * Math.abs(loss));
    const tooLarge = await runCli(
      ["train", ...TINY, "--micro-batch", "5", "--out", join(dir, "micro-too-large")],
      { cwd: dir },
    );
    expect(tooLarge.code).toBe(2);
    expect(tooLarge.stderr).toMatch(/--micro-batch 5 is larger than the batch \(--batch-size 4\)/);
  }, 60_000);

  it("plots are valid SVG with the expected series", () => {
    const plots = join(referenceDir(), "plots");
    expect(readdirSync(plots).sort()).toEqual([
      "accuracy.svg",
      "firing-rate.svg",
      "loss.svg",
      "raster.svg",
    ]);
    for (const name of ["accuracy.svg", "loss.svg"]) {
      const series = svgSeries(join(plots, name));
      expect([...series.keys()]).toEqual(["train (per batch)", "train", "test"]);
      expect(series.get("train (per batch)")!.attributes["data-points"]).toBe("16");
      expect(series.get("test")!.attributes["data-points"]).toBe("2");
      const path = series.get("test")!.children.find((e) => e.name === "path")!;
      expect(path.attributes["d"]!.match(/[ML]/g)).toEqual(["M", "L"]);
    }
    expect([...svgSeries(join(plots, "firing-rate.svg")).keys()]).toEqual(["hidden"]);
    const raster = svgSeries(join(plots, "raster.svg"));
    const labels = [...raster.keys()];
    expect(labels).toHaveLength(6); // input and hidden of three test samples
    for (let k = 0; k < 3; k++) {
      expect(labels[2 * k]).toMatch(
        new RegExp(`^test sample ${k} \\(label \\d\\): input, \\d+ spikes$`),
      );
      expect(labels[2 * k + 1]).toMatch(
        new RegExp(`^test sample ${k}: hidden \\(24 ALIF\\), \\d+ spikes, predicted \\d$`),
      );
      expect(Number(raster.get(labels[2 * k]!)!.attributes["data-spikes"])).toBeGreaterThan(0);
    }
    for (const [label, panel] of raster) {
      expect(label).toContain(`${panel.attributes["data-spikes"]} spikes`);
      const spikes = Number(panel.attributes["data-spikes"]);
      const marks =
        panel.children.length === 0
          ? 0
          : (panel.children[0]!.attributes["d"]!.match(/M/g) ?? []).length;
      expect(marks).toBe(spikes);
    }
    expect(
      labels
        .filter((l) => l.includes("hidden"))
        .some((l) => Number(raster.get(l)!.attributes["data-spikes"]) > 0),
    ).toBe(true);
    // Titles are readable text.
    const root = parseXml(readFileSync(join(plots, "accuracy.svg"), "utf8"));
    expect(allElements(root).find((e) => e.name === "title")!.text).toContain("accuracy");
  });

  it("SIGINT finishes the batch, checkpoints and says how to resume", () => {
    expect(interrupted.code, interrupted.stderr).toBe(130);
    expect(interrupted.stderr).toMatch(/Interrupted: finishing the current batch/);
    expect(interrupted.stderr).toMatch(/Resume with: snn train --resume /);
    expect(interrupted.stderr.match(/Resume with:/g)).toHaveLength(1); // once, though also in the JSON end event
    expect(interrupted.stderr).not.toMatch(/^\s+at /m);
    const log = events(interrupted.stdout);
    expect(log[log.length - 1]).toMatchObject({ event: "end", status: "interrupted" });
    expect(log.filter((e) => e.event === "batch").length).toBeLessThan(16);
    expect(interruptedState.status).toBe("interrupted");
    expect(interruptedState.step).toBeLessThan(16);
    expect(interruptedCheckpointExists).toBe(true);
  });

  it("--resume continues exactly: same metrics and weights as the uninterrupted run", () => {
    expect(resumed.code, resumed.stderr).toBe(0);
    const log = events(resumed.stdout);
    expect(log[0]).toMatchObject({ event: "start" });
    expect(log[0]!["resumedFrom"]).not.toBeNull();
    const strip = (records: Record<string, unknown>[]) =>
      records.map(({ durationMs: _d, ...rest }) => rest);
    expect(strip(metrics(runDir()))).toEqual(strip(metrics(referenceDir())));
    const last = "checkpoints/epoch-0002.safetensors";
    expect(
      Buffer.compare(readFileSync(join(runDir(), last)), readFileSync(join(referenceDir(), last))),
    ).toBe(0);
    const state = JSON.parse(readFileSync(join(runDir(), "run.json"), "utf8")) as Record<
      string,
      unknown
    >;
    expect(state).toMatchObject({ status: "finished", epochsCompleted: 2 });
  });

  it("evaluate prints accuracy and a confusion matrix", async () => {
    const text = await runCli(["evaluate", runDir()], { cwd: dir });
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/accuracy: \d+\.\d\d% \(\d+\/8\)/);
    expect(text.stdout).toMatch(/^true\\pred +0 +1 +2 +3 +4 +5 +6 +7 +8 +9$/m);
    const json = await runCli(["evaluate", runDir(), "--json"], { cwd: dir });
    const result = JSON.parse(json.stdout) as {
      accuracy: number;
      examples: number;
      confusion: number[][];
    };
    expect(result.examples).toBe(8);
    expect(result.confusion).toHaveLength(10);
    const total = result.confusion.flat().reduce((a, b) => a + b, 0);
    const diagonal = result.confusion.reduce((a, row, k) => a + row[k]!, 0);
    expect(total).toBe(8);
    expect(result.accuracy).toBeCloseTo(diagonal / 8, 12);
    // The best checkpoint's accuracy is what training recorded for its epoch.
    const best = (
      JSON.parse(readFileSync(join(runDir(), "run.json"), "utf8")) as { best: { accuracy: number } }
    ).best;
    expect(result.accuracy).toBeCloseTo(best.accuracy, 12);
  });

  it("infer classifies chosen samples and reports latency per batch", async () => {
    const result = await runCli(["infer", runDir(), "--samples", "0,2-3", "--batch-size", "2"], {
      cwd: dir,
    });
    expect(result.code, result.stderr).toBe(0);
    expect(
      result.stdout.match(
        /^sample \d: predicted \d \(sum of readout: \d\)  label \d  (correct|wrong)$/gm,
      ),
    ).toHaveLength(3);
    expect(result.stdout.match(/^batch \d: \d samples? in [\d.]+ ms/gm)).toHaveLength(2);
    // Predictions agree with evaluate's: the same accuracy over the 8 test samples.
    const json = await runCli(["infer", runDir(), "--count", "8", "--json"], { cwd: dir });
    const inferred = JSON.parse(json.stdout) as {
      predictions: { label: number; predicted: number }[];
      latencies: { samples: number; ms: number; thread: number }[];
    };
    expect(inferred.predictions).toHaveLength(8);
    expect(inferred.latencies).toEqual([
      {
        batch: 1,
        samples: 8,
        ms: expect.any(Number) as number,
        thread: expect.any(Number) as number,
      },
    ]);
    const evaluated = JSON.parse(
      (await runCli(["evaluate", runDir(), "--json"], { cwd: dir })).stdout,
    ) as { accuracy: number };
    expect(inferred.predictions.filter((p) => p.label === p.predicted).length / 8).toBeCloseTo(
      evaluated.accuracy,
      12,
    );
  });

  it("a second Ctrl-C abandons the batch; a run without a checkpoint cannot be resumed", async () => {
    const out = join(dir, "abandoned");
    let first = false;
    let second = false;
    // Slower batches (784 steps, 48 neurons, batch 8) leave time for the second Ctrl-C.
    const slow = [
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
          child.kill("SIGINT");
        }
      },
      onStderr: (child, stderr) => {
        if (first && !second && stderr.includes("Interrupted: finishing the current batch")) {
          second = true;
          child.kill("SIGINT");
        }
      },
    });
    expect(result.code).toBe(130);
    expect(result.stderr).toMatch(
      /Abandoned the current batch\. The last checkpoint \(none\) is kept\./,
    );
    expect(result.stderr).not.toMatch(/^\s+at /m);
    expect(JSON.parse(readFileSync(join(out, "run.json"), "utf8"))).toMatchObject({
      status: "interrupted",
      epochsCompleted: 0,
    });
    const resume = await runCli(["train", "--resume", out], { cwd: dir });
    expect(resume.code).toBe(1);
    expect(resume.stderr.split("\n")[0]).toMatch(/has no checkpoint yet/);
  });

  it("codegen prints the kernels of a run's network", async () => {
    const result = await runCli(["codegen", runDir(), "--list"], { cwd: dir });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/adam/);
    expect(result.stdout).toMatch(/hidden/);
  });
});
