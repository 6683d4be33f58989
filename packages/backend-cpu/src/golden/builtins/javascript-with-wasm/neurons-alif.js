// Runs as WebAssembly (SIMD, four elements at a time) compiled from the same snippets, bit-identical to this JavaScript (which runs with cpuBackend({ webAssembly: false })).
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
return function neurons_alif() {
  const a0 = r0, a1 = r1, a2 = r2, a3 = r3, a4 = r4, a5 = r5, a6 = r6, a7 = r7, a8 = r8, a9 = r9;
  const s = a9[0], gstep = a9[1];
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
        let v_A = a7[nb + j];
        let v_Z = a8[nb + j];
        let v_V = a6[nb + j];
        let v_RefracTime = a5[nb + j];
        v_A = Math.fround(Math.fround(0.9995000958442688 * v_A) + v_Z);
        v_V = Math.fround(Math.fround(Math.fround(0.951229453086853 * v_V) + Isyn) - Math.fround(0.6000000238418579 * v_Z));
        v_Z = 0;
        if ((v_RefracTime > 0)) {
          v_RefracTime = Math.fround(v_RefracTime - 1);
        }
        spiked = ((v_RefracTime <= 0) && (v_V > Math.fround(0.6000000238418579 + Math.fround(0.017400000244379044 * v_A))));
        if (spiked) {
          v_Z = 1;
          v_RefracTime = 5;
          a0[nb + count++] = j;
        }
        a7[nb + j] = v_A;
        a6[nb + j] = v_V;
        a8[nb + j] = v_Z;
        a5[nb + j] = v_RefracTime;
      }
    }
    a1[b] = count;
  }
};
