/**
 * Finds the trained network `snn evaluate` and `snn infer` use: a run directory (its best or
 * latest checkpoint and its configuration), a checkpoint file (with the configuration of the
 * run it belongs to, when there is one), or a model shipped with @snn/pretrained
 * (`--pretrained smnist`); and opens the data for it, checked against the network.
 */
import { existsSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { stepsForDuration, type SpikeDataset } from "@snn/datasets";
import { Trainer } from "@snn/eprop";
import {
  loadPretrained,
  pretrainedModelUrl,
  PRETRAINED_MODELS,
  type PretrainedModel,
  type PretrainedModelName,
} from "@snn/pretrained";
import type { OptionSpec, OptionValues, PositionalSpec } from "./args";
import { selectBackend, type SelectedBackend } from "./backends";
import { configFromOptions, resolveTrainConfig } from "./config";
import { CONFIG_KEYS } from "./config-keys";
import type { TrainConfig } from "./train-config";
import { checkRequestedSteps } from "./budget";
import { openDataset, type Split } from "./data";
import { DataError, UsageError } from "./errors";
import { RunDirectory } from "./run-dir";
import { resolveStoredDataPath } from "./stored-data";

/** The RUN argument of evaluate and infer (optional: `--pretrained NAME` replaces it). */
export const RUN_POSITIONAL: PositionalSpec = {
  name: "RUN",
  description:
    "A run directory of 'snn train', or a .safetensors checkpoint (or give --pretrained NAME instead).",
};

/** Options shared by evaluate and infer: which checkpoint, data overrides, backend. */
export const MODEL_OPTIONS: readonly OptionSpec[] = [
  {
    name: "pretrained",
    kind: "choice",
    choices: PRETRAINED_MODELS,
    description:
      "Use a network shipped with @snn/pretrained instead of RUN: smnist, an e-prop LSNN for spiking sequential MNIST (its data: MNIST in the encoding it was trained with).",
  },
  {
    name: "checkpoint",
    kind: "choice",
    choices: ["best", "latest"],
    description: "For a run directory: its best checkpoint or its latest one.",
    defaultText: "best",
  },
  ...CONFIG_KEYS.filter((k) =>
    ["dataset", "data", "encoding", "testSamples", "trainSamples", "steps"].includes(k.field),
  ).map((k): OptionSpec => {
    const { defaultText: _ignored, ...option } = k.option;
    return { ...option, description: `${k.option.description} Default: the run's setting.` };
  }),
  {
    name: "backend",
    kind: "choice",
    choices: ["cpu", "webgpu", "auto"],
    description: "Where to simulate.",
    defaultText: "cpu",
  },
];

/** A loaded network with the configuration that says which data it expects. */
export interface LoadedModel {
  readonly trainer: Trainer;
  readonly backend: SelectedBackend;
  readonly config: TrainConfig;
  readonly checkpoint: string;
  /** The run directory, when the checkpoint belongs to one. */
  readonly runDir?: string;
  /** Trial length the network was trained with (absent: the dataset's own). */
  readonly numSteps?: number;
  /**
   * The trial length the checkpoint was trained with when it was its dataset's own (no `--steps`
   * in training or now): data of another length does not fit the network.
   */
  readonly datasetTrialSteps?: number;
  /** The @snn/pretrained model, with `--pretrained`. */
  readonly pretrained?: PretrainedModel;
}

function findRunOf(checkpoint: string): RunDirectory | undefined {
  for (const dir of [dirname(checkpoint), dirname(dirname(checkpoint))]) {
    const run = new RunDirectory(dir);
    if (existsSync(run.stateFile) && existsSync(run.configFile)) return run;
  }
  return undefined;
}

/**
 * Loads a run directory or checkpoint file (`target`), or with `--pretrained NAME` a model of
 * @snn/pretrained (then `target` must be absent); `command` names the command for usage errors.
 */
export async function loadModel(
  target: string | undefined,
  values: OptionValues,
  cwd: string,
  command: string,
): Promise<LoadedModel> {
  const pretrained = values["pretrained"] as PretrainedModelName | undefined;
  if (pretrained !== undefined && target !== undefined) {
    throw new UsageError(
      `give either RUN (${target}) or --pretrained ${pretrained}, not both.`,
      command,
    );
  }
  if (pretrained !== undefined) return loadPretrainedModel(pretrained, values, command);
  if (target === undefined) {
    throw new UsageError(
      `missing RUN: give a run directory of 'snn train' or a .safetensors checkpoint, or --pretrained ${PRETRAINED_MODELS.join("|")} for a shipped model.`,
      command,
    );
  }
  const path = resolve(cwd, target);
  if (!existsSync(path))
    throw new UsageError(`${target}: no such run directory or checkpoint.`, command);
  let checkpoint: string;
  let run: RunDirectory | undefined;
  if (statSync(path).isDirectory()) {
    run = new RunDirectory(path);
    const { state } = await run.open();
    const which = (values["checkpoint"] as string | undefined) ?? "best";
    const best = join(run.root, "best.safetensors");
    if (which === "best" && existsSync(best)) checkpoint = best;
    else if (state.latestCheckpoint !== undefined)
      checkpoint = join(run.root, state.latestCheckpoint);
    else
      throw new DataError(
        `${target} has no checkpoint yet (its training stopped before the first one); train a run until it saves one (snn train writes one every epoch), then use that run.`,
      );
  } else {
    checkpoint = path;
    run = findRunOf(path);
  }
  let stored = run ? (await run.open()).config : undefined;
  const overrides = configFromOptions(values);
  delete overrides.backend;
  // A relative data path of an older run is resolved by where the run is, not by where the
  // command runs (see stored-data.ts); --data replaces it.
  if (run && stored && overrides.data === undefined && stored.data !== undefined)
    stored = { ...stored, data: resolveStoredDataPath(stored.data, run.root, cwd, run.configFile) };
  const config = stored
    ? {
        ...stored,
        ...Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined)),
      }
    : resolveTrainConfig({ cli: overrides, env: {} });
  const backend = await selectBackend((values["backend"] as string | undefined) ?? "cpu", command);
  const trainer = await Trainer.fromCheckpoint(checkpoint, { backend: backend.backend });
  const numSteps = config.steps ?? trainer.trainingConfig.numSteps ?? undefined;
  const datasetTrialSteps =
    config.steps === undefined ? (trainer.trainingConfig.numSteps ?? undefined) : undefined;
  return {
    trainer,
    backend,
    config: { ...config, dt: trainer.description.dt },
    checkpoint,
    ...(run ? { runDir: run.root } : {}),
    ...(numSteps !== undefined ? { numSteps } : {}),
    ...(datasetTrialSteps !== undefined ? { datasetTrialSteps } : {}),
  };
}

/** The trial length of a dataset's own samples at the model's dt (undefined for recordings of varying length). */
function datasetSteps(model: LoadedModel, dataset: SpikeDataset): number | undefined {
  return dataset.trialDurationMs !== undefined
    ? stepsForDuration(dataset.trialDurationMs, model.config.dt)
    : undefined;
}

/**
 * A pretrained model of @snn/pretrained: its network and parameters, with the data settings it
 * was trained with (sequential MNIST in its encoding, its dt and trial length). `--data`,
 * `--train-samples` and `--test-samples` choose the digits; `--dataset`, `--encoding` and
 * `--steps` must agree with the model.
 */
async function loadPretrainedModel(
  name: PretrainedModelName,
  values: OptionValues,
  command: string,
): Promise<LoadedModel> {
  if (values["checkpoint"] !== undefined)
    throw new UsageError(
      `--checkpoint chooses a checkpoint of a run directory; --pretrained ${name} has one network.`,
      command,
    );
  let model: PretrainedModel;
  try {
    model = await loadPretrained(name);
  } catch (error) {
    // The shipped model file is damaged or missing: bad data, not bad usage.
    throw new DataError(
      `--pretrained ${name}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  const input = model.input;
  const encoding = input.encoding === "80-channel-cue" ? "80" : "79";
  const overrides = configFromOptions(values);
  delete overrides.backend;
  const cueMs = model.cueSteps === undefined ? undefined : model.cueSteps * input.stepMs;
  const fixed: [string, unknown, unknown][] = [
    ["dataset", overrides.dataset, "smnist"],
    ["encoding", overrides.encoding, encoding],
    ["steps", overrides.steps, input.numSteps],
  ];
  for (const [option, given, expected] of fixed) {
    if (given !== undefined && given !== expected) {
      throw new UsageError(
        `--${option} ${String(given)} does not fit --pretrained ${name}, which reads sequential MNIST in the ${input.encoding} encoding, ${input.numSteps} steps of ${input.dt} ms (--${option} ${String(expected)}).`,
        command,
      );
    }
  }
  const training = model.metadata.training;
  const batchSize =
    typeof training["batch-size"] === "number" &&
    Number.isInteger(training["batch-size"]) &&
    training["batch-size"] > 0
      ? training["batch-size"]
      : 32;
  const config = resolveTrainConfig({
    file: {
      dataset: "smnist",
      encoding,
      // the spec's 20-ms answer period is the default, so older runs' configs stay as they were
      ...(cueMs !== undefined && cueMs !== 20 ? { cueMs } : {}),
      dt: input.dt,
      steps: input.numSteps,
      batchSize,
    },
    cli: Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined)),
  });
  const backend = await selectBackend((values["backend"] as string | undefined) ?? "cpu", command);
  return {
    trainer: model.createTrainer(backend.backend),
    backend,
    config: { ...config, dt: input.dt },
    checkpoint: fileURLToPath(pretrainedModelUrl(name)),
    numSteps: input.numSteps,
    pretrained: model,
  };
}

/**
 * Opens a split of the model's data (its run's dataset, or the options' overrides) and checks
 * that it fits the network: the same input channels, no more classes than readouts, and the
 * trial length it was trained with (a pretrained model's, or a checkpoint's when that was its
 * dataset's own length). Data that does not fit is a
 * `DataError` (exit status 1).
 */
export async function openModelData(
  model: LoadedModel,
  split: Split,
  cwd: string,
): Promise<SpikeDataset> {
  const dataset = await openDataset(model.config, split, cwd);
  const network = model.trainer.description;
  const what = model.pretrained ? `the pretrained model ${model.pretrained.name}` : "the network";
  let problem: string | undefined;
  if (dataset.numChannels !== network.input.size) {
    problem = `${dataset.name} has ${dataset.numChannels} input channels but ${what} reads ${network.input.size}${model.pretrained ? ` (the ${model.pretrained.input.encoding} encoding)` : ""}`;
  } else if (dataset.numClasses > network.readout.size) {
    problem = `${dataset.name} has ${dataset.numClasses} classes but ${what} has ${network.readout.size} readouts`;
  } else if (model.pretrained) {
    const steps = datasetSteps(model, dataset);
    if (steps !== model.pretrained.input.numSteps) {
      problem = `${dataset.name} gives trials of ${steps ?? "varying"} steps of ${model.config.dt} ms but ${what} was trained on ${model.pretrained.input.numSteps}`;
    }
  } else if (model.datasetTrialSteps !== undefined) {
    // Beyond the step limit, that is the problem to report (not the data's other length).
    try {
      checkRequestedSteps(
        model.datasetTrialSteps,
        "the trial length stored in the checkpoint",
        "file",
      );
    } catch (error) {
      await dataset.close();
      throw error;
    }
    const steps = datasetSteps(model, dataset);
    if (steps !== undefined && steps !== model.datasetTrialSteps) {
      problem = `${dataset.name} gives trials of ${steps} steps of ${model.config.dt} ms but ${what} was trained on trials of ${model.datasetTrialSteps} (give --steps ${model.datasetTrialSteps} to cut or pad the data to that length)`;
    }
  }
  if (problem !== undefined) {
    await dataset.close();
    throw new DataError(`${problem}; choose data that fits it.`);
  }
  return dataset;
}

/** Lines naming the model: its checkpoint file, and for a pretrained model what it is and its measured accuracy. */
export function describeModel(model: LoadedModel): string {
  const p = model.pretrained;
  const file = `checkpoint: ${model.checkpoint}`;
  if (!p) return file;
  const test = p.metadata.evaluation.test;
  const description = p.metadata.description.replace(/\.$/, "");
  return `model: pretrained ${p.name}, ${description}; test accuracy ${(test.accuracy * 100).toFixed(2)}% on ${test.data}\n${file}`;
}
