/**
 * A hidden layer's WGSL chunk kernels (overview in wgsl-kernels.ts): `backward` (learning
 * signal, regulariser and the backward passes to the spike and carried-in coefficients),
 * `totals` (the coefficients summed over the chunk, for dense rows) and `advance` (the readout
 * trace and the history's last row moved to row 0).
 */
import { read, readWrite, wgslKernel, type WgslKernel } from "./wgsl-bindings";
import { CARRIED, CHUNK, CHUNK_STRUCT, entry, f32Literal, outputsOf, PSI_OF } from "./wgsl-kernels";

export interface LayerShape {
  readonly batchSize: number;
  readonly n: number;
  readonly nOut: number;
  readonly K: number;
  readonly alpha: number;
  readonly rho: number;
  readonly kappa: number;
  readonly adaptive: boolean;
  /** Firing-rate regulariser, or null. */
  readonly regularisation: {
    readonly alpha: number;
    readonly strength: number;
    readonly targetPerStep: number;
  } | null;
}

/**
 * Thread per (batch element, neuron). Bindings: 1 psiHistory `[K + 1][batch][n]`, 2 errors,
 * 3 the arena holding the feedback `[n][nOut]` at `FEEDBACK`, 4 signals `[L, r][K][batch][n]`
 * (scratch), 5 neuron state `[rate: batch x n][beta: n]`, 6 coefficients `[batch][K][outputs][n]`,
 * 7 carried `[batch][8][n]`.
 */
export function backwardShader(
  shape: LayerShape & { readonly feedbackOffset: number | null },
): WgslKernel {
  const { batchSize: B, n, nOut, K, adaptive, regularisation: reg } = shape;
  const outputs = outputsOf(adaptive);
  const feedback = shape.feedbackOffset;
  return wgslKernel({
    preamble: CHUNK_STRUCT,
    bindings: [
      CHUNK,
      read("psiHistory"),
      read("errors"),
      read("feedbackArena"),
      readWrite("signals"),
      readWrite("neurons"),
      readWrite("coefficients"),
      readWrite("carried"),
    ],
    body: `const B = ${B}u;
const N = ${n}u;
const NOUT = ${nOut}u;
const K = ${K}u;
const OUTPUTS = ${outputs}u;
const ALPHA = ${f32Literal(shape.alpha)};
const RHO = ${f32Literal(shape.rho)};
const KAPPA = ${f32Literal(shape.kappa)};
const FEEDBACK = ${feedback ?? 0}u;
${PSI_OF}
${entry(
  "main",
  `  if (id >= B * N) { return; }
  let b = id / N;
  let j = id % N;
  let L = 0u;
  let R = K * B * N;
  // Forward over the chunk: the learning signal L(u) = sum_k B_jk Err_k(u) and r(u).
  ${reg ? "var rate = neurons[id];" : ""}
  for (var u = 0u; u < chunk.steps; u++) {
    var signal = 0.0;
    ${
      feedback === null
        ? ""
        : `for (var k = 0u; k < NOUT; k++) { signal += feedbackArena[FEEDBACK + j * NOUT + k] * errors[(b * K + u) * NOUT + k]; }`
    }
    signals[L + (u * B + b) * N + j] = signal;
    ${
      reg
        ? `rate = ${f32Literal(reg.alpha)} * rate + ${f32Literal(1 - reg.alpha)} * spikeOf(psiHistory[((u + 1u) * B + b) * N + j]);
    signals[R + (u * B + b) * N + j] = ${f32Literal(reg.strength)} * (rate - ${f32Literal(reg.targetPerStep)});`
        : ""
    }
  }
  ${reg ? "neurons[id] = rate;" : ""}
  let beta = neurons[B * N + j];
  // Backward: adjoints of J = g, b(t1), a(t1) (docs/chunked-eprop.md).
  var lbG = 0.0; var laG = 0.0; var lpG = 0.0;
  var lbB = 0.0; var laB = 0.0; var lpB = 0.0;
  var laA = 0.0; var lpA = 0.0;
  var once = 1.0;
  for (var step = chunk.steps; step > 0u; step--) {
    let u = step - 1u;
    let at = (u * B + b) * N + j;
    let ps = psiOf(psiHistory[((u + 1u) * B + b) * N + j]);
    let t1 = ps * beta;
    let decay = RHO - t1;
    let out = ((b * K + u) * OUTPUTS) * N + j;
    lbG = signals[L + at] + KAPPA * lbG;
    let eta = lbG ${reg ? "+ signals[R + at]" : ""};
    var next = laG;
    laG = decay * laG - t1 * eta;
    lpG = ps * (eta + next) + ALPHA * lpG;
    coefficients[out] = lpG;
    lbB = once + KAPPA * lbB;
    next = laB;
    laB = decay * laB - t1 * lbB;
    lpB = ps * (lbB + next) + ALPHA * lpB;
    coefficients[out + N] = lpB;
    ${
      adaptive
        ? `next = laA;
    laA = once + decay * laA;
    lpA = ps * next + ALPHA * lpA;
    coefficients[out + 2u * N] = lpA;`
        : ""
    }
    once = 0.0;
  }
  // Carried-in coefficients, with psi(t0) from row 0.
  let before = psiOf(psiHistory[b * N + j]);
  let decay0 = RHO - before * beta;
  let c = b * ${CARRIED}u * N + j;
  carried[c] = ALPHA * lpG + before * laG;
  carried[c + N] = decay0 * laG;
  carried[c + 2u * N] = KAPPA * lbG;
  carried[c + 3u * N] = ALPHA * lpB + before * laB;
  carried[c + 4u * N] = decay0 * laB;
  carried[c + 5u * N] = KAPPA * lbB;
  carried[c + 6u * N] = ALPHA * lpA + before * laA;
  carried[c + 7u * N] = decay0 * laA;`,
)}`,
  });
}

/**
 * Thread per (batch element, neuron), after `backward`: the sums over the chunk's steps of each
 * spike coefficient, `[batch][outputs][n]`, which `apply` uses for dense rows. Bindings:
 * 1 coefficients `[batch][K][outputs][n]` (read), 2 totals.
 */
export function totalsShader(shape: {
  readonly batchSize: number;
  readonly n: number;
  readonly K: number;
  readonly adaptive: boolean;
}): WgslKernel {
  const { batchSize: B, n, K } = shape;
  const outputs = outputsOf(shape.adaptive);
  return wgslKernel({
    preamble: CHUNK_STRUCT,
    bindings: [CHUNK, read("coefficients"), readWrite("totals")],
    body: `const B = ${B}u;
const N = ${n}u;
const K = ${K}u;
const OUTPUTS = ${outputs}u;
${entry(
  "main",
  `  if (id >= B * N) { return; }
  let b = id / N;
  let j = id % N;
  for (var o = 0u; o < OUTPUTS; o++) {
    var total = 0.0;
    for (var s = 0u; s < chunk.steps; s++) { total += coefficients[((b * K + s) * OUTPUTS + o) * N + j]; }
    totals[(b * OUTPUTS + o) * N + j] = total;
  }`,
)}`,
  });
}

/**
 * Thread per (batch element, neuron), after the chunk's other kernels: the readout trace
 * zbar(t1) (when the layer feeds the readout) and the history's last recorded row moved to
 * row 0. Bindings: 1 psiHistory (read-write), 2 zbar.
 */
export function advanceShader(shape: {
  readonly batchSize: number;
  readonly n: number;
  readonly kappa: number;
  readonly readout: boolean;
}): WgslKernel {
  const { batchSize: B, n } = shape;
  return wgslKernel({
    preamble: CHUNK_STRUCT,
    bindings: [CHUNK, readWrite("psiHistory"), readWrite("zbar")],
    body: `const B = ${B}u;
const N = ${n}u;
const KAPPA = ${f32Literal(shape.kappa)};
${PSI_OF}
${entry(
  "main",
  `  if (id >= B * N) { return; }
  ${
    shape.readout
      ? `var trace = zbar[id];
  for (var u = 0u; u < chunk.steps; u++) { trace = KAPPA * trace + spikeOf(psiHistory[(u + 1u) * B * N + id]); }
  zbar[id] = trace;`
      : ""
  }
  psiHistory[id] = psiHistory[chunk.steps * B * N + id];`,
)}`,
  });
}
