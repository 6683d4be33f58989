import { cpuBackend } from "@snn/backend-cpu";
import type { Backend } from "@snn/core";
import { describe, expect, it } from "vitest";
import { EpropConfigError, Trainer, type BatchPrediction, type EpropBatch } from "./index";
import { setTrainWorkerEntry } from "./parallel/worker-threads";
import { patternTask } from "./test-support/tasks";

// Evaluation in several threads (`threads > 1`: the batches over inference workers) must give
// what one thread gives: the same metrics and per-batch predictions, to the bit, in batch order.
// The workers run the TypeScript sources through parallel/from-sources/train-worker.mjs (the
// entry parallel/worker-threads.ts picks where it runs from its source).

const network = {
  input: { size: 12 },
  hidden: [
    { name: "h0", size: 14, neuron: "ALIF" as const, recurrent: true },
    { name: "h1", size: 9, neuron: "LIF" as const },
  ],
  readout: { size: 3, inputs: ["h0", "h1"] },
  seed: 5,
};
// 10 examples in batches of 4: batches of 4, 4 and 2 (a last batch smaller than the others).
const dataset = patternTask({
  numChannels: 12,
  numClasses: 3,
  numSteps: 30,
  examples: 10,
  seed: 3,
  rate: 0.08,
});

/** The dataset's batches of `batchSize`, in order. */
async function batchesOf(batchSize: number): Promise<EpropBatch[]> {
  const out: EpropBatch[] = [];
  for await (const batch of dataset.batches({ batchSize, dt: 1 })) out.push(batch);
  return out;
}

/** Predictions without where and how long they ran. */
function results(
  predictions: readonly BatchPrediction[],
): Omit<BatchPrediction, "ms" | "thread">[] {
  return predictions.map(({ ms: _, thread: __, ...rest }) => rest);
}

function trainer(): Trainer {
  return new Trainer({ network, backend: cpuBackend(), optimizer: { learningRate: 0.05 } });
}

describe("Trainer.evaluate and predictBatches in threads", () => {
  it("gives the metrics and predictions of one thread, in batch order, with trained parameters", async () => {
    const t = trainer();
    try {
      // trained parameters, not the seeded ones a worker would start from
      await t.train(dataset, { epochs: 1, batchSize: 4, shuffleSeed: 1 });
      const single = await t.evaluate(dataset, { batchSize: 4, threads: 1 });
      const two = await t.evaluate(dataset, { batchSize: 4, threads: 2 });
      const three = await t.evaluate(dataset, { batchSize: 4, threads: 3 });
      expect(single.examples).toBe(10);
      expect(two).toEqual(single);
      expect(three).toEqual(single);

      const batches = await batchesOf(4);
      const one = await t.predictBatches(batches, { threads: 1 });
      const seen: number[] = [];
      const parallel = await t.predictBatches(batches, {
        threads: 2,
        onBatch: (p) => void seen.push(p.batch),
      });
      expect(one.map((p) => p.labels.length)).toEqual([4, 4, 2]);
      expect(results(parallel)).toEqual(results(one));
      expect(seen).toEqual([0, 1, 2]);
      expect(one.every((p) => p.thread === 0)).toBe(true);
      expect(new Set(parallel.map((p) => p.thread))).toEqual(new Set([0, 1]));
      // the batches differ, so batch order matters
      expect(results(one)[0]).not.toEqual(results(one)[1]);

      // the workers stay for the next call, which sends them the parameters of then
      await t.train(dataset, { epochs: 2, batchSize: 4, shuffleSeed: 1 });
      const later = await t.evaluate(dataset, { batchSize: 4, threads: 1 });
      expect(later).not.toEqual(single);
      expect(await t.evaluate(dataset, { batchSize: 4, threads: 2 })).toEqual(later);
      expect(results(await t.predictBatches(batches, { threads: 2 }))).toEqual(
        results(await t.predictBatches(batches, { threads: 1 })),
      );
    } finally {
      t.dispose();
    }
  });

  it("predicts as predict does, one batch at a time, and runs a single batch in the calling thread", async () => {
    const t = trainer();
    try {
      // batches of 4, 4 and 2: the last padded here, a runtime of 2 in predict
      const batches = await batchesOf(4);
      const many = await t.predictBatches(batches, { threads: 2 });
      for (const [k, batch] of batches.entries()) {
        const one = await t.predict(batch);
        expect(many[k]!.classes).toEqual(one.classes);
        expect(many[k]!.readoutSumClasses).toEqual(one.readoutSumClasses);
        expect(many[k]!.loss).toEqual(one.loss);
      }
      const single = await t.predictBatches(batches.slice(0, 1), { threads: 2 });
      expect(single[0]!.thread).toBe(0);
      expect(results(single)).toEqual(results(many.slice(0, 1)));
      // no labels: zeros, as predict
      const unlabelled = { ...batches[0]!, labels: new Int32Array(0) };
      const [p] = await t.predictBatches([unlabelled, unlabelled], { threads: 2 });
      expect(p!.labels).toEqual(new Int32Array(4));
      expect(p!.classes).toEqual(many[0]!.classes);
      expect(await t.predictBatches([], { threads: 2 })).toEqual([]);
    } finally {
      t.dispose();
    }
  });

  it("rejects a bad threads value, and threads > 1 on a backend that cannot be made in a worker", async () => {
    const t = trainer();
    try {
      for (const threads of [0, -1, 1.5, 65, Number.NaN, "2" as unknown as number]) {
        const message = `threads must be an integer from 1 to 64 (1: no worker threads), got ${String(threads)}.`;
        await expect(t.evaluate(dataset, { batchSize: 4, threads })).rejects.toThrow(
          new EpropConfigError(message),
        );
        await expect(t.predictBatches(await batchesOf(4), { threads })).rejects.toThrow(
          new EpropConfigError(message),
        );
      }
      await expect(t.predictBatches(3 as unknown as EpropBatch[])).rejects.toThrow(
        /give the batches as an array or an iterable/,
      );
    } finally {
      t.dispose();
    }
    const cpu = cpuBackend();
    const backend: Backend = {
      name: "cpu-in-one-thread",
      interfaceVersion: cpu.interfaceVersion,
      isAvailable: cpu.isAvailable,
      compile: cpu.compile,
    };
    const single = new Trainer({ network, backend });
    try {
      await expect(single.evaluate(dataset, { batchSize: 4, threads: 2 })).rejects.toThrow(
        /threads: 2 needs a backend that can be made again in a worker thread .*the cpu-in-one-thread backend cannot/,
      );
      // by default such a backend evaluates in the calling thread
      expect((await single.evaluate(dataset, { batchSize: 4 })).examples).toBe(10);
    } finally {
      single.dispose();
    }
  });

  it("runs in the calling thread by default where workers cannot start, and says so when threads were asked for", async () => {
    const reference = trainer();
    const expected = await reference.evaluate(dataset, { batchSize: 4, threads: 1 });
    reference.dispose();
    setTrainWorkerEntry(new URL("./test-support/no-such-worker.mjs", import.meta.url));
    const t = trainer();
    try {
      await expect(t.evaluate(dataset, { batchSize: 4, threads: 2 })).rejects.toThrow(
        /inference worker thread \d failed: Error: Cannot find module .*no-such-worker\.mjs/,
      );
      expect(await t.evaluate(dataset, { batchSize: 4 })).toEqual(expected);
      const predictions = await t.predictBatches(await batchesOf(4));
      expect(predictions.map((p) => p.thread)).toEqual([0, 0, 0]);
    } finally {
      setTrainWorkerEntry(null);
      t.dispose();
    }
  });
});
