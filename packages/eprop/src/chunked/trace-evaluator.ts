import type { Runtime } from "@snn/core";
import type { ReadoutSums } from "../readout-softmax";
import type { PreparedTrial } from "../trial";

/**
 * A chunked evaluation of the hidden layers' eligibility traces and the readout (docs/chunked-eprop.md):
 * on the host in WebAssembly (`ChunkedEligibility`, eligibility.ts) or on the network's own
 * device in WGSL (`DeviceChunkedEligibility`, device-eligibility.ts). `EpropRuntime` drives
 * either through this interface; the per-step form needs none (the network evaluates it).
 */
export interface ChunkedTraceEvaluator {
  /** Where the evaluation runs. */
  readonly where: "host" | "device";
  /** Bytes of state it holds: independent of the trial length (but for the device's loss mask). */
  readonly stateBytes: number;
  /** Whether it runs in a worker thread beside the forward pass. */
  readonly threaded: boolean;
  /**
   * Starts a trial, after the runtime's `startTrial` and `setSpikeEvents`. With `observed`, the
   * readout's `Pi` holds pi(s-1) after every step s, as in the per-step form.
   */
  startTrial(
    trial: PreparedTrial,
    runtime: Runtime,
    options: { readonly observed?: boolean },
  ): Promise<void>;
  /**
   * Steps the runtime may simulate before the next {@link afterStep} call: the rest of the chunk
   * where the evaluation reads nothing back (the device's), else one.
   */
  readonly stepsPerCall: number;
  /**
   * Call after simulation step `s` (0-based) of the trial, or after the last step of a run of
   * {@link stepsPerCall}; returns a promise to wait for, or nothing when it is done already
   * (the host's, with a runtime that reads synchronously: no promise per step).
   */
  afterStep(s: number, runtime: Runtime): void | Promise<void>;
  /** After the trial's last step: leaves the trial's gradients in the network's gradient variables. */
  finishTrial(runtime: Runtime): Promise<void>;
  /** The readout's loss, pi and y summed over the masked steps of the last trial, `[batch][nOut]` each. */
  readoutSums(): ReadoutSums | Promise<ReadoutSums>;
  dispose(): void;
}
