/**
 * Decodes an IEEE 754 half-precision (binary16) bit pattern to a number: sign bit, 5 exponent
 * bits (bias 15), 10 fraction bits; exponent 0 is subnormal (fraction * 2^-24), exponent 31 is
 * infinity (fraction 0) or NaN.
 */
export function halfToNumber(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >>> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 0x1f) return fraction === 0 ? sign * Infinity : NaN;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

let table: Float64Array | undefined;

/** All 65536 half values, built on first use. */
export function halfTable(): Float64Array {
  if (table === undefined) {
    table = new Float64Array(65536);
    for (let i = 0; i < 65536; i++) table[i] = halfToNumber(i);
  }
  return table;
}
