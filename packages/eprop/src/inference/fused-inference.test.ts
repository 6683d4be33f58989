import { cpuBackend } from "@snn/backend-cpu";
import { seededRandom, type SpikeEvents } from "@snn/core";
import { describe, expect, it } from "vitest";
import { EpropRuntime, type TrialOutputs } from "../eprop-runtime";
import { defineEpropNetwork, type EpropNetworkDescription, type ParameterSet } from "../index";
import { deepNetwork, scaledParameters } from "../test-support/networks";
import { labelsAndMixedMasks } from "../test-support/tasks";
import { prepareTrial, type PreparedTrial } from "../trial";

// Fused inference (one WebAssembly call per run of steps) must give what stepping the compiled
// network gives, to the bit: loss, both predictions and spike counts, over random networks
// (LIF/ALIF, with and without recurrence, sizes off the kernel's blocks), batch sizes, loss masks,
// trial lengths (a shorter trial after a longer one) and inputs with unsorted and repeated units
// within a step.

/**
 * Random input events of one element: per step each channel at `rate`, units shuffled, some
 * repeated; or with `sorted`, each step's units ascending and once (what binned spike times give:
 * the WebAssembly layout's case, fused-events.ts).
 */
function randomEvents(
  random: ReturnType<typeof seededRandom>,
  T: number,
  channels: number,
  rate: number,
  sorted = false,
): SpikeEvents {
  const steps: number[] = [];
  const units: number[] = [];
  for (let s = 0; s < T; s++) {
    const here: number[] = [];
    for (let i = 0; i < channels; i++) if (random.uniform() < rate) here.push(i);
    if (sorted) {
      for (const unit of here) {
        steps.push(s);
        units.push(unit);
      }
      continue;
    }
    if (here.length > 0 && random.uniform() < 0.3) here.push(here[0]!); // a repeat
    for (let k = here.length - 1; k > 0; k--) {
      const swap = Math.floor(random.uniform() * (k + 1));
      [here[k], here[swap]] = [here[swap]!, here[k]!];
    }
    for (const unit of here) {
      steps.push(s);
      units.push(unit);
    }
  }
  return { steps: Int32Array.from(steps), units: Int32Array.from(units) };
}

function randomTrial(
  description: EpropNetworkDescription,
  batchSize: number,
  count: number,
  T: number,
  seed: number,
  sorted = false,
): PreparedTrial {
  const random = seededRandom(seed);
  const channels = description.input.size;
  // With `sorted`, element 1 alone is shuffled: both layouts in one trial.
  const inputs = Array.from({ length: count }, (_, b) =>
    randomEvents(random, T, channels, 0.15, sorted && b !== 1),
  );
  // Per-element masks: everything, the last quarter, a window in the middle.
  const { labels, lossMask } = labelsAndMixedMasks(
    random,
    description.readout.size,
    count,
    T,
    3 / 4,
  );
  return prepareTrial({ inputs, labels, numSteps: T, lossMask }, description, batchSize);
}

async function runBoth(
  description: EpropNetworkDescription,
  parameters: ParameterSet,
  trials: readonly PreparedTrial[],
): Promise<{ fused: TrialOutputs[]; stepped: TrialOutputs[]; runtime: EpropRuntime }> {
  const batchSize = trials[0]!.inputs.length;
  const make = (fusedInference: boolean) =>
    EpropRuntime.create(description, {
      backend: cpuBackend(),
      batchSize,
      mode: "inference",
      parameters,
      fusedInference,
    });
  const fusedRuntime = await make(true);
  const steppedRuntime = await make(false);
  expect(fusedRuntime.fusedInference).toBe(true);
  expect(steppedRuntime.fusedInference).toBe(false);
  const fused: TrialOutputs[] = [];
  const stepped: TrialOutputs[] = [];
  for (const trial of trials) {
    fused.push(await fusedRuntime.runTrial(trial));
    stepped.push(await steppedRuntime.runTrial(trial));
  }
  steppedRuntime.dispose();
  return { fused, stepped, runtime: fusedRuntime };
}

const bytes = (values: Float64Array | Int32Array): number[] =>
  Array.from(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));

function expectIdentical(fused: TrialOutputs, stepped: TrialOutputs, what: string): void {
  expect(bytes(fused.loss), `${what}: loss`).toEqual(bytes(stepped.loss));
  expect(Array.from(fused.predictions), `${what}: predictions`).toEqual(
    Array.from(stepped.predictions),
  );
  expect(Array.from(fused.readoutSumPredictions), `${what}: readout-sum predictions`).toEqual(
    Array.from(stepped.readoutSumPredictions),
  );
  expect(Object.keys(fused.spikeCounts)).toEqual(Object.keys(stepped.spikeCounts));
  for (const [layer, counts] of Object.entries(stepped.spikeCounts))
    expect(bytes(fused.spikeCounts[layer]!), `${what}: spike counts of ${layer}`).toEqual(
      bytes(counts),
    );
}

describe("fused inference", () => {
  const cases = [
    { neuron: "ALIF" as const, recurrent: true, hidden: 37, outputs: 3, batch: 3, count: 3 },
    { neuron: "ALIF" as const, recurrent: true, hidden: 64, outputs: 10, batch: 5, count: 4 },
    { neuron: "LIF" as const, recurrent: true, hidden: 20, outputs: 7, batch: 2, count: 2 },
    { neuron: "ALIF" as const, recurrent: false, hidden: 16, outputs: 4, batch: 1, count: 1 },
    { neuron: "LIF" as const, recurrent: false, hidden: 5, outputs: 2, batch: 4, count: 4 },
  ];
  for (const [k, c] of cases.entries()) {
    it(`gives the stepped network's outputs to the bit: ${c.neuron}, ${c.hidden} hidden${c.recurrent ? ", recurrent" : ""}, ${c.outputs} outputs, batch ${c.batch}`, async () => {
      const description = defineEpropNetwork({
        input: { size: 11 },
        hidden: [
          {
            name: "h",
            size: c.hidden,
            neuron: c.neuron,
            recurrent: c.recurrent,
            refractorySteps: [0, 1, 4, 2, 3][k]!, // RefracHold 0 .. 3
            ...(c.neuron === "ALIF"
              ? { beta: Array.from({ length: c.hidden }, (_, j) => (j % 4) * 0.2) }
              : {}),
          },
        ],
        readout: { size: c.outputs },
        seed: 10 + k,
      });
      const parameters = scaledParameters(description, 3);
      // The second trial's units ascending within each step (but element 1's), as binned
      // spike times give them.
      const trials = [0, 1, 2].map((t) =>
        randomTrial(description, c.batch, c.count, [40, 54, 33][t]!, 100 * k + t, t === 1),
      );
      const { fused, stepped, runtime } = await runBoth(description, parameters, trials);
      let spikes = 0;
      for (const [t, outputs] of fused.entries()) {
        expectIdentical(outputs, stepped[t]!, `trial ${t}`);
        spikes += outputs.spikeCounts.h!.reduce((x, y) => x + y, 0);
      }
      // The comparison means something only where the hidden layer spikes.
      expect(spikes).toBeGreaterThan(c.count * 10);
      // New parameters reach the fused kernel too.
      const changed = scaledParameters(description, 2);
      await runtime.setParameters(changed);
      const again = await runBoth(description, changed, trials.slice(0, 1));
      expectIdentical(await runtime.runTrial(trials[0]!), again.stepped[0]!, "new parameters");
      expectIdentical(again.fused[0]!, again.stepped[0]!, "new runtime");
      runtime.dispose();
      again.runtime.dispose();
    });
  }

  it("is not used where it does not reproduce the network: two hidden layers, the softmax in the network, training, or asked not to", async () => {
    const deep = deepNetwork("symmetric");
    const single = defineEpropNetwork({
      input: { size: 4 },
      hidden: [{ name: "h", size: 8, neuron: "ALIF", recurrent: true }],
      readout: { size: 2 },
      seed: 1,
    });
    const make = (description: EpropNetworkDescription, options: object) =>
      EpropRuntime.create(description, { backend: cpuBackend(), batchSize: 2, ...options });
    for (const [description, options, expected] of [
      [deep, { mode: "inference" }, false],
      [single, { mode: "inference", readoutSoftmax: "network" }, false],
      [single, { mode: "train" }, false],
      [single, { mode: "inference", fusedInference: false }, false],
      [single, { mode: "inference" }, true],
    ] as const) {
      const runtime = await make(description, options);
      expect(runtime.fusedInference, JSON.stringify(options)).toBe(expected);
      runtime.dispose();
    }
  });

  it("steps the network while a trial is observed (afterStep), with the same outputs", async () => {
    const description = defineEpropNetwork({
      input: { size: 6 },
      hidden: [{ name: "h", size: 24, neuron: "ALIF", recurrent: true }],
      readout: { size: 3 },
      seed: 4,
    });
    const parameters = scaledParameters(description, 3);
    const trial = randomTrial(description, 2, 2, 30, 9);
    const runtime = await EpropRuntime.create(description, {
      backend: cpuBackend(),
      batchSize: 2,
      mode: "inference",
      parameters,
    });
    let steps = 0;
    const observed = await runtime.runTrial(trial, { afterStep: () => void steps++ });
    expect(steps).toBe(30);
    expectIdentical(await runtime.runTrial(trial), observed, "observed");
    runtime.dispose();
  });

  it("rejects bad input events as the network does", async () => {
    const description = defineEpropNetwork({
      input: { size: 4 },
      hidden: [{ name: "h", size: 8, neuron: "LIF", recurrent: true }],
      readout: { size: 2 },
      seed: 1,
    });
    const runtime = await EpropRuntime.create(description, {
      backend: cpuBackend(),
      batchSize: 1,
      mode: "inference",
    });
    const trial = prepareTrial(
      {
        inputs: [{ steps: Int32Array.from([0, 1]), units: Int32Array.from([0, 3]) }],
        labels: Int32Array.from([0]),
        numSteps: 5,
      },
      description,
      1,
    );
    // prepareTrial checks events; a trial changed after it is checked again by the runtime.
    const changed = {
      ...trial,
      inputs: [{ steps: Int32Array.from([1, 0]), units: Int32Array.from([0, 1]) }],
    };
    await expect(runtime.runTrial(changed)).rejects.toThrow(/sorted ascending/);
    runtime.dispose();
  });
});
