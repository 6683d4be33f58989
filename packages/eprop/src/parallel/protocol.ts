/**
 * Messages between a trainer and its trial workers (data-parallel training and threaded
 * evaluation, `threads > 1`): everything in them is structured-cloneable (typed arrays, plain
 * objects).
 */
import type { BackendWorkerSource } from "@snn/core";
import type { EpropNetworkDescription } from "../description";
import type { ResolvedAdamOptions, EligibilityMode } from "../compile";
import type { ChunkedTraces, TrialOutputs } from "../eprop-runtime";
import { EpropBatchError, EpropConfigError } from "../errors";
import { NonFiniteStateError, type NonFiniteLocation } from "../non-finite";
import type { ParameterSet } from "../parameters";
import type { PreparedTrial } from "../trial";

/** What a worker builds its runtime from: a training runtime, or an inference one. */
export type WorkerInit = TrainWorkerInit | InferenceWorkerInit;

/** A training runtime (`mode: "train"`), as the trainer's own. */
export interface TrainWorkerInit {
  readonly mode: "train";
  readonly description: EpropNetworkDescription;
  readonly backend: BackendWorkerSource;
  readonly batchSize: number;
  readonly optimizer: ResolvedAdamOptions;
  readonly eligibility: EligibilityMode;
  readonly chunkSteps?: number;
  readonly chunkedTraces?: ChunkedTraces;
  readonly traceThread?: boolean;
}

/** A forward-only runtime (`mode: "inference"`) of `batchSize` trials. */
export interface InferenceWorkerInit {
  readonly mode: "inference";
  readonly description: EpropNetworkDescription;
  readonly backend: BackendWorkerSource;
  readonly batchSize: number;
}

/** One trial of a job, and where it is in training (for error messages). */
export interface WorkerTrial {
  readonly trial: PreparedTrial;
  readonly where: string;
}

/** Main thread to worker. */
export type ToWorker =
  | { readonly kind: "init"; readonly init: WorkerInit }
  /** Sets the parameters (spec layout), then runs the trials in order. */
  | {
      readonly kind: "trials";
      readonly id: number;
      readonly parameters: ParameterSet;
      readonly trials: readonly WorkerTrial[];
    }
  /**
   * Runs one trial forward (an inference runtime), with these parameters when given (they stay
   * for the jobs after it).
   */
  | {
      readonly kind: "infer";
      readonly id: number;
      readonly parameters?: ParameterSet;
      readonly trial: PreparedTrial;
    };

/** A trial's outputs and its batch-summed gradients (core layout, see `EpropRuntime.readTrialGradients`). */
export interface WorkerTrialResult {
  readonly outputs: TrialOutputs;
  readonly gradients: Float32Array[];
}

/** A trial's outputs from an inference job, and the milliseconds the trial took in the worker. */
export interface WorkerInferenceResult {
  readonly outputs: TrialOutputs;
  readonly ms: number;
}

/** An error as it crosses threads. */
export interface WorkerFailure {
  readonly type: "nonFinite" | "batch" | "config" | "other";
  readonly message: string;
  readonly location?: NonFiniteLocation;
}

/** Worker to main thread. */
export type FromWorker =
  | { readonly kind: "ready" }
  | { readonly kind: "initFailed"; readonly failure: WorkerFailure }
  | { readonly kind: "done"; readonly id: number; readonly results: WorkerTrialResult[] }
  | { readonly kind: "inferred"; readonly id: number; readonly result: WorkerInferenceResult }
  | { readonly kind: "failed"; readonly id: number; readonly failure: WorkerFailure };

export function toFailure(error: unknown): WorkerFailure {
  if (error instanceof NonFiniteStateError)
    return { type: "nonFinite", message: error.message, location: error.location };
  if (error instanceof EpropBatchError) return { type: "batch", message: error.message };
  if (error instanceof EpropConfigError) return { type: "config", message: error.message };
  return {
    type: "other",
    message: error instanceof Error ? (error.stack ?? error.message) : String(error),
  };
}

/** The error a failure stands for, of the same class where it is one of e-prop's. */
export function fromFailure(failure: WorkerFailure, context: string): Error {
  switch (failure.type) {
    case "nonFinite":
      return new NonFiniteStateError(failure.message, failure.location!);
    case "batch":
      return new EpropBatchError(failure.message);
    case "config":
      return new EpropConfigError(failure.message);
    default:
      return new Error(`${context}: ${failure.message}`);
  }
}
