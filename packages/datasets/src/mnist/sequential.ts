import { DatasetOptionsError } from "../errors";
import type { SpikeEvents } from "../types";

/**
 * The two spiking sequential-MNIST encodings (eprop spec section 4):
 * - `"79-channel"`: 1 step per pixel; channels 0..38 onset, 39..77 offset, 78 full intensity.
 * - `"80-channel-cue"`: 2 steps per pixel (a pixel's spikes fall on the first of its two
 *   steps), then an answer period (20 steps unless `cueSteps` says otherwise); channels as above
 *   plus 79, the cue, silent during the image and firing every step of the answer period. The
 *   loss applies to the answer period only.
 */
export type SequentialMnistEncoding = "79-channel" | "80-channel-cue";

/** Number of grey-value thresholds per direction (onset/offset). */
export const SEQUENTIAL_MNIST_THRESHOLD_COUNT = 39;
/** Steps of the answer period of the `"80-channel-cue"` encoding (the spec's). */
export const SEQUENTIAL_MNIST_CUE_STEPS = 20;

/** Checks an answer-period length: a whole number of encoder steps, at least 1. */
function checkCueSteps(cueSteps: number): void {
  if (!Number.isInteger(cueSteps) || cueSteps < 1) {
    throw new DatasetOptionsError(
      `cueSteps must be a whole number of steps, at least 1 (the answer period of the "80-channel-cue" encoding; the spec's is ${SEQUENTIAL_MNIST_CUE_STEPS}), got ${cueSteps}.`,
    );
  }
}

/**
 * The 39 thresholds, evenly spaced on 0..254 (0, 254/38, ..., 254). Threshold 0 can never be
 * crossed (no grey value is below 0), so onset channel 0 and offset channel 39 never fire; they
 * are kept so that the channel layout matches the published 79/80-channel setups.
 */
export function sequentialMnistThresholds(): Float64Array {
  const n = SEQUENTIAL_MNIST_THRESHOLD_COUNT;
  const out = new Float64Array(n);
  for (let k = 0; k < n; k++) out[k] = (254 * k) / (n - 1);
  return out;
}

/**
 * Shape of an encoding for images of `pixelCount` pixels (784 for MNIST); `cueSteps` is the
 * length of the `"80-channel-cue"` answer period (ignored by `"79-channel"`).
 */
export function sequentialMnistLayout(
  encoding: SequentialMnistEncoding,
  pixelCount = 784,
  cueSteps = SEQUENTIAL_MNIST_CUE_STEPS,
): {
  numChannels: number;
  stepsPerPixel: number;
  numSteps: number;
  lossWindowSteps?: readonly [number, number];
} {
  if (encoding === "79-channel") return { numChannels: 79, stepsPerPixel: 1, numSteps: pixelCount };
  if (encoding === "80-channel-cue") {
    checkCueSteps(cueSteps);
    const imageSteps = 2 * pixelCount;
    return {
      numChannels: 80,
      stepsPerPixel: 2,
      numSteps: imageSteps + cueSteps,
      lossWindowSteps: [imageSteps, imageSteps + cueSteps],
    };
  }
  throw new DatasetOptionsError(
    `Unknown sequential MNIST encoding ${JSON.stringify(encoding)}; use "79-channel" or "80-channel-cue".`,
  );
}

/**
 * Encodes one image (grey values 0..255, row-major; 784 pixels for MNIST) as spikes, pixel after
 * pixel. For pixel p with value v[p] and the previous value v[p-1] (v[-1] = 0, the background):
 * - onset channel k (0..38) fires when v[p-1] < threshold_k <= v[p] (the value rises to or above it);
 * - offset channel 39+k fires when v[p-1] >= threshold_k > v[p] (it falls below it);
 * - channel 78 fires at every pixel with v[p] = 255;
 * - with `"80-channel-cue"`, channel 79 fires at every step of the final answer period of
 *   `cueSteps` steps (default 20).
 * The spike falls on the step of pixel p (the pixel where the new value is reached).
 * Events are sorted by step, then unit.
 */
export function encodeSequentialMnist(
  pixels: ArrayLike<number>,
  encoding: SequentialMnistEncoding,
  cueSteps = SEQUENTIAL_MNIST_CUE_STEPS,
): SpikeEvents {
  const layout = sequentialMnistLayout(encoding, pixels.length, cueSteps);
  const thresholds = sequentialMnistThresholds();
  const n = SEQUENTIAL_MNIST_THRESHOLD_COUNT;
  const steps: number[] = [];
  const units: number[] = [];
  let prev = 0;
  for (let p = 0; p < pixels.length; p++) {
    const v = pixels[p]!;
    if (!(v >= 0 && v <= 255)) {
      throw new DatasetOptionsError(`Pixel ${p} has grey value ${v}; expected 0..255.`);
    }
    const step = p * layout.stepsPerPixel;
    if (v > prev) {
      for (let k = 0; k < n; k++) {
        const th = thresholds[k]!;
        if (prev < th && th <= v) {
          steps.push(step);
          units.push(k);
        }
      }
    } else if (v < prev) {
      for (let k = 0; k < n; k++) {
        const th = thresholds[k]!;
        if (prev >= th && th > v) {
          steps.push(step);
          units.push(n + k);
        }
      }
    }
    if (v === 255) {
      steps.push(step);
      units.push(2 * n);
    }
    prev = v;
  }
  if (layout.lossWindowSteps !== undefined) {
    const [start, end] = layout.lossWindowSteps;
    for (let s = start; s < end; s++) {
      steps.push(s);
      units.push(2 * n + 1);
    }
  }
  return { steps: Int32Array.from(steps), units: Int32Array.from(units) };
}
