const r0 = refs[0];
const r1 = refs[1];
const r2 = refs[2];
const r3 = refs[3];
const r4 = refs[4];
const r5 = refs[5];
const r6 = refs[6];
const r7 = refs[7];
function idiv(a, b) { return b === 0 ? a : (a / b) | 0; }
function udiv(a, b) { return b === 0 ? a : (a / b) >>> 0; }
function f2i(x) { return x !== x ? 0 : x >= 2147483647 ? 2147483647 : x <= -2147483648 ? -2147483648 : x | 0; }
function f2u(x) { return x !== x || x <= 0 ? 0 : x >= 4294967295 ? 4294967295 : x >>> 0; }
return function synapses_stdp_sparse() {
  const a0 = r0, a1 = r1, a2 = r2, a3 = r3, a4 = r4, a5 = r5, a6 = r6, a7 = r7;
  const s = a0[0], gstep = a0[1];
  const t = Math.fround(s * 0.5);
  for (let b = 0; b < 2; b++) {
    const sb = b * 13, pb = b * 6, qb = b * 6;
    const spikeCount = a6[b];
    for (let k = 0; k < spikeCount; k++) {
      const i = a7[pb + k];
      const rowEnd = a1[i + 1];
      for (let syn = a1[i]; syn < rowEnd; syn++) {
        const j = a2[syn];
        {
          let v_g = a3[sb + syn];
          const qv_Ypost = a4[qb + j];
          a5[qb + j] += v_g;
          v_g = Math.min(Math.max(Math.fround(v_g - Math.fround(0.010499999858438969 * qv_Ypost)), 0), 1);
          a3[sb + syn] = v_g;
        }
      }
    }
  }
};
