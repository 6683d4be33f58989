import { seededRandom, type SpikeEvents } from "@snn/core";
import { EpropBatchError } from "./errors";
import type { DatasetBatchOptions, EpropDataset } from "./dataset";
import type { EpropBatch } from "./trial";

/** One example of an in-memory dataset: input spikes (steps ascending) and its class. */
export interface InMemoryExample {
  readonly input: SpikeEvents;
  readonly label: number;
}

export interface InMemoryDatasetOptions {
  readonly numChannels: number;
  readonly numClasses: number;
  /** Trial length in steps (every event must be earlier). */
  readonly numSteps: number;
  readonly examples: readonly InMemoryExample[];
  /** `[numSteps]` 0/1 loss mask attached to every batch (an answer window). */
  readonly lossMask?: Float32Array;
}

/**
 * A dataset held in memory, for examples, tests and small tasks. `batches` visits the
 * examples in order, or shuffled reproducibly from `shuffleSeed` and `epoch`; the last batch
 * may be smaller.
 */
export function inMemoryDataset(
  options: InMemoryDatasetOptions,
): EpropDataset & { readonly size: number } {
  if (typeof options !== "object" || options === null) {
    throw new EpropBatchError(
      "inMemoryDataset needs options: { numChannels, numClasses, numSteps, examples: [{ input, label }, ...] }.",
    );
  }
  const { numChannels, numClasses, numSteps, examples, lossMask } = options;
  for (const [name, value] of [
    ["numChannels", numChannels],
    ["numClasses", numClasses],
  ] as const) {
    if (!Number.isInteger(value) || value < 1)
      throw new EpropBatchError(`${name} must be a positive integer, got ${String(value)}.`);
  }
  if (!Number.isInteger(numSteps) || numSteps < 1)
    throw new EpropBatchError(`numSteps must be a positive integer, got ${String(numSteps)}.`);
  if (!Array.isArray(examples) || examples.length === 0)
    throw new EpropBatchError("inMemoryDataset needs at least one example.");
  if (lossMask !== undefined && lossMask.length !== numSteps) {
    throw new EpropBatchError(
      `lossMask has ${lossMask.length} values but trials have ${numSteps} steps.`,
    );
  }
  examples.forEach((e, i) => {
    if (!Number.isInteger(e.label) || e.label < 0 || e.label >= numClasses) {
      throw new EpropBatchError(
        `Example ${i} has label ${String(e.label)}, outside 0..${numClasses - 1}.`,
      );
    }
  });
  return {
    numChannels,
    numClasses,
    size: examples.length,
    async *batches(batchOptions: DatasetBatchOptions): AsyncGenerator<EpropBatch> {
      const { batchSize, shuffleSeed, epoch = 0 } = batchOptions;
      if (!Number.isInteger(batchSize) || batchSize < 1)
        throw new EpropBatchError(
          `batchSize must be a positive integer, got ${String(batchSize)}.`,
        );
      const order = examples.map((_, i) => i);
      if (shuffleSeed !== undefined) {
        const random = seededRandom((Math.imul(shuffleSeed, 0x9e3779b1) + epoch) >>> 0);
        for (let i = order.length - 1; i > 0; i--) {
          const j = random.integer(i + 1);
          [order[i], order[j]] = [order[j]!, order[i]!];
        }
      }
      for (let start = 0; start < order.length; start += batchSize) {
        const picked = order.slice(start, start + batchSize).map((i) => examples[i]!);
        yield {
          inputs: picked.map((e) => e.input),
          labels: Int32Array.from(picked.map((e) => e.label)),
          numSteps,
          ...(lossMask ? { lossMask } : {}),
        };
      }
    },
  };
}
