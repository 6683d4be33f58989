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
 *
 * This file holds what every kernel shares (workgroup size, the per-chunk uniform, the
 * PsiSpike decoding, float literals) and the step hook `record`; the kernel families are in
 * wgsl-readout-kernels.ts (`readout`, the bias and `readoutWeights`), wgsl-layer-kernels.ts
 * (`backward`, `totals`, `advance`) and wgsl-projection-kernels.ts (`compact`, `apply`).
 */
import { uniform, read, readWrite, wgslKernel, type WgslKernel } from "./wgsl-bindings";

/** Threads per workgroup of every kernel. */
export const WORKGROUP = 64;
/** Carried-in coefficients per neuron (order gP, gA, gB, bP, bA, bB, aP, aA as in wasm-kernels.ts). */
export const CARRIED = 8;
/** The flag of a dense row's count in the spike lists (the row lists its silent steps). */
export const DENSE_ROW = 0x80000000;

/** A float constant as a WGSL f32 literal of exactly that float32 value. */
export function f32Literal(x: number): string {
  const value = Math.fround(x);
  if (!Number.isFinite(value)) throw new Error(`internal: ${x} is not a finite float32`);
  const text = String(value);
  return /[.e]/.test(text) ? `${text}f` : `${text}.0f`;
}

/** The per-chunk uniform every chunk kernel reads (binding 0, {@link CHUNK}). */
export const CHUNK_STRUCT = `struct Chunk {
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
export const CHUNK = uniform("chunk", "Chunk");

export const PSI_OF = `// psi from a PsiSpike value (models.ts): -max(psi, 2^-126) marks a spike.
fn psiOf(x: f32) -> f32 {
  if (x >= 0.0) { return x; }
  if (x == -1.17549435e-38f) { return 0.0; }
  return -x;
}
fn spikeOf(x: f32) -> f32 {
  return select(0.0, 1.0, x < 0.0);
}`;

/** A compute entry point `name` of `size` threads per workgroup, `id` the thread's flat index. */
export function entry(name: string, body: string, size = WORKGROUP): string {
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

/** Spike coefficient outputs per step: g, b, and a for adaptive layers. */
export function outputsOf(adaptive: boolean): number {
  return adaptive ? 3 : 2;
}
