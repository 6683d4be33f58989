import { DatasetOptionsError } from "./errors";
import { shuffledOrder } from "./random";
import type { BatchOptions, SpikeBatch, SpikeDataset, SpikeEvents, SpikeSample } from "./types";

/**
 * Times within this fraction of a step below a step boundary count as on the boundary, so that
 * times made as `k * stepMs` land in step k despite floating-point rounding.
 */
const BOUNDARY_TOLERANCE = 1e-9;

function checkPositive(name: string, value: number): void {
  if (!(typeof value === "number" && Number.isFinite(value) && value > 0)) {
    throw new DatasetOptionsError(
      `${name} must be a positive finite number of milliseconds, got ${value}.`,
    );
  }
}

function checkStepCount(name: string, value: number): void {
  if (!(Number.isSafeInteger(value) && value > 0)) {
    throw new DatasetOptionsError(
      `${name} must be a positive integer number of steps, got ${value}.`,
    );
  }
}

/** Number of steps of length `dt` ms that cover `durationMs` (rounded up, at least 1). */
export function stepsForDuration(durationMs: number, dt: number): number {
  checkPositive("dt", dt);
  if (!(Number.isFinite(durationMs) && durationMs >= 0)) {
    throw new DatasetOptionsError(
      `durationMs must be a non-negative finite number, got ${durationMs}.`,
    );
  }
  return Math.max(1, Math.ceil(durationMs / dt - BOUNDARY_TOLERANCE));
}

/** The step a spike at `timeMs` falls into: floor(timeMs / dt), boundary rounding absorbed. */
export function stepOfTime(timeMs: number, dt: number): number {
  return Math.floor(timeMs / dt + BOUNDARY_TOLERANCE);
}

/** Options of `binSpikeTimes`. */
export interface BinOptions {
  /** Step length in ms. */
  dt: number;
  /** Drop spikes at step >= numSteps (crop). Absent: keep all. */
  numSteps?: number;
}

/**
 * Bins spike times (ms) into steps of `dt` ms: a spike at time t goes to step floor(t / dt).
 * Several spikes of one channel in the same step become ONE event (a step can carry at most one
 * spike per input neuron), so the event count can be lower than the spike count. With
 * `numSteps`, spikes at later steps are dropped. The result is sorted by step, then unit.
 * Throws `DatasetOptionsError` for negative or non-finite times, negative or non-integer units,
 * or arrays of different lengths.
 */
export function binSpikeTimes(
  timesMs: ArrayLike<number>,
  units: ArrayLike<number>,
  options: BinOptions,
): SpikeEvents {
  const { dt, numSteps } = options;
  checkPositive("dt", dt);
  if (numSteps !== undefined) checkStepCount("numSteps", numSteps);
  const n = timesMs.length;
  if (units.length !== n) {
    throw new DatasetOptionsError(
      `binSpikeTimes got ${n} times but ${units.length} units; they must be parallel arrays.`,
    );
  }
  let maxUnit = 0;
  let kept = 0;
  const steps = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const t = timesMs[i]!;
    const u = units[i]!;
    if (!(Number.isFinite(t) && t >= 0)) {
      throw new DatasetOptionsError(`Spike ${i} has time ${t} ms; times must be finite and >= 0.`);
    }
    if (!(Number.isInteger(u) && u >= 0)) {
      throw new DatasetOptionsError(
        `Spike ${i} has unit ${u}; units must be non-negative integers.`,
      );
    }
    if (u > maxUnit) maxUnit = u;
    steps[i] = stepOfTime(t, dt);
  }
  const stride = maxUnit + 1;
  const keys = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const s = steps[i]!;
    if (numSteps !== undefined && s >= numSteps) continue;
    keys[kept++] = s * stride + units[i]!;
  }
  const sorted = keys.subarray(0, kept).sort();
  let unique = 0;
  for (let i = 0; i < kept; i++) {
    if (i === 0 || sorted[i] !== sorted[i - 1]) sorted[unique++] = sorted[i]!;
  }
  const outSteps = new Int32Array(unique);
  const outUnits = new Int32Array(unique);
  for (let i = 0; i < unique; i++) {
    const key = sorted[i]!;
    const s = Math.floor(key / stride);
    outSteps[i] = s;
    outUnits[i] = key - s * stride;
  }
  return { steps: outSteps, units: outUnits };
}

/** Keeps the events with step < numSteps (events must be sorted by step). Returns copies. */
export function cropSpikeEvents(events: SpikeEvents, numSteps: number): SpikeEvents {
  checkStepCount("numSteps", numSteps);
  const { steps, units } = events;
  let lo = 0;
  let hi = steps.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (steps[mid]! < numSteps) lo = mid + 1;
    else hi = mid;
  }
  return { steps: steps.slice(0, lo), units: units.slice(0, lo) };
}

/**
 * Loss mask of `numSteps` steps of `dt` ms: 1 for each step whose interval
 * [s*dt, (s+1)*dt) overlaps the window [startMs, endMs), 0 elsewhere.
 */
export function lossMaskForWindow(
  window: readonly [number, number],
  dt: number,
  numSteps: number,
): Float32Array {
  checkPositive("dt", dt);
  checkStepCount("numSteps", numSteps);
  const [startMs, endMs] = window;
  if (!(Number.isFinite(startMs) && Number.isFinite(endMs) && startMs >= 0 && endMs > startMs)) {
    throw new DatasetOptionsError(
      `The loss window must be [startMs, endMs] with 0 <= startMs < endMs, got [${String(startMs)}, ${String(endMs)}].`,
    );
  }
  const mask = new Float32Array(numSteps);
  const first = Math.max(0, stepOfTime(startMs, dt));
  const last = Math.min(numSteps, stepsForDuration(endMs, dt));
  for (let s = first; s < last; s++) mask[s] = 1;
  return mask;
}

/** Splits an order of sample indices into batches of `batchSize` (the last may be shorter unless `dropLast`). */
export function splitIntoBatches(
  order: Int32Array,
  batchSize: number,
  dropLast = false,
): Int32Array[] {
  if (!(Number.isSafeInteger(batchSize) && batchSize > 0)) {
    throw new DatasetOptionsError(`batchSize must be a positive integer, got ${batchSize}.`);
  }
  const out: Int32Array[] = [];
  for (let start = 0; start < order.length; start += batchSize) {
    const end = Math.min(order.length, start + batchSize);
    if (dropLast && end - start < batchSize) break;
    out.push(order.subarray(start, end));
  }
  return out;
}

/** Number of batches one epoch has. */
export function countBatches(numSamples: number, batchSize: number, dropLast = false): number {
  if (!(Number.isSafeInteger(numSamples) && numSamples >= 0)) {
    throw new DatasetOptionsError(`numSamples must be a non-negative integer, got ${numSamples}.`);
  }
  if (!(Number.isSafeInteger(batchSize) && batchSize > 0)) {
    throw new DatasetOptionsError(`batchSize must be a positive integer, got ${batchSize}.`);
  }
  return dropLast ? Math.floor(numSamples / batchSize) : Math.ceil(numSamples / batchSize);
}

/** The order one epoch visits samples in: dataset order, or a seeded shuffle. */
export function epochOrder(
  numSamples: number,
  options: Pick<BatchOptions, "shuffleSeed" | "epoch">,
): Int32Array {
  if (options.shuffleSeed !== undefined)
    return shuffledOrder(numSamples, options.shuffleSeed, options.epoch ?? 0);
  if (options.epoch !== undefined && !(Number.isSafeInteger(options.epoch) && options.epoch >= 0)) {
    throw new DatasetOptionsError(`epoch must be a non-negative integer, got ${options.epoch}.`);
  }
  const order = new Int32Array(numSamples);
  for (let i = 0; i < numSamples; i++) order[i] = i;
  return order;
}

/**
 * Collates samples into a batch: bins each at `dt`, crops to `numSteps` (or, when absent, uses
 * the steps needed by the latest spike), attaches the loss mask of `lossWindowMs`.
 */
export function collateBatch(
  samples: readonly SpikeSample[],
  indices: Int32Array,
  options: {
    dt: number;
    numSteps?: number | undefined;
    lossWindowMs?: readonly [number, number] | undefined;
  },
): SpikeBatch {
  const { dt, numSteps, lossWindowMs } = options;
  const inputs = samples.map((s) =>
    binSpikeTimes(s.timesMs, s.units, numSteps === undefined ? { dt } : { dt, numSteps }),
  );
  let steps = numSteps;
  if (steps === undefined) {
    steps = 1;
    for (const e of inputs) {
      const last = e.steps[e.steps.length - 1];
      if (last !== undefined && last + 1 > steps) steps = last + 1;
    }
  }
  const labels = new Int32Array(samples.length);
  samples.forEach((s, i) => (labels[i] = s.label));
  const batch: SpikeBatch = { inputs, labels, numSteps: steps, indices: Int32Array.from(indices) };
  if (lossWindowMs !== undefined) batch.lossMask = lossMaskForWindow(lossWindowMs, dt, steps);
  return batch;
}

/**
 * The generic `batches` implementation: epoch order (seeded shuffle or dataset order), batches of
 * `batchSize`, each read with `getMany` and collated with `collateBatch`.
 */
export async function* iterateBatches(
  dataset: SpikeDataset,
  options: BatchOptions,
): AsyncGenerator<SpikeBatch, void, undefined> {
  const { batchSize, dt, dropLast } = options;
  checkPositive("dt", dt);
  if (options.numSteps !== undefined) checkStepCount("numSteps", options.numSteps);
  const numSteps =
    options.numSteps ??
    (dataset.trialDurationMs !== undefined
      ? stepsForDuration(dataset.trialDurationMs, dt)
      : undefined);
  const order = epochOrder(dataset.numSamples, options);
  for (const indices of splitIntoBatches(order, batchSize, dropLast ?? false)) {
    const samples = await dataset.getMany(indices);
    yield collateBatch(samples, indices, { dt, numSteps, lossWindowMs: dataset.lossWindowMs });
  }
}
