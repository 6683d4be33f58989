const r0 = refs[0];
const r1 = refs[1];
const r2 = refs[2];
const r3 = refs[3];
const r4 = refs[4];
function idiv(a, b) { return b === 0 ? a : (a / b) | 0; }
function udiv(a, b) { return b === 0 ? a : (a / b) >>> 0; }
function f2i(x) { return x !== x ? 0 : x >= 2147483647 ? 2147483647 : x <= -2147483648 ? -2147483648 : x | 0; }
function f2u(x) { return x !== x || x <= 0 ? 0 : x >= 4294967295 ? 4294967295 : x >>> 0; }
return function neurons_readout() {
  const a0 = r0, a1 = r1, a2 = r2, a3 = r3, a4 = r4;
  const s = a4[0], gstep = a4[1];
  const t = Math.fround(s * 1);
  for (let b = 0; b < 4; b++) {
    const nb = b * 4;
    let count = 0;
    for (let j = 0; j < 4; j++) {
      const ni = nb + j;
      let spiked = false;
      let Isyn = 0;
      {
        {
          const inSyn = a2[ni];
          a2[ni] = 0;
          Isyn = Math.fround(Isyn + inSyn);
        }
        let v_Y = a3[nb + j];
        v_Y = Math.fround(Math.fround(Math.fround(0.951229453086853 * v_Y) + Isyn) + 0);
        spiked = false;
        if (spiked) {
          a0[nb + count++] = j;
        }
        a3[nb + j] = v_Y;
      }
    }
    a1[b] = count;
  }
};
