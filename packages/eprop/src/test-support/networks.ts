/** Networks, inputs and comparisons shared by the e-prop pass tests. */
import { seededRandom, type SpikeEvents } from "@snn/core";
import {
  defineEpropNetwork,
  initialParameters,
  type EpropNetworkDescription,
  type ParameterSet,
} from "../index";

export function randomInputs(
  batch: number,
  steps: number,
  channels: number,
  rate: number,
  seed: number,
): number[][][] {
  const random = seededRandom(seed);
  return Array.from({ length: batch }, () =>
    Array.from({ length: steps }, () =>
      Array.from({ length: channels }, () => (random.uniform() < rate ? 1 : 0)),
    ),
  );
}

export function toEvents(input: number[][]): SpikeEvents {
  const steps: number[] = [];
  const units: number[] = [];
  input.forEach((row, s) =>
    row.forEach((x, i) => {
      if (x) {
        steps.push(s);
        units.push(i);
      }
    }),
  );
  return { steps: Int32Array.from(steps), units: Int32Array.from(units) };
}

export function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let diff = 0;
  let max = 0;
  for (let i = 0; i < expected.length; i++) {
    diff = Math.max(diff, Math.abs(actual[i]! - expected[i]!));
    max = Math.max(max, Math.abs(expected[i]!));
  }
  return max > 0 ? diff / max : diff;
}

/** Two hidden layers (ALIF with mixed beta and refractoriness; LIF fed by the input and the first layer), regulariser on. */
export function deepNetwork(feedback: "symmetric" | "random"): EpropNetworkDescription {
  return defineEpropNetwork({
    input: { size: 10 },
    hidden: [
      {
        name: "first",
        size: 8,
        neuron: "ALIF",
        beta: [0, 0.3, 0.3, 0, 0.5, 0.2, 0.3, 0.1],
        tauAdaptMs: 100,
        refractorySteps: 3,
      },
      {
        name: "second",
        size: 6,
        neuron: "LIF",
        inputs: ["input", "first"],
        refractorySteps: 2,
        tauMemMs: 15,
      },
    ],
    readout: {
      size: 3,
      inputs: feedback === "symmetric" ? ["first", "second"] : ["second"],
      tauOutMs: 10,
    },
    feedback,
    regularisation: { strength: 1, targetRateHz: 20, tauMs: 50 },
    seed: 21,
  });
}

export function scaledParameters(
  description: EpropNetworkDescription,
  scale: number,
): ParameterSet {
  const p = initialParameters(description);
  for (const [name, values] of Object.entries(p))
    if (!name.endsWith(".feedback")) for (let i = 0; i < values.length; i++) values[i]! *= scale;
  return p;
}

/** Three trials of 40 steps for the deep network: random input, and masks on every step, the last 10 steps, and steps 10..24. */
export function maskedTrialData(): {
  T: number;
  inputs: number[][][];
  masks: number[][];
  labels: number[];
} {
  const T = 40;
  return {
    T,
    inputs: randomInputs(3, T, 10, 0.15, 7),
    masks: [
      Array.from({ length: T }, () => 1),
      Array.from({ length: T }, (_, t) => (t >= T - 10 ? 1 : 0)),
      Array.from({ length: T }, (_, t) => (t >= 10 && t < 25 ? 1 : 0)),
    ],
    labels: [2, 0, 1],
  };
}

/** Dense spikes: the input at 85 % and hidden layers without refractoriness driven by positive input weights (several blocks each). */
export function denseNetwork(): EpropNetworkDescription {
  return defineEpropNetwork({
    input: { size: 24 },
    hidden: [
      {
        name: "first",
        size: 40,
        neuron: "ALIF",
        recurrent: true,
        tauAdaptMs: 100,
        refractorySteps: 0,
        beta: 0.05,
      },
      { name: "second", size: 20, neuron: "LIF", inputs: ["input", "first"], refractorySteps: 0 },
    ],
    readout: { size: 3, inputs: ["first", "second"] },
    regularisation: { strength: 1, targetRateHz: 20, tauMs: 50 },
    seed: 9,
  });
}

/** Parameters for {@link denseNetwork} that drive its hidden neurons most steps (below saturation: psi not 0): positive input weights. */
export function denseParameters(description: EpropNetworkDescription): ParameterSet {
  const parameters = scaledParameters(description, 1);
  for (const [name, values] of Object.entries(parameters))
    if (name.startsWith("input"))
      for (let i = 0; i < values.length; i++) values[i] = 0.5 * Math.abs(values[i]!);
  return parameters;
}
