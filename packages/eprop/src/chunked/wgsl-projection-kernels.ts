/**
 * A projection's WGSL chunk kernels (overview in wgsl-kernels.ts): `compact` (each presynaptic
 * neuron's spike steps, or a dense row's silent steps, and its trace) and `apply` (the
 * gradient and carried state of each synapse from those lists and the layer's coefficients).
 */
import { read, readWrite, wgslKernel, type WgslKernel } from "./wgsl-bindings";
import {
  CARRIED,
  CHUNK,
  CHUNK_STRUCT,
  DENSE_ROW,
  entry,
  outputsOf,
  WORKGROUP,
} from "./wgsl-kernels";

/** Spike steps staged in workgroup memory at a time by `apply`. */
const STAGE = 256;

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
