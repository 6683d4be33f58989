/**
 * Messages between a trainer and its trial workers (data-parallel training, `threads > 1`):
 * everything in them is structured-cloneable (typed arrays, plain objects).
 */
import type { BackendWorkerSource } from "@snn/core";
import type { EpropNetworkDescription } from "../description";
import type { ResolvedAdamOptions, EligibilityMode } from "../compile";
import type { ChunkedTraces, TrialOutputs } from "../eprop-runtime";
import { EpropBatchError, EpropConfigError } from "../errors";
import { NonFiniteStateError, type NonFiniteLocation } from "../non-finite";
import type { ParameterSet } from "../parameters";
import type { PreparedTrial } from "../trial";

/** What a worker builds its runtime from. */
export interface WorkerInit {
  readonly description: EpropNetworkDescription;
  readonly backend: BackendWorkerSource;
  readonly batchSize: number;
  readonly optimizer: ResolvedAdamOptions;
  readonly eligibility: EligibilityMode;
  readonly chunkSteps?: number;
  readonly chunkedTraces?: ChunkedTraces;
  readonly traceThread?: boolean;
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
    };

/** A trial's outputs and its batch-summed gradients (core layout, see `EpropRuntime.readTrialGradients`). */
export interface WorkerTrialResult {
  readonly outputs: TrialOutputs;
  readonly gradients: Float32Array[];
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
