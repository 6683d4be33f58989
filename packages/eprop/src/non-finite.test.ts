import { describe, expect, it } from "vitest";
import { cpuBackend } from "@snn/backend-cpu";
import { defineEpropNetwork, NonFiniteStateError, Trainer } from "./index";
import { patternTask } from "./test-support/tasks";

const network = defineEpropNetwork({
  input: { size: 12 },
  hidden: [{ name: "hidden", size: 10, neuron: "ALIF" }],
  readout: { size: 2 },
  seed: 5,
});
const dataset = patternTask({
  numChannels: 12,
  numClasses: 2,
  numSteps: 25,
  examples: 16,
  seed: 9,
});

describe("non-finite state in training", () => {
  it("a diverging run (learning rate 1e30) stops with the population, variable and step that went non-finite", async () => {
    const trainer = new Trainer({
      network,
      backend: cpuBackend(),
      optimizer: { learningRate: 1e30 },
    });
    try {
      const error = await trainer.train(dataset, { epochs: 5, batchSize: 4, shuffleSeed: 1 }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(NonFiniteStateError);
      const { location } = error as NonFiniteStateError;
      expect(["hidden", "output"]).toContain(location.population);
      expect(["V", "A", "Y", "loss"]).toContain(location.variable);
      expect(Number.isFinite(location.value)).toBe(false);
      expect(location.step).toBeGreaterThanOrEqual(0);
      expect(location.step).toBeLessThan(25);
      expect((error as Error).message).toMatch(
        new RegExp(
          `^Training diverged in epoch \\d+, batch \\d+: variable '${location.variable}' of population '${location.population}' became (NaN|-?Infinity) at step ${location.step} of the trial\\. Lower the learning rate`,
        ),
      );
    } finally {
      trainer.dispose();
    }
  });

  it("a normal run passes the check", async () => {
    const trainer = new Trainer({
      network,
      backend: cpuBackend(),
      optimizer: { learningRate: 0.005 },
    });
    try {
      const history = await trainer.train(dataset, { epochs: 1, batchSize: 4, shuffleSeed: 1 });
      expect(history).toHaveLength(1);
      expect(Number.isFinite(history[0]!.loss)).toBe(true);
    } finally {
      trainer.dispose();
    }
  });
});
