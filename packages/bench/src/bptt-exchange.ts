/**
 * The exchange directory between @snn/bench and the PyTorch BPTT reference
 * (`reference/bptt_smnist.py`): everything the reference needs to train the same LSNN as
 * @snn/eprop on the same data, so that only the gradient differs.
 *
 * - the input spikes, encoded in TypeScript (@snn/datasets) and binned at dt exactly as the
 *   e-prop trainer receives them: per split, `offsets` (int32 `[count + 1]`), `events` (int32,
 *   one per spike, `step * numInputs + unit`, samples one after another) and `labels` (int32);
 * - the network (sizes, dt and the decays computed here with `Math.exp` as @snn/eprop compiles
 *   them, v_th, gamma, beta per neuron, refractory steps, the regulariser) and the loss mask;
 * - the initial parameters in @snn/eprop's spec layout (float32, `[post][pre]`);
 * - training: the shuffled sample order of every epoch (int32 `[epochs][count]`), batch size,
 *   Adam's betas and epsilon, and the learning rate of every epoch.
 *
 * Binary files are little-endian and row-major; `<prefix>.json` (format `snn-bptt-exchange`,
 * version 1) describes them.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  prepareTrial,
  type EpropBatch,
  type EpropNetworkDescription,
  type LossMaskOption,
  type ResolvedAdamOptions,
} from "@snn/eprop";

/** One split's samples as spike events, binned at the trial's dt. */
export interface EncodedSplit {
  readonly count: number;
  readonly numInputs: number;
  readonly numSteps: number;
  /** `[count + 1]`: sample i's events are `events[offsets[i] .. offsets[i + 1])`. */
  readonly offsets: Int32Array;
  /** `step * numInputs + unit` per spike, sorted by step then unit within a sample. */
  readonly events: Int32Array;
  readonly labels: Int32Array;
}

/** What {@link encodeSplit} reads: a dataset with reproducible batches (`SpikeDataset` of @snn/datasets, `EpropDataset` of @snn/eprop). */
export interface BatchSource {
  readonly numChannels: number;
  batches(options: { batchSize: number; dt: number; numSteps?: number }): AsyncIterable<EpropBatch>;
}

/**
 * Every sample of a dataset in dataset order, as the e-prop trainer receives it (the dataset's
 * own batching at `dt`, cropped or padded to `numSteps`), and the first batch's loss mask (the
 * dataset's answer window), when it has one.
 */
export async function encodeSplit(
  dataset: BatchSource,
  options: { dt: number; numSteps: number },
): Promise<{ split: EncodedSplit; batchLossMask?: Float32Array }> {
  const numInputs = dataset.numChannels;
  const offsets: number[] = [0];
  const chunks: Int32Array[] = [];
  const labels: number[] = [];
  let total = 0;
  let batchLossMask: Float32Array | undefined;
  for await (const batch of dataset.batches({
    batchSize: 256,
    dt: options.dt,
    numSteps: options.numSteps,
  })) {
    if (batch.numSteps !== options.numSteps)
      throw new Error(
        `encodeSplit: the dataset made trials of ${batch.numSteps} steps, not ${options.numSteps}.`,
      );
    if (batchLossMask === undefined && batch.lossMask !== undefined) batchLossMask = batch.lossMask;
    batch.inputs.forEach((input, b) => {
      const codes = new Int32Array(input.steps.length);
      for (let k = 0; k < codes.length; k++)
        codes[k] = input.steps[k]! * numInputs + input.units[k]!;
      chunks.push(codes);
      total += codes.length;
      offsets.push(total);
      labels.push(batch.labels[b]!);
    });
  }
  const events = new Int32Array(total);
  let at = 0;
  for (const chunk of chunks) {
    events.set(chunk, at);
    at += chunk.length;
  }
  const split: EncodedSplit = {
    count: labels.length,
    numInputs,
    numSteps: options.numSteps,
    offsets: Int32Array.from(offsets),
    events,
    labels: Int32Array.from(labels),
  };
  return batchLossMask === undefined ? { split } : { split, batchLossMask };
}

/** The spike events of sample `index` of a split (as @snn/core's `SpikeEvents`). */
export function splitSample(
  split: EncodedSplit,
  index: number,
): { steps: Int32Array; units: Int32Array } {
  const codes = split.events.subarray(split.offsets[index]!, split.offsets[index + 1]!);
  const steps = new Int32Array(codes.length);
  const units = new Int32Array(codes.length);
  for (let k = 0; k < codes.length; k++) {
    steps[k] = Math.floor(codes[k]! / split.numInputs);
    units[k] = codes[k]! - steps[k]! * split.numInputs;
  }
  return { steps, units };
}

/**
 * The 0/1 loss mask `[numSteps]` that @snn/eprop applies (its `prepareTrial`) for a loss-mask
 * option and a batch's own mask: the same for every sample of the datasets used here.
 */
export function lossMaskOf(
  description: EpropNetworkDescription,
  numSteps: number,
  option: LossMaskOption | undefined,
  batchLossMask?: Float32Array,
): Float32Array {
  const empty = { steps: new Int32Array(0), units: new Int32Array(0) };
  const trial = prepareTrial(
    {
      inputs: [empty],
      labels: Int32Array.of(0),
      numSteps,
      ...(batchLossMask ? { lossMask: batchLossMask } : {}),
    },
    description,
    1,
    option,
  );
  const mask = new Float32Array(numSteps);
  for (const step of trial.maskEvents[0]!.steps) mask[step] = 1;
  return mask;
}

/** An array entry of the spec: a file of the exchange directory. */
export interface ArrayEntry {
  readonly file: string;
  readonly dtype: "float32" | "int32";
  readonly shape: readonly number[];
}

/** A split entry of the spec. */
export interface SplitEntry {
  readonly count: number;
  readonly offsets: ArrayEntry;
  readonly events: ArrayEntry;
  readonly labels: ArrayEntry;
}

function writeArray(
  dir: string,
  file: string,
  values: Float32Array | Int32Array,
  shape: readonly number[],
): ArrayEntry {
  writeFileSync(
    join(dir, file),
    new Uint8Array(values.buffer, values.byteOffset, values.byteLength),
  );
  return { file, dtype: values instanceof Float32Array ? "float32" : "int32", shape };
}

if (new Uint8Array(Uint16Array.of(1).buffer)[0] !== 1)
  throw new Error("@snn/bench's BPTT exchange files assume a little-endian machine.");

/** Writes a split's arrays as `<name>-offsets.i32`, `<name>-events.i32`, `<name>-labels.i32`. */
export function writeSplit(dir: string, name: string, split: EncodedSplit): SplitEntry {
  return {
    count: split.count,
    offsets: writeArray(dir, `${name}-offsets.i32`, split.offsets, [split.count + 1]),
    events: writeArray(dir, `${name}-events.i32`, split.events, [split.events.length]),
    labels: writeArray(dir, `${name}-labels.i32`, split.labels, [split.count]),
  };
}

/** Training settings of the spec. */
export interface ExchangeTraining {
  readonly batchSize: number;
  /** Batch size of the test evaluation (default `batchSize`). */
  readonly evalBatchSize?: number;
  readonly adam: ResolvedAdamOptions;
  /** Adam's learning rate in each epoch (its length is the number of epochs). */
  readonly learningRates: readonly number[];
  /** Sample order of each epoch (a permutation of the training split). */
  readonly orders: readonly Int32Array[];
}

/** What {@link writeExchange} writes. */
export interface ExchangeContents {
  readonly description: EpropNetworkDescription;
  /** Initial parameters in the spec layout (`[post][pre]`), by @snn/eprop name. */
  readonly parameters: Readonly<Record<string, ArrayLike<number>>>;
  readonly numSteps: number;
  /** `[numSteps]` 0/1. */
  readonly lossMask: Float32Array;
  readonly train: SplitEntry;
  readonly test?: SplitEntry;
  readonly training?: ExchangeTraining;
  /** torch's intra-op threads. */
  readonly threads?: number;
}

/**
 * Writes `<prefix>.json` and the run's own arrays (`<prefix>-*.f32`, `<prefix>-orders.i32`)
 * next to the splits (written before with {@link writeSplit}); returns the spec's path.
 * The network must be @snn/eprop's single-hidden-layer LSNN (input -> hidden, recurrent or
 * not -> readout), as `snn train` builds it.
 */
export function writeExchange(dir: string, prefix: string, contents: ExchangeContents): string {
  const { description } = contents;
  if (description.hidden.length !== 1)
    throw new Error(
      `The BPTT reference supports one hidden layer; this network has ${description.hidden.length}.`,
    );
  const layer = description.hidden[0]!;
  const input = description.input;
  const readout = description.readout;
  if (
    layer.inputs.length !== 1 ||
    layer.inputs[0] !== input.name ||
    readout.inputs.length !== 1 ||
    readout.inputs[0] !== layer.name
  ) {
    throw new Error("The BPTT reference supports input -> hidden -> readout networks only.");
  }
  const dt = description.dt;
  const reg = description.regularisation;
  const names = {
    input: `${input.name}->${layer.name}`,
    recurrent: layer.recurrent ? `${layer.name}->${layer.name}` : null,
    readout: `${layer.name}->${readout.name}`,
    bias: `${readout.name}.bias`,
  };
  const shapes: Record<keyof typeof names, number[]> = {
    input: [layer.size, input.size],
    recurrent: [layer.size, layer.size],
    readout: [readout.size, layer.size],
    bias: [readout.size],
  };
  const parameters: Record<string, (ArrayEntry & { name: string }) | null> = {};
  for (const role of ["input", "recurrent", "readout", "bias"] as const) {
    const name = names[role];
    if (name === null) {
      parameters[role] = null;
      continue;
    }
    const values = contents.parameters[name];
    if (values === undefined) throw new Error(`writeExchange: parameter '${name}' is missing.`);
    const shape = shapes[role];
    if (values.length !== shape.reduce((a, b) => a * b, 1))
      throw new Error(
        `writeExchange: parameter '${name}' has ${values.length} values, expected ${shape.join(" x ")}.`,
      );
    parameters[role] = {
      name,
      ...writeArray(dir, `${prefix}-${role}.f32`, Float32Array.from(values), shape),
    };
  }
  let training: Record<string, unknown> | null = null;
  if (contents.training) {
    const t = contents.training;
    if (t.orders.length !== t.learningRates.length)
      throw new Error("writeExchange: give one sample order per epoch (learningRates.length).");
    const count = contents.train.count;
    const orders = new Int32Array(t.orders.length * count);
    t.orders.forEach((order, epoch) => {
      if (order.length !== count)
        throw new Error(
          `writeExchange: the order of epoch ${epoch} has ${order.length} samples, the training split ${count}.`,
        );
      orders.set(order, epoch * count);
    });
    training = {
      batchSize: t.batchSize,
      evalBatchSize: t.evalBatchSize ?? t.batchSize,
      beta1: t.adam.beta1,
      beta2: t.adam.beta2,
      epsilon: t.adam.epsilon,
      learningRates: [...t.learningRates],
      orders: writeArray(dir, `${prefix}-orders.i32`, orders, [t.orders.length, count]),
    };
  }
  const spec = {
    format: "snn-bptt-exchange",
    version: 1,
    network: {
      numInputs: input.size,
      numHidden: layer.size,
      numOutputs: readout.size,
      dt,
      alpha: Math.exp(-dt / layer.tauMemMs),
      rho: Math.exp(-dt / layer.tauAdaptMs),
      kappa: Math.exp(-dt / readout.tauOutMs),
      vThresh: layer.vThresh,
      gamma: layer.gamma,
      beta: [...layer.beta],
      refractorySteps: layer.refractorySteps,
      recurrent: layer.recurrent,
      regularisation: reg
        ? {
            strength: reg.strength,
            alpha: Math.exp(-dt / reg.tauMs),
            targetPerStep: (reg.targetRateHz * dt) / 1000,
          }
        : null,
      description,
    },
    parameters,
    numSteps: contents.numSteps,
    lossMask: Array.from(contents.lossMask),
    train: contents.train,
    test: contents.test ?? null,
    training,
    threads: contents.threads ?? null,
  };
  const path = join(dir, `${prefix}.json`);
  writeFileSync(path, `${JSON.stringify(spec, null, 1)}\n`);
  return path;
}
