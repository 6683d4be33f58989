/**
 * The pretrained-model file: a safetensors file (see @snn/eprop's `encodeSafetensors`) with the
 * network's parameters as F32 tensors (no optimiser state) and, as JSON strings in its metadata,
 * everything needed to use and judge it: the network description (as in @snn/eprop
 * checkpoints), how an image becomes input spikes, the training settings, the accuracy it was
 * measured with and on which digits, the date and the command that trained it.
 */
import type { SequentialMnistEncoding } from "@snn/datasets";
import {
  decodeSafetensors,
  encodeSafetensors,
  parametersOf,
  parseEpropNetworkDescription,
  type EpropNetworkDescription,
  type Float32Tensor,
  type LossMaskOption,
  type ParameterSet,
  type TrainingConfig,
} from "@snn/eprop";
import { PretrainedModelError } from "./errors";

/** The `format` metadata value of a pretrained-model file. */
export const PRETRAINED_FORMAT = "snn-pretrained";
/** The version of the file layout this package reads and writes. */
export const PRETRAINED_VERSION = "1";

/**
 * How the network reads an image: the sequential-MNIST encoding (@snn/datasets'
 * `encodeSequentialMnist`), whose spikes of encoder step s fall at `s * stepMs` ms and are then
 * binned to steps of `dt` (as `snn train` and `snn evaluate` do).
 */
export interface PretrainedInput {
  readonly kind: "sequential-mnist";
  readonly encoding: SequentialMnistEncoding;
  readonly imageRows: number;
  readonly imageCols: number;
  /** Milliseconds per encoder step (1 in `snn train`). */
  readonly stepMs: number;
  /** The network's step in ms (its description's `dt`). */
  readonly dt: number;
  /** Input channels (the network's input size). */
  readonly numChannels: number;
  /** Trial length in network steps. */
  readonly numSteps: number;
  /**
   * The encoding's answer window `[start, end)` in ms (80-channel cue encoding), else null. It
   * also gives the answer period's length, `(end - start) / stepMs` encoder steps, through which
   * the cue channel fires (20 in the spec's encoding; `snn train --cue-ms` sets others).
   */
  readonly lossWindowMs: readonly [number, number] | null;
  /**
   * The loss mask training used, which is also where predictions read the readout (argmax of
   * the masked sum of softmax outputs); null: the encoding's window, else every step.
   */
  readonly lossMask: LossMaskOption | null;
  /** Name of each class (readout unit). */
  readonly classNames: readonly string[];
}

/** An accuracy and the digits it was measured on. */
export interface PretrainedAccuracy {
  /** Fraction correct, `correct / examples`. */
  readonly accuracy: number;
  readonly correct: number;
  readonly examples: number;
  /** Which digits, in words. */
  readonly data: string;
}

/** A fixed set of digits that anyone can load again (e.g. in a test). */
export interface PretrainedSubsetDefinition {
  /** `mnist-test`: the MNIST test set (`t10k-images-idx3-ubyte`, `t10k-labels-idx1-ubyte`) in file order. */
  readonly source: "mnist-test";
  /** The subset is the first `count` images of the source. */
  readonly count: number;
  readonly description: string;
  /** SHA-256 (hex) of the subset's pixels (`count * rows * cols` bytes) followed by its labels (`count` bytes). */
  readonly sha256: string;
}

/** The accuracy on the fixed subset, with the prediction for every digit of it. */
export interface PretrainedSubsetAccuracy extends PretrainedAccuracy {
  readonly definition: PretrainedSubsetDefinition;
  /** The predicted class of each digit of the subset, in order, one character each ("7210..."). */
  readonly predictions: string;
}

/** How the model was evaluated. */
export interface PretrainedEvaluation {
  /** On the whole test set (10,000 MNIST test digits). */
  readonly test: PretrainedAccuracy;
  /** On the fixed subset (part of the test set). */
  readonly subset: PretrainedSubsetAccuracy;
  /** The backend the evaluation ran on (the CPU backend is deterministic: equal runs give equal predictions). */
  readonly backend: string;
  readonly batchSize: number;
}

/** Where the model came from. */
export interface PretrainedProvenance {
  /** Epochs trained, the epoch whose checkpoint this is (best test accuracy during training) and Adam steps taken. */
  readonly epochsCompleted: number;
  readonly epoch: number | null;
  readonly optimizerSteps: number;
  /** `given`: the command was recorded as typed; `config.json`: rebuilt from the run's configuration (every option explicit). */
  readonly commandSource: "given" | "config.json";
  /** When the model file was written (ISO 8601). */
  readonly exportedAt: string;
}

/** Everything a pretrained-model file says about its network. */
export interface PretrainedMetadata {
  readonly name: string;
  readonly description: string;
  readonly input: PretrainedInput;
  /** The training settings: the run's `config.json` (the options of `snn train`). */
  readonly training: Readonly<Record<string, unknown>>;
  /** The trainer's settings stored in the checkpoint (optimiser, loss mask, trial length, batch size, shuffle seed). */
  readonly trainer: TrainingConfig;
  readonly evaluation: PretrainedEvaluation;
  /** The command that trained the network. */
  readonly command: string;
  /** When training finished (ISO 8601). */
  readonly date: string;
  readonly provenance: PretrainedProvenance;
}

/** The contents of a pretrained-model file. */
export interface PretrainedData {
  readonly network: EpropNetworkDescription;
  /** Every parameter of the network in the spec layout (`[post][pre]`). */
  readonly parameters: ParameterSet;
  readonly metadata: PretrainedMetadata;
}

const JSON_KEYS = ["input", "training", "trainer", "evaluation", "provenance"] as const;

/** Encodes a pretrained model as safetensors bytes (parameters as F32 tensors, the rest as metadata). */
export function encodePretrained(data: PretrainedData): Uint8Array {
  checkConsistency(data.network, data.metadata);
  const tensors: Record<string, Float32Tensor> = {};
  for (const info of parametersOf(data.network)) {
    const values = data.parameters[info.name];
    if (!values)
      throw new PretrainedModelError(`encodePretrained: parameter '${info.name}' is missing.`);
    tensors[info.name] = { shape: info.shape, data: values };
  }
  const extra = Object.keys(data.parameters).filter((name) => !(name in tensors));
  if (extra.length > 0)
    throw new PretrainedModelError(
      `encodePretrained: the network has no parameters ${extra.join(", ")}.`,
    );
  const m = data.metadata;
  const metadata: Record<string, string> = {
    format: PRETRAINED_FORMAT,
    version: PRETRAINED_VERSION,
    name: m.name,
    description: m.description,
    network: JSON.stringify(data.network),
    command: m.command,
    date: m.date,
  };
  for (const key of JSON_KEYS) metadata[key] = JSON.stringify(m[key]);
  return encodeSafetensors(tensors, metadata);
}

function parseJson(metadata: Record<string, string>, key: string): unknown {
  const text = metadata[key];
  if (text === undefined)
    throw new PretrainedModelError(
      `The model file has no '${key}' metadata; it is incomplete or corrupt.`,
    );
  try {
    return JSON.parse(text);
  } catch {
    throw new PretrainedModelError(
      `The model file's '${key}' metadata is not valid JSON; the file is corrupt.`,
    );
  }
}

function object(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw new PretrainedModelError(
      `The model file's ${what} is not an object; the file is corrupt.`,
    );
  return value as Record<string, unknown>;
}

function text(metadata: Record<string, string>, key: string): string {
  const value = metadata[key];
  if (value === undefined)
    throw new PretrainedModelError(
      `The model file has no '${key}' metadata; it is incomplete or corrupt.`,
    );
  return value;
}

function positiveInteger(value: unknown, what: string): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1) {
    throw new PretrainedModelError(
      `The model file's ${what} is ${JSON.stringify(value)}; expected a positive integer.`,
    );
  }
  return value;
}

function checkAccuracy(value: unknown, what: string): void {
  const a = object(value, what);
  const examples = positiveInteger(a.examples, `${what}.examples`);
  if (
    typeof a.correct !== "number" ||
    !Number.isInteger(a.correct) ||
    a.correct < 0 ||
    a.correct > examples ||
    a.accuracy !== a.correct / examples
  ) {
    throw new PretrainedModelError(
      `The model file's ${what} is inconsistent (accuracy ${String(a.accuracy)}, ${String(a.correct)} of ${examples} correct).`,
    );
  }
}

/** The input description agrees with the network (channels, classes, dt). */
function checkConsistency(network: EpropNetworkDescription, metadata: PretrainedMetadata): void {
  const input = metadata.input;
  if (input.kind !== "sequential-mnist")
    throw new PretrainedModelError(
      `Unknown input kind ${JSON.stringify(input.kind)}; this @snn/pretrained knows 'sequential-mnist'.`,
    );
  if (input.encoding !== "79-channel" && input.encoding !== "80-channel-cue") {
    throw new PretrainedModelError(
      `Unknown sequential-MNIST encoding ${JSON.stringify(input.encoding)}.`,
    );
  }
  if (input.numChannels !== network.input.size) {
    throw new PretrainedModelError(
      `The input has ${input.numChannels} channels but the network's input layer ${network.input.size}; the file is inconsistent.`,
    );
  }
  if (input.classNames.length !== network.readout.size) {
    throw new PretrainedModelError(
      `The input names ${input.classNames.length} classes but the network has ${network.readout.size} readouts; the file is inconsistent.`,
    );
  }
  if (input.dt !== network.dt)
    throw new PretrainedModelError(
      `The input's dt (${input.dt} ms) differs from the network's (${network.dt} ms); the file is inconsistent.`,
    );
  positiveInteger(input.numSteps, "input.numSteps");
  positiveInteger(input.imageRows, "input.imageRows");
  positiveInteger(input.imageCols, "input.imageCols");
  if (!(typeof input.stepMs === "number" && input.stepMs > 0))
    throw new PretrainedModelError(
      `The input's stepMs is ${JSON.stringify(input.stepMs)}; expected a positive number.`,
    );
  if (input.encoding === "80-channel-cue") answerPeriodSteps(input);
}

/**
 * Encoder steps of the answer period of the 80-channel cue encoding (where its cue channel
 * fires), from the input's answer window; undefined for the 79-channel encoding. Throws when the
 * window does not start right after the image or is not a whole number of steps long.
 */
export function answerPeriodSteps(input: PretrainedInput): number | undefined {
  if (input.encoding !== "80-channel-cue") return undefined;
  const window = input.lossWindowMs;
  const imageMs = 2 * input.imageRows * input.imageCols * input.stepMs;
  const steps =
    Array.isArray(window) && window.length === 2 && window[0] === imageMs
      ? (window[1]! - window[0]!) / input.stepMs
      : Number.NaN;
  if (!(Number.isInteger(steps) && steps >= 1)) {
    throw new PretrainedModelError(
      `The input's answer window ${JSON.stringify(window)} does not fit the 80-channel cue encoding, whose answer period starts after the image at ${imageMs} ms and lasts a whole number of ${input.stepMs} ms steps; the file is inconsistent.`,
    );
  }
  return steps;
}

/**
 * Decodes and checks a pretrained-model file's bytes; throws {@link PretrainedModelError} when
 * it is not one, is corrupt, or its parts disagree (tensor shapes, channels, classes).
 */
export function decodePretrained(bytes: Uint8Array): PretrainedData {
  let decoded: ReturnType<typeof decodeSafetensors>;
  try {
    decoded = decodeSafetensors(bytes);
  } catch (error) {
    throw new PretrainedModelError(
      `Not a readable model file: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  const { tensors, metadata } = decoded;
  if (metadata.format !== PRETRAINED_FORMAT) {
    const hint =
      metadata.format === "snn-eprop-checkpoint"
        ? " It is a training checkpoint of @snn/eprop: load it with Trainer.fromCheckpoint, or export it with @snn/pretrained's scripts/export.mjs."
        : "";
    throw new PretrainedModelError(
      `Not an @snn/pretrained model file (metadata format ${JSON.stringify(metadata.format)}, expected '${PRETRAINED_FORMAT}').${hint}`,
    );
  }
  if (metadata.version !== PRETRAINED_VERSION) {
    throw new PretrainedModelError(
      `Model file version ${JSON.stringify(metadata.version)} is not supported; this @snn/pretrained reads version ${PRETRAINED_VERSION}.`,
    );
  }
  let network: EpropNetworkDescription;
  try {
    network = parseEpropNetworkDescription(parseJson(metadata, "network"));
  } catch (error) {
    if (error instanceof PretrainedModelError) throw error;
    throw new PretrainedModelError(
      `The model file's network description is invalid: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  const parameters: ParameterSet = {};
  for (const info of parametersOf(network)) {
    const tensor = tensors[info.name];
    if (!tensor)
      throw new PretrainedModelError(
        `The model file has no tensor '${info.name}', which its network needs; it is incomplete or corrupt.`,
      );
    if (
      tensor.shape.length !== info.shape.length ||
      tensor.shape.some((d, i) => d !== info.shape[i])
    ) {
      throw new PretrainedModelError(
        `Tensor '${info.name}' has shape [${tensor.shape.join(", ")}] but the network needs [${info.shape.join(", ")}].`,
      );
    }
    if (!tensor.data.every(Number.isFinite))
      throw new PretrainedModelError(
        `Tensor '${info.name}' holds values that are not finite; the file is corrupt.`,
      );
    parameters[info.name] = tensor.data;
  }
  const extra = Object.keys(tensors).filter((name) => !(name in parameters));
  if (extra.length > 0)
    throw new PretrainedModelError(
      `The model file has tensors its network does not use: ${extra.join(", ")}.`,
    );
  const input = object(parseJson(metadata, "input"), "input") as unknown as PretrainedInput;
  const training = object(parseJson(metadata, "training"), "training settings");
  const trainer = object(
    parseJson(metadata, "trainer"),
    "trainer settings",
  ) as unknown as TrainingConfig;
  const evaluation = object(
    parseJson(metadata, "evaluation"),
    "evaluation",
  ) as unknown as PretrainedEvaluation;
  checkAccuracy(evaluation.test, "evaluation.test");
  checkAccuracy(evaluation.subset, "evaluation.subset");
  const subset = evaluation.subset;
  if (
    typeof subset.predictions !== "string" ||
    subset.predictions.length !== subset.examples ||
    subset.definition?.count !== subset.examples
  ) {
    throw new PretrainedModelError(
      "The model file's subset evaluation is inconsistent (its definition, predictions and examples disagree).",
    );
  }
  const provenance = object(
    parseJson(metadata, "provenance"),
    "provenance",
  ) as unknown as PretrainedProvenance;
  const result: PretrainedMetadata = {
    name: text(metadata, "name"),
    description: text(metadata, "description"),
    input,
    training,
    trainer,
    evaluation,
    command: text(metadata, "command"),
    date: text(metadata, "date"),
    provenance,
  };
  checkConsistency(network, result);
  return { network, parameters, metadata: result };
}
