/**
 * Finds the trained network `snn evaluate` and `snn infer` use: a run directory (its best or
 * latest checkpoint and its configuration) or a checkpoint file (with the configuration of the
 * run it belongs to, when there is one).
 */
import { existsSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { Trainer } from "@snn/eprop";
import type { OptionSpec, OptionValues } from "./args";
import { selectBackend, type SelectedBackend } from "./backends";
import { CONFIG_KEYS, configFromOptions, resolveTrainConfig, type TrainConfig } from "./config";
import { UsageError } from "./errors";
import { RunDirectory } from "./run-dir";

/** Options shared by evaluate and infer: which checkpoint, data overrides, backend. */
export const MODEL_OPTIONS: readonly OptionSpec[] = [
  { name: "checkpoint", kind: "choice", choices: ["best", "latest"], description: "For a run directory: its best checkpoint or its latest one.", defaultText: "best" },
  ...CONFIG_KEYS.filter((k) => ["dataset", "data", "encoding", "testSamples", "trainSamples", "steps"].includes(k.field)).map((k): OptionSpec => {
    const { defaultText: _ignored, ...option } = k.option;
    return { ...option, description: `${k.option.description} Default: the run's setting.` };
  }),
  { name: "backend", kind: "choice", choices: ["cpu", "webgpu", "auto"], description: "Where to simulate.", defaultText: "cpu" },
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
}

function findRunOf(checkpoint: string): RunDirectory | undefined {
  for (const dir of [dirname(checkpoint), dirname(dirname(checkpoint))]) {
    const run = new RunDirectory(dir);
    if (existsSync(run.stateFile) && existsSync(run.configFile)) return run;
  }
  return undefined;
}

/** Loads a run directory or checkpoint file; `command` names the command for usage errors. */
export async function loadModel(target: string, values: OptionValues, cwd: string, command: string): Promise<LoadedModel> {
  const path = resolve(cwd, target);
  if (!existsSync(path)) throw new UsageError(`${target}: no such run directory or checkpoint.`, command);
  let checkpoint: string;
  let run: RunDirectory | undefined;
  if (statSync(path).isDirectory()) {
    run = new RunDirectory(path);
    const { state } = await run.open();
    const which = (values["checkpoint"] as string | undefined) ?? "best";
    const best = join(run.root, "best.safetensors");
    if (which === "best" && existsSync(best)) checkpoint = best;
    else if (state.latestCheckpoint !== undefined) checkpoint = join(run.root, state.latestCheckpoint);
    else throw new UsageError(`${target} has no checkpoint yet (its training stopped before the first one); train a run until it saves one (snn train writes one every epoch), then use that run.`, command);
  } else {
    checkpoint = path;
    run = findRunOf(path);
  }
  const stored = run ? (await run.open()).config : undefined;
  const overrides = configFromOptions(values);
  delete overrides.backend;
  const config = stored
    ? { ...stored, ...Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined)) }
    : resolveTrainConfig({ cli: overrides, env: {} });
  const backend = await selectBackend((values["backend"] as string | undefined) ?? "cpu", command);
  const trainer = await Trainer.fromCheckpoint(checkpoint, { backend: backend.backend });
  const numSteps = config.steps ?? trainer.trainingConfig.numSteps ?? undefined;
  return {
    trainer,
    backend,
    config: { ...config, dt: trainer.description.dt },
    checkpoint,
    ...(run ? { runDir: run.root } : {}),
    ...(numSteps !== undefined ? { numSteps } : {}),
  };
}
