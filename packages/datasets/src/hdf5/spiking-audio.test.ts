import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { DatasetFormatError, DatasetOptionsError } from "../errors";
import { computeDatasetStatistics } from "../statistics";
import { collectBatches } from "../test-helpers";
import { inspectFile } from "./file-check";
import { halfToNumber } from "./half";
import { openShd, openSpikingAudioDataset, openSsc } from "./spiking-audio";

const dataDir = fileURLToPath(new URL("../../test-data/", import.meta.url));
const data = (name: string) => join(dataDir, name);
const expected = JSON.parse(readFileSync(data("expected.json"), "utf8")) as {
  keys: string[];
  labels: number[];
  speakers: number[];
  units: number[][];
  samples: Record<"float32" | "float16" | "float64", number[][]>;
};

describe("half-precision decoding", () => {
  it("decodes normal, subnormal and special values", () => {
    expect(halfToNumber(0x3c00)).toBe(1);
    expect(halfToNumber(0xc000)).toBe(-2);
    expect(halfToNumber(0x7bff)).toBe(65504);
    expect(halfToNumber(0x0001)).toBe(2 ** -24);
    expect(halfToNumber(0x3555)).toBeCloseTo(0.333251953125, 15);
    expect(halfToNumber(0x7c00)).toBe(Infinity);
    expect(halfToNumber(0xfc00)).toBe(-Infinity);
    expect(halfToNumber(0x7e00)).toBeNaN();
    expect(Object.is(halfToNumber(0x8000), -0)).toBe(true);
  });
});

describe("reading SHD-layout files", () => {
  for (const [file, key, types] of [
    ["shd-float32.h5", "float32", { times: "float32", units: "uint16", labels: "uint8" }],
    ["shd-float16.h5", "float16", { times: "float16", units: "uint16", labels: "uint8" }],
    [
      "shd-float64-big-endian.h5",
      "float64",
      { times: "float64 big-endian", units: "uint32 big-endian", labels: "int32 big-endian" },
    ],
    ["shd-float32.h5.gz", "float32", { times: "float32", units: "uint16", labels: "uint8" }],
    ["shd-libver-latest.h5", "float16", { times: "float16", units: "uint16", labels: "uint8" }],
  ] as const) {
    it(`${file}: every sample equals what the generator stored`, async () => {
      const ds = await openShd(data(file));
      try {
        expect(ds.numSamples).toBe(8);
        expect(ds.numChannels).toBe(700);
        expect(ds.numClasses).toBe(4);
        expect(ds.classNames).toEqual(expected.keys);
        expect(Array.from(ds.labels)).toEqual(expected.labels);
        expect(Array.from(ds.speakers!)).toEqual(expected.speakers);
        expect(ds.storedTypes).toEqual(types);
        const samples = await ds.getMany([0, 1, 2, 3, 4, 5, 6, 7]);
        samples.forEach((s, i) => {
          expect(Array.from(s.timesMs)).toEqual(expected.samples[key][i]!.map((t) => t * 1000));
          expect(Array.from(s.units)).toEqual(expected.units[i]);
          expect(s.label).toBe(expected.labels[i]);
          expect(s.speaker).toBe(expected.speakers[i]);
        });
        expect(samples[5]!.timesMs.length).toBe(0);
      } finally {
        await ds.close();
      }
    });
  }

  it("getMany returns samples in the order asked, also with repeats and gaps", async () => {
    const ds = await openShd(data("shd-float32.h5"));
    const many = await ds.getMany([7, 0, 3, 3, 1]);
    expect(many.map((s) => s.units.length)).toEqual(
      [7, 0, 3, 3, 1].map((i) => expected.units[i]!.length),
    );
    expect(Array.from(many[0]!.units)).toEqual(expected.units[7]);
    expect(Array.from((await ds.get(6)).units)).toEqual(expected.units[6]);
    await expect(ds.get(8)).rejects.toThrow(/Sample index 8 is out of range.*8 samples/);
    await ds.close();
    await ds.close();
    await expect(ds.get(0)).rejects.toThrow(/has been closed/);
  });

  it("bins sample 0 as designed: duplicates merge, 1 ms steps", async () => {
    const ds = await openShd(data("shd-float32.h5"), { trialDurationMs: 60 });
    const [batch] = await collectBatches(ds.batches({ batchSize: 8, dt: 1 }));
    expect(batch!.numSteps).toBe(60);
    const e = batch!.inputs[0]!;
    expect(Array.from(e.steps)).toEqual([0, 1, 1, 10]);
    expect(Array.from(e.units)).toEqual([3, 5, 699, 3]);
    expect(batch!.inputs[5]!.steps.length).toBe(0);
    expect(Array.from(batch!.labels)).toEqual(expected.labels);
    // without a trial duration, the batch is as long as its latest spike needs
    const ds2 = await openShd(data("shd-float32.h5"));
    const [b2] = await collectBatches(ds2.batches({ batchSize: 1, dt: 1 }));
    expect(b2!.numSteps).toBe(11);
    const [b3] = await collectBatches(ds2.batches({ batchSize: 1, dt: 1, numSteps: 5 }));
    expect(Array.from(b3!.inputs[0]!.steps)).toEqual([0, 1, 1]);
    await ds.close();
    await ds2.close();
  });

  it("statistics", async () => {
    const ds = await openShd(data("shd-float32.h5"));
    const stats = await computeDatasetStatistics(ds, { chunkSize: 3 });
    const counts = expected.units.map((u) => u.length);
    expect(stats.numSamples).toBe(8);
    expect(stats.classCounts).toEqual([2, 2, 2, 2]);
    expect(stats.spikes.total).toBe(counts.reduce((a, b) => a + b, 0));
    expect(stats.spikes.min).toBe(0);
    expect(stats.spikes.max).toBe(Math.max(...counts));
    expect(stats.emptySamples).toBe(1);
    const last = expected.samples.float32.map((t) => (t.length ? Math.max(...t) * 1000 : 0));
    expect(stats.lastSpikeMs.max).toBeCloseTo(Math.max(...last), 9);
    expect(stats.lastSpikeMs.mean).toBeCloseTo(last.reduce((a, b) => a + b, 0) / 8, 9);
    expect(stats.activeChannels).toBe(new Set(expected.units.flat()).size);
    await ds.close();
  });

  it("class count: from extra/keys, from the option, validated", async () => {
    const fromKeys = await openShd(data("shd-float32.h5"));
    expect(fromKeys.numClasses).toBe(fromKeys.classNames!.length);
    await fromKeys.close();
    const ds = await openSsc(data("shd-float32.h5"), { numClasses: 35 });
    expect(ds.numClasses).toBe(35);
    expect(ds.name).toMatch(/^SSC /);
    await ds.close();
    await expect(openShd(data("shd-float32.h5"), { numChannels: 0 })).rejects.toThrow(
      DatasetOptionsError,
    );
    for (const numClasses of [0, 2.5, -3]) {
      await expect(openShd(data("shd-float32.h5"), { numClasses })).rejects.toThrow(
        /numClasses must be a positive integer/,
      );
    }
    await expect(
      openSpikingAudioDataset(data("shd-float32.h5"), { kind: "foo" as never }),
    ).rejects.toThrow(/kind must be 'shd' or 'ssc', got "foo"/);
  });

  it("says decompressTo must be a directory when it names a file", async () => {
    const dir = mkdtempSync(join(tmpdir(), "snn-shd-"));
    const file = join(dir, "a-file");
    writeFileSync(file, "x");
    await expect(openShd(data("shd-float32.h5.gz"), { decompressTo: file })).rejects.toThrow(
      DatasetOptionsError,
    );
    await expect(openShd(data("shd-float32.h5.gz"), { decompressTo: file })).rejects.toThrow(
      /decompressTo must be a directory/,
    );
    rmSync(dir, { recursive: true, force: true });
  });

  it("keeps a decompressed copy when decompressTo is given and reuses it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "snn-shd-"));
    const ds = await openShd(data("shd-float32.h5.gz"), { decompressTo: dir });
    expect(ds.file).toBe(join(dir, "shd-float32.h5"));
    await ds.close();
    expect(existsSync(join(dir, "shd-float32.h5"))).toBe(true);
    const again = await openShd(data("shd-float32.h5.gz"), { decompressTo: dir });
    expect(Array.from((await again.get(0)).units)).toEqual(expected.units[0]);
    await again.close();
  });

  it("removes the temporary copy of a .h5.gz on close", async () => {
    const ds = await openShd(data("shd-float32.h5.gz"));
    expect(existsSync(ds.file)).toBe(true);
    await ds.close();
    expect(existsSync(ds.file)).toBe(false);
  });
});

describe("errors name the file and the sample", () => {
  const cases: Array<[string, RegExp, number | undefined, "open" | "read"]> = [
    [
      "bad-missing-units.h5",
      /bad-missing-units\.h5: the dataset \/spikes\/units .* is missing/,
      undefined,
      "open",
    ],
    [
      "bad-missing-labels.h5",
      /bad-missing-labels\.h5: the dataset \/labels .* is missing/,
      undefined,
      "open",
    ],
    [
      "bad-count-mismatch.h5",
      /sample counts disagree: \/spikes\/times has 8, \/spikes\/units 7, \/labels 8/,
      undefined,
      "open",
    ],
    [
      "bad-label-out-of-range.h5",
      /bad-label-out-of-range\.h5, sample 7: label 4 is outside the class range 0\.\.3/,
      7,
      "open",
    ],
    [
      "bad-float-units.h5",
      /\/spikes\/units must hold integer channel ids but holds float32/,
      undefined,
      "open",
    ],
    [
      "bad-length-mismatch.h5",
      /bad-length-mismatch\.h5, sample 2: it has 39 spike times but 40 unit ids/,
      2,
      "read",
    ],
    [
      "bad-unit-out-of-range.h5",
      /bad-unit-out-of-range\.h5, sample 3: spike 0 has unit id 700, outside 0\.\.699/,
      3,
      "read",
    ],
    [
      "bad-negative-time.h5",
      /bad-negative-time\.h5, sample 4: spike 1 has time -0\.002/,
      4,
      "read",
    ],
    ["bad-nan-time.h5", /bad-nan-time\.h5, sample 6: spike 0 has time NaN/, 6, "read"],
    [
      "bad-corrupt-heap.h5",
      /bad-corrupt-heap\.h5, sample 0: HDF5 could not read samples 0\.\.7 of \/spikes\/times: bad global heap/,
      0,
      "read",
    ],
    [
      "bad-truncated.h5",
      /bad-truncated\.h5 is truncated: the HDF5 superblock says the file is 12440 bytes long but it has 7464/,
      undefined,
      "open",
    ],
    ["bad-not-hdf5.h5", /bad-not-hdf5\.h5 is not an HDF5 file/, undefined, "open"],
    [
      "bad-empty.h5",
      /bad-empty\.h5 holds no samples .*nothing to train or test on/,
      undefined,
      "open",
    ],
  ];
  for (const [file, message, sample, when] of cases) {
    it(file, async () => {
      let error: unknown;
      let opened = false;
      try {
        const ds = await openShd(data(file));
        opened = true;
        try {
          await ds.getMany([0, 1, 2, 3, 4, 5, 6, 7]);
        } finally {
          await ds.close();
        }
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(DatasetFormatError);
      expect((error as Error).message).toMatch(message);
      expect((error as DatasetFormatError).sample).toBe(sample);
      expect((error as DatasetFormatError).file).toContain(file);
      expect(opened).toBe(when === "read");
    });
  }

  it("other samples of a file with one bad sample still read", async () => {
    const ds = await openShd(data("bad-unit-out-of-range.h5"));
    expect(Array.from((await ds.get(2)).units)).toEqual(expected.units[2]);
    await expect(collectBatches(ds.batches({ batchSize: 4, dt: 1 }))).rejects.toThrow(/sample 3/);
    await ds.close();
  });

  it("h5wasm keeps working after a damaged file", async () => {
    await expect(openShd(data("bad-corrupt-heap.h5")).then((d) => d.get(1))).rejects.toThrow(
      DatasetFormatError,
    );
    const ds = await openShd(data("shd-float16.h5"));
    expect(Array.from((await ds.get(1)).units)).toEqual(expected.units[1]);
    await ds.close();
  });

  it("missing files, directories, empty files, zip archives, broken gzip", async () => {
    const dir = mkdtempSync(join(tmpdir(), "snn-bad-"));
    await expect(openShd(join(dir, "shd_train.h5"))).rejects.toThrow(
      /Cannot open .*shd_train\.h5.*Check the path/,
    );
    await expect(openShd(dir)).rejects.toThrow(/is not a regular file/);
    writeFileSync(join(dir, "empty.h5"), "");
    await expect(openShd(join(dir, "empty.h5"))).rejects.toThrow(/empty\.h5 is empty/);
    writeFileSync(join(dir, "shd_train.h5.zip"), Buffer.from([0x50, 0x4b, 0x03, 0x04, 0, 0, 0, 0]));
    await expect(openShd(join(dir, "shd_train.h5.zip"))).rejects.toThrow(
      /is a zip archive\. Unzip it first/,
    );
    const gz = readFileSync(data("shd-float32.h5.gz"));
    writeFileSync(join(dir, "cut.h5.gz"), gz.subarray(0, gz.length >> 1));
    await expect(openShd(join(dir, "cut.h5.gz"))).rejects.toThrow(
      /Cannot decompress .*cut\.h5\.gz/,
    );
    await expect(openSpikingAudioDataset("")).rejects.toThrow(DatasetOptionsError);
  });

  it("finds the HDF5 signature after a user block, and detects a truncated one", async () => {
    expect(readFileSync(data("shd-userblock.h5")).subarray(1024, 1028).toString("latin1")).toBe(
      "\x89HDF",
    );
    expect(await inspectFile(data("shd-userblock.h5"))).toBe("hdf5");
    expect(await inspectFile(data("shd-float32.h5.gz"))).toBe("gzip");
    const ds = await openShd(data("shd-userblock.h5"));
    expect(Array.from((await ds.get(4)).units)).toEqual(expected.units[4]);
    await ds.close();
    const dir = mkdtempSync(join(tmpdir(), "snn-ub-"));
    const whole = readFileSync(data("shd-userblock.h5"));
    writeFileSync(join(dir, "cut.h5"), whole.subarray(0, whole.length - 100));
    await expect(openShd(join(dir, "cut.h5"))).rejects.toThrow(/cut\.h5 is truncated/);
    const latest = readFileSync(data("shd-libver-latest.h5"));
    expect(latest[8]).toBe(3); // superblock version 3
    writeFileSync(join(dir, "cut3.h5"), latest.subarray(0, latest.length - 10));
    await expect(openShd(join(dir, "cut3.h5"))).rejects.toThrow(
      /cut3\.h5 is truncated: the HDF5 superblock says the file is \d+ bytes long/,
    );
  });
});
