import { describe, expect, it } from "vitest";
import { cpuBackend } from "@snn/backend-cpu";
import { planNetwork, type SpikeEvents } from "@snn/core";
import { compileEpropNetwork } from "../compile";
import { EpropRuntime, type TrialOutputs } from "../eprop-runtime";
import { defineEpropNetwork, type EpropNetworkDescription, type ParameterSet } from "../index";
import {
  deepNetwork,
  maskedTrialData,
  randomInputs,
  relativeError,
  scaledParameters,
  toEvents,
} from "../test-support/networks";
import { referenceEprop } from "../test-support/reference-eprop";
import { PSI_SPIKE_FLOOR } from "../models";
import { ChunkedEligibility } from "./eligibility";
import { patternTask } from "../test-support/tasks";
import { Trainer } from "../trainer";
import { prepareTrial, type PreparedTrial } from "../trial";

// In chunked training the readout's softmax, error, loss and output sums are computed on the
// host from y (chunked/eligibility.ts). These tests hold them to the per-step form, whose
// readout computes them in the network, on the same network and data.

interface Observed {
  readonly outputs: TrialOutputs;
  /** y(s) after step s, and the readout's Pi after step s (pi(s-1)), `[batch][nOut]` each. */
  readonly y: Float32Array[];
  readonly pi: Float32Array[];
  readonly gradients: ParameterSet;
}

async function run(
  description: EpropNetworkDescription,
  parameters: ParameterSet,
  trial: PreparedTrial,
  eligibility: "perStep" | "chunked",
  observe: boolean,
): Promise<Observed> {
  const session = await EpropRuntime.create(description, {
    backend: cpuBackend(),
    batchSize: trial.inputs.length,
    parameters,
    eligibility,
    chunkSteps: 7,
  });
  const y: Float32Array[] = [];
  const pi: Float32Array[] = [];
  const rt = session.runtime;
  const afterStep = async (s: number) => {
    if (s >= trial.numSteps) return;
    y.push(Float32Array.from(await rt.readVar(description.readout.name, "Y")));
    pi.push(Float32Array.from(await rt.readVar(description.readout.name, "Pi")));
  };
  const outputs = await session.runTrial(trial, observe ? { afterStep } : {});
  const gradients = await session.readGradients();
  session.dispose();
  return { outputs, y, pi, gradients };
}

function maxAbsDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

function deepTrial(description: EpropNetworkDescription): {
  trial: PreparedTrial;
  inputs: number[][][];
  masks: number[][];
  labels: number[];
} {
  const { T, inputs, masks, labels } = maskedTrialData();
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
  return { trial, inputs, masks, labels };
}

describe("the host readout of chunked training", () => {
  for (const feedback of ["symmetric", "random"] as const) {
    it(`gives the per-step form's loss, predictions, spike counts and pi(s-1) after every step (${feedback} feedback, per-element masks, padded batch)`, async () => {
      const description = deepNetwork(feedback);
      const parameters = scaledParameters(description, 2.5);
      const { trial, inputs, masks, labels } = deepTrial(description);
      const perStep = await run(description, parameters, trial, "perStep", true);
      const chunked = await run(description, parameters, trial, "chunked", true);
      expect(chunked.outputs.spikeCounts).toEqual(perStep.outputs.spikeCounts);
      // The masks (all steps, the last 10, steps 10..24) make the loss sensitive to which steps count.
      for (let b = 0; b < 3; b++)
        expect(chunked.outputs.loss[b]! / perStep.outputs.loss[b]!, `loss ${b}`).toBeCloseTo(1, 6);
      expect(Array.from(chunked.outputs.predictions)).toEqual(
        Array.from(perStep.outputs.predictions),
      );
      expect(Array.from(chunked.outputs.readoutSumPredictions)).toEqual(
        Array.from(perStep.outputs.readoutSumPredictions),
      );
      const reference = referenceEprop(description, parameters, inputs, masks, labels);
      for (let b = 0; b < 3; b++)
        expect(chunked.outputs.loss[b]! / reference.loss[b]!, `loss ${b} / reference`).toBeCloseTo(
          1,
          6,
        );
      expect(chunked.outputs.loss[3]).toBe(0);
      // Observers see the same y(s) and pi(s-1) after step s as in the per-step form.
      expect(chunked.y).toHaveLength(trial.numSteps);
      for (let s = 0; s < trial.numSteps; s++)
        expect(maxAbsDifference(chunked.y[s]!, perStep.y[s]!), `y(${s})`).toBe(0);
      for (let s = 1; s < trial.numSteps; s++)
        expect(maxAbsDifference(chunked.pi[s]!, perStep.pi[s]!), `pi(${s - 1})`).toBeLessThan(1e-6);
      // Observing does not change anything.
      const unobserved = await run(description, parameters, trial, "chunked", false);
      expect(Array.from(unobserved.outputs.loss)).toEqual(Array.from(chunked.outputs.loss));
      for (const [name, values] of Object.entries(chunked.gradients))
        expect(Array.from(unobserved.gradients[name]!), name).toEqual(Array.from(values));
    });
  }

  it("is stable for logits far beyond exp's range (y ~ 1000): the same loss, pi and gradients as the per-step form", async () => {
    const description = deepNetwork("symmetric");
    const parameters = scaledParameters(description, 2.5);
    // A large common bias: y settles near 100 / (1 - kappa) ~ 1050; the classes differ by O(1).
    parameters["output.bias"] = Float32Array.of(100.5, 100, 99.6);
    const { trial } = deepTrial(description);
    const perStep = await run(description, parameters, trial, "perStep", true);
    const chunked = await run(description, parameters, trial, "chunked", true);
    const largest = Math.max(...chunked.y.map((y) => Math.max(...y)));
    expect(largest).toBeGreaterThan(800);
    expect(Math.exp(largest)).toBe(Infinity); // a softmax of exp(y) / sum exp(y) would give NaN
    for (let b = 0; b < 3; b++) {
      expect(Number.isFinite(chunked.outputs.loss[b])).toBe(true);
      expect(chunked.outputs.loss[b]! / perStep.outputs.loss[b]!, `loss ${b}`).toBeCloseTo(1, 5);
    }
    expect(Array.from(chunked.outputs.predictions)).toEqual(
      Array.from(perStep.outputs.predictions),
    );
    for (let s = 1; s < trial.numSteps; s++)
      expect(maxAbsDifference(chunked.pi[s]!, perStep.pi[s]!), `pi(${s - 1})`).toBeLessThan(1e-5);
    for (const [name, expected] of Object.entries(perStep.gradients)) {
      const actual = chunked.gradients[name]!;
      expect(actual.every(Number.isFinite), name).toBe(true);
      expect(relativeError(actual, expected), name).toBeLessThan(1e-4);
    }
  });

  it("sums loss, pi and y over the masked steps exactly like the per-step readout's LossAcc, PiAcc and YAcc", async () => {
    const description = deepNetwork("symmetric");
    const parameters = scaledParameters(description, 2.5);
    const { trial } = deepTrial(description);
    const backend = cpuBackend();
    const perStep = await EpropRuntime.create(description, { backend, batchSize: 4, parameters });
    await perStep.runTrial(trial);
    const expected = await Promise.all(
      ["LossAcc", "PiAcc", "YAcc"].map((v) => perStep.runtime.readVar("output", v)),
    );
    perStep.dispose();
    // Drive the chunked evaluation by hand, as EpropRuntime.runTrial does, to read its sums.
    const { network, layout } = compileEpropNetwork(description, {
      batchSize: 4,
      mode: "train",
      eligibility: "chunked",
      parameters,
    });
    const runtime = await backend.compile(planNetwork(network));
    const evaluation = new ChunkedEligibility(description, layout.projections, 4, 9);
    await runtime.runCustomUpdate(layout.groups.reset);
    runtime.startTrial();
    runtime.setSpikeEvents(layout.inputPopulation, trial.inputs);
    await evaluation.startTrial(trial, runtime);
    for (let s = 0; s < trial.numSteps + layout.extraSteps; s++) {
      await runtime.step(1);
      await evaluation.afterStep(s, runtime);
    }
    const sums = evaluation.readoutSums();
    const actual = [sums.loss, sums.pi, sums.y];
    ["loss", "pi", "y"].forEach((name, i) => {
      const reference = expected[i]!;
      expect(
        reference.some((v) => v !== 0),
        name,
      ).toBe(true);
      expect(relativeError(actual[i]!, reference), name).toBeLessThan(1e-6);
    });
    runtime.dispose();
  });

  it("compiles the readout to the leaky integrator alone: no softmax projection, no mask source, T steps", () => {
    const description = deepNetwork("random");
    const chunked = compileEpropNetwork(description, {
      batchSize: 2,
      mode: "train",
      eligibility: "chunked",
    });
    const plan = planNetwork(chunked.network);
    expect(plan.populations.map((p) => p.name)).toEqual(["input", "first", "second", "output"]);
    expect(
      plan.projections
        .map((p) => p.name)
        .filter((name) => name.includes("softmax") || name.includes("mask")),
    ).toEqual([]);
    const readout = plan.populations.find((p) => p.name === "output")!;
    expect(Object.keys(readout.model.additionalInputs ?? {})).toEqual([]);
    expect(Object.keys(readout.model.vars ?? {}).sort()).toEqual([
      "Bias",
      "BiasGradSum",
      "Pi",
      "Y",
    ]);
    expect(chunked.layout.maskPopulation).toBeNull();
    expect(chunked.layout.extraSteps).toBe(0);
    expect(chunked.layout.readoutSoftmax).toBe("host");
    // So does inference by default (the softmax on the host too), without the bias gradient.
    const inference = compileEpropNetwork(description, { batchSize: 2, mode: "inference" });
    const inferencePlan = planNetwork(inference.network);
    expect(inferencePlan.populations.map((p) => p.name)).toEqual([
      "input",
      "first",
      "second",
      "output",
    ]);
    expect(
      inferencePlan.projections
        .map((p) => p.name)
        .filter((name) => name.includes("softmax") || name.includes("mask")),
    ).toEqual([]);
    const inferenceReadout = inferencePlan.populations.find((p) => p.name === "output")!;
    expect(Object.keys(inferenceReadout.model.additionalInputs ?? {})).toEqual([]);
    expect(Object.keys(inferenceReadout.model.vars ?? {}).sort()).toEqual(["Bias", "Pi", "Y"]);
    expect(inference.layout).toMatchObject({
      maskPopulation: null,
      extraSteps: 0,
      readoutSoftmax: "host",
    });
    // The per-step form and inference with readoutSoftmax: 'network' keep the network's softmax and mask.
    for (const options of [
      { mode: "train", eligibility: "perStep" },
      { mode: "inference", readoutSoftmax: "network" },
    ] as const) {
      const other = compileEpropNetwork(description, { batchSize: 2, ...options });
      expect(planNetwork(other.network).projections.map((p) => p.name)).toEqual(
        expect.arrayContaining(["output__softmax", "eprop_mask__output"]),
      );
      expect(other.layout.maskPopulation).toBe("eprop_mask");
      expect(other.layout.readoutSoftmax).toBe("network");
    }
    expect(() =>
      compileEpropNetwork(description, { batchSize: 2, mode: "train", readoutSoftmax: "host" }),
    ).toThrow(/readoutSoftmax is for inference/);
  });
});

describe("Trainer metrics with chunked eligibility", () => {
  it("match the per-step form's batch losses, accuracies and evaluation", async () => {
    const task = { numChannels: 20, numClasses: 3, numSteps: 40, patternSteps: 20 };
    const trainSet = patternTask({ ...task, examples: 32, seed: 1 });
    const testSet = patternTask({ ...task, examples: 24, seed: 1 });
    const network = {
      input: { size: 20 },
      hidden: [{ name: "hidden", size: 24, neuron: "ALIF" as const }],
      readout: { size: 3 },
      seed: 3,
    };
    const results = [];
    for (const eligibility of ["perStep", "chunked"] as const) {
      const trainer = new Trainer({
        network,
        backend: cpuBackend(),
        optimizer: { learningRate: 0.01 },
        lossMask: { lastSteps: 10 },
        eligibility,
      });
      expect(trainer.eligibility).toBe(eligibility);
      const batches: { loss: number; accuracy: number }[] = [];
      await trainer.train(trainSet, {
        epochs: 1,
        batchSize: 8,
        shuffleSeed: 2,
        callbacks: { onBatchEnd: (m) => void batches.push({ loss: m.loss, accuracy: m.accuracy }) },
      });
      const evaluation = await trainer.evaluate(testSet, { batchSize: 12 });
      results.push({ batches, evaluation });
      trainer.dispose();
    }
    const [perStep, chunked] = results as [(typeof results)[number], (typeof results)[number]];
    expect(chunked.batches).toHaveLength(perStep.batches.length);
    expect(chunked.batches.length).toBeGreaterThan(2);
    chunked.batches.forEach((batch, i) => {
      expect(batch.loss / perStep.batches[i]!.loss, `batch ${i} loss`).toBeCloseTo(1, 4);
      expect(batch.accuracy, `batch ${i} accuracy`).toBe(perStep.batches[i]!.accuracy);
    });
    expect(chunked.evaluation.loss / perStep.evaluation.loss).toBeCloseTo(1, 3);
  });
});

describe("the chunked hidden neuron", () => {
  it("carries z(s) and psi(s) in PsiSpike exactly, including spikes where psi(s) = 0", async () => {
    const description = deepNetwork("symmetric");
    const parameters = scaledParameters(description, 2.5);
    const { trial } = deepTrial(description);
    const session = await EpropRuntime.create(description, {
      backend: cpuBackend(),
      batchSize: 4,
      parameters,
      eligibility: "chunked",
      chunkSteps: 8,
    });
    const rt = session.runtime;
    let spikes = 0;
    let spikesWithoutPsi = 0;
    await session.runTrial(trial, {
      afterStep: async (s) => {
        for (const layer of ["first", "second"]) {
          const [z, psi, code] = await Promise.all([
            rt.readVar(layer, "Z"),
            rt.readVar(layer, "Psi0"),
            rt.readVar(layer, "PsiSpike"),
          ]);
          for (let i = 0; i < z.length; i++) {
            const x = code[i]!;
            expect(x < 0 ? 1 : 0, `${layer} z(${s})[${i}]`).toBe(z[i]);
            expect(x < 0 ? (x === -PSI_SPIKE_FLOOR ? 0 : -x) : x, `${layer} psi(${s})[${i}]`).toBe(
              psi[i],
            );
            spikes += z[i]!;
            if (z[i] === 1 && psi[i] === 0) spikesWithoutPsi++;
          }
        }
      },
    });
    expect(spikes).toBeGreaterThan(50);
    expect(spikesWithoutPsi).toBeGreaterThan(0);
    session.dispose();
  });
});

describe("input events of chunked training", () => {
  it("count a channel once per step, as the backend's spike source does, when a batch repeats an event", async () => {
    const description = deepNetwork("symmetric");
    const parameters = scaledParameters(description, 2.5);
    const { T, inputs, masks, labels } = maskedTrialData();
    const repeated: SpikeEvents[] = inputs.map(toEvents).map((events) => {
      // every event twice, and the first of each step three times
      const steps: number[] = [];
      const units: number[] = [];
      events.steps.forEach((step, k) => {
        const copies = k === 0 || events.steps[k - 1] !== step ? 3 : 2;
        for (let c = 0; c < copies; c++) {
          steps.push(step);
          units.push(events.units[k]!);
        }
      });
      return { steps: Int32Array.from(steps), units: Int32Array.from(units) };
    });
    const trialOf = (events: SpikeEvents[]) =>
      prepareTrial(
        {
          inputs: events,
          labels: Int32Array.from(labels),
          numSteps: T,
          lossMask: Float32Array.from(masks.flat()),
        },
        description,
        4,
      );
    const once = await run(
      description,
      parameters,
      trialOf(inputs.map(toEvents)),
      "chunked",
      false,
    );
    const twice = await run(description, parameters, trialOf(repeated), "chunked", false);
    expect(twice.outputs.spikeCounts).toEqual(once.outputs.spikeCounts);
    for (const [name, values] of Object.entries(once.gradients))
      expect(Array.from(twice.gradients[name]!), name).toEqual(Array.from(values));
  });
});

describe("busy chunks", () => {
  it("give the per-step form's gradients when a chunk holds thousands of input and hidden spikes (the spike lists grow)", async () => {
    const description = defineEpropNetwork({
      input: { size: 30 },
      hidden: [{ name: "hidden", size: 40, neuron: "ALIF", refractorySteps: 1 }],
      readout: { size: 3 },
      seed: 5,
    });
    const parameters = scaledParameters(description, 3);
    const T = 120;
    const inputs = randomInputs(2, T, 30, 0.6, 11);
    const trial = prepareTrial(
      { inputs: inputs.map(toEvents), labels: Int32Array.of(0, 2), numSteps: T },
      description,
      2,
    );
    const perStep = await run(description, parameters, trial, "perStep", false);
    const session = await EpropRuntime.create(description, {
      backend: cpuBackend(),
      batchSize: 2,
      parameters,
      eligibility: "chunked",
      chunkSteps: 100,
    });
    const outputs = await session.runTrial(trial);
    const gradients = await session.readGradients();
    session.dispose();
    // Per chunk and batch element: ~1800 input events and well over 256 hidden spikes.
    expect(outputs.spikeCounts.hidden![0]! * (100 / T)).toBeGreaterThan(600);
    expect(outputs.spikeCounts).toEqual(perStep.outputs.spikeCounts);
    for (const [name, expected] of Object.entries(perStep.gradients))
      expect(relativeError(gradients[name]!, expected), name).toBeLessThan(1e-4);
  });
});
