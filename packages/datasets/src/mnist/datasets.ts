import { DatasetOptionsError } from "../errors";
import { iterateBatches } from "../transforms";
import type { BatchOptions, SpikeBatch, SpikeDataset, SpikeEvents, SpikeSample } from "../types";
import { imagePixels, type MnistImages } from "./images";
import { encodeLatency, latencyLayout, type LatencyCodeOptions } from "./latency";
import {
  encodeSequentialMnist,
  SEQUENTIAL_MNIST_CUE_STEPS,
  sequentialMnistLayout,
  type SequentialMnistEncoding,
} from "./sequential";

const DIGIT_NAMES = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"] as const;

function checkStepMs(stepMs: number): void {
  if (!(Number.isFinite(stepMs) && stepMs > 0)) {
    throw new DatasetOptionsError(
      `stepMs must be a positive number of milliseconds, got ${stepMs}.`,
    );
  }
}

/** A dataset that encodes images on the fly; spike k of the encoder's step s is at time s * stepMs. */
class EncodedImageDataset implements SpikeDataset {
  readonly numSamples: number;
  readonly numClasses = 10;
  readonly classNames: readonly string[] = DIGIT_NAMES;
  readonly labels: Int32Array;
  readonly lossWindowMs?: readonly [number, number];

  constructor(
    readonly name: string,
    private readonly images: MnistImages,
    private readonly encode: (pixels: Uint8Array) => SpikeEvents,
    readonly numChannels: number,
    readonly trialDurationMs: number,
    private readonly stepMs: number,
    lossWindowMs: readonly [number, number] | undefined,
  ) {
    this.numSamples = images.count;
    this.labels = Int32Array.from(images.labels);
    for (let i = 0; i < this.labels.length; i++) {
      const label = this.labels[i]!;
      if (label > 9) {
        throw new DatasetOptionsError(
          `${images.source}: sample ${i} has label ${label}, outside 0..9.`,
          { sample: i },
        );
      }
    }
    if (lossWindowMs !== undefined) this.lossWindowMs = lossWindowMs;
  }

  private sample(index: number): SpikeSample {
    const events = this.encode(imagePixels(this.images, index));
    const timesMs = new Float64Array(events.steps.length);
    for (let i = 0; i < timesMs.length; i++) timesMs[i] = events.steps[i]! * this.stepMs;
    return { timesMs, units: events.units, label: this.labels[index]! };
  }

  async get(index: number): Promise<SpikeSample> {
    return this.sample(index);
  }

  async getMany(indices: ArrayLike<number>): Promise<SpikeSample[]> {
    return Array.from(indices, (i) => this.sample(i));
  }

  batches(options: BatchOptions): AsyncIterableIterator<SpikeBatch> {
    return iterateBatches(this, options);
  }

  async close(): Promise<void> {}
}

/**
 * Spiking sequential MNIST (see `encodeSequentialMnist`): one sample per image, encoded on the
 * fly. Spikes of encoder step s are at s * stepMs ms (stepMs default 1), so batching with
 * `dt = stepMs` gives the encoder's steps exactly: 784 steps for `"79-channel"`, 1588 for
 * `"80-channel-cue"` (whose `lossWindowMs` covers the 20 answer steps; `cueSteps` sets another
 * length of the answer period).
 */
export function createSequentialMnistDataset(
  images: MnistImages,
  options: { encoding: SequentialMnistEncoding; stepMs?: number; cueSteps?: number },
): SpikeDataset {
  if (typeof options !== "object" || options === null) {
    throw new DatasetOptionsError(
      'createSequentialMnistDataset(images, options) needs options: { encoding: "79" or "80", stepMs? }.',
    );
  }
  const stepMs = options.stepMs ?? 1;
  checkStepMs(stepMs);
  const cueSteps = options.cueSteps ?? SEQUENTIAL_MNIST_CUE_STEPS;
  const layout = sequentialMnistLayout(options.encoding, images.rows * images.cols, cueSteps);
  const window = layout.lossWindowSteps;
  const cueNote =
    options.encoding === "80-channel-cue" && cueSteps !== SEQUENTIAL_MNIST_CUE_STEPS
      ? `, ${cueSteps}-step cue`
      : "";
  return new EncodedImageDataset(
    `sequential MNIST (${options.encoding}${cueNote}), ${images.source}`,
    images,
    (pixels) => encodeSequentialMnist(pixels, options.encoding, cueSteps),
    layout.numChannels,
    layout.numSteps * stepMs,
    stepMs,
    window === undefined ? undefined : [window[0] * stepMs, window[1] * stepMs],
  );
}

/**
 * Latency-coded MNIST for demos and smoke tests (see `encodeLatency`): one spike per (pooled)
 * pixel within `numSteps` steps (default 20) of `stepMs` ms (default 1). `downsample: 2` gives
 * 196 channels, `4` gives 49.
 */
export function createLatencyMnistDataset(
  images: MnistImages,
  options: LatencyCodeOptions & { stepMs?: number } = {},
): SpikeDataset {
  const stepMs = options.stepMs ?? 1;
  checkStepMs(stepMs);
  const { stepMs: _ignored, ...code } = options;
  const layout = latencyLayout(images.rows, images.cols, code);
  return new EncodedImageDataset(
    `latency MNIST (${layout.numChannels} channels, ${layout.numSteps} steps), ${images.source}`,
    images,
    (pixels) => encodeLatency(pixels, images.rows, images.cols, code),
    layout.numChannels,
    layout.numSteps * stepMs,
    stepMs,
    undefined,
  );
}
