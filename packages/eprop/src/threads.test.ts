import { cpuBackend } from "@snn/backend-cpu";
import type { Backend } from "@snn/core";
import { describe, expect, it } from "vitest";
import {
  EpropBatchError,
  EpropConfigError,
  NonFiniteStateError,
  Trainer,
  type BatchMetrics,
  type EpochMetrics,
  type ParameterSet,
  type TrainerOptions,
} from "./index";
import { fromFailure, toFailure } from "./parallel/protocol";
import { patternTask } from "./test-support/tasks";

// Data-parallel training (threads > 1) must train exactly as one thread with the same
// micro-batches: the same parameters and Adam state to the bit, the same metrics.

// The workers run the TypeScript sources through the entry that parallel/worker-threads.ts
// picks where it runs from its source (parallel/from-sources/train-worker.mjs).

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
const numSteps = 30;
// 10 examples in batches of 4: batches of 4, 4 and 2 (a last batch smaller than the others).
const dataset = patternTask({
  numChannels: 12,
  numClasses: 3,
  numSteps,
  examples: 10,
  seed: 3,
  rate: 0.08,
});

interface Run {
  readonly parameters: ParameterSet;
  readonly optimizer: { step: number; m: ParameterSet; v: ParameterSet };
  readonly batches: Omit<BatchMetrics, "seconds">[];
  readonly epochs: Omit<EpochMetrics, "seconds">[];
}

async function train(
  options: Partial<TrainerOptions>,
  run: { threads?: number; microBatchSize?: number; epochs?: number },
  trainer = new Trainer({
    network,
    backend: cpuBackend(),
    optimizer: { learningRate: 0.01 },
    ...options,
  }),
): Promise<Run> {
  const batches: Omit<BatchMetrics, "seconds">[] = [];
  try {
    const history = await trainer.train(dataset, {
      epochs: run.epochs ?? 2,
      batchSize: 4,
      shuffleSeed: 7,
      ...(run.threads !== undefined ? { threads: run.threads } : {}),
      ...(run.microBatchSize !== undefined ? { microBatchSize: run.microBatchSize } : {}),
      callbacks: {
        onBatchEnd: ({ seconds: _, ...metrics }) => void batches.push(metrics),
      },
    });
    const checkpoint = await trainer.checkpoint();
    return {
      parameters: checkpoint.parameters,
      optimizer: checkpoint.optimizer,
      batches,
      epochs: history.map(({ seconds: _, ...metrics }) => metrics),
    };
  } finally {
    trainer.dispose();
  }
}

describe("Trainer threads (data-parallel training)", () => {
  for (const eligibility of ["chunked", "perStep"] as const) {
    it(`threads 2 equals threads 1 with micro-batches of half the batch, bit for bit (${eligibility})`, async () => {
      const single = await train({ eligibility }, { microBatchSize: 2 });
      const parallel = await train({ eligibility }, { threads: 2 });
      expect(parallel.batches.length).toBe(6);
      expect(parallel.optimizer.step).toBe(6);
      expect(parallel.parameters).toEqual(single.parameters);
      expect(parallel.optimizer).toEqual(single.optimizer);
      expect(parallel.batches).toEqual(single.batches);
      expect(parallel.epochs).toEqual(single.epochs);
      // it trained: the parameters moved
      const initial = await new Trainer({ network, backend: cpuBackend() }).getParameters();
      expect(parallel.parameters).not.toEqual(initial);
    });
  }

  it("shares uneven micro-batches over more threads, and trace threads do not change the result", async () => {
    // batch 4 in micro-batches of 1 over 3 threads: runs of 1, 1 and 2 micro-batches (last batch: 2)
    const single = await train({}, { microBatchSize: 1, epochs: 1 });
    const parallel = await train(
      { traceThread: true },
      { threads: 3, microBatchSize: 1, epochs: 1 },
    );
    expect(parallel.parameters).toEqual(single.parameters);
    expect(parallel.optimizer).toEqual(single.optimizer);
    expect(parallel.batches).toEqual(single.batches);
  });

  it("resumes from a checkpoint taken in threaded training exactly", async () => {
    const straight = await train({}, { microBatchSize: 2 });
    const first = new Trainer({
      network,
      backend: cpuBackend(),
      optimizer: { learningRate: 0.01 },
    });
    let bytes: Uint8Array | undefined;
    await first.train(dataset, {
      epochs: 2,
      batchSize: 4,
      shuffleSeed: 7,
      threads: 2,
      callbacks: {
        onBatchEnd: async (metrics, trainer) => {
          if (metrics.epoch === 0 && metrics.batch === 1) {
            bytes = await trainer.encodeCheckpoint();
            trainer.stop();
          }
        },
      },
    });
    first.dispose();
    const resumed = await Trainer.fromCheckpoint(bytes!, { backend: cpuBackend() });
    const rest = await train({}, { threads: 2 }, resumed);
    expect(rest.parameters).toEqual(straight.parameters);
    expect(rest.optimizer).toEqual(straight.optimizer);
    expect(rest.batches).toEqual(straight.batches.slice(2));
  });

  it("rejects a bad threads value with a clear error", async () => {
    const trainer = new Trainer({ network, backend: cpuBackend() });
    try {
      for (const threads of [0, -1, 1.5, 65, Number.NaN, "2" as unknown as number]) {
        await expect(trainer.train(dataset, { epochs: 1, batchSize: 4, threads })).rejects.toThrow(
          new EpropConfigError(
            `threads must be an integer from 1 to 64 (1: no worker threads), got ${String(threads)}.`,
          ),
        );
      }
      expect(trainer.progress.optimizerSteps).toBe(0);
    } finally {
      trainer.dispose();
    }
  });

  it("says which backends cannot train in several threads", async () => {
    const cpu = cpuBackend();
    const backend: Backend = {
      name: "cpu-in-one-thread",
      interfaceVersion: cpu.interfaceVersion,
      isAvailable: cpu.isAvailable,
      compile: cpu.compile,
    };
    const trainer = new Trainer({ network, backend });
    try {
      await expect(trainer.train(dataset, { epochs: 1, batchSize: 4, threads: 2 })).rejects.toThrow(
        /threads: 2 needs a backend that can be made again in a worker thread .*the cpu-in-one-thread backend cannot/,
      );
    } finally {
      trainer.dispose();
    }
  });

  it("carries e-prop's errors across threads with their class", () => {
    const location = { population: "h0", variable: "V", value: Number.NaN, step: 3 };
    const nonFinite = fromFailure(toFailure(new NonFiniteStateError("diverged", location)), "x");
    expect(nonFinite).toBeInstanceOf(NonFiniteStateError);
    expect((nonFinite as NonFiniteStateError).location).toEqual(location);
    expect(fromFailure(toFailure(new EpropBatchError("bad")), "x")).toBeInstanceOf(EpropBatchError);
    expect(fromFailure(toFailure(new Error("boom")), "worker 1").message).toMatch(
      /^worker 1: Error: boom/,
    );
  });
});
