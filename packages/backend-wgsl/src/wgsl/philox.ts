import { RNG_KEY_HI } from "@snn/core";
import { PHILOX_M0, PHILOX_M1, PHILOX_W0, PHILOX_W1 } from "@snn/core/internal";

/** A u32 constant of core's generator as a WGSL literal: lower-case hexadecimal with the `u` suffix. */
const u32 = (value: number): string => `0x${(value >>> 0).toString(16)}u`;

/**
 * WGSL source of the counter-based generator of `@snn/core` (`rng.ts`): Philox4x32-10 with
 * the 32x32->64 multiplication done in 16-bit halves (WGSL has no 64-bit integers), so the
 * uniform stream agrees bit for bit with the CPU.
 */
export const PHILOX_WGSL = /* wgsl */ `// Philox4x32-10 (Salmon et al. 2011), as @snn/core's rng.ts.
fn mulhi32(a: u32, b: u32) -> u32 {
  let al = a & 0xffffu;
  let ah = a >> 16u;
  let bl = b & 0xffffu;
  let bh = b >> 16u;
  let lh = al * bh;
  let hl = ah * bl;
  let mid = ((al * bl) >> 16u) + (lh & 0xffffu) + (hl & 0xffffu);
  return ah * bh + (lh >> 16u) + (hl >> 16u) + (mid >> 16u);
}

fn philox4x32(counter: vec4<u32>, key: vec2<u32>) -> vec4<u32> {
  var x = counter;
  var k = key;
  for (var round = 0u; round < 10u; round++) {
    let hi0 = mulhi32(${u32(PHILOX_M0)}, x.x);
    let lo0 = ${u32(PHILOX_M0)} * x.x;
    let hi1 = mulhi32(${u32(PHILOX_M1)}, x.z);
    let lo1 = ${u32(PHILOX_M1)} * x.z;
    x = vec4<u32>(hi1 ^ x.y ^ k.x, lo1, hi0 ^ x.w ^ k.y, lo0);
    k = k + vec2<u32>(${u32(PHILOX_W0)}, ${u32(PHILOX_W1)});
  }
  return x;
}`;

/**
 * WGSL of the per-execution random state and the snippet functions `uniform()`/`normal()`.
 * Needs the constant `RNG_SEED: u32` and PHILOX_WGSL.
 */
export const RNG_WGSL = /* wgsl */ `// Random numbers of one snippet execution: counter [element, batch, step, stream word],
// stream word = (rngStream << 8) | (field << 5) | (k & 31), k counting the calls.
struct Rng {
  element: u32,
  batch: u32,
  step: u32,
  stream: u32,
  field: u32,
  calls: u32,
}

fn rng_block(rng: ptr<function, Rng>) -> vec4<u32> {
  let word = ((*rng).stream << 8u) | ((*rng).field << 5u) | ((*rng).calls & 31u);
  (*rng).calls += 1u;
  return philox4x32(vec4<u32>((*rng).element, (*rng).batch, (*rng).step, word), vec2<u32>(RNG_SEED, ${u32(RNG_KEY_HI)}));
}

fn rng_uniform(rng: ptr<function, Rng>) -> f32 {
  let w = rng_block(rng);
  return f32(w.x >> 8u) * 5.9604644775390625e-8f;
}

fn rng_normal(rng: ptr<function, Rng>) -> f32 {
  let w = rng_block(rng);
  let u1 = f32((w.x >> 8u) + 1u) * 5.9604644775390625e-8f;
  let u2 = f32(w.y >> 8u) * 5.9604644775390625e-8f;
  return sqrt(-2.0f * log(u1)) * cos(6.2831853071795864f * u2);
}`;

/** Helpers for math functions whose WGSL builtin differs from the JavaScript semantics the CPU backend uses. */
export const MATH_WGSL = /* wgsl */ `// pow with JavaScript's semantics for negative bases and zero (WGSL's pow is undefined there).
fn snn_pow(x: f32, y: f32) -> f32 {
  if (x > 0.0f) { return pow(x, y); }
  if (y == 0.0f) { return 1.0f; }
  if (x == 0.0f) { return select(f32_infinity(), 0.0f, y > 0.0f); }
  if (floor(y) != y) { return f32_nan(); }
  let magnitude = pow(-x, y);
  return select(magnitude, -magnitude, (abs(y) % 2.0f) == 1.0f);
}

// tanh that stays finite for large |x| (tanh(15) rounds to 1 in f32).
fn snn_tanh(x: f32) -> f32 {
  return tanh(clamp(x, -15.0f, 15.0f));
}`;

/**
 * Infinities and NaN: WGSL constant expressions must be finite, so these are made at run time
 * (from a variable) where model code or a reduction needs them.
 */
export const SPECIAL_FLOATS_WGSL = /* wgsl */ `// Non-finite values, made at run time (WGSL constant expressions must be finite).
fn f32_infinity() -> f32 {
  var bits = 0x7f800000u;
  return bitcast<f32>(bits);
}

fn f32_neg_infinity() -> f32 {
  var bits = 0xff800000u;
  return bitcast<f32>(bits);
}

fn f32_nan() -> f32 {
  var bits = 0x7fc00000u;
  return bitcast<f32>(bits);
}`;
