/**
 * Bounds checked before work starts: how long a trial may be and how much memory a network
 * may need. Each refusal names the limit and the option that changes it, so that a stray
 * spike at 30,000 s, a damaged checkpoint asking for 10^9 steps or `--hidden 100000000` is
 * refused at once instead of running for hours or allocating gigabytes.
 */
import { totalmem } from "node:os";
import { stepOfTime, type SpikeDataset } from "@snn/datasets";
import type { TrainConfig } from "./train-config";
import { CommandError, UsageError } from "./errors";

/** Longest trial (steps) the CLI runs, whatever asks for it (`SNN_MAX_TRIAL_STEPS` changes it). */
export const DEFAULT_MAX_TRIAL_STEPS = 1_000_000;

/**
 * A trial whose length comes from the data (no `--steps`) may be at most this many times the
 * dataset's usual length; longer ones (one late spike) need an explicit `--steps`.
 */
export const USUAL_LENGTH_FACTOR = 4;

/** Memory a network may need, as a share of the machine's memory (`SNN_MAX_MEMORY_GB` sets it in GB). */
export const MEMORY_SHARE = 0.75;

/**
 * The highest step limit there can be: steps and trial lengths are 32-bit integers (Int32Array)
 * in the data and the engine, so a larger one would let step 2^32 wrap to step 0.
 */
export const HIGHEST_TRIAL_STEPS = 2 ** 31 - 1;

/** The step limit: `SNN_MAX_TRIAL_STEPS` when set, else {@link DEFAULT_MAX_TRIAL_STEPS}. */
export function maxTrialSteps(env: NodeJS.ProcessEnv = process.env): number {
  const text = env["SNN_MAX_TRIAL_STEPS"];
  if (text === undefined || text === "") return DEFAULT_MAX_TRIAL_STEPS;
  const value = Number(text);
  if (!(Number.isSafeInteger(value) && value > 0 && value <= HIGHEST_TRIAL_STEPS))
    throw new UsageError(
      `SNN_MAX_TRIAL_STEPS must be a positive integer of at most ${HIGHEST_TRIAL_STEPS} (steps are 32-bit integers), got ${JSON.stringify(text)}.`,
    );
  return value;
}

/** The memory limit in bytes: `SNN_MAX_MEMORY_GB` when set, else {@link MEMORY_SHARE} of the machine's memory. */
export function maxMemoryBytes(env: NodeJS.ProcessEnv = process.env): number {
  const text = env["SNN_MAX_MEMORY_GB"];
  if (text === undefined || text === "") return Math.floor(totalmem() * MEMORY_SHARE);
  const value = Number(text);
  if (!(Number.isFinite(value) && value > 0))
    throw new UsageError(
      `SNN_MAX_MEMORY_GB must be a positive number, got ${JSON.stringify(text)}.`,
    );
  return Math.floor(value * 2 ** 30);
}

/** Usual trial length (ms) of datasets whose trials are as long as their samples (SHD, SSC). */
const usualLengths = new WeakMap<object, { readonly ms: number; readonly what: string }>();

/** Records a dataset's usual trial length, e.g. 1400 ms for SHD (its recordings end before 1.4 s). */
export function setUsualTrialLength(dataset: object, ms: number, what: string): void {
  usualLengths.set(dataset, { ms, what });
}

/**
 * Refuses a trial length (steps) asked for explicitly above the step limit: by an option
 * (`source` "--steps 5000000": a usage error, exit status 2) or by a file such as a checkpoint
 * (exit status 1).
 */
export function checkRequestedSteps(
  numSteps: number,
  source: string,
  from: "option" | "file",
): void {
  const limit = maxTrialSteps();
  if (numSteps > limit) {
    const message = `${source} asks for trials of ${numSteps} steps, more than the limit of ${limit} steps; give a shorter --steps (or raise the limit with SNN_MAX_TRIAL_STEPS).`;
    throw from === "option" ? new UsageError(message) : new CommandError(message);
  }
}

/**
 * Refuses a batch whose trial length came from its data (no fixed `numSteps`) when it is far
 * longer than the dataset's usual length, or above the step limit. Cheap: it looks at the
 * batch's `numSteps` only (the events are already small).
 */
export function checkDataTrialLength(dataset: SpikeDataset, numSteps: number, dt: number): void {
  refuseLongTrial(dataset, numSteps, dt, undefined);
}

/** The refusal of `checkDataTrialLength`; `sample` names the sample when it is known. */
function refuseLongTrial(
  dataset: SpikeDataset,
  numSteps: number,
  dt: number,
  sample: number | undefined,
): void {
  const usual = usualLengths.get(dataset);
  const limit = maxTrialSteps();
  const which = sample === undefined ? "a sample" : `sample ${sample}`;
  if (usual !== undefined) {
    const usualSteps = Math.ceil(usual.ms / dt - 1e-9);
    const allowed = Math.min(limit, usualSteps * USUAL_LENGTH_FACTOR);
    if (numSteps > allowed) {
      throw new CommandError(
        `${which} of ${dataset.name} has a spike at ${((numSteps * dt) / 1000).toFixed(1)} s, so its trial would be ${numSteps} steps of ${dt} ms, far longer than ${usual.what}'s usual ${usual.ms} ms (${usualSteps} steps; at most ${USUAL_LENGTH_FACTOR}x that is allowed without --steps). Give the trial length with --steps N (later spikes are cropped), e.g. --steps ${usualSteps}.`,
      );
    }
  } else if (numSteps > limit) {
    throw new CommandError(
      `${sample === undefined ? "a batch" : `sample ${sample}`} of ${dataset.name} needs trials of ${numSteps} steps, more than the limit of ${limit} steps; give the trial length with --steps N (later spikes are cropped), or raise the limit with SNN_MAX_TRIAL_STEPS.`,
    );
  }
}

/** Samples read at a time by {@link checkDatasetTrialLengths}. */
const SCAN_CHUNK = 256;

/**
 * The check of {@link checkDataTrialLength} for every sample of a dataset, before any work
 * starts (`snn train` runs it before it creates the run folder). Only datasets whose trials
 * are as long as their samples and that have a usual length (SHD, SSC) are read; with a fixed
 * trial length (`numSteps`, e.g. from `--steps`, or an encoder's duration) nothing is read,
 * since later spikes are cropped. Reads the samples in chunks (about one pass over the file,
 * without simulating) and refuses the first one whose trial would be too long, naming it.
 * With `batchSize`, it then refuses the longest trial when a batch holding it would need more
 * memory than the limit ({@link checkTrialMemory}, which each batch would meet later, after
 * the run folder exists).
 */
export async function checkDatasetTrialLengths(
  dataset: SpikeDataset,
  dt: number,
  numSteps: number | undefined,
  batchSize?: number,
): Promise<ShortestTrial | undefined> {
  if (numSteps !== undefined || dataset.trialDurationMs !== undefined) return undefined;
  if (!usualLengths.has(dataset)) return undefined;
  let shortest: ShortestTrial | undefined;
  let longest: ShortestTrial | undefined;
  for (let start = 0; start < dataset.numSamples; start += SCAN_CHUNK) {
    const indices = Array.from(
      { length: Math.min(SCAN_CHUNK, dataset.numSamples - start) },
      (_, k) => start + k,
    );
    const samples = await dataset.getMany(indices);
    samples.forEach((sample, k) => {
      let lastMs = -1;
      for (const t of sample.timesMs) if (t > lastMs) lastMs = t;
      // As `collateBatch` counts them: the latest spike's step, plus one (one step without spikes).
      const steps = lastMs >= 0 && Number.isFinite(lastMs) ? stepOfTime(lastMs, dt) + 1 : 1;
      refuseLongTrial(dataset, steps, dt, start + k);
      if (shortest === undefined || steps < shortest.steps) shortest = { steps, sample: start + k };
      if (longest === undefined || steps > longest.steps) longest = { steps, sample: start + k };
    });
  }
  if (longest !== undefined && batchSize !== undefined) {
    checkTrialMemory(longest.steps, Math.min(batchSize, dataset.numSamples), {
      source: `sample ${longest.sample} of ${dataset.name} (the longest trial, ${dt} ms steps)`,
      shorter: "a trial length with --steps N (later spikes are cropped)",
      batchOption: "--batch-size",
      from: "file",
    });
  }
  return shortest;
}

/** The shortest trial among a dataset's samples (whose trials are as long as the samples). */
export interface ShortestTrial {
  /** Its length in steps (the last spike's step plus one; 1 for a sample without spikes). */
  readonly steps: number;
  /** The sample's index. */
  readonly sample: number;
}

/**
 * Refuses a loss window (`--loss-steps`) longer than the shortest trial of data whose trials
 * are as long as their samples (from {@link checkDatasetTrialLengths}): a batch made of such
 * samples would be that short, and the run would fail in the middle of an epoch. Checked before
 * the run folder exists. A usage error (exit status 2).
 */
export function checkLossWindowForData(
  lossSteps: number,
  dataset: SpikeDataset,
  shortest: ShortestTrial | undefined,
  dt: number,
): void {
  if (shortest === undefined || lossSteps <= shortest.steps) return;
  const usual = usualLengths.get(dataset);
  const example = usual !== undefined ? ` (e.g. --steps ${Math.ceil(usual.ms / dt - 1e-9)})` : "";
  throw new UsageError(
    `--loss-steps ${lossSteps} is longer than the shortest trial of ${dataset.name}: sample ${shortest.sample} is ${shortest.steps} step${shortest.steps === 1 ? "" : "s"} of ${dt} ms (its trials end at their last spike), and a batch of such samples would fail in the middle of training; give --loss-steps ${shortest.steps} or less, or a fixed trial length with --steps N${example}.`,
    "train",
  );
}

/** Rough bytes a training run of `config` needs for its network (weights, Adam state, traces). */
export function estimateTrainingBytes(
  config: Pick<TrainConfig, "hidden" | "feedforward" | "batchSize" | "eligibility">,
  numChannels: number,
  numClasses: number,
): number {
  const h = config.hidden;
  const synapses = numChannels * h + (config.feedforward ? 0 : h * h) + 2 * h * numClasses;
  // Per synapse: weight, gradient, two Adam moments and a compiled-network copy; per-step
  // eligibility also keeps traces for every synapse and sample (about three of them).
  const perSynapse = 5 + (config.eligibility === "perStep" ? 3 * config.batchSize : 2);
  // Per neuron and sample: state variables and chunked histories (a few hundred floats).
  const perNeuron = 256 * config.batchSize;
  return 4 * (synapses * perSynapse + (h + numClasses) * perNeuron);
}

/** The memory limit as a message names it: where it comes from and how to change it. */
function describeMemoryLimit(limit: number): string {
  const text = process.env["SNN_MAX_MEMORY_GB"];
  return text === undefined || text === ""
    ? `the limit of ${gigabytes(limit)} (${Math.round(MEMORY_SHARE * 100)}% of this machine's memory; SNN_MAX_MEMORY_GB changes it)`
    : `the limit of ${gigabytes(limit)} (SNN_MAX_MEMORY_GB=${text})`;
}

function gigabytes(bytes: number): string {
  return `${(bytes / 2 ** 30).toFixed(bytes < 2 ** 30 ? 2 : 1)} GB`;
}

/** Refuses a network whose training would need more memory than the limit, before anything is allocated. */
export function checkNetworkMemory(
  config: Pick<TrainConfig, "hidden" | "feedforward" | "batchSize" | "eligibility">,
  numChannels: number,
  numClasses: number,
): void {
  const needed = estimateTrainingBytes(config, numChannels, numClasses);
  const limit = maxMemoryBytes();
  if (needed > limit) {
    throw new UsageError(
      `--hidden ${config.hidden} (with ${numChannels} inputs, ${numClasses} classes, --batch-size ${config.batchSize}) needs about ${gigabytes(needed)} of memory, more than ${describeMemoryLimit(limit)}; use a smaller --hidden or --batch-size.`,
    );
  }
}

/**
 * Bytes a trial needs per step and batch element, whatever the network: the loss mask of the
 * element, the mask by step and element that the host readout reads, and the spike schedule
 * of the masked steps (a step and a unit, 8 bytes) that the network's softmax reads; rounded up.
 */
export const TRIAL_BYTES_PER_STEP_AND_ELEMENT = 16;
/** Bytes a trial needs per step for the whole batch (the host readout's index of masked steps). */
export const TRIAL_BYTES_PER_STEP = 8;
/** The largest single array JavaScript can allocate (2^32 elements of a byte). */
const LARGEST_ARRAY_BYTES = 2 ** 32;

/**
 * Rough bytes of the arrays a trial of `numSteps` allocates in batches of `batchSize`, which
 * grow with its length (its spikes and the network's state do not).
 */
export function estimateTrialBytes(numSteps: number, batchSize: number): number {
  return numSteps * (batchSize * TRIAL_BYTES_PER_STEP_AND_ELEMENT + TRIAL_BYTES_PER_STEP);
}

/** What asked for a trial length and how to ask for less, for {@link checkTrialMemory}'s message. */
export interface TrialRequest {
  /** E.g. "--events spikes.json" or "--steps 5000000". */
  readonly source: string;
  /** E.g. "a smaller \"numSteps\" in the file (or earlier events)". */
  readonly shorter: string;
  /** The option that sets the batch size, e.g. "--batch-size". */
  readonly batchOption: string;
  /** Whether the request is a usage error (an option: exit 2) or comes from a file (exit 1). */
  readonly from: "option" | "file";
  /** The command whose usage a usage error prints. */
  readonly command?: string;
}

/**
 * Refuses trials of `numSteps` in batches of `batchSize` whose per-step arrays would need more
 * memory than the limit (see {@link maxMemoryBytes}), or one array larger than JavaScript can
 * make, before anything is allocated. Long trials are possible with the step limit raised by
 * `SNN_MAX_TRIAL_STEPS`; this bounds what they cost.
 */
export function checkTrialMemory(numSteps: number, batchSize: number, request: TrialRequest): void {
  const needed = estimateTrialBytes(numSteps, batchSize);
  const limit = maxMemoryBytes();
  const asked = `${request.source} asks for trials of ${numSteps} steps in batches of ${batchSize}`;
  const change = `give ${request.shorter} or a smaller ${request.batchOption}`;
  let message: string | undefined;
  if (needed > limit) {
    message = `${asked}, which needs about ${gigabytes(needed)} of memory (${TRIAL_BYTES_PER_STEP_AND_ELEMENT} bytes per step and trial for the loss masks), more than ${describeMemoryLimit(limit)}; ${change}.`;
  } else if (numSteps * batchSize > LARGEST_ARRAY_BYTES) {
    message = `${asked}: its loss mask of ${numSteps} x ${batchSize} bytes is larger than the largest array JavaScript can allocate (4 GB); ${change}.`;
  }
  if (message !== undefined)
    throw request.from === "option"
      ? new UsageError(message, request.command)
      : new CommandError(message);
}
