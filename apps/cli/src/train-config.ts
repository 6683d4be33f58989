/**
 * What a training configuration of `snn train` is: its fields (`TrainConfig`) and their
 * choices, the defaults per dataset and the `paper` preset. The keys that set them are in
 * `config-keys.ts`, how the layers combine in `config.ts`.
 */
import { UsageError } from "./errors";

/** Datasets `snn` knows. */
export const DATASETS = ["smnist", "shd", "ssc", "latency-mnist"] as const;
export type DatasetName = (typeof DATASETS)[number];

/** Backends `snn` can choose from (`auto`: WebGPU when an adapter exists, else CPU). */
export const BACKENDS = ["cpu", "webgpu", "auto"] as const;
export type BackendChoice = (typeof BACKENDS)[number];

/** How e-prop's eligibility traces are evaluated (see @snn/eprop's `Trainer`). */
export const ELIGIBILITY = ["auto", "chunked", "perStep"] as const;
export type EligibilityChoice = (typeof ELIGIBILITY)[number];
/** Where chunked eligibility runs. */
export const TRACES = ["host", "device"] as const;
export type TracesChoice = (typeof TRACES)[number];

/** Hidden neuron types: all LIF, all ALIF, or half and half (an LSNN as in Bellec et al.). */
export const NEURON_TYPES = ["lif", "alif", "mixed"] as const;
export type NeuronType = (typeof NEURON_TYPES)[number];
export const LR_SCHEDULES = ["exponential", "cosine"] as const;
export type LrSchedule = (typeof LR_SCHEDULES)[number];

/** Everything a training run needs; the run directory stores it as `config.json`. */
export interface TrainConfig {
  dataset: DatasetName;
  /** Directory (or file) of the dataset's files; MNIST also `full` or `embedded`; absent: full MNIST when installed, else the embedded digits (a new run records which). */
  data?: string;
  /** Sequential MNIST encoding: 79 channels (784 steps) or 80 with an answer cue (1588 steps). */
  encoding: "79" | "80";
  /** Answer period of the 80-channel encoding in ms (steps of 1 ms before --dt); absent: the spec's 20. */
  cueMs?: number;
  /** Training and test samples to use (the first ones of each split); absent: all. */
  trainSamples?: number;
  testSamples?: number;
  /** Training samples held out (a fixed seeded choice) to pick the best epoch by; absent: none, the best epoch is picked by test accuracy. */
  validation?: number;
  /** Trial length in steps (crop or pad); absent: the dataset's length. */
  steps?: number;
  /** Loss on the last N steps of each trial; 0: the dataset's window (or every step). */
  lossSteps: number;
  hidden: number;
  neuron: NeuronType;
  feedforward: boolean;
  feedback: "symmetric" | "random";
  /** Membrane, adaptation and readout time constants, ms. */
  tauMem: number;
  tauAdapt: number;
  tauOut: number;
  /** ALIF adaptation strength beta (absent: the spec's 1.7 (1 - rho) / (1 - alpha), from dt, tau-mem and tau-adapt); unused by LIF. */
  beta?: number;
  /** Firing-rate regularisation strength c_reg and target rate (Hz). */
  regularisation: number;
  targetRate: number;
  epochs: number;
  batchSize: number;
  /** Run each batch as trials of at most N samples, one Adam step per batch (absent: whole batches). */
  microBatch?: number;
  /** Data-parallel training in N threads, one Adam step per batch (absent: 1, the main thread only). */
  threads?: number;
  dt: number;
  lr: number;
  /** Learning rate multiplied by this after every epoch (1: constant); used by the exponential schedule. */
  lrDecay: number;
  /** How the learning rate changes from epoch to epoch (absent: exponential, by `lrDecay`). */
  lrSchedule?: LrSchedule;
  /** Cosine waves with warm restarts, `EPOCHS@LR,...` (absent: one schedule by `lrSchedule`); see {@link parseLrWaves}. */
  lrWaves?: string;
  seed: number;
  /** Checkpoint (or run folder, for its best.safetensors) whose parameters start training instead of random ones; a new run stores it as an absolute path. */
  initFrom?: string;
  backend: BackendChoice;
  /** How eligibility traces are evaluated (absent: `auto`, i.e. chunked). */
  eligibility?: EligibilityChoice;
  /** Steps per chunk of chunked eligibility (absent: the library's default, `DEFAULT_CHUNK_STEPS`). */
  chunkSteps?: number;
  /** Where chunked eligibility runs (absent: on the device with WebGPU, else on the host). */
  traces?: TracesChoice;
  /** Batches per epoch at most (train and test); absent: all. For smoke runs and CI. */
  maxBatches?: number;
  /** Test samples drawn in the spike-raster plot. */
  rasterSamples: number;
}

/** The training protocol of @snn/eprop's docs/equations.md section 3: the base of the defaults and of `--preset paper`. */
const SPEC_PROTOCOL = {
  neuron: "alif" as const,
  feedforward: false,
  feedback: "symmetric" as const,
  tauMem: 20,
  tauAdapt: 2000,
  tauOut: 20,
  regularisation: 0.001,
  targetRate: 10,
  dt: 1,
  lr: 0.001,
  lrDecay: 1,
};

/** The default configuration of a dataset (sequential MNIST on the embedded digits: about 1.5 minutes on 2 cores). */
export function datasetDefaults(dataset: DatasetName): TrainConfig {
  const common = {
    ...SPEC_PROTOCOL,
    encoding: "79" as const,
    lossSteps: 0,
    seed: 1,
    backend: "cpu" as const,
    rasterSamples: 3,
  };
  switch (dataset) {
    case "smnist":
      // The protocol of the measured 256-neuron runs (packages/eprop/docs/accuracy.md): stronger,
      // shorter adaptation than the spec (as in the LSNN authors' sMNIST setup) and a learning
      // rate that decays by 0.85 per epoch. Two epochs by default, a few minutes on 2 cores;
      // `--epochs 30` is the long run of the README.
      return {
        ...common,
        dataset,
        hidden: 256,
        epochs: 2,
        batchSize: 32,
        dt: 2,
        lossSteps: 28,
        lr: 0.002,
        lrDecay: 0.85,
        tauAdapt: 700,
        beta: 0.15,
      };
    case "latency-mnist":
      return { ...common, dataset, hidden: 128, epochs: 3, batchSize: 64, lr: 0.005 };
    case "shd":
    case "ssc":
      return { ...common, dataset, hidden: 256, epochs: 20, batchSize: 64, dt: 2, lr: 0.001 };
  }
}

/** Presets: `paper` is the spec's protocol for the dataset (Bellec et al. 2020; Knight & Nowotny 2022). */
export const PRESETS = ["paper"] as const;
export type PresetName = (typeof PRESETS)[number];

/** Settings over a configuration; a key set to `undefined` removes that setting (e.g. a sample limit). */
export type ConfigOverlay = { [K in keyof TrainConfig]?: TrainConfig[K] | undefined };

/** The preset's settings for a dataset (over the defaults). */
export function presetFor(preset: PresetName, dataset: DatasetName): ConfigOverlay {
  const paper = {
    ...SPEC_PROTOCOL,
    beta: undefined, // the spec's 1.7 (1 - rho) / (1 - alpha)
    hidden: 256,
    epochs: 100,
    lossSteps: 0,
  };
  switch (dataset) {
    case "shd":
    case "ssc":
      return { ...paper, batchSize: 512, trainSamples: undefined, testSamples: undefined };
    case "smnist":
      return {
        ...paper,
        encoding: "80",
        batchSize: 512,
        trainSamples: undefined,
        testSamples: undefined,
      };
    case "latency-mnist":
      throw new UsageError(
        `--preset ${preset} has no published configuration for latency-mnist; use smnist, shd or ssc, or set the options yourself.`,
        "train",
      );
  }
}
