import { cpuBackend } from "@snn/backend-cpu";
import { describe, expect, it } from "vitest";
import { runAccuracyBenchmark } from "./accuracy";
import { accuracySettings, epochLearningRates, smnistNetwork } from "./accuracy-settings";
import { formatAccuracyTable, meanAndSd } from "./accuracy-table";
import { findTorchPython } from "./pytorch";

describe("accuracy suite", () => {
  it("fills in snn train's smnist settings and checks options", () => {
    const s = accuracySettings();
    expect(s).toMatchObject({
      hiddenSizes: [256],
      seeds: [1],
      trainSamples: 2000,
      testSamples: 500,
      epochs: 1,
      dt: 2,
      encoding: "79",
      neuron: "alif",
      batchSize: 32,
      lr: 0.002,
      lrDecay: 0.85,
      tauAdapt: 700,
      beta: 0.15,
      lossSteps: 28,
      methods: ["eprop", "bptt"],
    });
    expect(smnistNetwork(s, 4, 1, 79, 10).hidden[0]).toMatchObject({
      tauAdaptMs: 700,
      beta: [0.15, 0.15, 0.15, 0.15],
    });
    expect(accuracySettings({ trainSamples: null }).trainSamples).toBeNull();
    expect(() => accuracySettings({ methods: ["sgd" as "eprop"] })).toThrow(/unknown method 'sgd'/);
    expect(() => accuracySettings({ hiddenSizes: [] })).toThrow(/at least one hidden size/);
    expect(() => accuracySettings({ lrDecay: 1.5 })).toThrow(/at most 1/);
  });

  it("builds snn train's smnist network", () => {
    const d = smnistNetwork({ dt: 2, neuron: "mixed", tauAdapt: 2000, beta: null }, 6, 4, 79, 10);
    expect(d.dt).toBe(2);
    expect(d.seed).toBe(4);
    expect(d.hidden[0]).toMatchObject({
      size: 6,
      neuron: "ALIF",
      recurrent: true,
      tauMemMs: 20,
      tauAdaptMs: 2000,
      refractorySteps: 3,
    });
    expect(d.hidden[0]!.beta.slice(0, 3)).toEqual([0, 0, 0]);
    expect(d.hidden[0]!.beta[5]).toBeCloseTo(
      (1.7 * (1 - Math.exp(-2 / 2000))) / (1 - Math.exp(-2 / 20)),
      12,
    );
    expect(d.regularisation).toEqual({ strength: 0.001, targetRateHz: 10, tauMs: 500 });
  });

  it("decays the learning rate per epoch and summarises runs", () => {
    expect(epochLearningRates(0.002, 0.8, 3)).toEqual([0.002, 0.002 * 0.8, 0.002 * 0.8 ** 2]);
    expect(meanAndSd([0.5])).toEqual({ mean: 0.5, sd: null });
    const { mean, sd } = meanAndSd([0.5, 0.7]);
    expect(mean).toBeCloseTo(0.6, 12);
    expect(sd).toBeCloseTo(Math.SQRT2 * 0.1, 12);
  });

  it("trains e-prop (and BPTT where torch is found) on the same digits and batches, and prints the table", async () => {
    const lines: string[] = [];
    const results = await runAccuracyBenchmark({
      backend: cpuBackend(),
      hiddenSizes: [8],
      trainSamples: 40,
      testSamples: 16,
      epochs: 2,
      batchSize: 16,
      threads: 1,
      log: (line) => lines.push(line),
    });
    const runs = results.filter((r) => r.kind === "run");
    const withTorch = findTorchPython() !== null;
    expect(runs.map((r) => r.method)).toEqual(withTorch ? ["e-prop", "BPTT"] : ["e-prop"]);
    for (const run of runs) {
      expect(run).toMatchObject({
        hidden: 8,
        seed: 1,
        epochs: 2,
        trainSamples: 40,
        trainSamplesSeen: 80,
        testSamples: 16,
        numSteps: 392,
      });
      expect(run.testAccuracy as number).toBeGreaterThanOrEqual(0);
      expect(run.testAccuracy as number).toBeLessThanOrEqual(1);
      expect((run.perEpoch as { learningRate: number }[]).map((e) => e.learningRate)).toEqual([
        0.002,
        0.002 * 0.85,
      ]);
      expect(run.wallSeconds as number).toBeGreaterThan(0);
    }
    expect(runs[0]!.sameBatchOrder).toBe(true);
    if (withTorch) {
      expect(typeof runs[1]!.blas).toBe("string");
      // same initial weights and inputs: the first epoch's firing rates agree closely
      const rate = (k: number): number =>
        (runs[k]!.perEpoch as { firingRateHz: number }[])[0]!.firingRateHz;
      expect(Math.abs(rate(0) - rate(1))).toBeLessThan(0.25 * rate(0) + 0.5);
    } else {
      expect(lines.join("\n")).toMatch(/BPTT: skipped, no python with torch/);
    }
    expect(results.filter((r) => r.kind === "summary").map((r) => r.case)).toEqual(
      withTorch ? ["summary e-prop 8", "summary BPTT 8"] : ["summary e-prop 8"],
    );
    const table = formatAccuracyTable(results).join("\n");
    expect(table).toMatch(/method\s+hidden\s+seed\s+samples seen\s+test acc\s+wall s/);
    expect(table).toMatch(/e-prop\s+8\s+1\s+80\s+\d+\.\d %/);
    expect(table).toMatch(/e-prop LSNN 256: 89\.9 %, 512: 92\.3 %; BPTT LSNN: 96\.4 %/);
  }, 180_000);
});
