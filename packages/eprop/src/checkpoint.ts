/**
 * Training checkpoints: parameters and Adam state as safetensors tensors, with the network
 * description, training configuration and progress as JSON in the safetensors metadata.
 */
import { writeFileAtomically } from "./atomic-file";
import { resolveAdamOptions, type ResolvedAdamOptions } from "./compile";
import { parseEpropNetworkDescription } from "./define-network";
import type { EpropNetworkDescription } from "./description";
import { parametersOf } from "./projections";
import type { OptimizerState } from "./eprop-runtime";
import { CheckpointError, EpropConfigError } from "./errors";
import { checkParameters, type ParameterSet } from "./parameters";
import { decodeSafetensors, encodeSafetensors, type Float32Tensor } from "./safetensors";
import { checkLossMaskOption, type LossMaskOption } from "./trial";

/** Training settings a checkpoint records so that a resumed run continues identically. */
export interface TrainingConfig {
  readonly optimizer: ResolvedAdamOptions;
  /** `null`: the batch's mask when it has one, else every step. */
  readonly lossMask: LossMaskOption | null;
  /** Trial length asked of the dataset; `null` lets the dataset choose. */
  readonly numSteps: number | null;
  /** Batch size and shuffle seed of the current run (`null` before training started). */
  readonly batchSize: number | null;
  readonly shuffleSeed: number | null;
}

/** Where training stands: the next batch is batch `batchInEpoch` of epoch `epoch` (both 0-based). */
export interface TrainingProgress {
  readonly epoch: number;
  readonly batchInEpoch: number;
  /** Adam steps taken (one per batch). */
  readonly optimizerSteps: number;
}

/** Everything a checkpoint holds. */
export interface CheckpointData {
  readonly network: EpropNetworkDescription;
  readonly training: TrainingConfig;
  readonly progress: TrainingProgress;
  /** Spec layout (`[post][pre]`). */
  readonly parameters: ParameterSet;
  readonly optimizer: OptimizerState;
}

const FORMAT = "snn-eprop-checkpoint";
const VERSION = "1";

/** Encodes a checkpoint as safetensors bytes. */
export function encodeCheckpoint(data: CheckpointData): Uint8Array {
  const tensors: Record<string, Float32Tensor> = {};
  for (const info of parametersOf(data.network)) {
    const values = data.parameters[info.name];
    if (!values)
      throw new CheckpointError(`encodeCheckpoint: parameter '${info.name}' is missing.`);
    tensors[info.name] = { shape: info.shape, data: values };
    if (info.trainable) {
      const m = data.optimizer.m[info.name];
      const v = data.optimizer.v[info.name];
      if (!m || !v)
        throw new CheckpointError(`encodeCheckpoint: Adam moments of '${info.name}' are missing.`);
      tensors[`adam.m:${info.name}`] = { shape: info.shape, data: m };
      tensors[`adam.v:${info.name}`] = { shape: info.shape, data: v };
    }
  }
  return encodeSafetensors(tensors, {
    format: FORMAT,
    version: VERSION,
    network: JSON.stringify(data.network),
    training: JSON.stringify(data.training),
    progress: JSON.stringify({ ...data.progress, adamStep: data.optimizer.step }),
  });
}

function parseJson(text: string | undefined, what: string): unknown {
  if (text === undefined)
    throw new CheckpointError(
      `The checkpoint has no '${what}' metadata; it was not written by @snn/eprop or is corrupt.`,
    );
  try {
    return JSON.parse(text);
  } catch {
    throw new CheckpointError(
      `The checkpoint's '${what}' metadata is not valid JSON; the checkpoint is corrupt.`,
    );
  }
}

function nonNegativeInteger(value: unknown, what: string): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0) {
    throw new CheckpointError(
      `The checkpoint's ${what} is ${JSON.stringify(value)}; expected a non-negative integer. The checkpoint is corrupt.`,
    );
  }
  return value;
}

/** Trial lengths and batch sizes beyond this are not a real setting but a damaged checkpoint. */
const MAX_SETTING = 2 ** 31 - 1;

function optionalPositiveInteger(value: unknown, what: string): number | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1 || value > MAX_SETTING) {
    throw new CheckpointError(
      `The checkpoint's ${what} is ${JSON.stringify(value)}; expected a positive integer (at most ${MAX_SETTING}) or null. The checkpoint is corrupt.`,
    );
  }
  return value;
}

/** Decodes and checks checkpoint bytes; throws {@link CheckpointError} when corrupt or inconsistent. */
export function decodeCheckpoint(bytes: Uint8Array): CheckpointData {
  const { tensors, metadata } = decodeSafetensors(bytes);
  if (metadata.format !== FORMAT) {
    throw new CheckpointError(
      `Not an @snn/eprop checkpoint (metadata format ${JSON.stringify(metadata.format)}, expected '${FORMAT}').`,
    );
  }
  if (metadata.version !== VERSION) {
    throw new CheckpointError(
      `Checkpoint version ${JSON.stringify(metadata.version)} is not supported; this @snn/eprop reads version ${VERSION}.`,
    );
  }
  let network: EpropNetworkDescription;
  try {
    network = parseEpropNetworkDescription(parseJson(metadata.network, "network"));
  } catch (error) {
    if (error instanceof EpropConfigError)
      throw new CheckpointError(
        `The checkpoint's network description is invalid: ${error.message}`,
      );
    throw error;
  }
  const trainingRaw = parseJson(metadata.training, "training") as Partial<TrainingConfig> | null;
  if (typeof trainingRaw !== "object" || trainingRaw === null)
    throw new CheckpointError("The checkpoint's training metadata is not an object.");
  let training: TrainingConfig;
  try {
    if (trainingRaw.lossMask !== null) checkLossMaskOption(trainingRaw.lossMask);
    training = {
      optimizer: resolveAdamOptions(trainingRaw.optimizer ?? {}),
      lossMask: trainingRaw.lossMask ?? null,
      numSteps: optionalPositiveInteger(trainingRaw.numSteps, "training.numSteps"),
      batchSize: optionalPositiveInteger(trainingRaw.batchSize, "training.batchSize"),
      shuffleSeed: trainingRaw.shuffleSeed ?? null,
    };
  } catch (error) {
    if (error instanceof EpropConfigError)
      throw new CheckpointError(`The checkpoint's training settings are invalid: ${error.message}`);
    throw error;
  }
  const progressRaw = parseJson(metadata.progress, "progress") as Record<string, unknown> | null;
  if (typeof progressRaw !== "object" || progressRaw === null)
    throw new CheckpointError("The checkpoint's progress metadata is not an object.");
  const progress: TrainingProgress = {
    epoch: nonNegativeInteger(progressRaw.epoch, "progress.epoch"),
    batchInEpoch: nonNegativeInteger(progressRaw.batchInEpoch, "progress.batchInEpoch"),
    optimizerSteps: nonNegativeInteger(progressRaw.optimizerSteps, "progress.optimizerSteps"),
  };
  const adamStep = nonNegativeInteger(progressRaw.adamStep, "progress.adamStep");
  const parameters: ParameterSet = {};
  const m: ParameterSet = {};
  const v: ParameterSet = {};
  const expected = new Set<string>();
  for (const info of parametersOf(network)) {
    const names = info.trainable
      ? [info.name, `adam.m:${info.name}`, `adam.v:${info.name}`]
      : [info.name];
    for (const name of names) {
      expected.add(name);
      const tensor = tensors[name];
      if (!tensor)
        throw new CheckpointError(
          `The checkpoint has no tensor '${name}', which its network needs; it is incomplete or corrupt.`,
        );
      if (
        tensor.shape.length !== info.shape.length ||
        tensor.shape.some((d, i) => d !== info.shape[i])
      ) {
        throw new CheckpointError(
          `Tensor '${name}' has shape [${tensor.shape.join(", ")}] but the network needs [${info.shape.join(", ")}].`,
        );
      }
    }
    parameters[info.name] = tensors[info.name]!.data;
    if (info.trainable) {
      m[info.name] = tensors[`adam.m:${info.name}`]!.data;
      v[info.name] = tensors[`adam.v:${info.name}`]!.data;
    }
  }
  const extra = Object.keys(tensors).filter((name) => !expected.has(name));
  if (extra.length > 0)
    throw new CheckpointError(
      `The checkpoint has tensors its network does not use: ${extra.join(", ")}; it is corrupt or from another version.`,
    );
  try {
    checkParameters(network, parameters);
  } catch (error) {
    if (error instanceof EpropConfigError)
      throw new CheckpointError(`The checkpoint's parameters are invalid: ${error.message}`);
    throw error;
  }
  return { network, training, progress, parameters, optimizer: { step: adamStep, m, v } };
}

/** Throws a {@link CheckpointError} saying what to use instead where Node's file system is missing (a browser). */
function requireNodeFiles(call: string): void {
  const node =
    typeof process === "object" && process !== null && typeof process.versions?.node === "string";
  if (!node) {
    throw new CheckpointError(
      `${call} needs Node's file system, which this environment (a browser?) does not have. Use encodeCheckpoint(data) and store the bytes yourself (a download, IndexedDB), and decodeCheckpoint(bytes) to load them.`,
    );
  }
}

/**
 * Writes a checkpoint file atomically: to a temporary file in the same directory, flushed to
 * disk, then renamed over `path`, so that a crash never leaves a half-written checkpoint.
 * Node only (elsewhere: {@link encodeCheckpoint}).
 */
export async function writeCheckpointFile(path: string, data: CheckpointData): Promise<void> {
  requireNodeFiles("writeCheckpointFile");
  await writeFileAtomically(path, encodeCheckpoint(data));
}

/** Reads and checks a checkpoint file (Node only; elsewhere: {@link decodeCheckpoint}). */
export async function readCheckpointFile(path: string): Promise<CheckpointData> {
  requireNodeFiles("readCheckpointFile");
  const fs = await import("node:fs/promises");
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await fs.readFile(path));
  } catch (error) {
    const code = (error as { code?: string }).code;
    throw new CheckpointError(
      `Cannot read checkpoint '${path}'${code ? ` (${code})` : ""}; check the path.`,
    );
  }
  return decodeCheckpoint(bytes);
}

/** A checkpoint from a file path, safetensors bytes or already decoded data. */
export async function loadCheckpointData(
  source: string | Uint8Array | CheckpointData,
): Promise<CheckpointData> {
  if (typeof source === "string") return readCheckpointFile(source);
  if (source instanceof Uint8Array) return decodeCheckpoint(source);
  if (typeof source === "object" && source !== null && "network" in source) return source;
  throw new CheckpointError(
    "A checkpoint must be a file path, safetensors bytes or decoded checkpoint data.",
  );
}

/** How two networks differ, in words (for the error of restoring a checkpoint of another network). */
export function describeNetworkDifference(
  a: EpropNetworkDescription,
  b: EpropNetworkDescription,
): string {
  const layers = (d: EpropNetworkDescription): string =>
    [
      `${d.input.name}(${d.input.size})`,
      ...d.hidden.map((h) => `${h.name}(${h.size} ${h.neuron})`),
      `${d.readout.name}(${d.readout.size})`,
    ].join(" -> ");
  const la = layers(a);
  const lb = layers(b);
  if (la !== lb) return `this trainer: ${la}; checkpoint: ${lb}`;
  return "same layers, but different settings (time constants, feedback, regularisation, dt or seed)";
}
