import { describe, expect, it } from "vitest";
import { cpuBackend } from "@snn/backend-cpu";
import { Trainer } from "./index";
import { patternTask } from "./test-support/tasks";

// Delayed pattern classification: three classes of frozen spike patterns (20 channels, with
// dropped and added noise spikes) in steps 0-29, silence in steps 30-59, loss on the last
// 10 steps only, so the network has to hold the class for 20 steps. Chance is 1/3.
const task = { numChannels: 20, numClasses: 3, numSteps: 60, patternSteps: 30 };
const trainSet = patternTask({ ...task, examples: 96, seed: 1 });
const testSet = patternTask({ ...task, examples: 60, seed: 1 }); // same templates, fresh noise

function makeTrainer(feedback: "symmetric" | "random"): Trainer {
  return new Trainer({
    network: {
      input: { size: 20 },
      hidden: [{ name: "hidden", size: 32, neuron: "ALIF" }],
      readout: { size: 3 },
      feedback,
      seed: 3,
    },
    backend: cpuBackend(),
    optimizer: { learningRate: 0.01 },
    lossMask: { lastSteps: 10 },
  });
}

describe("learning on the CPU backend", () => {
  it("an ALIF LSNN goes from chance to at least 90 % test accuracy within 36 batches (symmetric e-prop)", async () => {
    const trainer = makeTrainer("symmetric");
    const before = await trainer.evaluate(testSet, { batchSize: 30 });
    expect(before.accuracy).toBeLessThan(0.5);
    const losses: number[] = [];
    const epochs = await trainer.train(trainSet, {
      epochs: 6,
      batchSize: 16,
      shuffleSeed: 2,
      callbacks: { onBatchEnd: (m) => void losses.push(m.loss) },
    });
    expect(epochs).toHaveLength(6);
    expect(losses).toHaveLength(36);
    expect(trainer.progress).toEqual({ epoch: 6, batchInEpoch: 0, optimizerSteps: 36 });
    const after = await trainer.evaluate(testSet, { batchSize: 30 });
    expect(after.accuracy).toBeGreaterThanOrEqual(0.9);
    expect(after.loss).toBeLessThan(before.loss / 3);
    expect(after.firingRatesHz.hidden).toBeGreaterThan(0);
    trainer.dispose();
  });

  it("random feedback also learns the task (at least 80 % within 36 batches)", async () => {
    const trainer = makeTrainer("random");
    const before = await trainer.evaluate(testSet, { batchSize: 30 });
    await trainer.train(trainSet, { epochs: 6, batchSize: 16, shuffleSeed: 2 });
    const after = await trainer.evaluate(testSet, { batchSize: 30 });
    expect(before.accuracy).toBeLessThan(0.5);
    expect(after.accuracy).toBeGreaterThanOrEqual(0.8);
    trainer.dispose();
  });
});
