/**
 * Counter-based random numbers (Philox4x32-10, Salmon et al. 2011), the same on every backend.
 *
 * A random number is a pure function of a key and a counter, so a backend computes the k-th
 * number of any neuron in any step without state, and two backends produce the same stream:
 *
 *   key     = [seed, RNG_KEY_HI]
 *   counter = [element id, batch element, step, (rngStream << 8) | callIndex]
 *   callIndex = (field << 5) | (k & 31)
 *
 * `step` counts timesteps since the runtime was created (not since the trial started), so
 * trials differ; custom updates use the number of times their group has run instead.
 * `field` is the code site's entry in {@link RANDOM_FIELD}, and `k` counts the
 * `uniform()`/`normal()` calls one element's code has made so far in that site (docs/decisions/0001).
 * Each call takes one Philox block: `uniform()` = (w0 >>> 8) * 2^-24, in [0, 1), exact in f32;
 * `normal()` = Box-Muller of u1 = ((w0 >>> 8) + 1) * 2^-24 and u2 = (w1 >>> 8) * 2^-24:
 * sqrt(-2 ln u1) cos(2 pi u2). Uniform streams agree bit for bit across backends; normal streams
 * agree to the precision of the targets' `log`/`cos`.
 */

/** The Philox4x32 round multipliers (Salmon et al. 2011); generated code interpolates these. */
export const PHILOX_M0 = 0xd2511f53;
export const PHILOX_M1 = 0xcd9e8d57;
/** The Philox4x32 key increments (Weyl sequence: the golden ratio and sqrt(3) - 1, times 2^32). */
export const PHILOX_W0 = 0x9e3779b9;
export const PHILOX_W1 = 0xbb67ae85;

/** The second key word of every snippet stream: the golden-ratio constant, {@link PHILOX_W0}. */
export const RNG_KEY_HI = PHILOX_W0;

/**
 * The counter field of each code site's random numbers (`callIndex = field << 5 | k`), the one
 * table every backend numbers its sites by: a neuron's sim/threshold/reset (one execution),
 * postsynaptic `apply` (element = post neuron), `preSpike` and `synapseDynamics` (element =
 * synapse index), the four pre/post neuron-side codes of a weight update model, and custom
 * updates (whose step word is the number of times the update has run).
 */
export const RANDOM_FIELD = {
  neuron: 0,
  apply: 1,
  preSpike: 2,
  synapseDynamics: 3,
  preSpikeCode: 4,
  postSpikeCode: 5,
  preDynamics: 6,
  postDynamics: 7,
  customUpdate: 0,
} as const;

/** A code site of {@link RANDOM_FIELD}. */
export type RandomFieldSite = keyof typeof RANDOM_FIELD;

/** The fourth counter word of a code site's call 0, `(rngStream << 8) | (field << 5)`; call k adds `k & 31`. */
export function randomCounterBase(rngStream: number, field: number): number {
  return ((rngStream << 8) | (field << 5)) >>> 0;
}

/** High 32 bits of the 64-bit product of two u32 values. */
export function mulHi32(a: number, b: number): number {
  const al = a & 0xffff;
  const ah = a >>> 16;
  const bl = b & 0xffff;
  const bh = b >>> 16;
  const lh = al * bh;
  const hl = ah * bl;
  const mid = ((al * bl) >>> 16) + (lh & 0xffff) + (hl & 0xffff);
  return (ah * bh + (lh >>> 16) + (hl >>> 16) + (mid >>> 16)) >>> 0;
}

/**
 * Philox4x32 with 10 rounds. Writes the four output words into `out` (a Uint32Array of
 * length 4, reused to avoid allocation) and returns it.
 */
export function philox4x32(
  c0: number,
  c1: number,
  c2: number,
  c3: number,
  k0: number,
  k1: number,
  out: Uint32Array = new Uint32Array(4),
): Uint32Array {
  let x0 = c0 >>> 0;
  let x1 = c1 >>> 0;
  let x2 = c2 >>> 0;
  let x3 = c3 >>> 0;
  let key0 = k0 >>> 0;
  let key1 = k1 >>> 0;
  for (let round = 0; round < 10; round++) {
    const hi0 = mulHi32(PHILOX_M0, x0);
    const lo0 = Math.imul(PHILOX_M0, x0) >>> 0;
    const hi1 = mulHi32(PHILOX_M1, x2);
    const lo1 = Math.imul(PHILOX_M1, x2) >>> 0;
    x0 = (hi1 ^ x1 ^ key0) >>> 0;
    x1 = lo1;
    x2 = (hi0 ^ x3 ^ key1) >>> 0;
    x3 = lo0;
    key0 = (key0 + PHILOX_W0) >>> 0;
    key1 = (key1 + PHILOX_W1) >>> 0;
  }
  out[0] = x0;
  out[1] = x1;
  out[2] = x2;
  out[3] = x3;
  return out;
}

/** 2^-24 */
export const UNIT_24 = 1 / 16777216;

/** The uniform number in [0, 1) of a Philox block. */
export function uniformFromBlock(w0: number): number {
  return (w0 >>> 8) * UNIT_24;
}

/** The standard normal number of a Philox block (Box-Muller on its first two words). */
export function normalFromBlock(w0: number, w1: number): number {
  const u1 = ((w0 >>> 8) + 1) * UNIT_24;
  const u2 = (w1 >>> 8) * UNIT_24;
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

/** The fourth counter word of a snippet's random call. */
export function streamWord(rngStream: number, callIndex: number): number {
  return ((rngStream << 8) | (callIndex & 0xff)) >>> 0;
}

/** A sequential, seeded generator for host-side work (initial values, connectivity, shuffles). */
export interface SeededRandom {
  /** Uniform in [0, 1). */
  uniform(): number;
  /** Standard normal. */
  normal(): number;
  /** Integer in [0, n). */
  integer(n: number): number;
}

/** Host stream: counter [draw index, 0, 0, 0xffffffff], key [seed, 0]; independent of snippet streams. */
export function seededRandom(seed: number): SeededRandom {
  const block = new Uint32Array(4);
  let draw = 0;
  const next = (): Uint32Array => philox4x32(draw++, 0, 0, 0xffffffff, seed >>> 0, 0, block);
  return {
    uniform: () => uniformFromBlock(next()[0]!),
    normal: () => {
      const words = next();
      return normalFromBlock(words[0]!, words[1]!);
    },
    integer: (n) => Math.floor(uniformFromBlock(next()[0]!) * n),
  };
}
