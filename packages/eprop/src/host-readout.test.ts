import { describe, expect, it } from "vitest";
import { cpuBackend } from "@snn/backend-cpu";
import { EpropRuntime, type TrialOutputs } from "./eprop-runtime";
import type { EpropNetworkDescription, ParameterSet } from "./index";
import { deepNetwork, maskedTrialData, scaledParameters, toEvents } from "./test-support/networks";
import { prepareTrial, type PreparedTrial } from "./trial";

// Inference computes the readout's softmax on the host from y by default on the CPU
// (host-readout.ts, with the rule of chunked training: readout-softmax.ts). These tests hold it
// to the softmax in the network (`readoutSoftmax: 'network'`, what WebGPU inference runs).

async function infer(
  description: EpropNetworkDescription,
  parameters: ParameterSet,
  trial: PreparedTrial,
  readoutSoftmax: "host" | "network",
  observe: boolean,
): Promise<{ outputs: TrialOutputs; pi: Float32Array[]; steps: number }> {
  const session = await EpropRuntime.create(description, {
    backend: cpuBackend(),
    batchSize: trial.inputs.length,
    mode: "inference",
    parameters,
    readoutSoftmax,
  });
  expect(session.layout.readoutSoftmax).toBe(readoutSoftmax);
  const pi: Float32Array[] = [];
  let steps = 0;
  const afterStep = async (s: number) => {
    steps++;
    if (s < trial.numSteps)
      pi.push(Float32Array.from(await session.runtime.readVar(description.readout.name, "Pi")));
  };
  const outputs = await session.runTrial(trial, observe ? { afterStep } : {});
  session.dispose();
  return { outputs, pi, steps };
}

function maskedTrial(description: EpropNetworkDescription): PreparedTrial {
  const { T, inputs, masks, labels } = maskedTrialData();
  return prepareTrial(
    {
      inputs: inputs.map(toEvents),
      labels: Int32Array.from(labels),
      numSteps: T,
      lossMask: Float32Array.from(masks.flat()),
    },
    description,
    4,
  );
}

describe("inference with the softmax on the host", () => {
  it("is the CPU default and gives the network form's loss, predictions, spike counts and pi(s-1) after every step (per-element masks, padded batch)", async () => {
    const description = deepNetwork("symmetric");
    const parameters = scaledParameters(description, 2.5);
    const trial = maskedTrial(description);
    const session = await EpropRuntime.create(description, {
      backend: cpuBackend(),
      batchSize: 4,
      mode: "inference",
    });
    expect(session.layout.readoutSoftmax).toBe("host");
    session.dispose();
    const network = await infer(description, parameters, trial, "network", true);
    const host = await infer(description, parameters, trial, "host", true);
    expect(host.steps).toBe(trial.numSteps); // T steps, not T + 1
    expect(network.steps).toBe(trial.numSteps + 1);
    expect(host.outputs.spikeCounts).toEqual(network.outputs.spikeCounts);
    for (let b = 0; b < 3; b++) {
      expect(host.outputs.loss[b]).toBeGreaterThan(0);
      expect(host.outputs.loss[b]! / network.outputs.loss[b]!, `loss ${b}`).toBeCloseTo(1, 6);
    }
    expect(host.outputs.loss[3]).toBe(0);
    expect(Array.from(host.outputs.predictions)).toEqual(Array.from(network.outputs.predictions));
    expect(Array.from(host.outputs.readoutSumPredictions)).toEqual(
      Array.from(network.outputs.readoutSumPredictions),
    );
    for (let s = 1; s < trial.numSteps; s++) {
      const a = host.pi[s]!;
      const b = network.pi[s]!;
      for (let i = 0; i < a.length; i++)
        expect(Math.abs(a[i]! - b[i]!), `pi(${s - 1})[${i}]`).toBeLessThan(1e-6);
    }
    // Observing does not change anything.
    const unobserved = await infer(description, parameters, trial, "host", false);
    expect(Array.from(unobserved.outputs.loss)).toEqual(Array.from(host.outputs.loss));
    expect(Array.from(unobserved.outputs.predictions)).toEqual(
      Array.from(host.outputs.predictions),
    );
  });

  it("counts a step where a wrong output leads by more than the cap as the network form does (about 80), and logits near 1000 give the same loss", async () => {
    const description = deepNetwork("symmetric");
    const trial = maskedTrial(description);
    for (const bias of [
      Float32Array.of(0, 0, 8), // y_2 - y_k ~ 8 / (1 - kappa) ~ 170 > 80 by the end
      Float32Array.of(100.5, 100, 99.6), // y ~ 1000, the classes O(1) apart
    ]) {
      const parameters = { ...scaledParameters(description, 2.5), "output.bias": bias };
      const network = await infer(description, parameters, trial, "network", false);
      const host = await infer(description, parameters, trial, "host", false);
      for (let b = 0; b < 3; b++) {
        const [actual, expected] = [host.outputs.loss[b]!, network.outputs.loss[b]!];
        expect(Number.isFinite(actual)).toBe(true);
        // float32 rounding of the network form: relative, or absolute for a loss near 0
        expect(Math.abs(actual - expected), `loss ${b}`).toBeLessThan(1e-6 * Math.max(1, expected));
      }
      // Element 1 (label 0, the last 10 steps) trails output 2 by more than 80 there.
      if (bias[2] === 8) expect(host.outputs.loss[1]).toBeCloseTo(10 * 80, 3);
      expect(Array.from(host.outputs.predictions)).toEqual(Array.from(network.outputs.predictions));
    }
  });
});
