// Classifying a digit you draw with the pretrained LSNN of @snn/pretrained. The drawing is
// preprocessed as MNIST's digits were (the ink's bounding box scaled to fit 20x20 pixels with
// antialiasing, then placed in the 28x28 field with its centre of mass at the centre), encoded
// pixel by pixel as spikes (sequential MNIST, @snn/datasets' encoder, as the model was trained),
// and run step by step so that the hidden spikes and the readout can be shown over time.
import type { Backend, SpikeEvents } from "@snn/core";
import { prepareTrial, type EpropRuntime } from "@snn/eprop";
import { loadPretrained, type PretrainedModel } from "@snn/pretrained";

/** MNIST's geometry: 28x28 pixels, the digit scaled to fit 20x20. */
export const MNIST_SIZE = 28;
export const MNIST_BOX = 20;

/**
 * An MNIST-style 28x28 image (grey values 0..255, row-major) from a drawing's ink (0..1 per
 * pixel of a width x height canvas): the ink's bounding box is scaled to fit MNIST_BOX pixels
 * (keeping its aspect ratio) by averaging the canvas pixels under each image pixel, which
 * antialiases, and is then shifted so that the centre of mass lies at the image's centre.
 * Returns null when there is no ink.
 */
export function mnistImageFromInk(
  ink: ArrayLike<number>,
  width: number,
  height: number,
): Uint8Array | null {
  let [left, top, right, bottom] = [width, height, -1, -1];
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (ink[y * width + x]! > 0.02) {
        left = Math.min(left, x);
        right = Math.max(right, x);
        top = Math.min(top, y);
        bottom = Math.max(bottom, y);
      }
    }
  }
  if (right < 0) return null;
  const [boxWidth, boxHeight] = [right - left + 1, bottom - top + 1];
  const scale = MNIST_BOX / Math.max(boxWidth, boxHeight);
  const [w, h] = [
    Math.max(1, Math.round(boxWidth * scale)),
    Math.max(1, Math.round(boxHeight * scale)),
  ];
  // Area averaging: image pixel (i, j) covers canvas x in [left + i/scale, left + (i+1)/scale).
  const small = new Float64Array(w * h);
  const cover = (from: number, to: number, cell: number) =>
    Math.max(0, Math.min(to, cell + 1) - Math.max(from, cell));
  for (let j = 0; j < h; j++) {
    const [y0, y1] = [top + j / scale, top + (j + 1) / scale];
    for (let i = 0; i < w; i++) {
      const [x0, x1] = [left + i / scale, left + (i + 1) / scale];
      let sum = 0;
      let area = 0;
      for (let y = Math.floor(y0); y < Math.min(height, Math.ceil(y1)); y++) {
        const cy = cover(y0, y1, y);
        for (let x = Math.floor(x0); x < Math.min(width, Math.ceil(x1)); x++) {
          const weight = cy * cover(x0, x1, x);
          sum += weight * ink[y * width + x]!;
          area += weight;
        }
      }
      small[j * w + i] = area > 0 ? sum / area : 0;
    }
  }
  // Centre of mass of the scaled digit, then the shift that puts it at (14, 14).
  let [mass, mx, my] = [0, 0, 0];
  for (let j = 0; j < h; j++) {
    for (let i = 0; i < w; i++) {
      const v = small[j * w + i]!;
      mass += v;
      mx += v * (i + 0.5);
      my += v * (j + 0.5);
    }
  }
  const clamp = (value: number, size: number) => Math.min(MNIST_SIZE - size, Math.max(0, value));
  const dx = clamp(Math.round(MNIST_SIZE / 2 - mx / mass), w);
  const dy = clamp(Math.round(MNIST_SIZE / 2 - my / mass), h);
  const image = new Uint8Array(MNIST_SIZE * MNIST_SIZE);
  for (let j = 0; j < h; j++) {
    for (let i = 0; i < w; i++)
      image[(j + dy) * MNIST_SIZE + i + dx] = Math.round(255 * Math.min(1, small[j * w + i]!));
  }
  return image;
}

let model: Promise<PretrainedModel> | undefined;

/** The pretrained sequential-MNIST LSNN: the model file is an asset of this site, fetched once. */
export function smnistModel(): Promise<PretrainedModel> {
  model ??= loadPretrained("smnist").catch((error: unknown) => {
    model = undefined;
    throw error;
  });
  return model;
}

export interface DigitResult {
  readonly backend: string;
  /** The class the network predicts: argmax of the softmax summed over the loss-mask steps, as in training. */
  readonly predicted: number;
  /** Softmax summed over those steps, normalised (one value per class). */
  readonly scores: Float64Array;
  readonly numSteps: number;
  readonly dt: number;
  /** The input spikes (channel per event) and the hidden spikes (neuron per event). */
  readonly input: SpikeEvents;
  readonly hidden: {
    readonly steps: Int32Array;
    readonly neurons: Int32Array;
    readonly size: number;
  };
  /** Softmax of the readout at every step, `[step][class]`. */
  readonly softmax: Float32Array;
  /** The steps `[from, to)` whose softmax the prediction sums (the loss window of training). */
  readonly window: readonly [number, number];
  readonly milliseconds: number;
}

/** One compiled network per backend, reused for every drawing (each trial starts from a reset state). */
const runtimes = new Map<Backend, Promise<EpropRuntime>>();

function runtimeOn(backend: Backend, network: PretrainedModel): Promise<EpropRuntime> {
  let runtime = runtimes.get(backend);
  if (!runtime) {
    runtime = network.createRuntime(backend, { batchSize: 1 });
    runtimes.set(backend, runtime);
    runtime.catch(() => runtimes.delete(backend));
  }
  return runtime;
}

/** Classifications run one after another: a runtime runs one trial at a time. */
let queue: Promise<unknown> = Promise.resolve();

/** Runs the network on one 28x28 image, reading the hidden spikes and the readout after every step. */
export function classifyDigit(backend: Backend, image: Uint8Array): Promise<DigitResult> {
  const result = queue.then(() => classifyNow(backend, image));
  queue = result.catch(() => undefined);
  return result;
}

async function classifyNow(backend: Backend, image: Uint8Array): Promise<DigitResult> {
  const start = performance.now();
  const network = await smnistModel();
  const batch = network.batch([image]);
  const runtime = await runtimeOn(backend, network);
  const hidden = network.network.hidden[0]!;
  const readout = network.network.readout;
  const { numSteps } = batch;
  // A read takes effect where it is called (the GPU copies then, the CPU at once), so the
  // reads of every step are collected without waiting for each before the next step.
  const reads: Promise<[ArrayLike<number>, ArrayLike<number>]>[] = [];
  const trial = prepareTrial(batch, network.network, 1, network.input.lossMask ?? undefined);
  const outputs = await runtime.runTrial(trial, {
    afterStep: (step) => {
      if (step < numSteps)
        reads.push(
          Promise.all([
            runtime.runtime.readVar(hidden.name, "Z"),
            runtime.runtime.readVar(readout.name, "Y"),
          ]),
        );
    },
  });
  const [steps, neurons]: [number[], number[]] = [[], []];
  const softmax = new Float32Array(numSteps * readout.size);
  for (const [step, [z, y]] of (await Promise.all(reads)).entries()) {
    for (let j = 0; j < hidden.size; j++) {
      if (z[j]! > 0.5) {
        steps.push(step);
        neurons.push(j);
      }
    }
    const max = Math.max(...Array.from(y));
    let sum = 0;
    for (let k = 0; k < readout.size; k++) sum += Math.exp(y[k]! - max);
    for (let k = 0; k < readout.size; k++)
      softmax[step * readout.size + k] = Math.exp(y[k]! - max) / sum;
  }
  // The prediction's evidence: the softmax summed over the steps the loss (and prediction) uses.
  const mask = new Uint8Array(numSteps);
  for (let i = 0; i < trial.maskEvents[0]!.steps.length; i++)
    mask[trial.maskEvents[0]!.steps[i]!] = 1;
  const scores = new Float64Array(readout.size);
  for (let s = 0; s < numSteps; s++)
    if (mask[s])
      for (let k = 0; k < readout.size; k++) scores[k]! += softmax[s * readout.size + k]!;
  const window: [number, number] = [mask.indexOf(1), mask.lastIndexOf(1) + 1];
  const total = scores.reduce((a, b) => a + b, 0);
  for (let k = 0; k < readout.size; k++) scores[k] = total > 0 ? scores[k]! / total : 0;
  return {
    backend: backend.name,
    predicted: outputs.predictions[0]!,
    scores,
    numSteps,
    dt: network.input.dt,
    input: batch.inputs[0]!,
    hidden: { steps: Int32Array.from(steps), neurons: Int32Array.from(neurons), size: hidden.size },
    softmax,
    window,
    milliseconds: performance.now() - start,
  };
}
