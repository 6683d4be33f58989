import { describe, expect, it } from "vitest";
import { datasetShape } from "./commands/codegen";
import { parseSampleList } from "./commands/infer";
import { resolveTrainConfig } from "./config";
import { epochLearningRate } from "./lr-schedule";
import { specAlifBeta } from "@snn/eprop";
import { batchesPerPass, formatConfusion, networkFor } from "./engine";
import { UsageError } from "./errors";

describe("networkFor", () => {
  it("builds the configured LSNN with the spec's defaults (--preset paper)", () => {
    const config = resolveTrainConfig({
      preset: "paper",
      cli: { hidden: 10, neuron: "alif", dt: 1 },
    });
    const net = networkFor(config, 79, 10);
    expect(net.input.size).toBe(79);
    expect(net.readout.size).toBe(10);
    const hidden = net.hidden[0]!;
    expect(hidden).toMatchObject({
      name: "hidden",
      size: 10,
      neuron: "ALIF",
      recurrent: true,
      tauMemMs: 20,
      tauAdaptMs: 2000,
    });
    expect(hidden.beta[0]).toBeCloseTo(0.0174, 4);
    expect(net.regularisation).toMatchObject({ strength: 0.001, targetRateHz: 10 });
    const smnist = networkFor(resolveTrainConfig({ cli: {} }), 79, 10).hidden[0]!;
    expect(smnist).toMatchObject({ size: 256, tauAdaptMs: 700 });
    expect(smnist.beta.every((b) => b === 0.15)).toBe(true);
  });

  it("mixed: first half LIF (beta 0), second half ALIF; feedforward and LIF options", () => {
    const mixed = networkFor(
      resolveTrainConfig({ preset: "paper", cli: { hidden: 6, neuron: "mixed", dt: 1 } }),
      5,
      3,
    ).hidden[0]!;
    expect(mixed.beta.slice(0, 3)).toEqual([0, 0, 0]);
    expect(mixed.beta[3]).toBe(specAlifBeta(1, 20, 2000));
    const lif = networkFor(
      resolveTrainConfig({
        cli: { hidden: 4, neuron: "lif", feedforward: true, regularisation: 0 },
      }),
      5,
      3,
    );
    expect(lif.hidden[0]).toMatchObject({ neuron: "LIF", recurrent: false });
    expect(lif.regularisation).toBeNull();
  });

  it("--beta sets the adaptation of every ALIF neuron (mixed: the ALIF half); LIF neurons have none", () => {
    const alif = networkFor(resolveTrainConfig({ cli: { hidden: 4, beta: 0.05 } }), 5, 3)
      .hidden[0]!;
    expect(alif.beta).toEqual([0.05, 0.05, 0.05, 0.05]);
    const mixed = networkFor(
      resolveTrainConfig({ cli: { hidden: 4, neuron: "mixed", beta: 0.1 } }),
      5,
      3,
    ).hidden[0]!;
    expect(mixed.beta).toEqual([0, 0, 0.1, 0.1]);
    expect(
      networkFor(resolveTrainConfig({ cli: { hidden: 4, neuron: "lif", beta: 0.1 } }), 5, 3)
        .hidden[0]!.beta,
    ).toEqual([0, 0, 0, 0]);
    // --beta 0: ALIF neurons without adaptation (not the spec's default)
    expect(
      networkFor(resolveTrainConfig({ cli: { hidden: 3, neuron: "alif", beta: 0 } }), 5, 3)
        .hidden[0]!.beta,
    ).toEqual([0, 0, 0]);
  });
});

describe("helpers", () => {
  it("decays the learning rate per epoch", () => {
    const config = { lr: 0.002, lrDecay: 0.5, epochs: 3 };
    expect([1, 2, 3].map((e) => epochLearningRate(config, e))).toEqual([0.002, 0.001, 0.0005]);
    expect(epochLearningRate({ lr: 0.003, lrDecay: 1, epochs: 9 }, 7)).toBe(0.003);
  });

  it("follows half a cosine wave over the epochs with --lr-schedule cosine, ignoring --lr-decay", () => {
    const config = { lr: 0.002, lrDecay: 0.5, lrSchedule: "cosine" as const, epochs: 4 };
    const rates = [1, 2, 3, 4].map((e) => epochLearningRate(config, e));
    expect(rates[0]).toBe(0.002);
    expect(rates[1]).toBeCloseTo((0.002 * (1 + Math.SQRT1_2)) / 2, 15);
    expect(rates[2]).toBeCloseTo(0.001, 15);
    expect(rates[3]).toBeCloseTo((0.002 * (1 - Math.SQRT1_2)) / 2, 15);
    // A run resumed with more --epochs stretches the rest of the wave.
    expect(epochLearningRate({ ...config, epochs: 8 }, 5)).toBeCloseTo(0.001, 15);
  });

  it("counts batches per pass with a limit", () => {
    expect(batchesPerPass(100, 32, undefined)).toBe(4);
    expect(batchesPerPass(100, 32, 2)).toBe(2);
    expect(batchesPerPass(10, 32, 5)).toBe(1);
  });

  it("formats a confusion matrix with class names", () => {
    const text = formatConfusion(
      [
        [2, 0],
        [1, 3],
      ],
      ["yes", "no"],
    );
    expect(text.split("\n")).toEqual([
      "true\\pred   yes   no",
      "yes           2    0",
      "no            1    3",
    ]);
  });

  it("parses sample lists and rejects bad ones", () => {
    expect(parseSampleList("0, 5,10-12", 20)).toEqual([0, 5, 10, 11, 12]);
    expect(() => parseSampleList("3-1", 20)).toThrow(UsageError);
    expect(() => parseSampleList("25", 20)).toThrow(/outside the split's 0..19/);
    expect(() => parseSampleList("a", 20)).toThrow(/not an index/);
    expect(() => parseSampleList(",", 20)).toThrow(/at least one/);
  });

  it("knows each dataset's channels and classes", () => {
    expect(datasetShape({ dataset: "smnist", encoding: "79" })).toEqual({
      numChannels: 79,
      numClasses: 10,
    });
    expect(datasetShape({ dataset: "smnist", encoding: "80" })).toEqual({
      numChannels: 80,
      numClasses: 10,
    });
    expect(datasetShape({ dataset: "ssc", encoding: "79" })).toEqual({
      numChannels: 700,
      numClasses: 35,
    });
  });
});
