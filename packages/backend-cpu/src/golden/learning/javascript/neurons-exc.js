const r0 = refs[0];
const r1 = refs[1];
const r2 = refs[2];
const r3 = refs[3];
const r4 = refs[4];
const r5 = refs[5];
const r6 = refs[6];
const r7 = refs[7];
const r8 = refs[8];
const r9 = refs[9];
const r10 = refs[10];
function idiv(a, b) { return b === 0 ? a : (a / b) | 0; }
function udiv(a, b) { return b === 0 ? a : (a / b) >>> 0; }
function f2i(x) { return x !== x ? 0 : x >= 2147483647 ? 2147483647 : x <= -2147483648 ? -2147483648 : x | 0; }
function f2u(x) { return x !== x || x <= 0 ? 0 : x >= 4294967295 ? 4294967295 : x >>> 0; }
return function neurons_exc() {
  const a0 = r0, a1 = r1, a2 = r2, a3 = r3, a4 = r4, a5 = r5, a6 = r6, a7 = r7, a8 = r8, a9 = r9, a10 = r10;
  const s = a10[0], gstep = a10[1];
  const t = Math.fround(s * 0.5);
  for (let b = 0; b < 2; b++) {
    const nb = b * 6;
    let count = 0;
    for (let j = 0; j < 6; j++) {
      const ni = nb + j;
      let spiked = false;
      let Isyn = 0;
      {
        {
          const inSyn = a2[ni];
          a2[ni] = 0;
          Isyn = Math.fround(Isyn + inSyn);
        }
        {
          const inSyn = a3[ni];
          a3[ni] = 0;
          Isyn = Math.fround(Isyn + inSyn);
        }
        {
          const inSyn = a4[ni];
          a4[ni] = 0;
          Isyn = Math.fround(Isyn + inSyn);
        }
        let v_RefracTime = a5[nb + j];
        let v_V = a6[nb + j];
        if ((v_RefracTime <= 0)) {
          let l0_Vinf = Math.fround((-70) + Math.fround(20 * Math.fround(Isyn + 0)));
          v_V = Math.fround(l0_Vinf + Math.fround(Math.fround(v_V - l0_Vinf) * 0.9753099083900452));
        } else {
          v_RefracTime = Math.fround(v_RefracTime - 0.5);
        }
        spiked = ((v_RefracTime <= 0) && (v_V >= (-50)));
        if (spiked) {
          v_V = (-70);
          v_RefracTime = 2;
          a0[nb + count++] = j;
        }
        a6[nb + j] = v_V;
        a5[nb + j] = v_RefracTime;
        {
          let pv_Xpre = a7[ni];
          if (spiked) {
            pv_Xpre = Math.fround(pv_Xpre + 1);
          }
          pv_Xpre = Math.fround(pv_Xpre * 0.9753099083900452);
          a7[ni] = pv_Xpre;
        }
        {
          let pv_Ypost = a8[ni];
          if (spiked) {
            pv_Ypost = Math.fround(pv_Ypost + 1);
          }
          pv_Ypost = Math.fround(pv_Ypost * 0.9753099083900452);
          a8[ni] = pv_Ypost;
        }
        {
          let pv_Ypost = a9[ni];
          if (spiked) {
            pv_Ypost = Math.fround(pv_Ypost + 1);
          }
          pv_Ypost = Math.fround(pv_Ypost * 0.9753099083900452);
          a9[ni] = pv_Ypost;
        }
      }
    }
    a1[b] = count;
  }
};

const r0 = refs[0];
const r1 = refs[1];
const r2 = refs[2];
const r3 = refs[3];
const r4 = refs[4];
const r5 = refs[5];
const r6 = refs[6];
const r7 = refs[7];
const r8 = refs[8];
const r9 = refs[9];
function idiv(a, b) { return b === 0 ? a : (a / b) | 0; }
function udiv(a, b) { return b === 0 ? a : (a / b) >>> 0; }
function f2i(x) { return x !== x ? 0 : x >= 2147483647 ? 2147483647 : x <= -2147483648 ? -2147483648 : x | 0; }
function f2u(x) { return x !== x || x <= 0 ? 0 : x >= 4294967295 ? 4294967295 : x >>> 0; }
return function postSpike_exc() {
  const a0 = r0, a1 = r1, a2 = r2, a3 = r3, a4 = r4, a5 = r5, a6 = r6, a7 = r7, a8 = r8, a9 = r9;
  const s = a9[0], gstep = a9[1];
  const t = Math.fround(s * 0.5);
  for (let b = 0; b < 2; b++) {
    const nb = b * 6, count = a1[b];
    for (let k = 0; k < count; k++) {
      const j = a0[nb + k];
        {
          const sb = b * 48, pb = b * 8, qb = nb;
          for (let i = 0; i < 8; i++) {
            const syn = i * 6 + j;
            {
              let v_g = a2[sb + syn];
              const pv_Xpre = a3[pb + i];
              v_g = Math.min(Math.max(Math.fround(v_g + Math.fround(0.009999999776482582 * pv_Xpre)), 0), 1);
              a2[sb + syn] = v_g;
            }
          }
        }
        {
          const sb = b * 13, pb = b * 6, qb = nb;
          for (let c = a4[j]; c < a4[j + 1]; c++) {
            const syn = a5[c], i = a6[syn];
            {
              let v_g = a7[sb + syn];
              const pv_Xpre = a8[pb + i];
              v_g = Math.min(Math.max(Math.fround(v_g + Math.fround(0.009999999776482582 * pv_Xpre)), 0), 1);
              a7[sb + syn] = v_g;
            }
          }
        }
    }
  }
};
