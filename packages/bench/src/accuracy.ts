/**
 * Suite `accuracy`: e-prop and surrogate-gradient BPTT side by side on spiking sequential MNIST,
 * with everything but the gradient the same, and the test accuracy each reaches.
 *
 * The network and training are those of `snn train --dataset smnist` (apps/cli's defaults, which
 * this file mirrors: 79-channel encoding simulated at dt = 2 ms, 256 recurrent ALIF neurons with
 * tau_a 700 ms and beta 0.15, symmetric feedback, firing-rate regularisation 0.001 at 10 Hz, loss
 * on the last 28 steps, batch 32, Adam lr 0.002 x 0.85 per epoch, the seed for the weights and
 * the shuffle). For each
 * hidden size and seed:
 *
 * - e-prop: @snn/eprop's `Trainer` on the CPU backend, exactly as `snn train` drives it;
 * - BPTT: `reference/bptt_smnist.py` in PyTorch, where a python with torch is found, on an
 *   exchange directory (`bptt-exchange.ts`) holding the same encoded spikes (encoded here by
 *   @snn/datasets, not again in Python), the e-prop trainer's initial parameters, the loss mask,
 *   the shuffled order of every epoch (checked against the batches the e-prop trainer was
 *   given), the Adam settings and the learning rate of every epoch.
 *
 * Both evaluate the test set after every epoch (prediction: argmax of the masked sum of softmax
 * outputs). Reports test accuracy, losses, firing rate and wall time per run, then mean and
 * standard deviation per method and hidden size, with the published figures for reference.
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createSequentialMnistDataset, shuffledOrder, type SpikeDataset } from "@snn/datasets";
import { Trainer, type EpropDataset, type LossMaskOption } from "@snn/eprop";
import {
  encodeSplit,
  lossMaskOf,
  writeExchange,
  writeSplit,
  type SplitEntry,
} from "./bptt-exchange";
import { describeBenchMnist, loadBenchMnist } from "./mnist-source";
import { findTorchPython, noTorchReason, runPytorchScriptStreaming } from "./pytorch";
import {
  accuracySettings,
  epochLearningRates,
  smnistNetwork,
  type AccuracyBenchmarkOptions,
  type AccuracySettings,
} from "./accuracy-settings";
import {
  formatAccuracyTable,
  meanAndSd,
  METHOD_NAMES,
  PAPER_SMNIST_ACCURACY,
  percent,
} from "./accuracy-table";
import type { BenchResult } from "./report";

/** One epoch's figures of one run. */
interface EpochFigures {
  readonly epoch: number;
  readonly learningRate: number;
  readonly trainLoss: number;
  readonly trainAccuracy: number;
  readonly testLoss: number;
  readonly testAccuracy: number;
  readonly firingRateHz: number;
  readonly trainSeconds: number;
  readonly evalSeconds: number;
}

/**
 * Runs e-prop and BPTT for every hidden size and seed and returns one result per run
 * (`kind: "run"`), one per method and size (`kind: "summary"`) and the published figures
 * (`kind: "paper"`). Logs the table at the end.
 */
export async function runAccuracyBenchmark(
  options: AccuracyBenchmarkOptions,
): Promise<BenchResult[]> {
  const log = options.log ?? (() => {});
  const settings = accuracySettings(options);
  // The full MNIST set (a dependency of this package), never the embedded digits: their "test"
  // part is made of MNIST training images.
  const trainImages = await loadBenchMnist(settings.data, "train", settings.trainSamples);
  const testImages = await loadBenchMnist(settings.data, "test", settings.testSamples);
  const encoding = settings.encoding === "80" ? "80-channel-cue" : "79-channel";
  const trainSet: SpikeDataset = createSequentialMnistDataset(trainImages, { encoding });
  const testSet: SpikeDataset = createSequentialMnistDataset(testImages, { encoding });
  // as `snn train`: the dataset's duration in steps of dt
  const numSteps = Math.ceil(trainSet.trialDurationMs! / settings.dt - 1e-9);
  const lossMaskOption: LossMaskOption | undefined =
    settings.lossSteps > 0 ? { lastSteps: settings.lossSteps } : undefined;
  const learningRates = epochLearningRates(settings.lr, settings.lrDecay, settings.epochs);
  const source = describeBenchMnist(settings.data);
  log(
    `sequential MNIST (${encoding}) from ${source}: ${trainSet.numSamples} train, ${testSet.numSamples} test digits, ${numSteps} steps of ${settings.dt} ms, ` +
      `loss ${lossMaskOption ? `on the last ${settings.lossSteps} steps` : "on the dataset's window (or every step)"}; ${settings.epochs} epoch${settings.epochs === 1 ? "" : "s"}, batch ${settings.batchSize}, ` +
      `Adam lr ${settings.lr} x ${settings.lrDecay} per epoch; hidden ${settings.hiddenSizes.join(", ")} ${settings.neuron.toUpperCase()}; seeds ${settings.seeds.join(", ")}`,
  );

  let python: string | null = null;
  if (settings.methods.includes("bptt")) {
    python = findTorchPython();
    if (python === null) log(`BPTT: skipped, ${noTorchReason()}`);
  }
  let dir: string | null = null;
  let trainEntry: SplitEntry | null = null;
  let testEntry: SplitEntry | null = null;
  let batchLossMask: Float32Array | undefined;
  if (python !== null) {
    if (options.keepFiles !== undefined) {
      dir = resolve(options.keepFiles);
      mkdirSync(dir, { recursive: true });
    } else {
      dir = mkdtempSync(join(tmpdir(), "snn-bench-accuracy-"));
    }
    const start = performance.now();
    const train = await encodeSplit(trainSet, { dt: settings.dt, numSteps });
    const test = await encodeSplit(testSet, { dt: settings.dt, numSteps });
    batchLossMask = train.batchLossMask;
    trainEntry = writeSplit(dir, "train", train.split);
    testEntry = writeSplit(dir, "test", test.split);
    log(
      `BPTT exchange: ${train.split.events.length + test.split.events.length} input spikes written to ${dir} in ${((performance.now() - start) / 1000).toFixed(1)} s`,
    );
  }

  const results: BenchResult[] = [];
  try {
    for (const hidden of settings.hiddenSizes) {
      for (const seed of settings.seeds) {
        const description = smnistNetwork(
          settings,
          hidden,
          seed,
          trainSet.numChannels,
          trainSet.numClasses,
        );
        const trainer = new Trainer({
          network: description,
          backend: options.backend,
          optimizer: { learningRate: settings.lr },
          ...(lossMaskOption ? { lossMask: lossMaskOption } : {}),
          numSteps,
        });
        // the trainer's own starting point: its initial parameters and Adam settings
        const initial = await trainer.getParameters();
        const adam = trainer.trainingConfig.optimizer;
        const orders = learningRates.map((_, epoch) =>
          shuffledOrder(trainSet.numSamples, seed, epoch),
        );
        const common = {
          kind: "run",
          hidden,
          neuron: settings.neuron,
          seed,
          epochs: settings.epochs,
          trainSamples: trainSet.numSamples,
          trainSamplesSeen: trainSet.numSamples * settings.epochs,
          testSamples: testSet.numSamples,
          dt: settings.dt,
          numSteps,
        };
        if (settings.methods.includes("eprop")) {
          log(`e-prop, ${hidden} hidden, seed ${seed}:`);
          const run = await trainEprop(
            trainer,
            trainSet,
            testSet,
            settings,
            learningRates,
            seed,
            log,
          );
          const expected = orders.flatMap((o) => Array.from(o));
          const sameBatchOrder =
            run.order.length === expected.length && run.order.every((v, k) => v === expected[k]);
          if (!sameBatchOrder)
            throw new Error(
              "accuracy: the e-prop trainer saw the samples in another order than the one handed to BPTT.",
            );
          results.push({
            case: `eprop smnist ${hidden} ${settings.neuron} seed ${seed}`,
            method: METHOD_NAMES.eprop,
            ...common,
            ...lastEpochFigures(run.epochs),
            trainSeconds: sum(run.epochs.map((e) => e.trainSeconds)),
            evalSeconds: sum(run.epochs.map((e) => e.evalSeconds)),
            wallSeconds: sum(run.epochs.map((e) => e.trainSeconds + e.evalSeconds)),
            backend: options.backend.name,
            eligibility: trainer.eligibility,
            sameBatchOrder,
            perEpoch: run.epochs,
          });
        }
        trainer.dispose();
        if (python !== null && dir !== null && trainEntry !== null) {
          const prefix = `run-h${hidden}-s${seed}`;
          const spec = writeExchange(dir, prefix, {
            description,
            parameters: initial,
            numSteps,
            lossMask: lossMaskOf(description, numSteps, lossMaskOption, batchLossMask),
            train: trainEntry,
            ...(testEntry ? { test: testEntry } : {}),
            training: {
              batchSize: settings.batchSize,
              evalBatchSize: settings.batchSize,
              adam: adam,
              learningRates,
              orders,
            },
            threads: settings.threads,
          });
          log(`BPTT, ${hidden} hidden, seed ${seed}:`);
          const objects = await runPytorchScriptStreaming(
            "bptt_smnist.py",
            [spec, "--mode", "train"],
            "  pytorch",
            log,
            {
              onObject: (o) => {
                if (o.kind === "environment") {
                  log(
                    `  torch ${String(o.torch)}, ${String(o.threads)} intra-op threads, BLAS: ${String(o.blas)}${typeof o.blasThreads === "number" ? ` (${String(o.blasThreads)} thread${o.blasThreads === 1 ? "" : "s"})` : ""}`,
                  );
                  if (typeof o.warning === "string") log(`  WARNING: ${o.warning}`);
                } else if (o.kind === "epoch") logEpoch(log, o as unknown as EpochFigures);
              },
            },
          );
          if (objects !== null) {
            const environment = objects.find((o) => o.kind === "environment") ?? {};
            const result = objects.find((o) => o.kind === "result");
            const epochs = objects.filter((o) => o.kind === "epoch") as unknown as EpochFigures[];
            if (result) {
              results.push({
                case: `bptt smnist ${hidden} ${settings.neuron} seed ${seed}`,
                method: METHOD_NAMES.bptt,
                ...common,
                ...lastEpochFigures(epochs),
                trainSeconds: result.trainSeconds as number,
                evalSeconds: result.evalSeconds as number,
                wallSeconds: result.wallSeconds as number,
                backend: "pytorch",
                torch: environment.torch,
                threads: environment.threads,
                blas: environment.blas,
                blasThreads: environment.blasThreads ?? null,
                blasLibraries: environment.blasLibraries,
                blasConfig: environment.blasConfig ?? null,
                torchBlasInfo: environment.torchBlasInfo ?? null,
                ...(typeof environment.warning === "string"
                  ? { warning: environment.warning }
                  : {}),
                perEpoch: epochs,
              });
            }
          }
        }
      }
    }
  } finally {
    if (dir !== null && options.keepFiles === undefined)
      rmSync(dir, { recursive: true, force: true });
  }

  for (const method of settings.methods.map((m) => METHOD_NAMES[m])) {
    for (const hidden of settings.hiddenSizes) {
      const runs = results.filter(
        (r) => r.kind === "run" && r.method === method && r.hidden === hidden,
      );
      if (runs.length === 0) continue;
      const accuracy = meanAndSd(runs.map((r) => r.testAccuracy as number));
      results.push({
        case: `summary ${method} ${hidden}`,
        kind: "summary",
        method,
        hidden,
        runs: runs.length,
        testAccuracyMean: accuracy.mean,
        testAccuracySd: accuracy.sd,
        wallSecondsMean: meanAndSd(runs.map((r) => r.wallSeconds as number)).mean,
      });
    }
  }
  results.push({
    case: "published sMNIST accuracy",
    kind: "paper",
    epropLsnn256: PAPER_SMNIST_ACCURACY.eprop256,
    epropLsnn512: PAPER_SMNIST_ACCURACY.eprop512,
    bpttLsnn: PAPER_SMNIST_ACCURACY.bptt,
  });
  log("");
  for (const line of formatAccuracyTable(results)) log(line);
  return results;
}

function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

function lastEpochFigures(epochs: readonly EpochFigures[]): Record<string, number | null> {
  const last = epochs.at(-1);
  return {
    testAccuracy: last?.testAccuracy ?? null,
    testLoss: last?.testLoss ?? null,
    trainAccuracy: last?.trainAccuracy ?? null,
    trainLoss: last?.trainLoss ?? null,
    firingRateHz: last?.firingRateHz ?? null,
  };
}

function logEpoch(log: (line: string) => void, e: EpochFigures): void {
  log(
    `  epoch ${e.epoch}: lr ${Number(e.learningRate.toPrecision(4))}, train loss ${e.trainLoss.toFixed(3)} acc ${percent(e.trainAccuracy)}, ` +
      `test loss ${e.testLoss.toFixed(3)} acc ${percent(e.testAccuracy)}, ${e.firingRateHz.toFixed(1)} Hz, ${e.trainSeconds.toFixed(1)} s (+${e.evalSeconds.toFixed(1)} s test)`,
  );
}

/** Trains with e-prop as `snn train` does (learning rate per epoch, test after every epoch); records the order of the samples it was given. */
async function trainEprop(
  trainer: Trainer,
  trainSet: SpikeDataset,
  testSet: SpikeDataset,
  settings: AccuracySettings,
  learningRates: readonly number[],
  seed: number,
  log: (line: string) => void,
): Promise<{ epochs: EpochFigures[]; order: number[] }> {
  const order: number[] = [];
  const recording: EpropDataset = {
    numChannels: trainSet.numChannels,
    numClasses: trainSet.numClasses,
    async *batches(batchOptions) {
      for await (const batch of trainSet.batches(batchOptions)) {
        order.push(...batch.indices);
        yield batch;
      }
    },
  };
  const epochs: EpochFigures[] = [];
  for (let epoch = 1; epoch <= settings.epochs; epoch++) {
    const learningRate = learningRates[epoch - 1]!;
    await trainer.setLearningRate(learningRate);
    let start = performance.now();
    const [metrics] = await trainer.train(recording, {
      epochs: epoch,
      batchSize: settings.batchSize,
      shuffleSeed: seed,
    });
    const trainSeconds = (performance.now() - start) / 1000;
    start = performance.now();
    const test = await trainer.evaluate(testSet, { batchSize: settings.batchSize });
    const evalSeconds = (performance.now() - start) / 1000;
    const figures: EpochFigures = {
      epoch,
      learningRate,
      trainLoss: metrics!.loss,
      trainAccuracy: metrics!.accuracy,
      testLoss: test.loss,
      testAccuracy: test.accuracy,
      firingRateHz: metrics!.firingRatesHz.hidden ?? 0,
      trainSeconds,
      evalSeconds,
    };
    logEpoch(log, figures);
    epochs.push(figures);
  }
  return { epochs, order };
}
