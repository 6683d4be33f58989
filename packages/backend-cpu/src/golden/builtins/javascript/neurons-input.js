const r0 = refs[0];
const r1 = refs[1];
const r2 = refs[2];
const r3 = refs[3];
function idiv(a, b) { return b === 0 ? a : (a / b) | 0; }
function udiv(a, b) { return b === 0 ? a : (a / b) >>> 0; }
function f2i(x) { return x !== x ? 0 : x >= 2147483647 ? 2147483647 : x <= -2147483648 ? -2147483648 : x | 0; }
function f2u(x) { return x !== x || x <= 0 ? 0 : x >= 4294967295 ? 4294967295 : x >>> 0; }
return function neurons_input() {
  const a0 = r0, a1 = r1, a2 = r2, a3 = r3;
  const s = a2[0], gstep = a2[1];
  const t = Math.fround(s * 1);
  for (let b = 0; b < 4; b++) {
    const nb = b * 8;
    const evSteps = a3.steps, evUnits = a3.units, evEnd = a3.end[b];
    let e = a3.cursor[b];
    while (e < evEnd && evSteps[e] < s) e++;
    let count = 0;
    while (e < evEnd && evSteps[e] === s) {
      // insert in ascending order, dropping duplicates
      const unit = evUnits[e++];
      let k = count;
      while (k > 0 && a0[nb + k - 1] > unit) k--;
      if (k > 0 && a0[nb + k - 1] === unit) continue;
      for (let q = count; q > k; q--) a0[nb + q] = a0[nb + q - 1];
      a0[nb + k] = unit;
      count++;
    }
    a3.cursor[b] = e;
    a1[b] = count;
  }
};
