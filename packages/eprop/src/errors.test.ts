import { describe, expect, it } from "vitest";
import { cpuBackend } from "@snn/backend-cpu";
import {
  CheckpointError,
  decodeCheckpoint,
  defineEpropNetwork,
  EpropBatchError,
  EpropConfigError,
  encodeSafetensors,
  GradcheckFixtureError,
  prepareTrial,
  runGradcheck,
  Trainer,
  type EpropBatch,
} from "./index";
import { inMemoryDataset } from "./in-memory-dataset";

const network = defineEpropNetwork({
  input: { size: 4 },
  hidden: [{ name: "hidden", size: 5, neuron: "LIF" }],
  readout: { size: 2 },
});
const events = (steps: number[], units: number[]) => ({
  steps: Int32Array.from(steps),
  units: Int32Array.from(units),
});
const goodBatch: EpropBatch = {
  inputs: [events([0, 3], [1, 2])],
  labels: Int32Array.of(1),
  numSteps: 5,
};

describe("bad network descriptions", () => {
  it("rejects an unknown neuron type", () => {
    expect(() =>
      defineEpropNetwork({
        input: { size: 2 },
        hidden: [{ name: "h", size: 3, neuron: "Izhikevich" as "LIF" }],
        readout: { size: 2 },
      }),
    ).toThrow(
      new EpropConfigError(
        "Hidden layer 'h': unknown neuron type \"Izhikevich\"; e-prop supports 'LIF' and 'ALIF'.",
      ),
    );
  });

  it("rejects mismatched sizes", () => {
    expect(() =>
      defineEpropNetwork({
        input: { size: 2 },
        hidden: [{ name: "h", size: 3, neuron: "ALIF", beta: [0.1, 0.2] }],
        readout: { size: 2 },
      }),
    ).toThrow(/beta has 2 values but the layer has 3 neurons/);
    expect(() =>
      defineEpropNetwork({
        input: { size: 0 },
        hidden: [{ name: "h", size: 3, neuron: "LIF" }],
        readout: { size: 2 },
      }),
    ).toThrow(/input.size must be a positive integer/);
    expect(
      () =>
        new Trainer({
          network,
          backend: cpuBackend(),
          parameters: { "input->hidden": new Float32Array(3) },
        }),
    ).toThrow(/'input->hidden' has 3 values but its shape is \[5, 4\]/);
  });

  it("rejects a readout without hidden input", () => {
    expect(() =>
      defineEpropNetwork({
        input: { size: 2 },
        hidden: [{ name: "h", size: 3, neuron: "LIF" }],
        readout: { size: 2, inputs: [] },
      }),
    ).toThrow(/Readout 'output' has no hidden input/);
    expect(() =>
      defineEpropNetwork({
        input: { size: 2 },
        hidden: [{ name: "h", size: 3, neuron: "LIF" }],
        readout: { size: 2, inputs: ["input"] },
      }),
    ).toThrow(/input 'input' is not a hidden layer/);
  });

  it("rejects other inconsistencies with a clear message", () => {
    expect(() =>
      defineEpropNetwork({ input: { size: 2 }, hidden: [], readout: { size: 2 } }),
    ).toThrow(/at least one hidden layer/);
    expect(() =>
      defineEpropNetwork({
        input: { size: 2 },
        hidden: [{ name: "h", size: 3, neuron: "LIF", beta: 0.1 }],
        readout: { size: 2 },
      }),
    ).toThrow(/LIF, which has no threshold adaptation/);
    expect(() =>
      defineEpropNetwork({
        input: { size: 2 },
        hidden: [
          { name: "a", size: 3, neuron: "LIF" },
          { name: "b", size: 3, neuron: "LIF" },
        ],
        readout: { size: 2, inputs: ["b"] },
      }),
    ).toThrow(/symmetric feedback .* 'a' is not connected to the readout/);
    expect(() =>
      defineEpropNetwork({
        input: { size: 2 },
        hidden: [{ name: "h", size: 3, neuron: "LIF", inputs: ["later"] }],
        readout: { size: 2 },
      }),
    ).toThrow(/input 'later' is not the input layer or an earlier hidden layer/);
    expect(() =>
      defineEpropNetwork({
        input: { size: 2 },
        hidden: [{ name: "h", size: 3, neuron: "LIF" }],
        readout: { size: 2 },
        feedback: "magic" as "random",
      }),
    ).toThrow(/feedback must be 'symmetric' or 'random'/);
  });

  it("rejects recurrent self-connections in given weights", () => {
    const weights = new Float32Array(25);
    weights[6] = 0.5; // 1 -> 1
    expect(
      () =>
        new Trainer({ network, backend: cpuBackend(), parameters: { "hidden->hidden": weights } }),
    ).toThrow(/self-connection 1 -> 1/);
  });
});

describe("bad batches and datasets", () => {
  it("accepts a good batch and pads it", () => {
    const trial = prepareTrial(goodBatch, network, 3);
    expect(trial.count).toBe(1);
    expect(trial.inputs).toHaveLength(3);
    expect(Array.from(trial.labels)).toEqual([1, -1, -1]);
    expect(Array.from(trial.maskEvents[0]!.steps)).toEqual([0, 1, 2, 3, 4]);
    expect(
      Array.from(prepareTrial(goodBatch, network, 1, { lastSteps: 2 }).maskEvents[0]!.steps),
    ).toEqual([3, 4]);
  });

  it("rejects a batch of the wrong shape, each with a clear error", () => {
    const cases: [EpropBatch, RegExp][] = [
      [{ ...goodBatch, labels: Int32Array.of(1, 0) }, /1 inputs but 2 labels/],
      [
        {
          ...goodBatch,
          inputs: [goodBatch.inputs[0]!, goodBatch.inputs[0]!, goodBatch.inputs[0]!],
          labels: Int32Array.of(0, 0, 0),
        },
        /compiled for batches of 2/,
      ],
      [
        { ...goodBatch, inputs: [events([0, 7], [1, 2])] },
        /event 1 is at step 7, outside the trial's 0..4/,
      ],
      [
        { ...goodBatch, inputs: [events([0], [4])] },
        /has channel 4, but the network has 4 input channels/,
      ],
      [{ ...goodBatch, inputs: [events([3, 1], [0, 0])] }, /sorted ascending/],
      [
        { ...goodBatch, labels: Int32Array.of(2) },
        /labels\[0\] is 2, but the readout has 2 classes/,
      ],
      [
        { ...goodBatch, lossMask: new Float32Array(4) },
        /lossMask must be a Float32Array of numSteps \(5\)/,
      ],
      [{ ...goodBatch, numSteps: 0 }, /numSteps must be a positive integer/],
      [
        { ...goodBatch, inputs: [{ steps: [0], units: [0] } as never] },
        /must be \{ steps: Int32Array, units: Int32Array \}/,
      ],
    ];
    for (const [batch, message] of cases) {
      expect(() => prepareTrial(batch, network, 2)).toThrow(EpropBatchError);
      expect(() => prepareTrial(batch, network, 2)).toThrow(message);
    }
    expect(() => prepareTrial(goodBatch, network, 1, { lastSteps: 9 })).toThrow(
      /last 9 steps but the trial has only 5/,
    );
    expect(() => prepareTrial(goodBatch, network, 1, "batch")).toThrow(/the batch has no lossMask/);
  });

  it("rejects a dataset whose channels or classes do not fit the network", async () => {
    const trainer = new Trainer({ network, backend: cpuBackend() });
    const dataset = (numChannels: number, numClasses: number) =>
      inMemoryDataset({
        numChannels,
        numClasses,
        numSteps: 5,
        examples: [{ input: events([0], [0]), label: 0 }],
      });
    await expect(trainer.train(dataset(3, 2), { epochs: 1, batchSize: 1 })).rejects.toThrow(
      /dataset has 3 input channels but the network's input layer has 4/,
    );
    await expect(trainer.evaluate(dataset(4, 5))).rejects.toThrow(
      /dataset has 5 classes but the readout has 2 neurons/,
    );
    trainer.dispose();
  });

  it("names what is missing when options are left out", async () => {
    const trainer = new Trainer({ network, backend: cpuBackend() });
    const dataset = inMemoryDataset({
      numChannels: 4,
      numClasses: 2,
      numSteps: 5,
      examples: [{ input: events([0], [0]), label: 0 }],
    });
    await expect(trainer.train(dataset, undefined as never)).rejects.toThrow(
      /train\(dataset, options\) needs its options: \{ epochs, batchSize \}/,
    );
    await expect(
      Trainer.fromCheckpoint(await trainer.encodeCheckpoint(), undefined as never),
    ).rejects.toThrow(/needs a backend to train on/);
    expect(() => inMemoryDataset(undefined as never)).toThrow(
      /inMemoryDataset needs options: \{ numChannels, numClasses, numSteps, examples/,
    );
    expect(() =>
      inMemoryDataset({
        numClasses: 2,
        numSteps: 5,
        examples: [{ input: events([0], [0]), label: 0 }],
      } as never),
    ).toThrow(/numChannels must be a positive integer, got undefined/);
    trainer.dispose();
  });
});

describe("bad checkpoints", () => {
  it("rejects corrupt bytes with a CheckpointError", async () => {
    const trainer = new Trainer({ network, backend: cpuBackend() });
    const good = await trainer.encodeCheckpoint();
    expect(decodeCheckpoint(good).network).toEqual(network);
    const truncated = good.subarray(0, good.length - 10);
    expect(() => decodeCheckpoint(truncated)).toThrow(CheckpointError);
    expect(() => decodeCheckpoint(truncated)).toThrow(/truncated or corrupt/);
    expect(() => decodeCheckpoint(new Uint8Array(4))).toThrow(/too short/);
    const hugeHeader = good.slice();
    new DataView(hugeHeader.buffer).setUint32(0, 0x7fffffff, true);
    expect(() => decodeCheckpoint(hugeHeader)).toThrow(/header length .* does not fit the file/);
    const badJson = good.slice();
    badJson[8] = 0x5b; // '[' makes the header unparsable
    expect(() => decodeCheckpoint(badJson)).toThrow(/not valid JSON|not a JSON object/);
    expect(() =>
      decodeCheckpoint(encodeSafetensors({ x: { shape: [1], data: Float32Array.of(1) } })),
    ).toThrow(/Not an @snn\/eprop checkpoint/);
    await expect(
      Trainer.fromCheckpoint("/nonexistent/dir/run.safetensors", { backend: cpuBackend() }),
    ).rejects.toThrow(/Cannot read checkpoint/);
    trainer.dispose();
  });

  it("rejects a checkpoint of another network", async () => {
    const other = new Trainer({
      network: defineEpropNetwork({
        input: { size: 4 },
        hidden: [{ name: "hidden", size: 6, neuron: "LIF" }],
        readout: { size: 2 },
      }),
      backend: cpuBackend(),
    });
    const trainer = new Trainer({ network, backend: cpuBackend() });
    await expect(trainer.restoreCheckpoint(await other.encodeCheckpoint())).rejects.toThrow(
      /checkpoint is for a different network \(this trainer: input\(4\) -> hidden\(5 LIF\) -> output\(2\); checkpoint: input\(4\) -> hidden\(6 LIF\) -> output\(2\)\)/,
    );
    other.dispose();
    trainer.dispose();
  });
});

describe("bad gradient fixtures", () => {
  it("names what is missing or inconsistent", async () => {
    await expect(runGradcheck({}, { backend: cpuBackend() })).rejects.toThrow(
      GradcheckFixtureError,
    );
    await expect(
      runGradcheck(
        { params: { n_in: 2, n_rec: 2, n_out: 2, T: 2 }, inputs_x: [[0, 1]] },
        { backend: cpuBackend() },
      ),
    ).rejects.toThrow(/inputs_x must be a 2 x 2 array, got 1 rows/);
  });
});
