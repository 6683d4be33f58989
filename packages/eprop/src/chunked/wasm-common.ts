/**
 * What the chunk kernels share: the register blocking and the memory layouts' constants, the
 * assembler's helpers, and the SIMD instructions `@snn/core`'s opcode table lacks.
 */
import { wasm } from "@snn/core/internal";

export type Code = wasm.Code;
export type FunctionDefinition = wasm.FunctionDefinition;
export const { op, forLoop, numbered } = wasm;
/** The assembler's local allocator (typed so that declarations can name it). */
export const Frame: typeof wasm.Frame = wasm.Frame;

export const { get, set, tee, i32, f32, f64, v128, f32x4 } = op;

/** Postsynaptic neurons per register block (rows are padded to a multiple of it). */
export const BLOCK_FLOATS = 16;
/** Bytes of one block of floats: one cache line. */
export const BLOCK_BYTES = BLOCK_FLOATS * 4;
export const VECTORS = BLOCK_FLOATS / 4;

/** Order of the carried-in coefficients within a block (each `[16]` floats). */
export const CarriedCoefficient = {
  gP: 0,
  gA: 1,
  gB: 2,
  bP: 3,
  bA: 4,
  bB: 5,
  aP: 6,
  aA: 7,
} as const;
/** Carried-in coefficients per block. */
export const CARRIED_COEFFICIENTS = 8;
/** Outputs of the spike coefficients, and their position within a step of a block. */
export const SPIKE_G = 0;
export const SPIKE_B = 1;
export const SPIKE_A = 2;

/** Outputs (g, b, and a when adaptive) recorded per step in the spike coefficient history. */
export function spikeOutputs(adaptive: boolean): number {
  return adaptive ? 3 : 2;
}

/** State quantities per synapse (b, and a when adaptive). */
export function stateQuantities(adaptive: boolean): number {
  return adaptive ? 2 : 1;
}

export const zero: Code = [f32.const(0), f32x4.splat];
/** i32.shr_u (not in `@snn/core`'s opcode table). */
export const I32_SHR_U = 0x76;
export const add = (local: number, value: number): Code => [
  get(local),
  i32.const(value),
  i32.add,
  set(local),
];
/** `a * b + c` on f32x4 values (two roundings, as the per-step recursion). */
export const mulAdd = (a: Code, b: Code, c: Code): Code => [a, b, f32x4.mul, c, f32x4.add];

/** Unsigned LEB128 of an opcode or immediate (the SIMD opcodes beyond `@snn/core`'s table). */
export function leb(value: number): number[] {
  const bytes: number[] = [];
  do {
    let byte = value & 0x7f;
    value >>>= 7;
    if (value !== 0) byte |= 0x80;
    bytes.push(byte);
  } while (value !== 0);
  return bytes;
}
export const simdOp = (code: number): Code => [0xfd, ...leb(code)];
/** SIMD instructions of the host step that `@snn/core`'s opcode table lacks (WebAssembly SIMD opcode numbers). */
export const simd = {
  /** Loads 8 bytes into the low half, zeroing the high half. */
  load64Zero: (offset = 0): Code => [simdOp(0x5d), leb(3), leb(offset)],
  /** Lane shuffle of two vectors (16 byte indices, 0-15 the first, 16-31 the second). */
  shuffle: (lanes: readonly number[]): Code => [simdOp(0x0d), lanes],
  f32x4Eq: simdOp(0x41),
  f32x4Lt: simdOp(0x43),
  f32x4Neg: simdOp(0xe1),
  v128And: simdOp(0x4e),
  /** a & ~b. */
  v128AndNot: simdOp(0x4f),
  /** (a & c) | (b & ~c). */
  v128Bitselect: simdOp(0x52),
  i32x4Bitmask: simdOp(0xa4),
  f64x2Splat: simdOp(0x14),
  f64x2Add: simdOp(0xf0),
  f64x2Sub: simdOp(0xf1),
  f64x2Mul: simdOp(0xf2),
  f32x4DemoteF64x2Zero: simdOp(0x5e),
  f64x2PromoteLowF32x4: simdOp(0x5f),
  /** The low (high) two i32 lanes sign-extended to i64 lanes. */
  i64x2ExtendLowI32x4S: simdOp(0xc7),
  i64x2ExtendHighI32x4S: simdOp(0xc8),
} as const;
/** Bytes 8-15 of a vector into 0-7 (the high two f32 lanes into the low two). */
export const HIGH_HALF = [8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15];
/** The low halves of two vectors side by side. */
export const LOW_HALVES = [0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23];

export const f64Store = (offset = 0): Code => [0x39, leb(3), leb(offset)];
export const F64_NE = 0x62;
