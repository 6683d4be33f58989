import { DatasetOptionsError } from "../errors";
import type { SpikeEvents } from "../types";

/** Options of the latency code. */
export interface LatencyCodeOptions {
  /** Window length in steps (default 20). */
  numSteps?: number;
  /** Average-pool blocks of `downsample x downsample` pixels first (1, the default, keeps all; 2 gives 14x14 for MNIST). Must divide rows and cols. */
  downsample?: number;
  /** Pixels (after pooling) darker than this grey value (default 1) emit no spike. */
  minIntensity?: number;
}

/** Resolved latency-code settings and the channel count they give for a `rows x cols` image. */
export function latencyLayout(
  rows: number,
  cols: number,
  options: LatencyCodeOptions = {},
): { numSteps: number; downsample: number; minIntensity: number; numChannels: number } {
  const numSteps = options.numSteps ?? 20;
  const downsample = options.downsample ?? 1;
  const minIntensity = options.minIntensity ?? 1;
  if (!(Number.isSafeInteger(numSteps) && numSteps > 0)) {
    throw new DatasetOptionsError(`numSteps must be a positive integer, got ${numSteps}.`);
  }
  if (!(
    Number.isSafeInteger(downsample) &&
    downsample > 0 &&
    rows % downsample === 0 &&
    cols % downsample === 0
  )) {
    throw new DatasetOptionsError(
      `downsample must be a positive integer dividing the image size ${rows}x${cols} (e.g. 1, 2, 4, 7 for 28x28), got ${downsample}.`,
    );
  }
  if (!(minIntensity > 0 && minIntensity <= 255)) {
    throw new DatasetOptionsError(`minIntensity must be in (0, 255], got ${minIntensity}.`);
  }
  return {
    numSteps,
    downsample,
    minIntensity,
    numChannels: (rows / downsample) * (cols / downsample),
  };
}

/**
 * Latency code: one spike per (pooled) pixel, earlier for brighter pixels. A pixel of grey value
 * v >= minIntensity spikes at step min(numSteps - 1, floor((1 - v / 255) * numSteps)): full
 * intensity at step 0, the faintest near the end of the window. Channel = pooled pixel index
 * (row-major). Events are sorted by step, then unit.
 */
export function encodeLatency(
  pixels: ArrayLike<number>,
  rows: number,
  cols: number,
  options: LatencyCodeOptions = {},
): SpikeEvents {
  if (pixels.length !== rows * cols) {
    throw new DatasetOptionsError(
      `The image has ${pixels.length} pixels, expected ${rows}x${cols} = ${rows * cols}.`,
    );
  }
  for (let p = 0; p < pixels.length; p++) {
    const v = pixels[p]!;
    if (!(v >= 0 && v <= 255))
      throw new DatasetOptionsError(`Pixel ${p} has grey value ${v}; expected 0..255.`);
  }
  const { numSteps, downsample: f, minIntensity } = latencyLayout(rows, cols, options);
  const outRows = rows / f;
  const outCols = cols / f;
  const stepOf: number[] = [];
  for (let r = 0; r < outRows; r++) {
    for (let c = 0; c < outCols; c++) {
      let sum = 0;
      for (let dr = 0; dr < f; dr++)
        for (let dc = 0; dc < f; dc++) sum += pixels[(r * f + dr) * cols + c * f + dc]!;
      const v = sum / (f * f);
      stepOf.push(
        v >= minIntensity ? Math.min(numSteps - 1, Math.floor((1 - v / 255) * numSteps)) : -1,
      );
    }
  }
  const steps: number[] = [];
  const units: number[] = [];
  for (let s = 0; s < numSteps; s++) {
    for (let u = 0; u < stepOf.length; u++) {
      if (stepOf[u] === s) {
        steps.push(s);
        units.push(u);
      }
    }
  }
  return { steps: Int32Array.from(steps), units: Int32Array.from(units) };
}
