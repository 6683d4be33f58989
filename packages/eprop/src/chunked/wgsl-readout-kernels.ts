/**
 * The readout's WGSL chunk kernels (overview in wgsl-kernels.ts): `readout` (softmax, errors,
 * the loss, pi and y sums per batch element), the bias gradient summed over the batch, and
 * `readoutWeights` (the readout weights' gradient).
 */
import { SOFTMAX_EXPONENT_CAP } from "../readout-softmax";
import { read, readWrite, wgslKernel, type WgslKernel } from "./wgsl-bindings";
import { CHUNK, CHUNK_STRUCT, entry, f32Literal, PSI_OF } from "./wgsl-kernels";
import type { LayerShape } from "./wgsl-layer-kernels";

export interface ReadoutShape {
  readonly batchSize: number;
  readonly nOut: number;
  readonly K: number;
  readonly kappa: number;
}

/**
 * Thread per batch element. Bindings: 1 yHistory `[K][batch][nOut]`, 2 mask `[batch][T]` (u32),
 * 3 targets `[batch][nOut]`, 4 errors `[batch][K][nOut]`, 5 sums `[loss, pi, y, bias][batch][nOut]`.
 */
export function readoutShader(shape: ReadoutShape): WgslKernel {
  const { batchSize: B, nOut, K } = shape;
  return wgslKernel({
    preamble: CHUNK_STRUCT,
    bindings: [
      CHUNK,
      read("yHistory"),
      read("mask", "array<u32>"),
      read("targets"),
      readWrite("errors"),
      readWrite("sums"),
    ],
    body: `const B = ${B}u;
const NOUT = ${nOut}u;
const K = ${K}u;
const KAPPA = ${f32Literal(shape.kappa)};
const CAP = ${f32Literal(SOFTMAX_EXPONENT_CAP)};
${entry(
  "main",
  `  let b = id;
  if (b >= B) { return; }
  let loss = 0u * B * NOUT + b * NOUT;
  let pi = 1u * B * NOUT + b * NOUT;
  let ySum = 2u * B * NOUT + b * NOUT;
  let bias = 3u * B * NOUT + b * NOUT;
  var c = chunk.c0;
  for (var u = 0u; u < chunk.steps; u++) {
    c = KAPPA * c + 1.0;
    let row = (u * B + b) * NOUT;
    let out = (b * K + u) * NOUT;
    if (mask[b * chunk.trialSteps + chunk.t0 + u] == 0u) {
      for (var k = 0u; k < NOUT; k++) { errors[out + k] = 0.0; }
      continue;
    }
    var top = yHistory[row];
    for (var k = 1u; k < NOUT; k++) { top = max(top, yHistory[row + k]); }
    var total = 0.0;
    for (var k = 0u; k < NOUT; k++) { total += exp(yHistory[row + k] - top); }
    let logTotal = log(total);
    for (var k = 0u; k < NOUT; k++) {
      let y = yHistory[row + k];
      let p = exp(y - top) / total;
      let wanted = targets[b * NOUT + k];
      let error = p - wanted;
      errors[out + k] = error;
      sums[bias + k] += error * c;
      if (wanted > 0.0) {
        // -log pi_k with the exponent cap of the host's rule (readout-softmax.ts).
        var crossEntropy = logTotal + (top - y);
        if (top - y > CAP) {
          var capped = 0.0;
          for (var j = 0u; j < NOUT; j++) { capped += exp(min(yHistory[row + j] - y - CAP, 0.0)); }
          crossEntropy = CAP + log(capped);
        }
        sums[loss + k] += wanted * crossEntropy;
      }
      sums[pi + k] += p;
      sums[ySum + k] += y;
    }
  }`,
)}`,
  });
}

/**
 * Thread per readout unit: the bias gradient summed over the batch (after the trial's last chunk).
 * Bindings: 1 sums, 2 the readout's arena (read-write) holding `BiasGradSum` at `OFFSET`.
 */
export function biasShader(shape: {
  readonly batchSize: number;
  readonly nOut: number;
  readonly offset: number;
}): WgslKernel {
  const { batchSize: B, nOut } = shape;
  return wgslKernel({
    bindings: [read("sums"), readWrite("arena")],
    body: `const B = ${B}u;
const NOUT = ${nOut}u;
const OFFSET = ${shape.offset}u;
${entry(
  "main",
  `  let k = id;
  if (k >= NOUT) { return; }
  var total = 0.0;
  for (var b = 0u; b < B; b++) { total += sums[(3u * B + b) * NOUT + k]; }
  arena[OFFSET + k] = total;`,
)}`,
  });
}

/**
 * Thread per (hidden neuron j, readout k): dW_kj += sum_b sum_u Err_k(b, u) zbar_j(b, u).
 * Bindings: 1 psiHistory, 2 errors, 3 zbar `[batch][n]` (read), 4 arena (read-write) with the
 * readout projection's `GradSum` `[n][nOut]` at `OFFSET`.
 */
export function readoutWeightsShader(shape: LayerShape & { readonly offset: number }): WgslKernel {
  const { batchSize: B, n, nOut, K } = shape;
  return wgslKernel({
    preamble: CHUNK_STRUCT,
    bindings: [CHUNK, read("psiHistory"), read("errors"), read("zbar"), readWrite("arena")],
    body: `const B = ${B}u;
const N = ${n}u;
const NOUT = ${nOut}u;
const K = ${K}u;
const KAPPA = ${f32Literal(shape.kappa)};
const OFFSET = ${shape.offset}u;
${PSI_OF}
${entry(
  "main",
  `  if (id >= N * NOUT) { return; }
  let j = id / NOUT;
  let k = id % NOUT;
  var gradient = 0.0;
  for (var b = 0u; b < B; b++) {
    var trace = zbar[b * N + j];
    for (var u = 0u; u < chunk.steps; u++) {
      trace = KAPPA * trace + spikeOf(psiHistory[((u + 1u) * B + b) * N + j]);
      gradient += errors[(b * K + u) * NOUT + k] * trace;
    }
  }
  arena[OFFSET + id] += gradient;`,
)}`,
  });
}
