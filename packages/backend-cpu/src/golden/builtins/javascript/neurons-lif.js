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
return function neurons_lif() {
  const a0 = r0, a1 = r1, a2 = r2, a3 = r3, a4 = r4, a5 = r5, a6 = r6;
  const s = a6[0], gstep = a6[1];
  const t = Math.fround(s * 1);
  for (let b = 0; b < 4; b++) {
    const nb = b * 16;
    let count = 0;
    for (let j = 0; j < 16; j++) {
      const ni = nb + j;
      let spiked = false;
      let Isyn = 0;
      {
        {
          const inSyn = a2[ni];
          a2[ni] = 0;
          let v_X = a3[ni];
          v_X = Math.fround(Math.fround(0.8187307715415955 * v_X) + inSyn);
          Isyn = Math.fround(Isyn + v_X);
          a3[ni] = v_X;
        }
        let v_RefracTime = a4[nb + j];
        let v_V = a5[nb + j];
        if ((v_RefracTime <= 0)) {
          let l0_Vinf = Math.fround((-70) + Math.fround(20 * Math.fround(Isyn + 0)));
          v_V = Math.fround(l0_Vinf + Math.fround(Math.fround(v_V - l0_Vinf) * 0.951229453086853));
        } else {
          v_RefracTime = Math.fround(v_RefracTime - 1);
        }
        spiked = ((v_RefracTime <= 0) && (v_V >= (-50)));
        if (spiked) {
          v_V = (-70);
          v_RefracTime = 2;
          a0[nb + count++] = j;
        }
        a5[nb + j] = v_V;
        a4[nb + j] = v_RefracTime;
      }
    }
    a1[b] = count;
  }
};
