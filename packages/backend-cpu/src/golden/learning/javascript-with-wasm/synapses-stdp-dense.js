// Runs as WebAssembly (SIMD, four elements at a time) compiled from the same snippets, bit-identical to this JavaScript (which runs with cpuBackend({ webAssembly: false })).
const r0 = refs[0];
const r1 = refs[1];
const r2 = refs[2];
const r3 = refs[3];
const r4 = refs[4];
const r5 = refs[5];
function idiv(a, b) { return b === 0 ? a : (a / b) | 0; }
function udiv(a, b) { return b === 0 ? a : (a / b) >>> 0; }
function f2i(x) { return x !== x ? 0 : x >= 2147483647 ? 2147483647 : x <= -2147483648 ? -2147483648 : x | 0; }
function f2u(x) { return x !== x || x <= 0 ? 0 : x >= 4294967295 ? 4294967295 : x >>> 0; }
return function synapses_stdp_dense() {
  const a0 = r0, a1 = r1, a2 = r2, a3 = r3, a4 = r4, a5 = r5;
  const s = a0[0], gstep = a0[1];
  const t = Math.fround(s * 0.5);
  for (let b = 0; b < 2; b++) {
    const sb = b * 48, pb = b * 8, qb = b * 6;
    const spikeCount = a4[b];
    for (let k = 0; k < spikeCount; k++) {
      const i = a5[pb + k];
      const row = i * 6;
      for (let j = 0; j < 6; j++) {
        const syn = row + j;
        {
          let v_g = a1[sb + syn];
          const qv_Ypost = a2[qb + j];
          a3[qb + j] += v_g;
          v_g = Math.min(Math.max(Math.fround(v_g - Math.fround(0.010499999858438969 * qv_Ypost)), 0), 1);
          a1[sb + syn] = v_g;
        }
      }
    }
  }
};
