/**
 * The thin layer between the CLI's configuration and @snn/eprop: the LSNN a configuration
 * describes, trainer options, datasets limited to a number of batches, hidden-spike rasters,
 * and predictions with a confusion matrix.
 */
import type { SpikeDataset } from "@snn/datasets";
import {
  EpropRuntime,
  LSNN_HIDDEN_LAYER,
  lsnnNetwork,
  prepareTrial,
  type EpropBatch,
  type EpropDataset,
  type EpropNetworkDescription,
  type LossMaskOption,
  type Trainer,
  type TrainerOptions,
} from "@snn/eprop";
import type { Backend } from "@snn/core";
import type { RasterPanel } from "@snn/plot";
import {
  checkDataTrialLength,
  checkNetworkMemory,
  checkRequestedSteps,
  checkTrialMemory,
} from "./budget";
import type { TrainConfig } from "./train-config";
import { escapeControlCharacters } from "./terminal-text";

/** Name of the hidden layer of the networks `snn train` builds. */
export const HIDDEN_LAYER = LSNN_HIDDEN_LAYER;

/**
 * The e-prop LSNN of a configuration: input -> one hidden layer (LIF, ALIF, or the first half
 * LIF and the second half ALIF for `mixed`; recurrent unless `feedforward`) -> leaky readout.
 */
export function networkFor(
  config: TrainConfig,
  numChannels: number,
  numClasses: number,
): EpropNetworkDescription {
  // Before anything is allocated (a per-neuron beta array of --hidden 100000000 alone is 800 MB).
  checkNetworkMemory(config, numChannels, numClasses);
  return lsnnNetwork({
    dt: config.dt,
    numInputs: numChannels,
    numHidden: config.hidden,
    numClasses,
    neuron: config.neuron,
    recurrent: !config.feedforward,
    tauMemMs: config.tauMem,
    tauAdaptMs: config.tauAdapt,
    tauOutMs: config.tauOut,
    beta: config.beta ?? null,
    feedback: config.feedback,
    regularisation: { strength: config.regularisation, targetRateHz: config.targetRate },
    seed: config.seed,
  });
}

/** The loss mask of a configuration: the last N steps, or (0) the batch's window / every step. */
export function lossMaskFor(config: TrainConfig): LossMaskOption | undefined {
  return config.lossSteps > 0 ? { lastSteps: config.lossSteps } : undefined;
}

/** Trainer options of a configuration (without the backend). */
export function trainerOptionsFor(
  config: TrainConfig,
  network: EpropNetworkDescription,
): Omit<TrainerOptions, "backend"> {
  const lossMask = lossMaskFor(config);
  return {
    network,
    optimizer: { learningRate: config.lr },
    ...(lossMask ? { lossMask } : {}),
    ...(config.steps !== undefined ? { numSteps: config.steps } : {}),
    ...(config.eligibility !== undefined ? { eligibility: config.eligibility } : {}),
    ...(config.chunkSteps !== undefined ? { chunkSteps: config.chunkSteps } : {}),
    ...(config.traces !== undefined ? { chunkedTraces: config.traces } : {}),
  };
}

/** Where a fixed trial length comes from, as the step-limit message names it. */
const FIXED_LENGTH_SOURCE = "the trial length (--steps, or the setting stored in the checkpoint)";

/**
 * The dataset seen through at most `maxBatches` batches per pass (all when undefined). Trial
 * lengths are bounded before work starts: a fixed length must be within the step limit, and
 * a length taken from the data (no `numSteps`) must not be far beyond the dataset's usual one
 * (see budget.ts); otherwise the pass is refused with a message naming the limit and option.
 */
export function limitBatches(dataset: SpikeDataset, maxBatches: number | undefined): EpropDataset {
  return {
    numChannels: dataset.numChannels,
    numClasses: dataset.numClasses,
    async *batches(options) {
      let count = 0;
      if (maxBatches !== undefined && maxBatches <= 0) return;
      if (options.numSteps !== undefined) checkFixedTrial(options.numSteps, options.batchSize);
      for await (const batch of dataset.batches(options)) {
        if (options.numSteps === undefined)
          checkDataTrial(dataset, batch.numSteps, batch.inputs.length, options.dt);
        yield batch;
        if (maxBatches !== undefined && ++count >= maxBatches) return;
      }
    },
  };
}

/**
 * Refuses a fixed trial length (from `--steps` or a checkpoint) above the step limit, or whose
 * trials in batches of `batchSize` would need more memory than the limit (budget.ts).
 */
export function checkFixedTrial(numSteps: number, batchSize: number): void {
  checkRequestedSteps(numSteps, FIXED_LENGTH_SOURCE, "file");
  checkTrialMemory(numSteps, batchSize, {
    source: FIXED_LENGTH_SOURCE,
    shorter: "a smaller --steps",
    batchOption: "--batch-size",
    from: "file",
  });
}

/**
 * Refuses a batch whose trial length came from its data (its last spike) when it is far longer
 * than the dataset's usual length, above the step limit, or would need more memory than the
 * limit; checked after the batch's spikes are read, before its per-step arrays exist.
 */
export function checkDataTrial(
  dataset: SpikeDataset,
  numSteps: number,
  batchSize: number,
  dt: number,
): void {
  checkDataTrialLength(dataset, numSteps, dt);
  checkTrialMemory(numSteps, batchSize, {
    source: `a batch of ${dataset.name}`,
    shorter: "a trial length with --steps N (later spikes are cropped)",
    batchOption: "--batch-size",
    from: "file",
  });
}

/** Batches in one pass over a dataset with `maxBatches`. */
export function batchesPerPass(
  numSamples: number,
  batchSize: number,
  maxBatches: number | undefined,
): number {
  const all = Math.ceil(numSamples / batchSize);
  return maxBatches === undefined ? all : Math.min(all, maxBatches);
}

/**
 * Hidden spikes of the first `count` samples of a dataset, simulated with the trainer's
 * current parameters on a forward-only network. One raster panel per sample.
 */
export async function hiddenRaster(
  trainer: Trainer,
  backend: Backend,
  dataset: SpikeDataset,
  count: number,
  options: { dt: number; numSteps?: number; lossMask?: LossMaskOption },
): Promise<RasterPanel[]> {
  if (count <= 0 || dataset.numSamples === 0) return [];
  const n = Math.min(count, dataset.numSamples);
  let batch: EpropBatch | undefined;
  for await (const b of limitBatches(dataset, 1).batches({
    batchSize: n,
    dt: options.dt,
    ...(options.numSteps !== undefined ? { numSteps: options.numSteps } : {}),
  })) {
    batch = b;
    break;
  }
  if (!batch) return [];
  const description = trainer.description;
  const session = await EpropRuntime.create(description, {
    backend,
    batchSize: n,
    mode: "inference",
    parameters: await trainer.getParameters(),
  });
  try {
    const panels: { steps: number[]; neurons: number[] }[] = Array.from({ length: n }, () => ({
      steps: [],
      neurons: [],
    }));
    const layer = description.hidden[0]!;
    const trial = prepareTrial(batch, description, n, options.lossMask);
    const outputs = await session.runTrial(trial, {
      afterStep: async (step) => {
        if (step >= trial.numSteps) return;
        const z = await session.runtime.readVar(layer.name, "Z");
        for (let b = 0; b < n; b++) {
          for (let j = 0; j < layer.size; j++) {
            if (z[b * layer.size + j]! > 0.5) {
              panels[b]!.steps.push(step);
              panels[b]!.neurons.push(j);
            }
          }
        }
      },
    });
    const name = (k: number): string =>
      escapeControlCharacters(dataset.classNames?.[k] ?? String(k));
    return panels.flatMap((p, b): RasterPanel[] => {
      const input = trial.inputs[b]!;
      return [
        {
          label: `test sample ${b} (label ${name(batch.labels[b]!)}): input, ${input.steps.length} spikes`,
          steps: input.steps,
          neurons: input.units,
          numSteps: trial.numSteps,
          numNeurons: description.input.size,
          color: "#0072B2",
        },
        {
          label: `test sample ${b}: ${layer.name} (${layer.size} ${layer.neuron}), ${p.steps.length} spikes, predicted ${name(outputs.predictions[b]!)}`,
          steps: p.steps,
          neurons: p.neurons,
          numSteps: trial.numSteps,
          numNeurons: layer.size,
        },
      ];
    });
  } finally {
    session.dispose();
  }
}

/** Accuracy, mean loss and confusion matrix (`[true][predicted]`) of predictions over a dataset. */
export interface Evaluation {
  readonly examples: number;
  readonly accuracy: number;
  readonly loss: number;
  readonly confusion: number[][];
  /** Time of each batch's trial in the thread that ran it, ms. */
  readonly batchMs: number[];
}

/**
 * Predicts every batch (dataset order) in `threads` threads (see @snn/eprop's
 * `Trainer.predictBatches`; absent: its default) and tallies a confusion matrix.
 */
export async function evaluateWithConfusion(
  trainer: Trainer,
  dataset: SpikeDataset,
  options: {
    batchSize: number;
    dt: number;
    numSteps?: number;
    maxBatches?: number;
    threads?: number;
    onBatch?: (done: number) => void;
  },
): Promise<Evaluation> {
  const k = dataset.numClasses;
  const confusion = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  let examples = 0;
  let correct = 0;
  let loss = 0;
  const batchMs: number[] = [];
  const limited = limitBatches(dataset, options.maxBatches);
  await trainer.predictBatches(
    limited.batches({
      batchSize: options.batchSize,
      dt: options.dt,
      ...(options.numSteps !== undefined ? { numSteps: options.numSteps } : {}),
    }),
    {
      batchSize: options.batchSize,
      ...(options.threads !== undefined ? { threads: options.threads } : {}),
      onBatch: (predicted) => {
        batchMs.push(predicted.ms);
        for (let b = 0; b < predicted.labels.length; b++) {
          const label = predicted.labels[b]!;
          const p = predicted.classes[b]!;
          confusion[label]![p]! += 1;
          if (label === p) correct++;
          loss += predicted.loss[b]!;
          examples++;
        }
        options.onBatch?.(batchMs.length);
      },
    },
  );
  return {
    examples,
    accuracy: examples > 0 ? correct / examples : Number.NaN,
    loss: examples > 0 ? loss / examples : Number.NaN,
    confusion,
    batchMs,
  };
}

/** A confusion matrix as an aligned text table (rows: true class, columns: predicted). */
export function formatConfusion(
  confusion: readonly (readonly number[])[],
  classNames?: readonly string[],
): string {
  const names = confusion.map((_, k) => escapeControlCharacters(classNames?.[k] ?? String(k)));
  const width =
    Math.max(4, ...names.map((n) => n.length), ...confusion.flat().map((v) => String(v).length)) +
    1;
  const header = `${"true\\pred".padEnd(width + 5)}${names.map((n) => n.padStart(width)).join("")}`;
  const rows = confusion.map(
    (row, k) =>
      `${names[k]!.padEnd(width + 5)}${row.map((v) => String(v).padStart(width)).join("")}`,
  );
  return [header, ...rows].join("\n");
}
