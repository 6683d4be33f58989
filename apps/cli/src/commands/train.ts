/**
 * `snn train`: the command, and the start of a run: a new run folder or one to resume, the
 * data, the backend and the trainer, handed to the loop of `train-loop.ts`. Options and
 * checks are in `train-setup.ts`, run-folder handling in `train-run-folder.ts`.
 */
import { resolve, join } from "node:path";
import { Trainer } from "@snn/eprop";
import type { OptionValues } from "../args";
import { selectBackend } from "../backends";
import type { Command } from "../command";
import { configFromOptions } from "../config";
import { absoluteDataPath, openDataset } from "../data";
import { networkFor, trainerOptionsFor } from "../engine";
import { UsageError } from "../errors";
import { nodeFileOps } from "../files";
import { initialParametersFrom, resolveInitCheckpoint } from "../init-from";
import { TwoStageInterrupt } from "../interrupt";
import type { CliIO } from "../io";
import { RunDirectory, defaultRunDirectory, type RunState } from "../run-dir";
import { describeRecovered, type RunLock } from "../run-lock";
import type { TrainConfig } from "../train-config";
import { holdOutValidation } from "../validation";
import { trainLoop } from "./train-loop";
import { openForResume, resumedDataPath, shownPath } from "./train-run-folder";
import {
  RESUME_OPTIONS,
  TRAIN_OPTIONS,
  checkTrainingSetup,
  configForOptions,
  pinMnistSource,
  resumeConfig,
} from "./train-setup";

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
      await checkTrainingSetup(
        config,
        backend,
        trainSet,
        testSet,
        resumeDir === undefined ? "option" : "file",
      );
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
