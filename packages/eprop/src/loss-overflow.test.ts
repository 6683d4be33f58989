/**
 * Regression: the evaluation loss stays finite when the readout's softmax overflows float32
 * outside the loss window. exp(y_j - y_k) > 3.4e38 there made the compiled readout add
 * 0 * Infinity = NaN to its loss (every long sMNIST run reported a NaN test loss).
 */
import { cpuBackend } from "@snn/backend-cpu";
import { describe, expect, it } from "vitest";
import { inMemoryDataset } from "./in-memory-dataset";
import { Trainer } from "./trainer";

/** One input, one LIF neuron, two readouts, loss on the last 10 of 300 steps; label 1. */
function tinyTrainer(
  inputSpikeSteps: readonly number[],
  parameters: Record<string, Float32Array>,
): { trainer: Trainer; dataset: ReturnType<typeof inMemoryDataset> } {
  const dataset = inMemoryDataset({
    numChannels: 1,
    numClasses: 2,
    numSteps: 300,
    examples: [
      {
        input: {
          steps: Int32Array.from(inputSpikeSteps),
          units: new Int32Array(inputSpikeSteps.length),
        },
        label: 1,
      },
    ],
  });
  const trainer = new Trainer({
    network: {
      dt: 1,
      input: { size: 1 },
      hidden: [{ name: "hidden", size: 1, neuron: "LIF", recurrent: false }],
      readout: { name: "output", size: 2 },
      regularisation: false,
    },
    backend: cpuBackend(),
    lossMask: { lastSteps: 10 },
    parameters,
  });
  return { trainer, dataset };
}

describe("evaluation loss with a softmax that overflows outside the loss window", () => {
  it("is finite, and equals the loss of the window alone", async () => {
    // Input 0 fires at step 0 and drives hidden neuron 0, whose spike sends readout 0 to y ~ 1000;
    // y decays with tau_out = 20 ms, so by the window (the last 10 steps) it is back near 0.
    const { trainer, dataset } = tinyTrainer([0], {
      "input->hidden": Float32Array.of(10),
      "hidden->output": Float32Array.of(1000, 0),
      "output.bias": Float32Array.of(0, 0),
    });
    try {
      const metrics = await trainer.evaluate(dataset, { batchSize: 1 });
      expect(Number.isFinite(metrics.loss)).toBe(true);
      // In the window y_0 has decayed to a few units at most and y_1 = 0: each of the 10 steps adds
      // log(1 + exp(y_0 - y_1)), at least log 2.
      expect(metrics.loss).toBeGreaterThan(10 * Math.log(2) - 1e-4);
      expect(metrics.loss).toBeLessThan(10 * Math.log(2) + 0.5);
    } finally {
      trainer.dispose();
    }
  });

  it("is finite where a wrong output leads by more than float32's exp can hold, inside the window", async () => {
    // Regression: a trained sMNIST network, very sure of a wrong digit, made exp(y_0 - y_1) = Infinity
    // in the window, the test loss Infinity, and `snn train` stop a healthy run as diverged.
    // A bias of 10 drives y_0 towards 10 / (1 - kappa), about 200, against y_1 = 0.
    const { trainer, dataset } = tinyTrainer([], {
      "input->hidden": Float32Array.of(0),
      "hidden->output": Float32Array.of(0, 0),
      "output.bias": Float32Array.of(10, 0),
    });
    try {
      const metrics = await trainer.evaluate(dataset, { batchSize: 1 });
      expect(metrics.accuracy).toBe(0);
      expect(Number.isFinite(metrics.loss)).toBe(true);
      // Each of the 10 window steps counts log(1 + exp(80)), about 80 (the cap), not the margin of ~200.
      expect(metrics.loss).toBeGreaterThan(10 * 79.9);
      expect(metrics.loss).toBeLessThan(10 * 80.1);
    } finally {
      trainer.dispose();
    }
  });
});
