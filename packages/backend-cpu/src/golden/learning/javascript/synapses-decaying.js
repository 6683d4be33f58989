const r0 = refs[0];
const r1 = refs[1];
const r2 = refs[2];
const r3 = refs[3];
const r4 = refs[4];
function idiv(a, b) { return b === 0 ? a : (a / b) | 0; }
function udiv(a, b) { return b === 0 ? a : (a / b) >>> 0; }
function f2i(x) { return x !== x ? 0 : x >= 2147483647 ? 2147483647 : x <= -2147483648 ? -2147483648 : x | 0; }
function f2u(x) { return x !== x || x <= 0 ? 0 : x >= 4294967295 ? 4294967295 : x >>> 0; }
let rngW1 = 0;
function philox(c0, c1, c2, c3) {
  let x0 = c0 >>> 0, x1 = c1 >>> 0, x2 = c2 >>> 0, x3 = c3 >>> 0, h0 = 0, l0 = 0, h1 = 0, l1 = 0;
  h0 = ((x0 * 53841 + Math.floor((x0 * 8019) / 65536)) / 65536) >>> 0; l0 = Math.imul(x0, -766435501) >>> 0;
  h1 = ((x2 * 52638 + Math.floor((x2 * 36183) / 65536)) / 65536) >>> 0; l1 = Math.imul(x2, -845247145) >>> 0;
  x0 = (h1 ^ x1 ^ 7) >>> 0; x1 = l1; x2 = (h0 ^ x3 ^ -1640531527) >>> 0; x3 = l0;
  h0 = ((x0 * 53841 + Math.floor((x0 * 8019) / 65536)) / 65536) >>> 0; l0 = Math.imul(x0, -766435501) >>> 0;
  h1 = ((x2 * 52638 + Math.floor((x2 * 36183) / 65536)) / 65536) >>> 0; l1 = Math.imul(x2, -845247145) >>> 0;
  x0 = (h1 ^ x1 ^ -1640531520) >>> 0; x1 = l1; x2 = (h0 ^ x3 ^ 1503602750) >>> 0; x3 = l0;
  h0 = ((x0 * 53841 + Math.floor((x0 * 8019) / 65536)) / 65536) >>> 0; l0 = Math.imul(x0, -766435501) >>> 0;
  h1 = ((x2 * 52638 + Math.floor((x2 * 36183) / 65536)) / 65536) >>> 0; l1 = Math.imul(x2, -845247145) >>> 0;
  x0 = (h1 ^ x1 ^ 1013904249) >>> 0; x1 = l1; x2 = (h0 ^ x3 ^ 352769731) >>> 0; x3 = l0;
  h0 = ((x0 * 53841 + Math.floor((x0 * 8019) / 65536)) / 65536) >>> 0; l0 = Math.imul(x0, -766435501) >>> 0;
  h1 = ((x2 * 52638 + Math.floor((x2 * 36183) / 65536)) / 65536) >>> 0; l1 = Math.imul(x2, -845247145) >>> 0;
  x0 = (h1 ^ x1 ^ -626627278) >>> 0; x1 = l1; x2 = (h0 ^ x3 ^ -798063288) >>> 0; x3 = l0;
  h0 = ((x0 * 53841 + Math.floor((x0 * 8019) / 65536)) / 65536) >>> 0; l0 = Math.imul(x0, -766435501) >>> 0;
  h1 = ((x2 * 52638 + Math.floor((x2 * 36183) / 65536)) / 65536) >>> 0; l1 = Math.imul(x2, -845247145) >>> 0;
  x0 = (h1 ^ x1 ^ 2027808491) >>> 0; x1 = l1; x2 = (h0 ^ x3 ^ -1948896307) >>> 0; x3 = l0;
  h0 = ((x0 * 53841 + Math.floor((x0 * 8019) / 65536)) / 65536) >>> 0; l0 = Math.imul(x0, -766435501) >>> 0;
  h1 = ((x2 * 52638 + Math.floor((x2 * 36183) / 65536)) / 65536) >>> 0; l1 = Math.imul(x2, -845247145) >>> 0;
  x0 = (h1 ^ x1 ^ 387276964) >>> 0; x1 = l1; x2 = (h0 ^ x3 ^ 1195237970) >>> 0; x3 = l0;
  h0 = ((x0 * 53841 + Math.floor((x0 * 8019) / 65536)) / 65536) >>> 0; l0 = Math.imul(x0, -766435501) >>> 0;
  h1 = ((x2 * 52638 + Math.floor((x2 * 36183) / 65536)) / 65536) >>> 0; l1 = Math.imul(x2, -845247145) >>> 0;
  x0 = (h1 ^ x1 ^ -1253254563) >>> 0; x1 = l1; x2 = (h0 ^ x3 ^ 44404951) >>> 0; x3 = l0;
  h0 = ((x0 * 53841 + Math.floor((x0 * 8019) / 65536)) / 65536) >>> 0; l0 = Math.imul(x0, -766435501) >>> 0;
  h1 = ((x2 * 52638 + Math.floor((x2 * 36183) / 65536)) / 65536) >>> 0; l1 = Math.imul(x2, -845247145) >>> 0;
  x0 = (h1 ^ x1 ^ 1401181206) >>> 0; x1 = l1; x2 = (h0 ^ x3 ^ -1106428068) >>> 0; x3 = l0;
  h0 = ((x0 * 53841 + Math.floor((x0 * 8019) / 65536)) / 65536) >>> 0; l0 = Math.imul(x0, -766435501) >>> 0;
  h1 = ((x2 * 52638 + Math.floor((x2 * 36183) / 65536)) / 65536) >>> 0; l1 = Math.imul(x2, -845247145) >>> 0;
  x0 = (h1 ^ x1 ^ -239350321) >>> 0; x1 = l1; x2 = (h0 ^ x3 ^ 2037706209) >>> 0; x3 = l0;
  h0 = ((x0 * 53841 + Math.floor((x0 * 8019) / 65536)) / 65536) >>> 0; l0 = Math.imul(x0, -766435501) >>> 0;
  h1 = ((x2 * 52638 + Math.floor((x2 * 36183) / 65536)) / 65536) >>> 0; l1 = Math.imul(x2, -845247145) >>> 0;
  x0 = (h1 ^ x1 ^ -1879881848) >>> 0; x1 = l1; x2 = (h0 ^ x3 ^ 886873190) >>> 0; x3 = l0;
  rngW1 = x1;
  return x0;
}
function rngUniform(c0, c1, c2, c3) { return (philox(c0, c1, c2, c3) >>> 8) * 5.9604644775390625e-8; }
function rngNormal(c0, c1, c2, c3) {
  const w0 = philox(c0, c1, c2, c3);
  const u1 = ((w0 >>> 8) + 1) * 5.9604644775390625e-8;
  const u2 = (rngW1 >>> 8) * 5.9604644775390625e-8;
  return Math.fround(Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2));
}
return function synapses_decaying() {
  const a0 = r0, a1 = r1, a2 = r2, a3 = r3, a4 = r4;
  const s = a0[0], gstep = a0[1];
  const t = Math.fround(s * 0.5);
  for (let b = 0; b < 2; b++) {
    const sb = b * 48, pb = b * 8, qb = b * 6;
    const spikeCount = a3[b];
    for (let k = 0; k < spikeCount; k++) {
      const i = a4[pb + k];
      const row = i * 6;
      for (let j = 0; j < 6; j++) {
        const syn = row + j;
        {
          const v_g = a1[sb + syn];
          a2[qb + j] += v_g;
        }
      }
    }
    for (let i = 0; i < 8; i++) {
      const row = i * 6;
      for (let j = 0; j < 6; j++) {
        const syn = row + j;
        {
          let v_g = a1[sb + syn];
          let rk = 0;
          v_g = Math.fround(Math.fround(v_g * 0.9990000128746033) + ((rngUniform(syn, b, gstep, 1376 + (rk++ & 31)) < 0.10000000149011612) ? Math.fround(0.00009999999747378752 * rngNormal(syn, b, gstep, 1376 + (rk++ & 31))) : 0));
          a1[sb + syn] = v_g;
        }
      }
    }
  }
};
