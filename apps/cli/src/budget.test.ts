import { afterEach, describe, expect, it, vi } from "vitest";
import type { SpikeDataset, SpikeSample } from "@snn/datasets";
import {
  checkDatasetTrialLengths,
  checkDataTrialLength,
  checkLossWindowForData,
  checkNetworkMemory,
  checkRequestedSteps,
  checkTrialMemory,
  DEFAULT_MAX_TRIAL_STEPS,
  estimateTrainingBytes,
  estimateTrialBytes,
  maxTrialSteps,
  setUsualTrialLength,
} from "./budget";
import { CommandError, UsageError } from "./errors";
import { escapeControlCharacters } from "./terminal-text";

const shdLike = { name: "SHD shd_train.h5" } as SpikeDataset;
setUsualTrialLength(shdLike, 1400, "SHD");

describe("trial length bounds", () => {
  it("a spike at 30,000 s (a 15-million-step trial at 2 ms) is refused, naming the usual length and --steps", () => {
    expect(() => checkDataTrialLength(shdLike, 15_000_000, 2)).toThrow(CommandError);
    expect(() => checkDataTrialLength(shdLike, 15_000_000, 2)).toThrow(
      /spike at 30000\.0 s, so its trial would be 15000000 steps of 2 ms, far longer than SHD's usual 1400 ms \(700 steps.*Give the trial length with --steps N.*--steps 700/,
    );
  });

  it("trials up to 4x the usual length pass; without a usual length, up to the step limit", () => {
    expect(() => checkDataTrialLength(shdLike, 2800, 2)).not.toThrow();
    expect(() => checkDataTrialLength(shdLike, 2801, 2)).toThrow(CommandError);
    const other = { name: "other" } as SpikeDataset;
    expect(() => checkDataTrialLength(other, DEFAULT_MAX_TRIAL_STEPS, 1)).not.toThrow();
    expect(() => checkDataTrialLength(other, DEFAULT_MAX_TRIAL_STEPS + 1, 1)).toThrow(
      /limit of 1000000 steps.*--steps N/,
    );
  });

  it("SNN_MAX_TRIAL_STEPS may raise the limit up to 2^31 - 1 (steps are Int32), not beyond", () => {
    expect(maxTrialSteps({ SNN_MAX_TRIAL_STEPS: "2147483647" })).toBe(2 ** 31 - 1);
    for (const text of ["2147483648", "4294967296", "0", "1.5", "x"])
      expect(() => maxTrialSteps({ SNN_MAX_TRIAL_STEPS: text })).toThrow(UsageError);
  });

  it("a checkpoint's numSteps of 1e9 is refused (exit 1); --steps 5000000 is a usage error (exit 2)", () => {
    expect(() => checkRequestedSteps(1e9, "the checkpoint", "file")).toThrow(CommandError);
    expect(() => checkRequestedSteps(1e9, "the checkpoint", "file")).toThrow(
      /asks for trials of 1000000000 steps, more than the limit of 1000000 steps; give a shorter --steps/,
    );
    expect(() => checkRequestedSteps(5_000_000, "--steps 5000000", "option")).toThrow(UsageError);
    expect(() => checkRequestedSteps(1588, "--steps 1588", "option")).not.toThrow();
  });
});

/**
 * A dataset of recordings held in memory: sample i has one spike at `lastSpikeMs[i]` (none when
 * negative); `reads` counts the samples read.
 */
function recordings(lastSpikeMs: readonly number[]): SpikeDataset & { reads: number } {
  const sample = (i: number): SpikeSample => {
    const t = lastSpikeMs[i]!;
    return {
      timesMs: Float64Array.from(t < 0 ? [] : [0.5, t, 1]),
      units: Int32Array.from(t < 0 ? [] : [0, 1, 2]),
      label: 0,
    };
  };
  const dataset = {
    name: "SHD shd_test.h5",
    numSamples: lastSpikeMs.length,
    numChannels: 700,
    numClasses: 20,
    labels: new Int32Array(lastSpikeMs.length),
    reads: 0,
    get: async (i: number) => (dataset.reads++, sample(i)),
    getMany: async (indices: ArrayLike<number>) =>
      Array.from(indices, (i) => (dataset.reads++, sample(i))),
    batches: () => {
      throw new Error("not used");
    },
    close: async () => {},
  };
  return dataset;
}

describe("trial lengths of a whole dataset, before work starts", () => {
  it("finds the one sample of 600 with a spike at 30,000 s and names it", async () => {
    const times = Array.from({ length: 600 }, (_, i) => (i % 7 === 0 ? -1 : 1000 + i));
    times[517] = 30_000_000;
    const dataset = recordings(times);
    setUsualTrialLength(dataset, 1400, "SHD");
    await expect(checkDatasetTrialLengths(dataset, 2, undefined)).rejects.toThrow(CommandError);
    await expect(checkDatasetTrialLengths(dataset, 2, undefined)).rejects.toThrow(
      /^sample 517 of SHD shd_test\.h5 has a spike at 30000\.0 s, so its trial would be 15000001 steps of 2 ms, far longer than SHD's usual 1400 ms.*--steps 700\.$/,
    );
  });

  it("passes a dataset within 4x its usual length, reading each sample once", async () => {
    const dataset = recordings(Array.from({ length: 300 }, (_, i) => (i === 3 ? 5599 : i)));
    setUsualTrialLength(dataset, 1400, "SHD");
    // It returns the shortest trial, for the loss window: sample 0's last spike at 1 ms, step 0.
    await expect(checkDatasetTrialLengths(dataset, 2, undefined)).resolves.toEqual({
      steps: 1,
      sample: 0,
    });
    expect(dataset.reads).toBe(300);
    const longer = recordings([5600]);
    setUsualTrialLength(longer, 1400, "SHD");
    await expect(checkDatasetTrialLengths(longer, 2, undefined)).rejects.toThrow(/2801 steps/);
  });

  it("with a batch size, refuses the longest trial when a batch of it would exceed the memory limit, naming the sample", async () => {
    // At 0.001 ms steps SHD's usual 1.4 s is 1.4 million steps; with the step limit raised,
    // a trial of 1 s is allowed in length, but 1,000,001 steps x 512 trials is about 8 GB.
    vi.stubEnv("SNN_MAX_TRIAL_STEPS", String(2 ** 31 - 1));
    vi.stubEnv("SNN_MAX_MEMORY_GB", "1");
    const dataset = recordings(Array.from({ length: 600 }, (_, i) => (i === 42 ? 1000 : 200)));
    setUsualTrialLength(dataset, 1400, "SHD");
    await expect(checkDatasetTrialLengths(dataset, 0.001, undefined, 512)).rejects.toThrow(
      CommandError,
    );
    await expect(checkDatasetTrialLengths(dataset, 0.001, undefined, 512)).rejects.toThrow(
      /^sample 42 of SHD shd_test\.h5 \(the longest trial, 0\.001 ms steps\) asks for trials of 1000001 steps in batches of 512, which needs about 7\.6 GB of memory .*more than the limit of 1\.0 GB \(SNN_MAX_MEMORY_GB=1\); give a trial length with --steps N \(later spikes are cropped\) or a smaller --batch-size\.$/,
    );
    // A batch is never larger than the dataset; in batches of 8 it fits.
    await expect(checkDatasetTrialLengths(dataset, 0.001, undefined, 8)).resolves.toEqual({
      steps: 200_001,
      sample: 0,
    });
    // Without a batch size, only the lengths are checked.
    await expect(checkDatasetTrialLengths(dataset, 0.001, undefined)).resolves.toBeDefined();
    vi.unstubAllEnvs();
  });

  it("reads nothing with a fixed trial length (--steps crops) or without a usual length", async () => {
    const dataset = recordings([30_000_000]);
    setUsualTrialLength(dataset, 1400, "SHD");
    await checkDatasetTrialLengths(dataset, 2, 700);
    const unknown = recordings([30_000_000]);
    await checkDatasetTrialLengths(unknown, 2, undefined);
    expect(dataset.reads + unknown.reads).toBe(0);
  });
});

describe("a loss window on data whose trials end at their last spike", () => {
  it("must fit the shortest trial (a sample without spikes is one step), else a usage error naming it and --steps", async () => {
    const dataset = recordings([99, 41, -1, 300].map((t) => (t < 0 ? 500 : t)));
    setUsualTrialLength(dataset, 1400, "SHD");
    const shortest = await checkDatasetTrialLengths(dataset, 2, undefined);
    expect(shortest).toEqual({ steps: 21, sample: 1 });
    expect(() => checkLossWindowForData(21, dataset, shortest, 2)).not.toThrow();
    expect(() => checkLossWindowForData(22, dataset, shortest, 2)).toThrow(UsageError);
    expect(() => checkLossWindowForData(22, dataset, shortest, 2)).toThrow(
      /^--loss-steps 22 is longer than the shortest trial of SHD shd_test\.h5: sample 1 is 21 steps of 2 ms .*give --loss-steps 21 or less, or a fixed trial length with --steps N \(e\.g\. --steps 700\)\.$/,
    );
    // A fixed trial length (--steps) crops every trial alike: nothing to check here.
    expect(() => checkLossWindowForData(22, dataset, undefined, 2)).not.toThrow();
    const withEmpty = recordings([99, -1]);
    setUsualTrialLength(withEmpty, 1400, "SHD");
    expect(await checkDatasetTrialLengths(withEmpty, 2, undefined)).toEqual({
      steps: 1,
      sample: 1,
    });
  });
});

describe("network memory bound", () => {
  const config = { hidden: 256, feedforward: false, batchSize: 32 };

  it("--hidden 100000000 is refused before anything is allocated, naming --hidden and the limit", () => {
    const started = performance.now();
    expect(() => checkNetworkMemory({ ...config, hidden: 100_000_000 }, 700, 20)).toThrow(
      UsageError,
    );
    expect(() => checkNetworkMemory({ ...config, hidden: 100_000_000 }, 700, 20)).toThrow(
      /--hidden 100000000 .* needs about \d+\.\d GB of memory, more than the limit of .* GB .*use a smaller --hidden or --batch-size/,
    );
    expect(performance.now() - started).toBeLessThan(100);
  });

  it("the networks the CLI trains by default fit easily", () => {
    expect(() => checkNetworkMemory(config, 700, 20)).not.toThrow();
    expect(() => checkNetworkMemory({ ...config, batchSize: 512 }, 80, 10)).not.toThrow();
    expect(estimateTrainingBytes({ ...config, batchSize: 512 }, 80, 10)).toBeLessThan(2 ** 30);
  });
});

describe("trial memory bound (long trials with the step limit raised)", () => {
  afterEach(() => vi.unstubAllEnvs());
  const events = {
    source: "--events long.json",
    shorter: 'a smaller "numSteps" in long.json',
    batchOption: "--batch-size",
    from: "file",
  } as const;

  it("grows with the trial's steps and the batch", () => {
    expect(estimateTrialBytes(1000, 8)).toBe(1000 * (8 * 16 + 8));
    expect(estimateTrialBytes(2000, 8)).toBe(2 * estimateTrialBytes(1000, 8));
  });

  it("refuses before anything is allocated, saying what was asked, what it needs, the limit and what to change", () => {
    vi.stubEnv("SNN_MAX_MEMORY_GB", "1");
    const started = performance.now();
    expect(() => checkTrialMemory(100_000_000, 8, events)).toThrow(CommandError);
    expect(() => checkTrialMemory(100_000_000, 8, events)).toThrow(
      /^--events long\.json asks for trials of 100000000 steps in batches of 8, which needs about 12\.7 GB of memory \(16 bytes per step and trial for the loss masks\), more than the limit of 1\.0 GB \(SNN_MAX_MEMORY_GB=1\); give a smaller "numSteps" in long\.json or a smaller --batch-size\.$/,
    );
    expect(performance.now() - started).toBeLessThan(100);
    // An option asks for it: a usage error (exit 2).
    const steps = { ...events, source: "--steps 100000000", from: "option" } as const;
    expect(() => checkTrialMemory(100_000_000, 8, steps)).toThrow(UsageError);
  });

  it("without SNN_MAX_MEMORY_GB names the machine's share and the variable", () => {
    vi.stubEnv("SNN_MAX_MEMORY_GB", "");
    expect(() => checkTrialMemory(2 ** 31 - 1, 512, events)).toThrow(
      /more than the limit of [\d.]+ GB \(75% of this machine's memory; SNN_MAX_MEMORY_GB changes it\)/,
    );
  });

  it("refuses a loss mask larger than one JavaScript array even when the limit allows it", () => {
    vi.stubEnv("SNN_MAX_MEMORY_GB", "100000");
    expect(() => checkTrialMemory(2 ** 31 - 1, 4, events)).toThrow(
      /its loss mask of 2147483647 x 4 bytes is larger than the largest array JavaScript can allocate \(4 GB\)/,
    );
  });

  it("passes the trials the datasets have, and the step limit's default in a batch of 32", () => {
    vi.stubEnv("SNN_MAX_MEMORY_GB", "1");
    expect(() => checkTrialMemory(1400, 512, events)).not.toThrow(); // SHD at 1 ms
    expect(() => checkTrialMemory(DEFAULT_MAX_TRIAL_STEPS, 32, events)).not.toThrow();
  });
});

describe("terminal text", () => {
  it("escapes control and bidi-override characters and keeps everything else", () => {
    expect(escapeControlCharacters("zero")).toBe("zero");
    expect(escapeControlCharacters("\u001b[31mred\u001b[0m")).toBe("\\x1b[31mred\\x1b[0m");
    expect(escapeControlCharacters("a\nb\tc\rd\u0000\u007f\u009b")).toBe(
      "a\\nb\\tc\\rd\\x00\\x7f\\x9b",
    );
    expect(escapeControlCharacters("abc\u202edef")).toBe("abc\\u202edef");
    expect(escapeControlCharacters("über 数字")).toBe("über 数字");
  });
});
