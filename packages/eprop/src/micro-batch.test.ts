import { cpuBackend } from "@snn/backend-cpu";
import { seededRandom, type Backend } from "@snn/core";
import { describe, expect, it } from "vitest";
import {
  defineEpropNetwork,
  EpropConfigError,
  EpropRuntime,
  prepareTrial,
  sliceBatch,
  Trainer,
  type EpropBatch,
  type EpropDataset,
  type ParameterSet,
} from "./index";
import { patternTask } from "./test-support/tasks";
import { testGpu } from "../../backend-wgsl/test-support/gpu";

// Micro-batches: a batch run as several smaller trials with one Adam step on their summed
// gradients must take the step of the whole batch.
const network = {
  input: { size: 12 },
  hidden: [
    { name: "h0", size: 14, neuron: "ALIF" as const, recurrent: true },
    { name: "h1", size: 9, neuron: "LIF" as const },
  ],
  readout: { size: 3, inputs: ["h0", "h1"] },
  regularisation: { strength: 0.05 },
  seed: 5,
};
const description = defineEpropNetwork(network);
const numSteps = 37;
const dataset = patternTask({
  numChannels: 12,
  numClasses: 3,
  numSteps,
  examples: 8,
  seed: 3,
  rate: 0.08,
});

async function firstBatch(size: number): Promise<EpropBatch> {
  for await (const batch of dataset.batches({ batchSize: size, dt: 1 })) {
    // a per-element loss mask, so that slicing must cut its rows
    const random = seededRandom(9);
    const lossMask = Float32Array.from({ length: size * numSteps }, (_, i) =>
      i % numSteps > 10 && random.uniform() < 0.7 ? 1 : 0,
    );
    return { ...batch, lossMask };
  }
  throw new Error("no batch");
}

function maxAbs(values: ParameterSet): number {
  return Math.max(...Object.values(values).map((v) => Math.max(...Array.from(v, Math.abs))));
}

function maxDifference(a: ParameterSet, b: ParameterSet): number {
  let worst = 0;
  for (const [name, values] of Object.entries(a)) {
    const other = b[name]!;
    expect(other.length, name).toBe(values.length);
    for (let i = 0; i < values.length; i++)
      worst = Math.max(worst, Math.abs(values[i]! - other[i]!));
  }
  return worst;
}

/** Adam's first moment after one step from zero: (1 - beta1) times the gradient it stepped on. */
async function firstMoment(
  parts: EpropBatch[],
  batchSize: number,
  eligibility: "perStep" | "chunked",
  backend: Backend,
): Promise<ParameterSet> {
  const session = await EpropRuntime.create(description, { backend, batchSize, eligibility });
  try {
    for (const [k, part] of parts.entries()) {
      await session.runTrial(prepareTrial(part, description, batchSize));
      if (k < parts.length - 1) {
        await session.accumulateGradients();
        expect(session.hasAccumulatedGradients).toBe(true);
      } else await session.applyOptimizer();
    }
    expect(session.hasAccumulatedGradients).toBe(false);
    const state = await session.getOptimizerState();
    expect(state.step).toBe(1);
    return state.m;
  } finally {
    session.dispose();
  }
}

const gpu = await testGpu();
const setups: {
  name: string;
  backend: () => Backend;
  eligibility: "perStep" | "chunked";
  skip?: string | null;
}[] = [
  { name: "CPU, per-step e-prop", backend: () => cpuBackend(), eligibility: "perStep" },
  {
    name: "CPU, chunked e-prop (traces on the host)",
    backend: () => cpuBackend(),
    eligibility: "chunked",
  },
  {
    name: "WebGPU, per-step e-prop",
    backend: () => gpu.backend,
    eligibility: "perStep",
    skip: gpu.skipReason,
  },
  {
    name: "WebGPU, chunked e-prop (traces on the device)",
    backend: () => gpu.backend,
    eligibility: "chunked",
    skip: gpu.skipReason,
  },
];

describe("micro-batches (EpropRuntime.accumulateGradients)", () => {
  for (const setup of setups) {
    it.skipIf(Boolean(setup.skip))(
      `take the whole batch's Adam step: 7 examples as 3 + 3 + 1 (the last padded), ${setup.name}, two hidden layers, regulariser, per-element loss masks${setup.skip ? ` (skipped: ${setup.skip})` : ""}`,
      async () => {
        const backend = setup.backend();
        const batch = await firstBatch(7);
        const whole = await firstMoment([batch], 7, setup.eligibility, backend);
        const parts = [sliceBatch(batch, 0, 3), sliceBatch(batch, 3, 6), sliceBatch(batch, 6, 7)];
        expect(parts.map((p) => p.inputs.length)).toEqual([3, 3, 1]);
        expect(parts[1]!.lossMask!.length).toBe(3 * numSteps);
        const micro = await firstMoment(parts, 3, setup.eligibility, backend);
        const scale = maxAbs(whole);
        expect(scale).toBeGreaterThan(0);
        expect(maxDifference(whole, micro)).toBeLessThanOrEqual(1e-5 * scale);
        // the step on the last micro-batch alone is far from it
        const lastOnly = await firstMoment([parts[2]!], 3, setup.eligibility, backend);
        expect(maxDifference(whole, lastOnly)).toBeGreaterThan(0.1 * scale);
      },
    );
  }

  it("a restored optimizer state discards gradients accumulated before it", async () => {
    const batch = await firstBatch(4);
    const session = await EpropRuntime.create(description, { backend: cpuBackend(), batchSize: 4 });
    const fresh = await session.getOptimizerState();
    await session.runTrial(prepareTrial(batch, description, 4));
    await session.accumulateGradients();
    await session.setOptimizerState(fresh);
    expect(session.hasAccumulatedGradients).toBe(false);
    session.dispose();
  });
});

describe("Trainer with microBatchSize", () => {
  // batches with a per-element loss mask, so that micro-batches must cut it to their rows
  const masked: EpropDataset = {
    numChannels: dataset.numChannels,
    numClasses: dataset.numClasses,
    async *batches(options) {
      let k = 0;
      for await (const batch of dataset.batches(options)) {
        const random = seededRandom(100 + k++);
        yield {
          ...batch,
          lossMask: Float32Array.from({ length: batch.inputs.length * numSteps }, (_, i) =>
            i % numSteps > 5 && random.uniform() < 0.6 ? 1 : 0,
          ),
        };
      }
    },
  };

  async function train(microBatchSize?: number) {
    const trainer = new Trainer({
      network,
      backend: cpuBackend(),
      optimizer: { learningRate: 0.01 },
    });
    const losses: number[] = [];
    const examples: number[] = [];
    const history = await trainer.train(masked, {
      epochs: 2,
      batchSize: 4,
      ...(microBatchSize !== undefined ? { microBatchSize } : {}),
      callbacks: {
        onBatchEnd: (m) => {
          losses.push(m.loss);
          examples.push(m.examples);
        },
      },
    });
    const checkpoint = await trainer.checkpoint();
    trainer.dispose();
    return { losses, examples, history, checkpoint };
  }

  it("trains as whole batches do: batch 4 as 3 + 1 with per-element loss masks, the same losses, metrics, steps and parameters", async () => {
    const whole = await train();
    const micro = await train(3);
    expect(micro.examples).toEqual([4, 4, 4, 4]);
    expect(micro.examples).toEqual(whole.examples);
    expect(micro.checkpoint.progress.optimizerSteps).toBe(4);
    for (const [k, loss] of whole.losses.entries()) expect(micro.losses[k]!).toBeCloseTo(loss, 4);
    expect(micro.history.map((e) => [e.examples, e.accuracy])).toEqual(
      whole.history.map((e) => [e.examples, e.accuracy]),
    );
    expect(micro.checkpoint.optimizer.step).toBe(whole.checkpoint.optimizer.step);
    const scale = maxAbs(whole.checkpoint.optimizer.m);
    expect(
      maxDifference(whole.checkpoint.optimizer.m, micro.checkpoint.optimizer.m),
    ).toBeLessThanOrEqual(1e-4 * scale);
    expect(
      maxDifference(whole.checkpoint.parameters, micro.checkpoint.parameters),
    ).toBeLessThanOrEqual(1e-4);
  });

  it("says what is wrong with a micro-batch size", async () => {
    const trainer = new Trainer({ network, backend: cpuBackend() });
    for (const bad of [0, 5, 2.5]) {
      await expect(
        trainer.train(dataset, { epochs: 1, batchSize: 4, microBatchSize: bad }),
      ).rejects.toThrow(EpropConfigError);
    }
    await expect(
      trainer.train(dataset, { epochs: 1, batchSize: 4, microBatchSize: 5 }),
    ).rejects.toThrow(/microBatchSize must be an integer from 1 to batchSize \(4\), got 5/);
    trainer.dispose();
  });
});
