const r0 = refs[0];
const r1 = refs[1];
const r2 = refs[2];
const r3 = refs[3];
const r4 = refs[4];
const r5 = refs[5];
const r6 = refs[6];
function idiv(a, b) { return b === 0 ? a : (a / b) | 0; }
function udiv(a, b) { return b === 0 ? a : (a / b) >>> 0; }
function f2i(x) { return x !== x ? 0 : x >= 2147483647 ? 2147483647 : x <= -2147483648 ? -2147483648 : x | 0; }
function f2u(x) { return x !== x || x <= 0 ? 0 : x >= 4294967295 ? 4294967295 : x >>> 0; }
return function synapses_alif_alif() {
  const a0 = r0, a1 = r1, a2 = r2, a3 = r3, a4 = r4, a5 = r5, a6 = r6;
  const s = a0[0], gstep = a0[1];
  const t = Math.fround(s * 1);
  for (let b = 0; b < 4; b++) {
    const sb = b * 57, pb = b * 16, qb = b * 16;
    const spikeCount = a5[b];
    for (let k = 0; k < spikeCount; k++) {
      const i = a6[pb + k];
      const rowEnd = a1[i + 1];
      for (let syn = a1[i]; syn < rowEnd; syn++) {
        const j = a2[syn];
        {
          const v_g = a3[syn];
          a4[qb + j] += v_g;
        }
      }
    }
  }
};
