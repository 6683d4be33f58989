import { describe, expect, it } from "vitest";
import { cpuBackend } from "@snn/backend-cpu";
import { planNetwork } from "@snn/core";
import { compileEpropNetwork, defineEpropNetwork, EpropRuntime, prepareTrial } from "./index";
import {
  deepNetwork,
  maskedTrialData,
  randomInputs,
  relativeError,
  scaledParameters,
  toEvents,
} from "./test-support/networks";
import { referenceEprop } from "./test-support/reference-eprop";

describe("the e-prop pass against a float64 reference of the spec", () => {
  for (const feedback of ["symmetric", "random"] as const) {
    it(`matches the reference gradients: 2 hidden layers, refractoriness, regularisation, ${feedback} feedback, padded batch with per-element masks`, async () => {
      const description = deepNetwork(feedback);
      const parameters = scaledParameters(description, 2.5);
      const { T, inputs, masks, labels } = maskedTrialData();
      const reference = referenceEprop(description, parameters, inputs, masks, labels);
      for (const layer of ["first", "second"])
        for (const count of reference.spikeCounts[layer]!) expect(count).toBeGreaterThan(2);

      const session = await EpropRuntime.create(description, {
        backend: cpuBackend(),
        batchSize: 4,
        parameters,
      });
      const trial = prepareTrial(
        {
          inputs: inputs.map(toEvents),
          labels: Int32Array.from(labels),
          numSteps: T,
          lossMask: Float32Array.from(masks.flat()),
        },
        description,
        4,
      );
      const outputs = await session.runTrial(trial);
      for (const layer of ["first", "second"])
        expect(Array.from(outputs.spikeCounts[layer]!)).toEqual([
          ...reference.spikeCounts[layer]!,
          0,
        ]);
      for (let b = 0; b < 3; b++) expect(outputs.loss[b]).toBeCloseTo(reference.loss[b]!, 3);
      expect(outputs.loss[3]).toBe(0);
      const gradients = await session.readGradients();
      expect(Object.keys(gradients).sort()).toEqual(Object.keys(reference.gradients).sort());
      for (const [name, expected] of Object.entries(reference.gradients)) {
        const max = expected.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
        expect(max, name).toBeGreaterThan(0);
        expect(relativeError(gradients[name]!, expected), name).toBeLessThan(1e-4);
      }
      session.dispose();
    });
  }

  it("the regulariser changes the hidden gradients (the reference check above would notice a missing term)", () => {
    const description = deepNetwork("symmetric");
    const without = defineEpropNetwork({
      ...description,
      hidden: description.hidden,
      regularisation: false,
    });
    const parameters = scaledParameters(description, 2.5);
    const inputs = randomInputs(1, 30, 10, 0.15, 3);
    const masks = [Array.from({ length: 30 }, () => 1)];
    const a = referenceEprop(description, parameters, inputs, masks, [0]).gradients[
      "input->first"
    ]!;
    const b = referenceEprop(without, parameters, inputs, masks, [0]).gradients["input->first"]!;
    expect(relativeError(a, b)).toBeGreaterThan(1e-3); // ten times the tolerance of the check above
  });
});

describe("inference networks", () => {
  it("give the same loss, predictions and spike counts as the training network, without its traces", async () => {
    const description = deepNetwork("random");
    const parameters = scaledParameters(description, 2.5);
    const T = 30;
    const inputs = randomInputs(2, T, 10, 0.15, 5);
    const batch = { inputs: inputs.map(toEvents), labels: Int32Array.of(1, 2), numSteps: T };
    const run = async (
      mode: "train" | "inference",
      options: { eligibility?: "perStep" | "chunked"; readoutSoftmax?: "host" | "network" } = {},
    ) => {
      const session = await EpropRuntime.create(description, {
        backend: cpuBackend(),
        batchSize: 2,
        mode,
        parameters,
        ...options,
      });
      const outputs = await session.runTrial(
        prepareTrial(batch, description, 2, { lastSteps: 12 }),
      );
      const bytes = session.runtime.capabilities.bufferBytes.total;
      session.dispose();
      return { outputs, bytes };
    };
    const train = await run("train");
    const chunked = await run("train", { eligibility: "chunked" });
    // The CPU default: the softmax on the host (readout-softmax.ts), the rule of chunked training.
    const inference = await run("inference");
    // The softmax in the network, as per-step training (and inference on WebGPU) computes it.
    const inNetwork = await run("inference", { readoutSoftmax: "network" });
    expect(Array.from(inference.outputs.loss)).toEqual(Array.from(chunked.outputs.loss));
    expect(Array.from(inNetwork.outputs.loss)).toEqual(Array.from(train.outputs.loss));
    // The two forms agree to float rounding (max-subtracted in float64 against pairwise in float32).
    for (let b = 0; b < 2; b++)
      expect(inference.outputs.loss[b]! / train.outputs.loss[b]!, `loss ${b}`).toBeCloseTo(1, 6);
    for (const other of [inference, inNetwork, chunked]) {
      expect(Array.from(other.outputs.predictions)).toEqual(Array.from(train.outputs.predictions));
      expect(Array.from(other.outputs.readoutSumPredictions)).toEqual(
        Array.from(train.outputs.readoutSumPredictions),
      );
      expect(other.outputs.spikeCounts).toEqual(train.outputs.spikeCounts);
    }
    expect(inference.bytes).toBeLessThan(train.bytes / 3);
    expect(inference.bytes).toBeLessThan(inNetwork.bytes);
  });
});

describe("the compiled network", () => {
  it("is an ordinary core network: spike sources, neuron, weight-update and custom-update models only", () => {
    const description = deepNetwork("random");
    const { network, layout } = compileEpropNetwork(description, { batchSize: 2, mode: "train" });
    const plan = planNetwork(network);
    expect(plan.populations.map((p) => p.name)).toEqual([
      "input",
      "first",
      "second",
      "output",
      "eprop_mask",
    ]);
    expect(Object.keys(plan.customUpdateGroups).sort()).toEqual([
      "eprop_adam",
      "eprop_reduce",
      "eprop_reset",
    ]);
    expect(layout.extraSteps).toBe(4);
    // recurrent weights use a one-step delay, feedforward and readout weights none
    const delay = (name: string) => plan.projections.find((p) => p.name === name)!.delaySteps;
    expect(delay("first__first")).toBe(1);
    expect(delay("input__first")).toBe(0);
    expect(delay("first__second")).toBe(0);
    expect(delay("second__output")).toBe(0);
    // the first layer does not feed the readout: with random feedback it gets a feedback-only projection
    expect(plan.projections.map((p) => p.name)).toContain("first__output__feedback");
    const inference = planNetwork(
      compileEpropNetwork(description, { batchSize: 2, mode: "inference" }).network,
    );
    expect(Object.keys(inference.customUpdateGroups)).toEqual(["eprop_reset"]);
  });
});

describe("memory", () => {
  it("does not grow with trial length: per-synapse state depends on batch and network size only", async () => {
    const description = defineEpropNetwork({
      input: { size: 16 },
      hidden: [{ name: "hidden", size: 12, neuron: "ALIF" }],
      readout: { size: 4 },
    });
    const batchSize = 3;
    const session = await EpropRuntime.create(description, { backend: cpuBackend(), batchSize });
    const bytes = () => structuredClone(session.runtime.capabilities.bufferBytes);
    const run = async (T: number) => {
      const inputs = randomInputs(batchSize, T, 16, 0.05, T);
      await session.runTrial(
        prepareTrial(
          { inputs: inputs.map(toEvents), labels: Int32Array.of(0, 1, 2), numSteps: T },
          description,
          batchSize,
        ),
      );
      return bytes();
    };
    const short = await run(20);
    const long = await run(2000);
    expect(long).toEqual(short);
    // The input synapses hold the weight, the Adam moments, step count and bias-correction
    // powers b1^t and b2^t (5 floats) and the reduced gradient once,
    // and the gradient, filtered trace and adaptation eligibility once per batch element; their
    // presynaptic traces are 6 history slots and a spike flag per input neuron and batch element,
    // plus the postsynaptic input per hidden neuron and batch element.
    const synapses = 16 * 12;
    expect(short.byOwner["input__hidden"]).toBe(
      4 * (synapses * (1 + 3 * batchSize) + 16 * 7 * batchSize + 12 * batchSize),
    );
    expect(short.byOwner["input__hidden__adam"]).toBe(4 * synapses * 5);
    expect(short.byOwner["input__hidden__reduce"]).toBe(4 * synapses);
    // A new runtime for another trial length is not needed: the compiled network has no notion of T.
    const again = await EpropRuntime.create(description, { backend: cpuBackend(), batchSize });
    expect(again.runtime.capabilities.bufferBytes).toEqual(short);
    session.dispose();
    again.dispose();
  });
});
