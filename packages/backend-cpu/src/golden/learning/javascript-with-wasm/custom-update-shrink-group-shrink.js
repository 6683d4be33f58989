// Runs as WebAssembly (SIMD, four elements at a time) compiled from the same snippets, bit-identical to this JavaScript (which runs with cpuBackend({ webAssembly: false })).
const r0 = refs[0];
const r1 = refs[1];
const r2 = refs[2];
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
return function customUpdate_shrink() {
  const a0 = r0, a1 = r1, a2 = r2;
  const s = a1[0], gstep = a2[0];
  const t = Math.fround(s * 0.5);
  for (let b = 0; b < 2; b++) {
    const eb = b * 48;
    for (let e = 0; e < 48; e++) {
      let r_g = a0[eb + e];
      let rk = 0;
      r_g = Math.min(Math.max(Math.fround(Math.fround(r_g * 0.9900000095367432) + Math.fround(0.0010000000474974513 * rngUniform(e, b, gstep, 1536 + (rk++ & 31)))), 0), 1);
      a0[eb + e] = r_g;
    }
  }
};
