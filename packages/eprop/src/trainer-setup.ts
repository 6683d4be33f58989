import { wasm } from "@snn/core/internal";
import type { TrainingConfig } from "./checkpoint";
import { resolveAdamOptions, type EligibilityMode } from "./compile";
import type { EpropDataset } from "./dataset";
import { defineEpropNetwork } from "./define-network";
import type { EpropNetworkDescription, EpropNetworkOptions } from "./description";
import { parametersOf } from "./projections";
import type { ChunkedTraces, OptimizerState } from "./eprop-runtime";
import { EpropBatchError, EpropConfigError } from "./errors";
import { checkParameters, initialParameters, type ParameterSet } from "./parameters";
import type { TrainerOptions } from "./trainer-options";
import { checkLossMaskOption } from "./trial";

/** A `Trainer`'s options, checked, with the network defined and its first parameters. */
export interface TrainerSetup {
  readonly description: EpropNetworkDescription;
  readonly eligibility: EligibilityMode;
  readonly chunkSteps: number | undefined;
  readonly chunkedTraces: ChunkedTraces | undefined;
  readonly traceThread: boolean | undefined;
  readonly config: TrainingConfig;
  readonly parameters: ParameterSet;
}

function isDescription(
  value: EpropNetworkDescription | EpropNetworkOptions,
): value is EpropNetworkDescription {
  return (value as EpropNetworkDescription).format === "snn-eprop-network";
}

/** Checks `new Trainer(options)` and resolves its defaults (e.g. `eligibility: "auto"`). */
export function resolveTrainerOptions(options: TrainerOptions): TrainerSetup {
  if (typeof options !== "object" || options === null)
    throw new EpropConfigError("new Trainer(options): give { network, backend }.");
  if (typeof options.backend?.compile !== "function") {
    throw new EpropConfigError(
      "new Trainer: give a backend, e.g. { backend: cpuBackend() } from @snn/backend-cpu.",
    );
  }
  if (options.network === undefined)
    throw new EpropConfigError("new Trainer: give the network (a description or its options).");
  const description = isDescription(options.network)
    ? options.network
    : defineEpropNetwork(options.network);
  const eligibility = options.eligibility ?? "auto";
  if (eligibility !== "auto" && eligibility !== "chunked" && eligibility !== "perStep") {
    throw new EpropConfigError(
      `eligibility must be 'auto', 'chunked' or 'perStep', got ${String(eligibility)}.`,
    );
  }
  const resolvedEligibility: EligibilityMode =
    eligibility === "auto"
      ? options.backend.name === "webgpu" || wasm.wasmSimdSupported()
        ? "chunked"
        : "perStep"
      : eligibility;
  if (options.traceThread !== undefined && typeof options.traceThread !== "boolean") {
    throw new EpropConfigError(
      `traceThread must be true or false, got ${String(options.traceThread)}.`,
    );
  }
  checkLossMaskOption(options.lossMask);
  if (
    options.numSteps !== undefined &&
    (!Number.isInteger(options.numSteps) || options.numSteps < 1)
  ) {
    throw new EpropConfigError(
      `numSteps must be a positive integer, got ${String(options.numSteps)}.`,
    );
  }
  const config: TrainingConfig = {
    optimizer: resolveAdamOptions(options.optimizer),
    lossMask: options.lossMask ?? null,
    numSteps: options.numSteps ?? null,
    batchSize: null,
    shuffleSeed: null,
  };
  const parameters = initialParameters(description);
  if (options.parameters) {
    checkParameters(description, options.parameters, true);
    for (const [name, values] of Object.entries(options.parameters))
      parameters[name] = Float32Array.from(values);
  }
  return {
    description,
    eligibility: resolvedEligibility,
    chunkSteps: options.chunkSteps,
    chunkedTraces: options.chunkedTraces,
    traceThread: options.traceThread,
    config,
    parameters,
  };
}

/** Adam's state before its first step: zero moments for every trainable parameter. */
export function zeroMoments(description: EpropNetworkDescription): OptimizerState {
  const m: ParameterSet = {};
  const v: ParameterSet = {};
  for (const info of parametersOf(description)) {
    if (!info.trainable) continue;
    const n = info.shape.reduce((a, b) => a * b, 1);
    m[info.name] = new Float32Array(n);
    v[info.name] = new Float32Array(n);
  }
  return { step: 0, m, v };
}

/** Checks that a dataset fits the network: its input channels and classes. */
export function checkDataset(dataset: EpropDataset, description: EpropNetworkDescription): void {
  if (typeof dataset !== "object" || dataset === null || typeof dataset.batches !== "function") {
    throw new EpropBatchError(
      "The dataset must have numChannels, numClasses and batches({ batchSize, dt, shuffleSeed, epoch }).",
    );
  }
  if (dataset.numChannels !== description.input.size) {
    throw new EpropBatchError(
      `The dataset has ${String(dataset.numChannels)} input channels but the network's input layer has ${description.input.size}; make them equal.`,
    );
  }
  if (dataset.numClasses !== description.readout.size) {
    throw new EpropBatchError(
      `The dataset has ${String(dataset.numClasses)} classes but the readout has ${description.readout.size} neurons; make them equal.`,
    );
  }
}
