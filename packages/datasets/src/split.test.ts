import { describe, expect, it } from "vitest";
import { DatasetOptionsError } from "./errors";
import { createSequentialMnistDataset } from "./mnist/datasets";
import { loadEmbeddedMnist } from "./mnist/embedded";
import { limitImages } from "./mnist/images";
import { splitDataset } from "./split";
import { collectBatches } from "./test-helpers";

async function digits(count: number) {
  const images = limitImages(await loadEmbeddedMnist("train"), count);
  return createSequentialMnistDataset(images, { encoding: "79-channel" });
}

describe("splitDataset", () => {
  it("holds out a seeded random subset that never overlaps the rest", async () => {
    const dataset = await digits(200);
    const { train, validation } = splitDataset(dataset, 30, 0);
    expect(validation.numSamples).toBe(30);
    expect(train.numSamples).toBe(170);
    const held = (await collectBatches(validation.batches({ batchSize: 7, dt: 1 }))).flatMap(
      (b) => [...b.inputs],
    );
    const kept = (await collectBatches(train.batches({ batchSize: 50, dt: 1 }))).flatMap((b) => [
      ...b.inputs,
    ]);
    // Every sample of the source appears in exactly one part: match the encoded spikes.
    const key = (e: { steps: Int32Array; units: Int32Array }) =>
      `${e.steps.join(",")}|${e.units.join(",")}`;
    const all = (await collectBatches(dataset.batches({ batchSize: 200, dt: 1 })))[0]!.inputs.map(
      key,
    );
    const parts = [...held.map(key), ...kept.map(key)].sort();
    expect(parts).toEqual([...all].sort());
    // Not just the first or last samples: the held-out set is spread over the source.
    const sourceIndex = (e: { steps: Int32Array; units: Int32Array }) => all.indexOf(key(e));
    const positions = held.map(sourceIndex);
    expect(Math.min(...positions)).toBeLessThan(60);
    expect(Math.max(...positions)).toBeGreaterThan(140);
  });

  it("gives labels that follow the samples, and the same split for the same seed", async () => {
    const dataset = await digits(100);
    const a = splitDataset(dataset, 10, 3);
    const b = splitDataset(dataset, 10, 3);
    const c = splitDataset(dataset, 10, 4);
    expect([...a.validation.labels]).toEqual([...b.validation.labels]);
    const samples = await a.validation.getMany([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(samples.map((s) => s.label)).toEqual([...a.validation.labels]);
    const firstA = await a.validation.get(0);
    const firstC = await c.validation.get(0);
    const sameFirst =
      firstA.timesMs.length === firstC.timesMs.length &&
      firstA.timesMs.every((t, i) => t === firstC.timesMs[i]);
    const sameLabels = a.validation.labels.every((l, i) => l === c.validation.labels[i]);
    expect(sameFirst && sameLabels).toBe(false);
    expect(a.train.numChannels).toBe(dataset.numChannels);
    expect(a.train.trialDurationMs).toBe(dataset.trialDurationMs);
  });

  it("refuses a count that leaves nothing to train on, or an index outside the view", async () => {
    const dataset = await digits(20);
    expect(() => splitDataset(dataset, 20, 0)).toThrow(/from 1 to 19/);
    expect(() => splitDataset(dataset, 0, 0)).toThrow(DatasetOptionsError);
    expect(() => splitDataset(dataset, 2.5, 0)).toThrow(DatasetOptionsError);
    const { validation } = splitDataset(dataset, 5, 0);
    await expect(async () => validation.get(5)).rejects.toThrow(/outside 0..4/);
  });
});
