// Training a small LSNN with e-prop on a delayed pattern-classification task.
import { seededRandom, type Backend, type SpikeEvents } from "@snn/core";
import { Trainer, inMemoryDataset, type BatchMetrics, type InMemoryExample } from "@snn/eprop";

const CHANNELS = 20;
const CLASSES = 4;
const CUE_STEPS = 30; // the pattern: steps 0..29
const DELAY_STEPS = 20; // silence
const ANSWER_STEPS = 10; // the loss counts only here
const TRIAL_STEPS = CUE_STEPS + DELAY_STEPS + ANSWER_STEPS;

/**
 * Each class is a frozen random spike pattern (every channel fires with probability 0.1 per
 * 1 ms step) shown during the cue; an example drops 20 % of its class's spikes and adds noise
 * spikes. The network must still know the class after the delay, in the answer window.
 */
export function delayedPatternTask(examples: number, seed: number) {
  const templates = seededRandom(1); // the same patterns for the training and the test set
  const patterns = Array.from({ length: CLASSES }, () =>
    Array.from({ length: CUE_STEPS * CHANNELS }, () => templates.uniform() < 0.1),
  );
  const random = seededRandom(seed);
  const list: InMemoryExample[] = [];
  for (let e = 0; e < examples; e++) {
    const label = e % CLASSES;
    const steps: number[] = [];
    const units: number[] = [];
    for (let s = 0; s < CUE_STEPS; s++) {
      for (let c = 0; c < CHANNELS; c++) {
        const fires = patterns[label]![s * CHANNELS + c]
          ? random.uniform() >= 0.2
          : random.uniform() < 0.01;
        if (fires) {
          steps.push(s);
          units.push(c);
        }
      }
    }
    const input: SpikeEvents = { steps: Int32Array.from(steps), units: Int32Array.from(units) };
    list.push({ input, label });
  }
  const lossMask = new Float32Array(TRIAL_STEPS).fill(1, TRIAL_STEPS - ANSWER_STEPS);
  return inMemoryDataset({
    numChannels: CHANNELS,
    numClasses: CLASSES,
    numSteps: TRIAL_STEPS,
    examples: list,
    lossMask,
  });
}

export interface EpropTrainingOptions {
  /** Epochs of 4 batches of 16 examples (default 10). */
  readonly epochs?: number;
  readonly onBatch?: (metrics: BatchMetrics) => void;
  /** Aborting stops training after the current batch. */
  readonly signal?: AbortSignal;
}

export interface EpropTrainingResult {
  readonly backend: string;
  readonly batches: readonly BatchMetrics[];
  /** On 64 new examples of the same task. */
  readonly testAccuracy: number;
  /** Where the eligibility traces ran: on the host (in a worker thread or inline) or on the GPU. */
  readonly traces: { readonly where: "host" | "device"; readonly thread: boolean } | null;
}

export async function trainEprop(
  backend: Backend,
  options: EpropTrainingOptions = {},
): Promise<EpropTrainingResult> {
  const trainer = new Trainer({
    network: {
      dt: 1,
      seed: 3,
      input: { size: CHANNELS },
      hidden: [{ name: "hidden", size: 48, neuron: "ALIF" }], // recurrent by default
      readout: { size: CLASSES },
    },
    backend,
    optimizer: { learningRate: 0.01 },
    lossMask: "batch", // the dataset's answer window
  });
  const batches: BatchMetrics[] = [];
  const stop = () => trainer.stop();
  options.signal?.addEventListener("abort", stop);
  try {
    await trainer.train(delayedPatternTask(64, 2), {
      epochs: options.epochs ?? 10,
      batchSize: 16,
      shuffleSeed: 1,
      callbacks: {
        onBatchEnd: (metrics) => {
          batches.push(metrics);
          options.onBatch?.(metrics);
        },
      },
    });
    options.signal?.throwIfAborted();
    const traces = trainer.traceEvaluation;
    const test = await trainer.evaluate(delayedPatternTask(64, 99), { batchSize: 16 });
    return { backend: backend.name, batches, testAccuracy: test.accuracy, traces };
  } finally {
    options.signal?.removeEventListener("abort", stop);
    trainer.dispose();
  }
}
