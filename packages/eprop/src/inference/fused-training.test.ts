import { cpuBackend } from "@snn/backend-cpu";
import { seededRandom } from "@snn/core";
import { describe, expect, it } from "vitest";
import { EpropRuntime, type TrialOutputs } from "../eprop-runtime";
import { defineEpropNetwork, type EpropNetworkDescription } from "../index";
import { deepNetwork, scaledParameters } from "../test-support/networks";
import { labelsAndMixedMasks } from "../test-support/tasks";
import { prepareTrial, type PreparedTrial } from "../trial";
import { fusedRunSteps } from "./fused-training";

// Fused training (one WebAssembly call per chunk for the forward pass, the host's per-step work
// after it) must train exactly as stepping the compiled network does: after several batches
// (trial, Adam step) the parameters and Adam's state are the same bytes, and so is every
// trial's loss, prediction and spike count, over LIF/ALIF, with and without recurrence and the
// regulariser, symmetric and random feedback, sizes off the kernel's blocks, padded batches,
// trials whose length is no multiple of the chunk (a longer one after shorter ones), and both
// the trace thread and the calling thread.

function randomTrial(
  description: EpropNetworkDescription,
  batchSize: number,
  count: number,
  T: number,
  seed: number,
): PreparedTrial {
  const random = seededRandom(seed);
  const inputs = Array.from({ length: count }, () => {
    const steps: number[] = [];
    const units: number[] = [];
    for (let s = 0; s < T; s++)
      for (let i = 0; i < description.input.size; i++)
        if (random.uniform() < 0.2) {
          steps.push(s);
          units.push(i);
        }
    return { steps: Int32Array.from(steps), units: Int32Array.from(units) };
  });
  // Per-element masks: everything, the last third, a window in the middle.
  const { labels, lossMask } = labelsAndMixedMasks(
    random,
    description.readout.size,
    count,
    T,
    2 / 3,
  );
  return prepareTrial({ inputs, labels, numSteps: T, lossMask }, description, batchSize);
}

const bytes = (values: ArrayLike<number> & { buffer: ArrayBufferLike }): number[] => {
  const view = values as unknown as Float32Array;
  return Array.from(new Uint8Array(view.buffer, view.byteOffset, view.byteLength));
};

interface Run {
  readonly outputs: TrialOutputs[];
  readonly parameters: Record<string, number[]>;
  readonly optimizer: string;
}

/** Trains `trials` one batch each (trial, Adam step) with fused training on or off. */
async function train(
  description: EpropNetworkDescription,
  trials: readonly PreparedTrial[],
  options: { fusedTraining: boolean; chunkSteps: number; traceThread: boolean },
): Promise<Run> {
  const runtime = await EpropRuntime.create(description, {
    backend: cpuBackend(),
    batchSize: trials[0]!.inputs.length,
    mode: "train",
    eligibility: "chunked",
    chunkedTraces: "host",
    parameters: scaledParameters(description, 3),
    optimizer: { learningRate: 0.01 },
    ...options,
  });
  expect(runtime.fusedTraining).toBe(options.fusedTraining);
  const outputs: TrialOutputs[] = [];
  for (const trial of trials) {
    outputs.push(await runtime.runTrial(trial));
    await runtime.applyOptimizer();
  }
  const parameters: Record<string, number[]> = {};
  for (const [name, values] of Object.entries(await runtime.getParameters()))
    parameters[name] = bytes(values as Float32Array);
  const state = await runtime.getOptimizerState();
  const optimizer = JSON.stringify({
    step: state.step,
    m: Object.entries(state.m).map(([name, v]) => [name, bytes(v as Float32Array)]),
    v: Object.entries(state.v).map(([name, v]) => [name, bytes(v as Float32Array)]),
  });
  runtime.dispose();
  return { outputs, parameters, optimizer };
}

function expectSameTraining(fused: Run, stepped: Run): void {
  for (const [t, outputs] of fused.outputs.entries()) {
    const other = stepped.outputs[t]!;
    expect(bytes(outputs.loss), `trial ${t}: loss`).toEqual(bytes(other.loss));
    expect(Array.from(outputs.predictions), `trial ${t}: predictions`).toEqual(
      Array.from(other.predictions),
    );
    expect(Array.from(outputs.readoutSumPredictions)).toEqual(
      Array.from(other.readoutSumPredictions),
    );
    expect(Object.keys(outputs.spikeCounts)).toEqual(Object.keys(other.spikeCounts));
    for (const [layer, counts] of Object.entries(other.spikeCounts))
      expect(bytes(outputs.spikeCounts[layer]!), `trial ${t}: spikes`).toEqual(bytes(counts));
  }
  expect(Object.keys(fused.parameters)).toEqual(Object.keys(stepped.parameters));
  for (const [name, values] of Object.entries(stepped.parameters))
    expect(fused.parameters[name], `parameter ${name}`).toEqual(values);
  expect(fused.optimizer).toEqual(stepped.optimizer);
}

describe("fused training", () => {
  const cases = [
    { neuron: "ALIF", recurrent: true, hidden: 37, outputs: 3, batch: 3, count: 3, reg: true },
    { neuron: "ALIF", recurrent: true, hidden: 20, outputs: 10, batch: 4, count: 3, reg: false },
    { neuron: "LIF", recurrent: true, hidden: 16, outputs: 5, batch: 2, count: 2, reg: true },
    { neuron: "LIF", recurrent: false, hidden: 9, outputs: 2, batch: 1, count: 1, reg: false },
    // runs of fewer steps than a chunk (fusedRunSteps: 7 steps of 16)
    { neuron: "ALIF", recurrent: true, hidden: 200, outputs: 3, batch: 40, count: 37, reg: true },
  ] as const;
  for (const [k, c] of cases.entries()) {
    const feedback = k % 2 === 0 ? "symmetric" : "random";
    const thread = k !== 1;
    it(`trains as the stepped network to the bit: ${c.neuron}, ${c.hidden} hidden${c.recurrent ? ", recurrent" : ""}, ${c.outputs} outputs, batch ${c.count} of ${c.batch}, ${feedback} feedback${c.reg ? ", regulariser" : ", no regulariser"}${thread ? "" : ", no trace thread"}`, async () => {
      const description = defineEpropNetwork({
        input: { size: 11 },
        hidden: [
          {
            name: "h",
            size: c.hidden,
            neuron: c.neuron,
            recurrent: c.recurrent,
            refractorySteps: [0, 1, 4, 2, 3][k]!,
            ...(c.neuron === "ALIF"
              ? { beta: Array.from({ length: c.hidden }, (_, j) => (j % 4) * 0.2) }
              : {}),
          },
        ],
        readout: { size: c.outputs },
        feedback,
        regularisation: c.reg ? { strength: 1, targetRateHz: 20, tauMs: 50 } : false,
        seed: 30 + k,
      });
      const trials = [45, 38, 61, 45].map((T, t) =>
        randomTrial(description, c.batch, c.count, T, 100 * k + t),
      );
      const options = { chunkSteps: [16, 7, 10, 64, 16][k]!, traceThread: thread };
      if (k === 4) expect(fusedRunSteps(description, c.batch, options.chunkSteps)).toBe(7);
      const fused = await train(description, trials, { ...options, fusedTraining: true });
      const stepped = await train(description, trials, { ...options, fusedTraining: false });
      expectSameTraining(fused, stepped);
      // The comparison means something only where the hidden layer spikes and learns.
      const spikes = fused.outputs.reduce((sum, o) => sum + o.spikeCounts.h![0]!, 0);
      expect(spikes).toBeGreaterThan(20);
      const initial = scaledParameters(description, 3);
      const trained = Object.entries(initial).filter(
        ([name, values]) => fused.parameters[name]!.join() !== bytes(values).join(),
      );
      // input and readout weights and bias (and the recurrent weights): not the fixed feedback
      expect(trained.length).toBeGreaterThanOrEqual(c.recurrent ? 4 : 3);
    });
  }

  it("is not used where it does not reproduce the network: two hidden layers, per-step eligibility, or asked not to", async () => {
    const single = defineEpropNetwork({
      input: { size: 4 },
      hidden: [{ name: "h", size: 8, neuron: "ALIF", recurrent: true }],
      readout: { size: 2 },
      seed: 1,
    });
    for (const [description, options, expected] of [
      [deepNetwork("symmetric"), { eligibility: "chunked" }, false],
      [single, { eligibility: "perStep" }, false],
      [single, { eligibility: "chunked", fusedTraining: false }, false],
      [single, { eligibility: "chunked" }, true],
    ] as const) {
      const runtime = await EpropRuntime.create(description, {
        backend: cpuBackend(),
        batchSize: 2,
        mode: "train",
        ...options,
      });
      expect(runtime.fusedTraining, JSON.stringify(options)).toBe(expected);
      expect(runtime.fusedInference).toBe(false);
      runtime.dispose();
    }
  });

  it("steps the network while a trial is observed (afterStep), with the same outputs and gradients", async () => {
    const description = defineEpropNetwork({
      input: { size: 6 },
      hidden: [{ name: "h", size: 24, neuron: "ALIF", recurrent: true }],
      readout: { size: 3 },
      seed: 4,
    });
    const trial = randomTrial(description, 2, 2, 30, 9);
    const runtime = await EpropRuntime.create(description, {
      backend: cpuBackend(),
      batchSize: 2,
      mode: "train",
      eligibility: "chunked",
      chunkSteps: 8,
      parameters: scaledParameters(description, 3),
    });
    expect(runtime.fusedTraining).toBe(true);
    let steps = 0;
    const observed = await runtime.runTrial(trial, { afterStep: () => void steps++ });
    const observedGradients = await runtime.readGradients();
    expect(steps).toBe(30);
    const fused = await runtime.runTrial(trial);
    expect(bytes(fused.loss)).toEqual(bytes(observed.loss));
    expect(bytes(fused.spikeCounts.h!)).toEqual(bytes(observed.spikeCounts.h!));
    for (const [name, values] of Object.entries(await runtime.readGradients()))
      expect(bytes(values as Float32Array), name).toEqual(
        bytes(observedGradients[name] as Float32Array),
      );
    runtime.dispose();
  });
});
