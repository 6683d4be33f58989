import { encodeSequentialMnist } from "@snn/datasets";
import {
  defineEpropNetwork,
  encodeCheckpoint,
  encodeSafetensors,
  initialParameters,
  parametersOf,
  type EpropNetworkDescription,
} from "@snn/eprop";
import { describe, expect, it } from "vitest";
import { PretrainedModelError } from "./errors";
import {
  decodePretrained,
  encodePretrained,
  type PretrainedData,
  type PretrainedMetadata,
} from "./format";
import { imagesSha256 } from "./digest";
import { loadPretrained, pretrainedModelUrl } from "./load";

function tinyNetwork(dt = 1): EpropNetworkDescription {
  return defineEpropNetwork({
    dt,
    input: { size: 79 },
    hidden: [{ name: "hidden", size: 8, neuron: "ALIF" }],
    readout: { size: 10 },
    seed: 3,
  });
}

function metadataFor(network: EpropNetworkDescription, numSteps = 784): PretrainedMetadata {
  return {
    name: "smnist",
    description: "a tiny test network",
    input: {
      kind: "sequential-mnist",
      encoding: "79-channel",
      imageRows: 28,
      imageCols: 28,
      stepMs: 1,
      dt: network.dt,
      numChannels: 79,
      numSteps,
      lossWindowMs: null,
      lossMask: { lastSteps: 28 },
      classNames: ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"],
    },
    training: { dataset: "smnist", hidden: 8 },
    trainer: {
      optimizer: { learningRate: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 },
      lossMask: { lastSteps: 28 },
      numSteps: null,
      batchSize: 32,
      shuffleSeed: 1,
    },
    evaluation: {
      test: { accuracy: 0.25, correct: 1, examples: 4, data: "four digits" },
      subset: {
        accuracy: 0.5,
        correct: 1,
        examples: 2,
        data: "two digits",
        definition: { source: "mnist-test", count: 2, description: "the first two", sha256: "00" },
        predictions: "71",
      },
      backend: "cpu",
      batchSize: 2,
    },
    command: "snn train --hidden 8",
    date: "2026-12-06T00:00:00.000Z",
    provenance: {
      epochsCompleted: 1,
      epoch: 1,
      optimizerSteps: 10,
      commandSource: "given",
      exportedAt: "2026-12-06T00:00:01.000Z",
    },
  };
}

function tinyData(dt = 1): PretrainedData {
  const network = tinyNetwork(dt);
  return {
    network,
    parameters: initialParameters(network),
    metadata: metadataFor(network, Math.ceil(784 / dt)),
  };
}

describe("the model file", () => {
  it("round-trips network, parameters and metadata, without optimiser state", () => {
    const data = tinyData();
    const bytes = encodePretrained(data);
    const back = decodePretrained(bytes);
    expect(back.network).toEqual(data.network);
    expect(back.metadata).toEqual(data.metadata);
    expect(Object.keys(back.parameters).sort()).toEqual(
      parametersOf(data.network)
        .map((p) => p.name)
        .sort(),
    );
    for (const [name, values] of Object.entries(data.parameters))
      expect(back.parameters[name]).toEqual(values);
    // Weights only: 4 bytes a parameter plus a header of a few kB.
    const count = Object.values(data.parameters).reduce((sum, v) => sum + v.length, 0);
    expect(bytes.length).toBeLessThan(count * 4 + 8192);
  });

  it("refuses other safetensors files, naming a training checkpoint as such", () => {
    const data = tinyData();
    const moments = Object.fromEntries(
      Object.entries(data.parameters).map(([k, v]) => [k, new Float32Array(v.length)]),
    );
    const checkpoint = encodeCheckpoint({
      network: data.network,
      training: data.metadata.trainer,
      progress: { epoch: 0, batchInEpoch: 0, optimizerSteps: 0 },
      parameters: data.parameters,
      optimizer: { step: 0, m: moments, v: moments },
    });
    expect(() => decodePretrained(checkpoint)).toThrow(
      /training checkpoint of @snn\/eprop.*export/,
    );
    expect(() => decodePretrained(encodeSafetensors({}, { format: "other" }))).toThrow(
      PretrainedModelError,
    );
    expect(() => decodePretrained(new Uint8Array([1, 2, 3]))).toThrow(/Not a readable model file/);
  });

  it("refuses files whose parts disagree", () => {
    const data = tinyData();
    expect(() =>
      encodePretrained({
        ...data,
        metadata: { ...data.metadata, input: { ...data.metadata.input, numChannels: 80 } },
      }),
    ).toThrow(/80 channels but the network's input layer 79/);
    expect(() =>
      encodePretrained({
        ...data,
        metadata: { ...data.metadata, input: { ...data.metadata.input, dt: 2 } },
      }),
    ).toThrow(/dt/);
    const { "hidden->output": _dropped, ...missing } = data.parameters;
    expect(() => encodePretrained({ ...data, parameters: missing })).toThrow(
      /'hidden->output' is missing/,
    );
    const wrongAccuracy = {
      ...data.metadata,
      evaluation: {
        ...data.metadata.evaluation,
        test: { ...data.metadata.evaluation.test, accuracy: 0.3 },
      },
    };
    expect(() => decodePretrained(encodePretrained({ ...data, metadata: wrongAccuracy }))).toThrow(
      /evaluation.test is inconsistent/,
    );
    const wrongPredictions = {
      ...data.metadata,
      evaluation: {
        ...data.metadata.evaluation,
        subset: { ...data.metadata.evaluation.subset, predictions: "7" },
      },
    };
    expect(() =>
      decodePretrained(encodePretrained({ ...data, metadata: wrongPredictions })),
    ).toThrow(/subset evaluation is inconsistent/);
  });
});

describe("loadPretrained", () => {
  it("reads bytes and paths, and checks the name", async () => {
    const bytes = encodePretrained(tinyData());
    const model = await loadPretrained("smnist", { source: bytes });
    expect(model.name).toBe("smnist");
    expect(model.network.hidden[0]!.size).toBe(8);
    expect(model.input.numChannels).toBe(79);
    await expect(loadPretrained("mnist" as "smnist")).rejects.toThrow(
      /no pretrained model "mnist"; the models are smnist/,
    );
    await expect(
      loadPretrained("smnist", { source: "/nonexistent/model.safetensors" }),
    ).rejects.toThrow(/Cannot read .*ENOENT/);
    const other = tinyData();
    const renamed = encodePretrained({ ...other, metadata: { ...other.metadata, name: "other" } });
    await expect(loadPretrained("smnist", { source: renamed })).rejects.toThrow(
      /holds the model 'other'/,
    );
  });

  it("finds the shipped file next to the code", () => {
    expect(pretrainedModelUrl("smnist").href).toMatch(
      /\/packages\/pretrained\/models\/smnist\.safetensors$/,
    );
  });
});

describe("PretrainedModel", () => {
  const image = Uint8Array.from({ length: 784 }, (_, i) =>
    (i * 37) % 11 === 0 ? 255 : (i * 13) % 200,
  );

  it("encodes images as in training: encoder steps of stepMs binned to dt", async () => {
    const at1 = await loadPretrained("smnist", { source: encodePretrained(tinyData(1)) });
    const direct = encodeSequentialMnist(image, "79-channel");
    expect(at1.encodeImage(image)).toEqual(direct);
    const at2 = await loadPretrained("smnist", { source: encodePretrained(tinyData(2)) });
    const binned = at2.encodeImage(image);
    expect(binned.steps.every((s) => s < 392)).toBe(true);
    // Several spikes of a channel in one 2 ms step become one event.
    const expected = new Set(
      Array.from(direct.steps, (s, i) => `${Math.floor(s / 2)}:${direct.units[i]}`),
    );
    expect(new Set(Array.from(binned.steps, (s, i) => `${s}:${binned.units[i]}`))).toEqual(
      expected,
    );
  });

  it("makes batches for the trainer, with labels, and checks the images", async () => {
    const model = await loadPretrained("smnist", { source: encodePretrained(tinyData()) });
    const batch = model.batch([image, image.map((v) => 255 - v)], [3, 9]);
    expect(batch.inputs).toHaveLength(2);
    expect(batch.numSteps).toBe(784);
    expect(Array.from(batch.labels)).toEqual([3, 9]);
    expect(batch.inputs[0]).toEqual(model.encodeImage(image));
    expect(() => model.batch([image.subarray(0, 700)])).toThrow(
      /700 pixels; the model 'smnist' reads 28x28 = 784/,
    );
    expect(() => model.batch([image], [10])).toThrow(/label 10/);
    expect(() => model.batch([])).toThrow(/at least one image/);
  });

  it("encodes the 80-channel cue encoding with the answer period its window gives", async () => {
    const cueData = (cueSteps: number): PretrainedData => {
      const network = defineEpropNetwork({
        dt: 1,
        input: { size: 80 },
        hidden: [{ name: "hidden", size: 8, neuron: "ALIF" }],
        readout: { size: 10 },
        seed: 3,
      });
      const metadata = metadataFor(network, 1568 + cueSteps);
      return {
        network,
        parameters: initialParameters(network),
        metadata: {
          ...metadata,
          input: {
            ...metadata.input,
            encoding: "80-channel-cue",
            numChannels: 80,
            lossWindowMs: [1568, 1568 + cueSteps],
            lossMask: null,
          },
        },
      };
    };
    for (const cueSteps of [20, 56]) {
      const model = await loadPretrained("smnist", { source: encodePretrained(cueData(cueSteps)) });
      expect(model.cueSteps).toBe(cueSteps);
      expect(model.encodeImage(image)).toEqual(
        encodeSequentialMnist(image, "80-channel-cue", cueSteps),
      );
    }
    const plain = await loadPretrained("smnist", { source: encodePretrained(tinyData()) });
    expect(plain.cueSteps).toBeUndefined();
    // a window that is not right after the image is refused
    const bad = cueData(20);
    expect(() =>
      encodePretrained({
        ...bad,
        metadata: { ...bad.metadata, input: { ...bad.metadata.input, lossWindowMs: [1500, 1588] } },
      }),
    ).toThrow(/answer window \[1500,1588\] does not fit the 80-channel cue encoding/);
  });

  it("hashes image sets as SHA-256 of pixels then labels", async () => {
    // sha256 of the bytes 01 02 03.
    expect(await imagesSha256(Uint8Array.from([1, 2]), Uint8Array.from([3]))).toBe(
      "039058c6f2c0cb492c533b0a4d14ef77cc0f78abccced5287d84a1a2011cfb81",
    );
  });
});
