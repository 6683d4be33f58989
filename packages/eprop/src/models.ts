/**
 * The ordinary core models the e-prop pass emits. Nothing here is backend specific: every
 * model is plain snippet code that any backend passing conformance runs.
 *
 * Timing (see README, "How e-prop maps onto core models"): in step s,
 * - the readout computes pi(s-1) = softmax(y(s-1)) and the error Err(s-1) from the sum of
 *   exp(y_k(s-1) - y_j(s-1)) delivered by its own one-step-delayed projection, and the loss
 *   mask m(s-1) delivered by a one-step-delayed spike source;
 * - the hidden->readout synapses send `addToPre(B_jk Err_k)` to the hidden layer, which sees
 *   the learning signal L(s-3) in step s (it already updated in step s-1 when Err arrived);
 * - the hidden synapses advance their eligibility state for time u = s - 4 from short
 *   per-neuron histories of psi, presynaptic traces and firing rates.
 * A trial of T steps therefore runs T + 4 steps (input silent and mask 0 in the extra steps),
 * which gives exactly the gradient of docs/equations.md.
 *
 * Chunked training (docs/chunked-eprop.md) emits only the forward pass (hidden neurons with
 * psi, the readout's leaky integrator) and runs T steps: the host reads z(u), psi(u) and y(u)
 * after step u and does the rest. Inference with the softmax on the host (the default but on
 * WebGPU) emits the readout's leaky integrator alone too, and the host reads y(u).
 *
 * This file holds what the models share: the extra steps of a trial, the PsiSpike encoding,
 * the history lengths and the helpers that write them. The models themselves are in
 * neuron-models.ts (hidden neurons, readout), synapse-models.ts (weights, feedback, softmax
 * and loss mask) and custom-update-models.ts (gradient reduction, Adam, state resets).
 */
import type { VarSpec } from "@snn/core";

/**
 * Extra steps a training trial runs after the T steps of the input: the lag between a hidden
 * neuron's state at time u and the synapse update that uses it.
 */
export const TRAIN_EXTRA_STEPS = 4;
/** Extra steps an inference trial with the softmax in the network runs (pi(T-1) is computed in step T). */
export const INFERENCE_EXTRA_STEPS = 1;
/**
 * Extra steps a trial runs where the host computes the softmax from y (chunked training, and
 * inference with `readoutSoftmax: 'host'`): none (the host computes pi(T-1) from y(T-1)).
 */
export const HOST_SOFTMAX_EXTRA_STEPS = 0;

/**
 * Chunked training: a hidden neuron's `PsiSpike` holds psi(s) (>= 0) when it did not spike in
 * step s and -max(psi(s), 2^-126) when it did, so that the host gets z(s) and psi(s) from one
 * read. 2^-126, the smallest normal float32 (never flushed to zero), stands for psi = 0 at a
 * spike; the decoding is exact for every other psi.
 */
export const PSI_SPIKE_FLOOR = 2 ** -126;
/** {@link PSI_SPIKE_FLOOR} as a literal of the models' code. */
export const PSI_SPIKE_FLOOR_LITERAL = "1.17549435e-38"; // rounds to 2^-126 in float32

/** Per-neuron psi history length a hidden layer keeps (psi(s-1) .. psi(s-1-k)). */
export function psiSlots(adaptive: boolean): number {
  return adaptive ? 5 : 4;
}
/** Presynaptic trace history slots of an e-prop projection. */
export function traceSlots(adaptive: boolean): number {
  return adaptive ? 6 : 5;
}
/** Firing-rate history slots (regularisation). */
export const RATE_SLOTS = 4;

/** A variable with a value per batch element. */
export const batched: VarSpec = { access: "readWrite" };
/** A variable shared by the batch. */
export const shared: VarSpec = { access: "readOnly" };

/** 0 .. n - 1. */
export function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

/** Code that moves a history `prefix0 .. prefix{slots - 1}` one slot on, from the oldest down to 1. */
export function shift(prefix: string, slots: number): string {
  // prefix{k} = prefix{k-1}, from the oldest down to 1
  return range(slots - 1)
    .map((i) => slots - 1 - i)
    .map((k) => `${prefix}${k} = ${prefix}${k - 1};`)
    .join("\n");
}
