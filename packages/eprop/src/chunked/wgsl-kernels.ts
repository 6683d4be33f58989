/**
 * WGSL kernels of chunked e-prop on the device (docs/chunked-eprop.md, "On the GPU"). They
 * evaluate the same recursions as the WebAssembly kernels (wasm-kernels.ts), on buffers that
 * stay on the device for the whole trial:
 *
 * - `record` (a step hook, after every timestep): copies a hidden layer's `PsiSpike` into row
 *   1 + u of its history `[K + 1][batch][n]` (row 0 holds the previous chunk's last step), or
 *   the readout's `Y` into row u of `[K][batch][nOut]`, u = (steps done - 1) mod K;
 * - `readout` (thread per batch element): softmax, error Err(u) `[batch][K][nOut]`, the loss,
 *   pi and y sums and the bias gradient of each batch element;
 * - `readoutWeights` (thread per hidden neuron and readout): the readout gradient;
 * - `backward` (thread per batch element and neuron): L(u) = B Err(u), the regulariser r(u),
 *   then the three backward passes: spike coefficients `[batch][K][g, b(, a)][n]` and carried-in
 *   coefficients `[batch][8][n]`;
 * - `totals` (thread per batch element and neuron): the sums over the chunk's steps of each
 *   spike coefficient, for the dense rows below;
 * - `compact` (thread per batch element and presynaptic neuron): the chunk's spike steps of
 *   each presynaptic neuron (or, where it spiked in more than half of the steps, a dense row:
 *   its silent steps, flagged), and its trace p(t1);
 * - `apply` (workgroup of 64 postsynaptic neurons per presynaptic neuron, the neuron's spike
 *   steps staged in workgroup memory): per synapse, the sums of the spikes' coefficients (for a
 *   dense row, the totals less its silent steps' coefficients) and the carried-in terms:
 *   gradient (added to the projection's `GradSum`) and carried state;
 * - `advance` (thread per batch element and neuron): the readout trace zbar, and the history's
 *   last row moved to row 0.
 */
import { SOFTMAX_EXPONENT_CAP } from "../readout-softmax";
import { read, readWrite, uniform, wgslKernel, type WgslKernel } from "./wgsl-bindings";

/** Threads per workgroup of every kernel. */
export const WORKGROUP = 64;
/** Spike steps staged in workgroup memory at a time by `apply`. */
const STAGE = 256;
/** Carried-in coefficients per neuron (order gP, gA, gB, bP, bA, bB, aP, aA as in wasm-kernels.ts). */
const CARRIED = 8;
/** The flag of a dense row's count in the spike lists (the row lists its silent steps). */
export const DENSE_ROW = 0x80000000;

/** A float constant as a WGSL f32 literal of exactly that float32 value. */
function f32Literal(x: number): string {
  const value = Math.fround(x);
  if (!Number.isFinite(value)) throw new Error(`internal: ${x} is not a finite float32`);
  const text = String(value);
  return /[.e]/.test(text) ? `${text}f` : `${text}.0f`;
}

/** The per-chunk uniform every chunk kernel reads (binding 0, {@link CHUNK}). */
const CHUNK_STRUCT = `struct Chunk {
  t0: u32,         // the chunk's first step in the trial
  steps: u32,      // steps in this chunk (K, or fewer for the last)
  first: u32,      // 1: the first chunk of the trial (zero carried-in state)
  last: u32,       // 1: the last chunk (no carried-out state)
  trialSteps: u32, // T
  eventSteps: u32, // steps of input spike events on the device
  parity: u32,     // which half of the presynaptic traces holds p(t0)
  c0: f32,         // the bias eligibility c(t0 - 1)
}`;
/** Binding 0 of every chunk kernel. */
const CHUNK = uniform("chunk", "Chunk");

const PSI_OF = `// psi from a PsiSpike value (models.ts): -max(psi, 2^-126) marks a spike.
fn psiOf(x: f32) -> f32 {
  if (x >= 0.0) { return x; }
  if (x == -1.17549435e-38f) { return 0.0; }
  return -x;
}
fn spikeOf(x: f32) -> f32 {
  return select(0.0, 1.0, x < 0.0);
}`;

function entry(name: string, body: string, size = WORKGROUP): string {
  return `@compute @workgroup_size(${size})
fn ${name}(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let id = gid.y * groups.x * ${size}u + gid.x;
${body}
}`;
}

/** Step hook: copies `length` floats from `source[offset..]` into row `rowBase + u` of a history of `K` rows. */
export function recordShader(): WgslKernel {
  return wgslKernel({
    preamble: `struct Record {
  offset: u32,   // first element of the variable in its buffer
  length: u32,   // elements per step (batch x size)
  rowBase: u32,  // 1 for hidden layers (row 0 is the previous chunk's last step), 0 for the readout
  K: u32,
}
struct Clock { trial_step: u32, global_step: u32, unused0: u32, unused1: u32 }`,
    bindings: [
      uniform("record", "Record"),
      read("clock", "Clock"),
      read("source"),
      readWrite("history"),
    ],
    body: `${entry(
      "main",
      `  if (id >= record.length) { return; }
  let u = (clock.trial_step - 1u) % record.K;
  history[(record.rowBase + u) * record.length + id] = source[record.offset + id];`,
    )}`,
  });
}

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

/** Spike coefficient outputs per step: g, b, and a for adaptive layers. */
export function outputsOf(adaptive: boolean): number {
  return adaptive ? 3 : 2;
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

export interface ProjectionShape {
  readonly batchSize: number;
  readonly numPre: number;
  /** Postsynaptic neurons. */
  readonly n: number;
  readonly K: number;
  readonly adaptive: boolean;
  /**
   * Where the presynaptic spikes come from: the input's spike event bits (`words` per row), or
   * a hidden layer's PsiSpike history (`row` 0: z(t-1), the recurrent delay; 1: z(t)).
   */
  readonly source:
    | { readonly kind: "events"; readonly words: number }
    | { readonly kind: "history"; readonly row: 0 | 1 };
  /** Synapses j -> j are absent (recurrent): their gradient stays 0. */
  readonly noSelf: boolean;
}

/**
 * Thread per (batch element, presynaptic neuron). Bindings: 1 spikes (event bits `[step][batch][words]`
 * as u32, or the pre layer's PsiSpike history as f32), 2 alpha powers alpha^0..alpha^K,
 * 3 lists `[counts: batch x numPre][steps: batch x numPre x K]` (u32), 4 traces `[2][batch][numPre]`.
 */
export function compactShader(shape: ProjectionShape): WgslKernel {
  const { batchSize: B, numPre, K, source } = shape;
  const spikeAt =
    source.kind === "events"
      ? `(t < chunk.eventSteps) && (((spikes[(t * B + b) * ${source.words}u + (i >> 5u)] >> (i & 31u)) & 1u) != 0u)`
      : `spikes[((s + ${source.row}u) * B + b) * NPRE + i] < 0.0`;
  return wgslKernel({
    preamble: CHUNK_STRUCT,
    bindings: [
      CHUNK,
      read("spikes", `array<${source.kind === "events" ? "u32" : "f32"}>`),
      read("alphaPowers"),
      readWrite("lists", "array<u32>"),
      readWrite("traces"),
    ],
    body: `const B = ${B}u;
const NPRE = ${numPre}u;
const K = ${K}u;
${entry(
  "main",
  `  if (id >= B * NPRE) { return; }
  let b = id / NPRE;
  let i = id % NPRE;
  let list = B * NPRE + id * K;
  var count = 0u;
  var added = 0.0;
  for (var s = 0u; s < chunk.steps; s++) {
    let t = chunk.t0 + s;
    if (${spikeAt}) {
      count += 1u;
      added += alphaPowers[chunk.steps - 1u - s];
    }
  }
  // A neuron that spiked in more than half of the steps lists its silent steps instead: apply
  // takes the totals of all steps less those (the complement, docs/chunked-eprop.md).
  let dense = 2u * count > chunk.steps;
  var listed = 0u;
  for (var s = 0u; s < chunk.steps; s++) {
    let t = chunk.t0 + s;
    if ((${spikeAt}) != dense) {
      lists[list + listed] = s;
      listed += 1u;
    }
  }
  lists[id] = select(listed, listed | ${DENSE_ROW}u, dense);
  if (chunk.last == 0u) {
    let before = select(traces[chunk.parity * B * NPRE + id], 0.0, chunk.first != 0u);
    traces[(1u - chunk.parity) * B * NPRE + id] = alphaPowers[chunk.steps] * before + added;
  }`,
)}`,
  });
}

/**
 * Workgroup of {@link WORKGROUP} postsynaptic neurons for one presynaptic neuron (grid x: blocks
 * of post neurons, y: presynaptic neurons). Bindings: 1 lists (read), 2 coefficients, 3 carried,
 * 4 traces, 5 state `[b, a][batch][numPre][n]`, 6 the arena with the projection's `GradSum`
 * `[numPre][n]` at `OFFSET`, 7 the layer's coefficient totals `[batch][outputs][n]`.
 */
export function applyShader(shape: ProjectionShape & { readonly offset: number }): WgslKernel {
  const { batchSize: B, numPre, n, K, adaptive } = shape;
  const outputs = outputsOf(adaptive);
  const carriedTerms = (name: string, coefficients: readonly number[]): string => {
    const [P, A, Bc] = coefficients;
    const terms = [`carried[c + ${P}u * N] * p0`];
    if (adaptive) terms.push(`carried[c + ${A}u * N] * a0`);
    if (Bc !== undefined) terms.push(`carried[c + ${Bc}u * N] * b0`);
    return `${name} + ${terms.join(" + ")}`;
  };
  return wgslKernel({
    preamble: CHUNK_STRUCT,
    bindings: [
      CHUNK,
      read("lists", "array<u32>"),
      read("coefficients"),
      read("carried"),
      read("traces"),
      readWrite("state"),
      readWrite("arena"),
      read("totals"),
    ],
    body: `const B = ${B}u;
const NPRE = ${numPre}u;
const N = ${n}u;
const K = ${K}u;
const OUTPUTS = ${outputs}u;
const OFFSET = ${shape.offset}u;
const STAGE = ${STAGE}u;
const A_STATE = B * NPRE * N;
var<workgroup> staged: array<u32, ${STAGE}>;
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_index) lane: u32) {
  let i = group.y;
  let j = group.x * ${WORKGROUP}u + lane;
  let inRange = j < N;
  var gradient = 0.0;
  for (var b = 0u; b < B; b++) {
    let row = b * NPRE + i;
    let listed = lists[row];
    let dense = (listed & ${DENSE_ROW}u) != 0u;
    let count = listed & ${DENSE_ROW - 1}u;
    let list = B * NPRE + row * K;
    var gSum = 0.0;
    var bSum = 0.0;
    var aSum = 0.0;
    for (var start = 0u; start < count; start += STAGE) {
      let staging = min(count - start, STAGE);
      for (var e = lane; e < staging; e += ${WORKGROUP}u) { staged[e] = lists[list + start + e]; }
      workgroupBarrier();
      if (inRange) {
        for (var e = 0u; e < staging; e++) {
          let at = ((b * K + staged[e]) * OUTPUTS) * N + j;
          gSum += coefficients[at];
          bSum += coefficients[at + N];
          ${adaptive ? "aSum += coefficients[at + 2u * N];" : ""}
        }
      }
      workgroupBarrier();
    }
    if (inRange) {
      if (dense) {
        let total = b * OUTPUTS * N + j;
        gSum = totals[total] - gSum;
        bSum = totals[total + N] - bSum;
        ${adaptive ? "aSum = totals[total + 2u * N] - aSum;" : ""}
      }
      let s = row * N + j;
      if (chunk.first != 0u) {
        gradient += gSum;
        if (chunk.last == 0u) {
          state[s] = bSum;
          ${adaptive ? "state[A_STATE + s] = aSum;" : ""}
        }
      } else {
        let p0 = traces[chunk.parity * B * NPRE + row];
        let b0 = state[s];
        let a0 = ${adaptive ? "state[A_STATE + s]" : "0.0"};
        let c = b * ${CARRIED}u * N + j;
        gradient += ${carriedTerms("gSum", [0, 1, 2])};
        if (chunk.last == 0u) {
          state[s] = ${carriedTerms("bSum", [3, 4, 5])};
          ${adaptive ? `state[A_STATE + s] = ${carriedTerms("aSum", [6, 7])};` : ""}
        }
      }
    }
  }
  if (inRange${shape.noSelf ? " && i != j" : ""}) {
    arena[OFFSET + i * N + j] += gradient;
  }
}`,
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
