/**
 * How the training configuration of `snn train` is put together: defaults < preset < config
 * file < command line (< `$SNN_MAX_BATCHES`), the config-file and command-line layers, the
 * cross-field checks of the result and its JSON form in a run folder. The fields, defaults
 * and presets are in `train-config.ts`, the keys in `config-keys.ts`.
 */
import { convertOptionValue, type OptionValues } from "./args";
import { CONFIG_KEYS, type ConfigKey } from "./config-keys";
import { UsageError } from "./errors";
import { parseLrWaves } from "./lr-schedule";
import {
  datasetDefaults,
  presetFor,
  type ConfigOverlay,
  type PresetName,
  type TrainConfig,
} from "./train-config";

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
