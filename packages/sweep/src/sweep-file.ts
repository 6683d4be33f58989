/**
 * The sweep file: a JSON object naming a sweep, its base training configuration (the keys of
 * `snn train --config`), a grid or a list of overrides, the seeds, and an optional budget.
 *
 * ```json
 * {
 *   "name": "sizes",
 *   "base": { "dataset": "latency-mnist", "epochs": 2 },
 *   "grid": { "hidden": [8, 16], "neuron": ["lif", "alif"] },
 *   "seeds": [1, 2, 3],
 *   "budget": { "maxRuns": 50, "maxMinutesPerRun": 30 }
 * }
 * ```
 *
 * Instead of `grid`, `configs` lists overrides one by one (each may carry a `"name"`).
 * `seeds` is a list of seeds or a count `n` (seeds 1..n).
 */
import { SweepFileError } from "./errors";

/** A configuration value as in `snn train --config` files. */
export type ConfigValue = string | number | boolean | null;
/** Training options by key, as in `snn train --config` files. */
export type ConfigObject = Readonly<Record<string, ConfigValue>>;

/**
 * Checks a training configuration (throws with a message that starts with `where`). The sweep
 * package knows nothing of the training options; the caller (the CLI) passes its own check.
 */
export type ConfigCheck = (config: ConfigObject, where: string) => void;

/** Limits that keep a sweep from running away. */
export interface SweepBudget {
  /** The sweep may expand to at most this many runs (a guard against huge grids). */
  readonly maxRuns?: number;
  /** A run that trains longer than this (minutes, per attempt) is stopped and marked failed. */
  readonly maxMinutesPerRun?: number;
}

/** One configuration of the sweep: its name and its overrides of the base. */
export interface SweepConfigEntry {
  readonly name: string;
  readonly overrides: ConfigObject;
}

/** A validated sweep file. */
export interface SweepSpec {
  readonly name: string;
  readonly base: ConfigObject;
  readonly configs: readonly SweepConfigEntry[];
  readonly seeds: readonly number[];
  readonly budget: SweepBudget;
}

/** A sweep name: also a folder name and part of queue job ids. */
export const SWEEP_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

const TOP_KEYS = ["name", "base", "grid", "configs", "seeds", "budget", "$schema", "description"];
const BUDGET_KEYS = ["maxRuns", "maxMinutesPerRun"];
/** Options that belong to the sweep, not to one configuration. */
const RESERVED_KEYS = new Set(["seed"]);

/** A plain JSON object (not null, not an array). */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A value a training option can take in a sweep file: null, a string, a boolean or a finite number. */
export function isConfigValue(value: unknown): value is ConfigValue {
  return (
    value === null ||
    typeof value === "string" ||
    typeof value === "boolean" ||
    (typeof value === "number" && Number.isFinite(value))
  );
}

function configObject(value: unknown, where: string): Record<string, ConfigValue> {
  if (!isObject(value))
    throw new SweepFileError(
      `${where} must be a JSON object of 'snn train' options (e.g. {"hidden": 128}), got ${JSON.stringify(value)}.`,
    );
  for (const [key, v] of Object.entries(value)) {
    if (RESERVED_KEYS.has(key))
      throw new SweepFileError(
        `${where}: "${key}" is set by the sweep's "seeds"; remove it here and list the seeds in "seeds".`,
      );
    if (!isConfigValue(v))
      throw new SweepFileError(
        `${where}: "${key}" must be a string, number, boolean or null, got ${JSON.stringify(v)}.`,
      );
  }
  return value as Record<string, ConfigValue>;
}

/** A short, file-name-safe text for a value: `8`, `lif`, `0.001`, `true`. */
function valueLabel(value: ConfigValue): string {
  return String(value).replace(/[^A-Za-z0-9.+-]/g, "_");
}

/** The default name of a configuration: its overrides as `key-value` joined by `_` (or `base`). */
export function configName(overrides: ConfigObject): string {
  const parts = Object.entries(overrides).map(([k, v]) => `${k}-${valueLabel(v)}`);
  return parts.length === 0 ? "base" : parts.join("_");
}

/**
 * Most runs a sweep may have without `"budget"."maxRuns"`, and at most with it: checked before
 * a grid is expanded, so that a grid of many options is refused at once instead of filling the
 * memory with its product.
 */
const DEFAULT_MAX_RUNS = 10_000;
const HIGHEST_MAX_RUNS = 1_000_000;

/** Refuses `runs` runs (`what` says how they come about) above the budget or the limits. */
function checkRunCount(runs: number, what: string, budget: SweepBudget, source: string): void {
  if (budget.maxRuns !== undefined && runs > budget.maxRuns) {
    throw new SweepFileError(
      `${source}: the sweep has ${what} = ${runs} runs, over its budget of ${budget.maxRuns} ("budget"."maxRuns"); shrink the grid or raise the budget.`,
    );
  }
  const limit = Math.min(budget.maxRuns ?? DEFAULT_MAX_RUNS, HIGHEST_MAX_RUNS);
  if (runs > limit) {
    throw new SweepFileError(
      budget.maxRuns === undefined
        ? `${source}: the sweep has ${what} = ${runs} runs, more than ${DEFAULT_MAX_RUNS} without a budget; shrink the grid, or allow more with "budget": {"maxRuns": N} (at most ${HIGHEST_MAX_RUNS}).`
        : `${source}: the sweep has ${what} = ${runs} runs, more than a sweep may have (${HIGHEST_MAX_RUNS}); shrink the grid.`,
    );
  }
}

function expandGrid(
  grid: unknown,
  source: string,
  seeds: number,
  budget: SweepBudget,
): SweepConfigEntry[] {
  if (!isObject(grid))
    throw new SweepFileError(
      `${source}: "grid" must be an object of option: [values] (e.g. {"hidden": [64, 128]}).`,
    );
  // The size first: the product of the lists, times the seeds, before anything is expanded.
  const sizes = Object.values(grid).map((values) => (Array.isArray(values) ? values.length : 1));
  const configs = sizes.reduce((a, b) => a * b, 1);
  checkRunCount(
    configs * seeds,
    `${sizes.join(" x ")} configurations x ${seeds} seeds`,
    budget,
    source,
  );
  let combos: Record<string, ConfigValue>[] = [{}];
  for (const [key, values] of Object.entries(grid)) {
    if (RESERVED_KEYS.has(key))
      throw new SweepFileError(
        `${source}: "grid" may not vary "${key}"; list the seeds in "seeds".`,
      );
    if (!Array.isArray(values) || values.length === 0)
      throw new SweepFileError(
        `${source}: "grid"."${key}" must be a non-empty list of values, got ${JSON.stringify(values)}.`,
      );
    for (const v of values)
      if (!isConfigValue(v))
        throw new SweepFileError(
          `${source}: "grid"."${key}" holds ${JSON.stringify(v)}; values must be strings, numbers, booleans or null.`,
        );
    if (new Set(values.map((v) => JSON.stringify(v))).size !== values.length)
      throw new SweepFileError(`${source}: "grid"."${key}" lists a value twice.`);
    combos = combos.flatMap((c) => (values as ConfigValue[]).map((v) => ({ ...c, [key]: v })));
  }
  return combos.map((overrides) => ({ name: configName(overrides), overrides }));
}

function listConfigs(configs: unknown, source: string): SweepConfigEntry[] {
  if (!Array.isArray(configs) || configs.length === 0)
    throw new SweepFileError(
      `${source}: "configs" must be a non-empty list of objects of overrides (e.g. [{"hidden": 64}, {"hidden": 128}]).`,
    );
  return configs.map((entry, i) => {
    const where = `${source}: "configs"[${i}]`;
    if (!isObject(entry))
      throw new SweepFileError(
        `${where} must be an object of overrides, got ${JSON.stringify(entry)}.`,
      );
    const { name, ...rest } = entry;
    if (name !== undefined && (typeof name !== "string" || !SWEEP_NAME.test(name))) {
      throw new SweepFileError(
        `${where}: "name" must be 1-64 letters, digits, '.', '_' or '-' (starting with a letter or digit), got ${JSON.stringify(name)}.`,
      );
    }
    const overrides = configObject(rest, where);
    return { name: (name as string | undefined) ?? configName(overrides), overrides };
  });
}

function parseSeeds(seeds: unknown, source: string): number[] {
  if (seeds === undefined) return [1];
  if (typeof seeds === "number") {
    if (!Number.isInteger(seeds) || seeds < 1 || seeds > 10_000)
      throw new SweepFileError(
        `${source}: "seeds" as a count must be a whole number from 1 to 10000, got ${seeds}.`,
      );
    return Array.from({ length: seeds }, (_, i) => i + 1);
  }
  if (!Array.isArray(seeds) || seeds.length === 0)
    throw new SweepFileError(
      `${source}: "seeds" must be a non-empty list of whole numbers (e.g. [1, 2, 3]) or a count (e.g. 5), got ${JSON.stringify(seeds)}.`,
    );
  for (const s of seeds) {
    if (typeof s !== "number" || !Number.isInteger(s) || s < 0)
      throw new SweepFileError(
        `${source}: "seeds" holds ${JSON.stringify(s)}; seeds are whole numbers of at least 0.`,
      );
  }
  if (new Set(seeds).size !== seeds.length)
    throw new SweepFileError(`${source}: "seeds" lists a seed twice.`);
  return seeds as number[];
}

function parseBudget(budget: unknown, source: string): SweepBudget {
  if (budget === undefined) return {};
  if (!isObject(budget))
    throw new SweepFileError(
      `${source}: "budget" must be an object such as {"maxRuns": 100, "maxMinutesPerRun": 60}.`,
    );
  const out: { maxRuns?: number; maxMinutesPerRun?: number } = {};
  for (const [key, value] of Object.entries(budget)) {
    if (!BUDGET_KEYS.includes(key))
      throw new SweepFileError(
        `${source}: unknown key "budget"."${key}"; the budget keys are ${BUDGET_KEYS.join(", ")}.`,
      );
    if (typeof value !== "number" || !(value > 0) || !Number.isFinite(value))
      throw new SweepFileError(
        `${source}: "budget"."${key}" must be a number greater than 0, got ${JSON.stringify(value)}.`,
      );
    if (key === "maxRuns" && !Number.isInteger(value))
      throw new SweepFileError(
        `${source}: "budget"."maxRuns" must be a whole number, got ${value}.`,
      );
    out[key as keyof SweepBudget] = value;
  }
  return out;
}

/**
 * Validates a parsed sweep file. `source` names it in errors; `check` validates every
 * resulting training configuration (base plus overrides plus seed).
 */
export function parseSweep(json: unknown, source: string, check?: ConfigCheck): SweepSpec {
  if (!isObject(json))
    throw new SweepFileError(
      `${source} must hold a JSON object with "name", "base" and "grid" or "configs" (see 'snn sweep run --help').`,
    );
  for (const key of Object.keys(json)) {
    if (!TOP_KEYS.includes(key))
      throw new SweepFileError(
        `${source}: unknown key "${key}"; a sweep file has ${TOP_KEYS.filter((k) => !k.startsWith("$")).join(", ")}.`,
      );
  }
  const name = json["name"];
  if (typeof name !== "string" || !SWEEP_NAME.test(name)) {
    throw new SweepFileError(
      `${source}: "name" must be 1-64 letters, digits, '.', '_' or '-' starting with a letter or digit (it names the sweep's folder), got ${JSON.stringify(name)}.`,
    );
  }
  const base = configObject(json["base"] ?? {}, `${source}: "base"`);
  if (json["grid"] !== undefined && json["configs"] !== undefined)
    throw new SweepFileError(`${source}: give either "grid" or "configs", not both.`);
  const seeds = parseSeeds(json["seeds"], source);
  const budget = parseBudget(json["budget"], source);
  const configs =
    json["grid"] !== undefined
      ? expandGrid(json["grid"], source, seeds.length, budget)
      : json["configs"] !== undefined
        ? listConfigs(json["configs"], source)
        : [{ name: "base", overrides: {} }];
  const seen = new Map<string, number>();
  configs.forEach((c, i) => {
    const earlier = seen.get(c.name);
    if (earlier !== undefined)
      throw new SweepFileError(
        `${source}: configurations ${earlier + 1} and ${i + 1} are both named "${c.name}"; give them different overrides or names.`,
      );
    seen.set(c.name, i);
  });
  checkRunCount(
    configs.length * seeds.length,
    `${configs.length} configurations x ${seeds.length} seeds`,
    budget,
    source,
  );
  if (check) {
    for (const c of configs)
      check({ ...base, ...c.overrides, seed: seeds[0]! }, `${source}: configuration "${c.name}"`);
  }
  return { name, base, configs, seeds, budget };
}
