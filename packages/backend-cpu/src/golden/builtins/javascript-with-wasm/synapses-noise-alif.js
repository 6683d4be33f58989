const r0 = refs[0];
const r1 = refs[1];
const r2 = refs[2];
const r3 = refs[3];
function idiv(a, b) { return b === 0 ? a : (a / b) | 0; }
function udiv(a, b) { return b === 0 ? a : (a / b) >>> 0; }
function f2i(x) { return x !== x ? 0 : x >= 2147483647 ? 2147483647 : x <= -2147483648 ? -2147483648 : x | 0; }
function f2u(x) { return x !== x || x <= 0 ? 0 : x >= 4294967295 ? 4294967295 : x >>> 0; }
return function synapses_noise_alif() {
  const a0 = r0, a1 = r1, a2 = r2, a3 = r3;
  const s = a1[0], gstep = a1[1];
  const t = Math.fround(s * 1);
  a0(288, 416, 4448, 0, 4704, 4, 32, 64, 4960, 5008); // WebAssembly: += g sparse rows of this step's spikes
  for (let b = 0; b < 4; b++) {
    const sb = b * 62, pb = b * 8, qb = b * 16;
  }
};
