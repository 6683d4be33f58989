/**
 * The training loop of `snn train` over an opened run: epochs of the trainer with the epoch's
 * learning rate, metrics and progress per batch, evaluation, checkpoints, the best epoch, plots
 * and the average of the wave ends after each epoch, and a clean stop on Ctrl-C or divergence.
 */
import { join } from "node:path";
import { rm } from "node:fs/promises";
import type { SpikeDataset } from "@snn/datasets";
import { Trainer, type BatchMetrics } from "@snn/eprop";
import type { OptionValues } from "../args";
import type { SelectedBackend } from "../backends";
import { batchesPerPass, hiddenRaster, limitBatches, lossMaskFor } from "../engine";
import type { CliIO } from "../io";
import {
  interruptExitCode,
  signalName,
  type InterruptSignal,
  type TwoStageInterrupt,
} from "../interrupt";
import { epochLearningRate, restartsAtEpoch } from "../lr-schedule";
import { writeCurvePlots, writeRasterPlot } from "../plots";
import { createReporter, type Reporter } from "../progress";
import type { BatchRecord, EpochRecord, RunDirectory, RunState } from "../run-dir";
import { swaEpochs, waveEndEpochs, writeSwa } from "../swa";
import type { TrainConfig } from "../train-config";
import { DivergedError, checkDivergedParameters } from "./train-divergence";
import { describeRun, finishedMessage, meanRates, weightedMean } from "./train-report";
import { epochName, failRun, pruneCheckpoints, saveStateSync, shownPath } from "./train-run-folder";
import { trialSteps } from "./train-setup";

/** What the loop works on: the opened run, its trainer and data, and how to report. */
export interface LoopContext {
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

export async function trainLoop(ctx: LoopContext): Promise<number> {
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
  const message = finishedMessage(config, history, state, lastEpoch, run.root, shown);
  reporter.end({
    message,
    status: "finished",
    runDir: run.root,
    testAccuracy: lastEpoch?.testAccuracy ?? null,
    best: state.best ?? null,
  });
  return 0;
}
