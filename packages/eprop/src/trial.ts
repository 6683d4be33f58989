import type { SpikeEvents } from "@snn/core";
import type { EpropNetworkDescription } from "./description";
import { EpropBatchError, EpropConfigError } from "./errors";

/**
 * Which steps the loss applies to (m(t) of docs/equations.md):
 * - `"all"`: every step of the trial;
 * - `{ lastSteps: N }`: the last N steps;
 * - `{ fromStep, toStep }`: steps fromStep .. toStep-1 (toStep defaults to the trial's end);
 * - `"batch"`: the batch's `lossMask` (an answer window or any 0/1 mask).
 * When no mask is chosen, the batch's `lossMask` is used if it has one, else every step.
 */
export type LossMaskOption =
  | "all"
  | "batch"
  | { readonly lastSteps: number }
  | { readonly fromStep: number; readonly toStep?: number };

/** One batch of trials: what a dataset yields. Structurally the `SpikeBatch` of @snn/datasets. */
export interface EpropBatch {
  /** Input spikes of each batch element (steps ascending, `0 <= step < numSteps`, units < input size). */
  readonly inputs: readonly SpikeEvents[];
  /** Class of each batch element. */
  readonly labels: ArrayLike<number>;
  /** Trial length in steps. */
  readonly numSteps: number;
  /** `[numSteps]` (or `[batch][numSteps]`) 0/1 loss mask. */
  readonly lossMask?: Float32Array;
}

/** A batch checked, padded to the runtime's batch size, with its loss mask as spike events. */
export interface PreparedTrial {
  readonly numSteps: number;
  /** Batch elements with data; the rest are padding (no input, no loss, no gradient). */
  readonly count: number;
  /** Length = runtime batch size. */
  readonly inputs: readonly SpikeEvents[];
  readonly maskEvents: readonly SpikeEvents[];
  /** Label of each element, -1 for padding. */
  readonly labels: Int32Array;
  /** One-hot targets `[batch][nOut]`. */
  readonly targets: Float32Array;
  /** Masked steps per element. */
  readonly maskedSteps: Int32Array;
}

function validateMaskOption(option: LossMaskOption | undefined): void {
  if (option === undefined || option === "all" || option === "batch") return;
  if (typeof option !== "object" || option === null) {
    throw new EpropConfigError(
      `lossMask must be 'all', 'batch', { lastSteps } or { fromStep, toStep }, got ${JSON.stringify(option)}.`,
    );
  }
  if ("lastSteps" in option) {
    if (!Number.isInteger(option.lastSteps) || option.lastSteps < 1) {
      throw new EpropConfigError(
        `lossMask.lastSteps must be a positive integer, got ${String(option.lastSteps)}.`,
      );
    }
    return;
  }
  if ("fromStep" in option) {
    if (!Number.isInteger(option.fromStep) || option.fromStep < 0) {
      throw new EpropConfigError(
        `lossMask.fromStep must be a non-negative integer, got ${String(option.fromStep)}.`,
      );
    }
    if (
      option.toStep !== undefined &&
      (!Number.isInteger(option.toStep) || option.toStep <= option.fromStep)
    ) {
      throw new EpropConfigError(
        `lossMask.toStep must be an integer above fromStep (${option.fromStep}), got ${String(option.toStep)}.`,
      );
    }
    return;
  }
  throw new EpropConfigError(
    `lossMask must be 'all', 'batch', { lastSteps } or { fromStep, toStep }, got ${JSON.stringify(option)}.`,
  );
}

/** Checks a loss-mask option (throws {@link EpropConfigError}). */
export function checkLossMaskOption(option: LossMaskOption | undefined): void {
  validateMaskOption(option);
}

/** The 0/1 mask of one batch element for a trial of `numSteps`. */
function maskFor(
  option: LossMaskOption | undefined,
  batch: EpropBatch,
  element: number,
): Uint8Array {
  const numSteps = batch.numSteps;
  const mask = new Uint8Array(numSteps);
  const useBatch = option === "batch" || (option === undefined && batch.lossMask !== undefined);
  if (useBatch) {
    const given = batch.lossMask;
    if (given === undefined) {
      throw new EpropBatchError(
        "lossMask 'batch' was chosen but the batch has no lossMask; give one or choose another lossMask.",
      );
    }
    const offset = given.length === numSteps ? 0 : element * numSteps;
    for (let s = 0; s < numSteps; s++) mask[s] = given[offset + s]! !== 0 ? 1 : 0;
    return mask;
  }
  if (option === undefined || option === "all") {
    mask.fill(1);
  } else if ("lastSteps" in option) {
    if (option.lastSteps > numSteps) {
      throw new EpropBatchError(
        `lossMask asks for the last ${option.lastSteps} steps but the trial has only ${numSteps}.`,
      );
    }
    mask.fill(1, numSteps - option.lastSteps);
  } else if ("fromStep" in option) {
    const to = option.toStep ?? numSteps;
    if (option.fromStep >= numSteps || to > numSteps) {
      throw new EpropBatchError(
        `lossMask steps ${option.fromStep}..${to - 1} do not fit a trial of ${numSteps} steps.`,
      );
    }
    mask.fill(1, option.fromStep, to);
  }
  return mask;
}

/**
 * Checks a batch against the network and pads it to `batchSize` elements. Throws
 * {@link EpropBatchError} saying what does not fit.
 */
export function prepareTrial(
  batch: EpropBatch,
  description: EpropNetworkDescription,
  batchSize: number,
  lossMask?: LossMaskOption,
): PreparedTrial {
  validateMaskOption(lossMask);
  if (typeof batch !== "object" || batch === null)
    throw new EpropBatchError("A batch must be an object { inputs, labels, numSteps, lossMask? }.");
  const { inputs, labels, numSteps } = batch;
  if (!Number.isInteger(numSteps) || numSteps < 1) {
    throw new EpropBatchError(
      `batch.numSteps must be a positive integer (trial length in steps), got ${String(numSteps)}.`,
    );
  }
  if (!Array.isArray(inputs))
    throw new EpropBatchError(
      "batch.inputs must be an array with one SpikeEvents { steps, units } per batch element.",
    );
  if (labels === null || typeof labels !== "object" || typeof labels.length !== "number") {
    throw new EpropBatchError(
      "batch.labels must be an Int32Array with one class per batch element.",
    );
  }
  const count = inputs.length;
  if (labels.length !== count) {
    throw new EpropBatchError(
      `The batch has ${count} inputs but ${labels.length} labels; give one label per batch element.`,
    );
  }
  if (count === 0) throw new EpropBatchError("The batch is empty.");
  if (count > batchSize) {
    throw new EpropBatchError(
      `The batch has ${count} elements but the network was compiled for batches of ${batchSize}; use batchSize ${count} or smaller batches.`,
    );
  }
  if (batch.lossMask !== undefined) {
    const m = batch.lossMask;
    if (!(m instanceof Float32Array) || (m.length !== numSteps && m.length !== numSteps * count)) {
      throw new EpropBatchError(
        `batch.lossMask must be a Float32Array of numSteps (${numSteps}) or batch x numSteps (${count * numSteps}) values, got ${m instanceof Float32Array ? m.length : typeof m} values.`,
      );
    }
    for (let i = 0; i < m.length; i++) {
      if (m[i] !== 0 && m[i] !== 1)
        throw new EpropBatchError(`batch.lossMask value ${i} is ${m[i]}; masks hold 0 or 1.`);
    }
  }
  const nIn = description.input.size;
  const nOut = description.readout.size;
  const padded: SpikeEvents[] = [];
  const maskEvents: SpikeEvents[] = [];
  const paddedLabels = new Int32Array(batchSize).fill(-1);
  const targets = new Float32Array(batchSize * nOut);
  const maskedSteps = new Int32Array(batchSize);
  for (let b = 0; b < count; b++) {
    const events = inputs[b] as SpikeEvents | undefined;
    if (
      typeof events !== "object" ||
      events === null ||
      !(events.steps instanceof Int32Array) ||
      !(events.units instanceof Int32Array)
    ) {
      throw new EpropBatchError(
        `batch.inputs[${b}] must be { steps: Int32Array, units: Int32Array }.`,
      );
    }
    if (events.steps.length !== events.units.length) {
      throw new EpropBatchError(
        `batch.inputs[${b}] has ${events.steps.length} steps but ${events.units.length} units; they must pair up.`,
      );
    }
    for (let k = 0; k < events.steps.length; k++) {
      const step = events.steps[k]!;
      const unit = events.units[k]!;
      if (step < 0 || step >= numSteps) {
        throw new EpropBatchError(
          `batch.inputs[${b}] event ${k} is at step ${step}, outside the trial's 0..${numSteps - 1}.`,
        );
      }
      if (k > 0 && step < events.steps[k - 1]!)
        throw new EpropBatchError(
          `batch.inputs[${b}]: steps must be sorted ascending (event ${k}).`,
        );
      if (unit < 0 || unit >= nIn) {
        throw new EpropBatchError(
          `batch.inputs[${b}] event ${k} has channel ${unit}, but the network has ${nIn} input channels (0..${nIn - 1}).`,
        );
      }
    }
    const label = labels[b]!;
    if (!Number.isInteger(label) || label < 0 || label >= nOut) {
      throw new EpropBatchError(
        `batch.labels[${b}] is ${String(label)}, but the readout has ${nOut} classes (0..${nOut - 1}).`,
      );
    }
    padded.push(events);
    paddedLabels[b] = label;
    targets[b * nOut + label] = 1;
    const mask = maskFor(lossMask, batch, b);
    let masked = 0;
    for (let s = 0; s < numSteps; s++) masked += mask[s]!;
    const steps = new Int32Array(masked);
    let k = 0;
    for (let s = 0; s < numSteps; s++) if (mask[s]) steps[k++] = s;
    maskEvents.push({ steps, units: new Int32Array(masked) });
    maskedSteps[b] = masked;
  }
  const empty: SpikeEvents = { steps: new Int32Array(0), units: new Int32Array(0) };
  for (let b = count; b < batchSize; b++) {
    padded.push(empty);
    maskEvents.push(empty);
  }
  return {
    numSteps,
    count,
    inputs: padded,
    maskEvents,
    labels: paddedLabels,
    targets,
    maskedSteps,
  };
}

/**
 * Elements `start .. end` of a batch, as a batch of their own (a micro-batch): a per-element
 * loss mask is cut to their rows, a shared one is kept.
 */
export function sliceBatch(batch: EpropBatch, start: number, end: number): EpropBatch {
  // A malformed batch is passed on whole, for prepareTrial to say what is wrong with it.
  if (
    typeof batch !== "object" ||
    batch === null ||
    !Array.isArray(batch.inputs) ||
    batch.labels?.length !== batch.inputs.length
  )
    return batch;
  const count = batch.inputs.length;
  const mask = batch.lossMask;
  const perElement = mask !== undefined && mask.length === batch.numSteps * count && count > 1;
  return {
    inputs: batch.inputs.slice(start, end),
    labels: Int32Array.from({ length: end - start }, (_, k) => batch.labels[start + k]!),
    numSteps: batch.numSteps,
    ...(mask === undefined
      ? {}
      : {
          lossMask: perElement ? mask.subarray(start * batch.numSteps, end * batch.numSteps) : mask,
        }),
  };
}

/**
 * The trial's loss mask as `[numSteps][batch]` 0/1 bytes, for code that applies it step by step on
 * the host: in `reuse` (the start of its buffer) where that buffer is large enough, else new.
 */
export function lossMaskByStep(
  trial: PreparedTrial,
  reuse?: Uint8Array<ArrayBuffer>,
): Uint8Array<ArrayBuffer> {
  const batchSize = trial.maskEvents.length;
  const T = trial.numSteps;
  const length = batchSize * T;
  const mask =
    reuse !== undefined && reuse.buffer.byteLength >= length
      ? new Uint8Array(reuse.buffer, 0, length).fill(0)
      : new Uint8Array(length);
  trial.maskEvents.forEach((events, b) => {
    for (const step of events.steps) if (step < T) mask[step * batchSize + b] = 1;
  });
  return mask;
}

/** Index of the largest value in `values[offset .. offset+n)` (the first on ties). */
export function argmax(values: ArrayLike<number>, offset: number, n: number): number {
  let best = 0;
  let bestValue = -Infinity;
  for (let k = 0; k < n; k++) {
    const v = values[offset + k]!;
    if (v > bestValue) {
      bestValue = v;
      best = k;
    }
  }
  return best;
}
