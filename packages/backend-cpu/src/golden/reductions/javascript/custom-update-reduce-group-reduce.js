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
return function customUpdate_reduce() {
  const a0 = r0, a1 = r1, a2 = r2, a3 = r3, a4 = r4, a5 = r5;
  const s = a4[0], gstep = a5[0];
  const t = Math.fround(s * 1);
  a3.fill(0);
  for (let b = 0; b < 4; b++) {
    const eb = b * 16;
    let acc_v_maxV = -Infinity;
    for (let e = 0; e < 16; e++) {
      let v_maxV = -Infinity;
      const r_V = a1[eb + e];
      let r_sumV = 0;
      v_maxV = r_V;
      r_sumV = r_V;
      acc_v_maxV = Math.max(acc_v_maxV, v_maxV);
      a3[e] = Math.fround(a3[e] + r_sumV);
    }
    a0[b] = acc_v_maxV;
  }
  a2.set(a3);
};
