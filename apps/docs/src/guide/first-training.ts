// Your first training: an LSNN learns with e-prop which of two groups of input channels fired.
import type { Backend } from "@snn/core";
import { Trainer, inMemoryDataset, type InMemoryExample } from "@snn/eprop";

/** 40-step trials on 10 channels: class 0 fires on channels 0-4, class 1 on channels 5-9. */
function twoGroups(count: number): InMemoryExample[] {
  return Array.from({ length: count }, (_, e) => {
    const label = e % 2;
    const steps: number[] = [];
    const units: number[] = [];
    for (let s = 0; s < 20; s += 2 + (e % 3)) {
      for (let c = 0; c < 5; c++) {
        steps.push(s);
        units.push(label * 5 + c);
      }
    }
    return { input: { steps: Int32Array.from(steps), units: Int32Array.from(units) }, label };
  });
}

export async function firstTraining(backend: Backend) {
  const dataset = inMemoryDataset({
    numChannels: 10,
    numClasses: 2,
    numSteps: 40,
    examples: twoGroups(32),
  });
  const trainer = new Trainer({
    network: {
      dt: 1,
      seed: 1,
      input: { size: 10 },
      hidden: [{ name: "hidden", size: 32, neuron: "ALIF" }],
      readout: { size: 2 },
    },
    backend,
    optimizer: { learningRate: 0.01 },
    lossMask: { lastSteps: 10 }, // the answer counts in the last 10 steps
  });
  try {
    const losses: number[] = [];
    await trainer.train(dataset, {
      epochs: 5,
      batchSize: 8,
      shuffleSeed: 1,
      callbacks: { onBatchEnd: (metrics) => void losses.push(metrics.loss) },
    });
    const test = await trainer.evaluate(
      inMemoryDataset({ numChannels: 10, numClasses: 2, numSteps: 40, examples: twoGroups(16) }),
      { batchSize: 8 },
    );
    // In Node, `await trainer.saveCheckpoint("first.safetensors")` keeps what was learned.
    return { losses, accuracy: test.accuracy, checkpoint: await trainer.encodeCheckpoint() };
  } finally {
    trainer.dispose();
  }
}
