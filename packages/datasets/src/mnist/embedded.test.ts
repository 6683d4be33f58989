import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { collectBatches } from "../test-helpers";
import { createLatencyMnistDataset, createSequentialMnistDataset } from "./datasets";
import { EMBEDDED_MNIST_SPLIT, loadEmbeddedMnist } from "./embedded";
import { imagePixels } from "./images";
import { encodeSequentialMnist } from "./sequential";

describe("embedded MNIST split", () => {
  it("has the documented sizes, labels and rule", async () => {
    const train = await loadEmbeddedMnist("train");
    const test = await loadEmbeddedMnist("test");
    expect(train.count).toBe(EMBEDDED_MNIST_SPLIT.train);
    expect(test.count).toBe(EMBEDDED_MNIST_SPLIT.test);
    expect(train.count + test.count).toBe(10000);
    expect([train.rows, train.cols]).toEqual([28, 28]);
    for (const [images, isTest] of [
      [train, false],
      [test, true],
    ] as const) {
      images.sourceIds!.forEach((id, i) => {
        expect(Math.floor(id / 10000)).toBe(images.labels[i]);
        expect((id % 10000) % 5 === 4).toBe(isTest);
      });
    }
    // classes interleave: the first ten digits are 0..9
    expect(Array.from(train.labels.subarray(0, 10))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(Array.from(test.labels.subarray(0, 10))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const perClass = new Array<number>(10).fill(0);
    for (const l of test.labels) perClass[l]!++;
    expect(perClass).toEqual([200, 225, 198, 206, 196, 172, 202, 214, 188, 195]);
  });

  it("is deterministic and the two parts are disjoint (by source id and by image content)", async () => {
    const a = await loadEmbeddedMnist("train");
    const b = await loadEmbeddedMnist("train");
    expect(Buffer.from(a.pixels).equals(Buffer.from(b.pixels))).toBe(true);
    const test = await loadEmbeddedMnist("test");
    const trainIds = new Set(a.sourceIds);
    expect(Array.from(test.sourceIds!).some((id) => trainIds.has(id))).toBe(false);
    const hash = (p: Uint8Array) => createHash("sha1").update(p).digest("hex");
    const trainHashes = new Set(Array.from({ length: a.count }, (_, i) => hash(imagePixels(a, i))));
    const shared = Array.from({ length: test.count }, (_, i) => hash(imagePixels(test, i))).filter(
      (h) => trainHashes.has(h),
    );
    expect(shared).toEqual([]);
  });

  it("holds real digits: grey values 0..255, mostly background, some full intensity", async () => {
    const train = await loadEmbeddedMnist("train", { limit: 100 });
    expect(train.count).toBe(100);
    let zeros = 0;
    let full = 0;
    for (const v of train.pixels) {
      if (v === 0) zeros++;
      if (v === 255) full++;
    }
    expect(zeros / train.pixels.length).toBeGreaterThan(0.7);
    expect(full).toBeGreaterThan(0);
    await expect(loadEmbeddedMnist("valid" as never)).rejects.toThrow(/split must be/);
  });
});

describe("MNIST datasets", () => {
  it("sequential MNIST (80 channels): batches match the encoder, 1588 steps, loss on the answer period", async () => {
    const images = await loadEmbeddedMnist("train", { limit: 10 });
    const ds = createSequentialMnistDataset(images, { encoding: "80-channel-cue" });
    expect([ds.numSamples, ds.numChannels, ds.numClasses, ds.trialDurationMs]).toEqual([
      10, 80, 10, 1588,
    ]);
    const batches = await collectBatches(ds.batches({ batchSize: 4, dt: 1 }));
    expect(batches.map((b) => b.inputs.length)).toEqual([4, 4, 2]);
    const b = batches[0]!;
    expect(b.numSteps).toBe(1588);
    const mask = Array.from(b.lossMask!);
    expect(mask.slice(0, 1568).every((m) => m === 0)).toBe(true);
    expect(mask.slice(1568).every((m) => m === 1)).toBe(true);
    for (let i = 0; i < 4; i++) {
      const expected = encodeSequentialMnist(imagePixels(images, i), "80-channel-cue");
      expect(Array.from(b.inputs[i]!.steps)).toEqual(Array.from(expected.steps));
      expect(Array.from(b.inputs[i]!.units)).toEqual(Array.from(expected.units));
    }
    expect(Array.from(b.labels)).toEqual([0, 1, 2, 3]);
    // at dt = 2 ms the two steps of a pixel merge into one
    const coarse = (await collectBatches(ds.batches({ batchSize: 2, dt: 2 })))[0]!;
    expect(coarse.numSteps).toBe(794);
    expect(Array.from(coarse.lossMask!).reduce((a, m) => a + m, 0)).toBe(10);
  });

  it("sequential MNIST (79 channels): onsets and offsets pair up on real digits", async () => {
    const images = await loadEmbeddedMnist("test", { limit: 20 });
    const ds = createSequentialMnistDataset(images, { encoding: "79-channel" });
    const [batch] = await collectBatches(ds.batches({ batchSize: 20, dt: 1 }));
    expect(batch!.numSteps).toBe(784);
    expect(batch!.lossMask).toBeUndefined();
    batch!.inputs.forEach((e, i) => {
      const on = new Array<number>(39).fill(0);
      const off = new Array<number>(39).fill(0);
      for (const u of e.units) {
        expect(u).toBeLessThan(79);
        if (u < 39) on[u]!++;
        else if (u < 78) off[u - 39]!++;
      }
      // every image starts and ends on background, so each upward crossing is undone
      expect(on).toEqual(off);
      expect(on[0]).toBe(0); // threshold 0 is never crossed
      const full = imagePixels(images, i).filter((v) => v === 255).length;
      expect(Array.from(e.units).filter((u) => u === 78).length).toBe(full);
    });
  });

  it("shuffles reproducibly per seed and epoch and covers every sample once", async () => {
    const ds = createLatencyMnistDataset(await loadEmbeddedMnist("train", { limit: 30 }), {
      downsample: 4,
    });
    expect(ds.numChannels).toBe(49);
    const order = async (seed: number, epoch: number) =>
      (await collectBatches(ds.batches({ batchSize: 8, dt: 1, shuffleSeed: seed, epoch }))).flatMap(
        (b) => Array.from(b.indices),
      );
    const a = await order(1, 0);
    expect(await order(1, 0)).toEqual(a);
    expect(await order(1, 1)).not.toEqual(a);
    expect([...a].sort((x, y) => x - y)).toEqual(Array.from({ length: 30 }, (_, i) => i));
    const batches = await collectBatches(
      ds.batches({ batchSize: 8, dt: 1, shuffleSeed: 1, dropLast: true }),
    );
    expect(batches.length).toBe(3);
    for (const b of batches) {
      expect(b.numSteps).toBe(20);
      b.indices.forEach((idx, i) => expect(b.labels[i]).toBe(ds.labels[idx]));
    }
  });

  it("rejects bad options", async () => {
    const images = await loadEmbeddedMnist("train", { limit: 2 });
    expect(() =>
      createSequentialMnistDataset(images, { encoding: "79-channel", stepMs: 0 }),
    ).toThrow(/stepMs/);
    const ds = createSequentialMnistDataset(images, { encoding: "79-channel" });
    await expect(ds.get(2)).rejects.toThrow(/Image index 2 is out of range/);
    await expect(collectBatches(ds.batches({ batchSize: 1, dt: -1 }))).rejects.toThrow(
      /dt must be/,
    );
  });
});
