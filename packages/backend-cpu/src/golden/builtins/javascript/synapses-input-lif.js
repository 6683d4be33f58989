const r0 = refs[0];
const r1 = refs[1];
const r2 = refs[2];
const r3 = refs[3];
const r4 = refs[4];
function idiv(a, b) { return b === 0 ? a : (a / b) | 0; }
function udiv(a, b) { return b === 0 ? a : (a / b) >>> 0; }
function f2i(x) { return x !== x ? 0 : x >= 2147483647 ? 2147483647 : x <= -2147483648 ? -2147483648 : x | 0; }
function f2u(x) { return x !== x || x <= 0 ? 0 : x >= 4294967295 ? 4294967295 : x >>> 0; }
return function synapses_input_lif() {
  const a0 = r0, a1 = r1, a2 = r2, a3 = r3, a4 = r4;
  const s = a0[0], gstep = a0[1];
  const t = Math.fround(s * 1);
  for (let b = 0; b < 4; b++) {
    const sb = b * 128, pb = b * 8, qb = b * 16;
    const spikeCount = a3[b];
    for (let k = 0; k < spikeCount; k++) {
      const i = a4[pb + k];
      const row = i * 16;
      for (let j = 0; j < 16; j++) {
        const syn = row + j;
        {
          const v_g = a1[syn];
          a2[qb + j] += v_g;
        }
      }
    }
  }
};
