/**
 * JavaScript source of the Philox4x32-10 generator of @snn/core (`rng.ts`), specialised for
 * one seed and inlined into generated code: the round keys are constants and the 32x32-bit
 * high products are computed with exact double arithmetic, so a random number costs no
 * allocation and no call into core.
 */
import { RNG_KEY_HI } from "@snn/core";
import { PHILOX_M0, PHILOX_M1, PHILOX_W0, PHILOX_W1 } from "@snn/core/internal";

/** High 32 bits of `x * m` for a u32 variable `x` and a u32 constant `m`, as exact double arithmetic. */
function mulHiSource(x: string, m: number): string {
  const hi = m >>> 16;
  const lo = m & 0xffff;
  return `((${x} * ${hi} + Math.floor((${x} * ${lo}) / 65536)) / 65536) >>> 0`;
}

/**
 * Source of `philox(c0, c1, c2, c3)`, which returns the first output word and leaves the
 * second in `rngW1`, plus `rngUniform` and `rngNormal` with the conversions of core's
 * `uniformFromBlock`/`normalFromBlock` (the normal rounded once to float32).
 */
export function philoxSource(seed: number): string {
  let rounds = "";
  let key0 = seed >>> 0;
  let key1 = RNG_KEY_HI >>> 0;
  for (let round = 0; round < 10; round++) {
    rounds += `  h0 = ${mulHiSource("x0", PHILOX_M0)}; l0 = Math.imul(x0, ${PHILOX_M0 | 0}) >>> 0;\n`;
    rounds += `  h1 = ${mulHiSource("x2", PHILOX_M1)}; l1 = Math.imul(x2, ${PHILOX_M1 | 0}) >>> 0;\n`;
    rounds += `  x0 = (h1 ^ x1 ^ ${key0 | 0}) >>> 0; x1 = l1; x2 = (h0 ^ x3 ^ ${key1 | 0}) >>> 0; x3 = l0;\n`;
    key0 = (key0 + PHILOX_W0) >>> 0;
    key1 = (key1 + PHILOX_W1) >>> 0;
  }
  return `let rngW1 = 0;
function philox(c0, c1, c2, c3) {
  let x0 = c0 >>> 0, x1 = c1 >>> 0, x2 = c2 >>> 0, x3 = c3 >>> 0, h0 = 0, l0 = 0, h1 = 0, l1 = 0;
${rounds}  rngW1 = x1;
  return x0;
}
function rngUniform(c0, c1, c2, c3) { return (philox(c0, c1, c2, c3) >>> 8) * 5.9604644775390625e-8; }
function rngNormal(c0, c1, c2, c3) {
  const w0 = philox(c0, c1, c2, c3);
  const u1 = ((w0 >>> 8) + 1) * 5.9604644775390625e-8;
  const u2 = (rngW1 >>> 8) * 5.9604644775390625e-8;
  return Math.fround(Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2));
}
`;
}
