/**
 * WebAssembly SIMD versions of the chunked e-prop kernels ({@link chunkCoefficients} and
 * {@link applyChunk} in trace-chunk.ts), vectorised over postsynaptic neurons in lanes of 4.
 * Histories and state live in the module's memory with rows padded to a multiple of 4.
 */
import { wasm } from "@snn/core";

type Code = wasm.Code;
type FunctionDefinition = wasm.FunctionDefinition;
const { assembleModule, op } = wasm;

const { get, set, i32, f32, v128, f32x4 } = op;

/** `for (counter = start; counter < end; counter += step) body` (body must not branch out). */
function forLoop(counter: number, start: Code, end: Code, step: number, ...body: Code[]): Code {
  return [
    start,
    set(counter),
    op.block(
      op.loop(get(counter), end, i32.geU, op.brIf(1), body, get(counter), i32.const(step), i32.add, set(counter), op.br(0)),
    ),
  ];
}

/** Numbers names consecutively from `start`: parameter and local indices of a function. */
function numbered<const Names extends readonly string[]>(names: Names, start = 0): Record<Names[number], number> {
  return Object.fromEntries(names.map((name, k) => [name, start + k])) as Record<Names[number], number>;
}

/** Address `base + offset` (both i32 locals). */
const at = (base: number, offset: number): Code => [get(base), get(offset), i32.add];
/** Loads 4 floats at local address + offset local. */
const load4 = (base: number, offset: number): Code => [at(base, offset), v128.load()];
/** Stores the vector produced by `value` at base + offset. */
const store4 = (base: number, offset: number, value: Code): Code => [at(base, offset), value, v128.store()];

/**
 * backward(psi, L, r, beta, psiBefore, spikeG, spikeA, spikeB, gP, gA, gB, aP, aA, bP, bA, bB,
 *          K, rowBytes, alpha, rho, kappa)
 * for one batch element: per-step arrays are [K][row], per-neuron arrays [row].
 */
function backwardKernel(): FunctionDefinition {
  // params
  const { psi, L, r, beta, psiBefore, spikeG, spikeA, spikeB, gP, gA, gB, aP, aA, bP, bA, bB, K, rowBytes, alpha, rho, kappa } = numbered(["psi", "L", "r", "beta", "psiBefore", "spikeG", "spikeA", "spikeB", "gP", "gA", "gB", "aP", "aA", "bP", "bA", "bB", "K", "rowBytes", "alpha", "rho", "kappa"] as const);
  let next = 21;
  const j = next++;
  const u = next++;
  const offset = next++; // u * rowBytes + j
  const vAlpha = next++, vRho = next++, vKappa = next++;
  const lbG = next++, laG = next++, lpG = next++;
  const laA = next++, lpA = next++;
  const lbB = next++, laB = next++, lpB = next++;
  const ps = next++, t1 = next++, eta = next++, laNext = next++, once = next++, decay = next++, pb = next++;
  const locals = ["i32", "i32", "i32", ...Array(next - 24).fill("v128")] as const;
  const mulAdd = (a: Code, b: Code, c: Code): Code => [a, b, f32x4.mul, c, f32x4.add];
  const zero = [f32.const(0), f32x4.splat];
  const body: Code = [
    get(alpha), f32x4.splat, set(vAlpha),
    get(rho), f32x4.splat, set(vRho),
    get(kappa), f32x4.splat, set(vKappa),
    forLoop(j, i32.const(0), get(rowBytes), 16,
      zero, set(lbG), zero, set(laG), zero, set(lpG), zero, set(laA), zero, set(lpA), zero, set(lbB), zero, set(laB), zero, set(lpB),
      f32.const(1), f32x4.splat, set(once),
      // u runs K-1 .. 0; the loop counter counts up and u is derived
      forLoop(u, i32.const(0), get(K), 1,
        [get(K), get(u), i32.sub, i32.const(1), i32.sub, get(rowBytes), i32.mul, get(j), i32.add, set(offset)],
        load4(psi, offset), set(ps),
        [get(ps), load4(beta, j), f32x4.mul, set(t1)],
        [get(vRho), get(t1), f32x4.sub, set(decay)],
        // output g: lbG = L + kappa lbG; eta = lbG + r; laG' = decay laG - t1 eta; lpG = ps (eta + laG) + alpha lpG
        [load4(L, offset), mulAdd(get(vKappa), get(lbG), []), set(lbG)],
        [get(lbG), load4(r, offset), f32x4.add, set(eta)],
        [get(laG), set(laNext)],
        [get(decay), get(laG), f32x4.mul, get(t1), get(eta), f32x4.mul, f32x4.sub, set(laG)],
        [get(ps), get(eta), get(laNext), f32x4.add, f32x4.mul, get(vAlpha), get(lpG), f32x4.mul, f32x4.add, set(lpG)],
        store4(spikeG, offset, get(lpG)),
        // output b(t1): lbB = once + kappa lbB; eta = lbB
        [get(once), mulAdd(get(vKappa), get(lbB), []), set(lbB)],
        [get(laB), set(laNext)],
        [get(decay), get(laB), f32x4.mul, get(t1), get(lbB), f32x4.mul, f32x4.sub, set(laB)],
        [get(ps), get(lbB), get(laNext), f32x4.add, f32x4.mul, get(vAlpha), get(lpB), f32x4.mul, f32x4.add, set(lpB)],
        store4(spikeB, offset, get(lpB)),
        // output a(t1): laA = once + decay laA; lpA = ps laA(next) + alpha lpA
        [get(laA), set(laNext)],
        [get(once), get(decay), get(laA), f32x4.mul, f32x4.add, set(laA)],
        [get(ps), get(laNext), f32x4.mul, get(vAlpha), get(lpA), f32x4.mul, f32x4.add, set(lpA)],
        store4(spikeA, offset, get(lpA)),
        zero, set(once),
      ),
      // carried-in coefficients with psi(t0)
      load4(psiBefore, j), set(pb),
      [get(vRho), get(pb), load4(beta, j), f32x4.mul, f32x4.sub, set(decay)],
      store4(gP, j, [get(vAlpha), get(lpG), f32x4.mul, get(pb), get(laG), f32x4.mul, f32x4.add]),
      store4(gA, j, [get(decay), get(laG), f32x4.mul]),
      store4(gB, j, [get(vKappa), get(lbG), f32x4.mul]),
      store4(bP, j, [get(vAlpha), get(lpB), f32x4.mul, get(pb), get(laB), f32x4.mul, f32x4.add]),
      store4(bA, j, [get(decay), get(laB), f32x4.mul]),
      store4(bB, j, [get(vKappa), get(lbB), f32x4.mul]),
      store4(aP, j, [get(vAlpha), get(lpA), f32x4.mul, get(pb), get(laA), f32x4.mul, f32x4.add]),
      store4(aA, j, [get(decay), get(laA), f32x4.mul]),
    ),
  ];
  return {
    name: "backward",
    params: [...Array(18).fill("i32"), "f32", "f32", "f32"],
    locals: [...locals],
    body,
  };
}

/**
 * apply(numPre, rowBytes, rowStart, stepsByPre, spikeG, spikeA, spikeB, gP, gA, gB, aP, aA,
 *       bP, bA, bB, p, aState, bState, gradient, sumG, sumA, sumB, carryIn, carryOut, adaptive)
 * for one batch element: the carried-state pass and the spike sums, row by presynaptic row.
 */
function applyKernel(): FunctionDefinition {
  const { numPre, rowBytes, rowStart, stepsByPre, spikeG, spikeA, spikeB, gP, gA, gB, aP, aA, bP, bA, bB, p, aState, bState, gradient, sumG, sumA, sumB, carryIn, carryOut, adaptive } = numbered(["numPre", "rowBytes", "rowStart", "stepsByPre", "spikeG", "spikeA", "spikeB", "gP", "gA", "gB", "aP", "aA", "bP", "bA", "bB", "p", "aState", "bState", "gradient", "sumG", "sumA", "sumB", "carryIn", "carryOut", "adaptive"] as const);
  let next = 25;
  const i = next++, j = next++, e = next++, first = next++, end = next++, row = next++, coefficientRow = next++;
  const p0 = next++, a0 = next++, b0 = next++;
  const zero: Code = [f32.const(0), f32x4.splat];
  /** Address of element j of this row of a [numPre][row] array. */
  const rowAddress = (base: number): Code => [get(base), get(row), i32.add, get(j), i32.add];
  const loadRow = (base: number): Code => [rowAddress(base), v128.load()];
  const rowLoop = (...body: Code[]): Code => forLoop(j, i32.const(0), get(rowBytes), 16, ...body);
  /** term: coefficient (per post neuron) times a vector local, added to the value on the stack. */
  const plus = (coefficient: number, value: number): Code => [load4(coefficient, j), get(value), f32x4.mul, f32x4.add];
  const withCarry = (adaptiveState: boolean, carryOutput: boolean): Code =>
    rowLoop(
      [loadRow(bState), set(b0)],
      adaptiveState ? [loadRow(aState), set(a0)] : [],
      // gradient += sumG + gP p0 + gB b0 (+ gA a0)
      [rowAddress(gradient), loadRow(gradient), load4(sumG, j), f32x4.add, plus(gP, p0), plus(gB, b0), adaptiveState ? plus(gA, a0) : [], v128.store()],
      carryOutput
        ? [
            // b = sumB + bP p0 + bB b0 (+ bA a0)
            [rowAddress(bState), load4(sumB, j), plus(bP, p0), plus(bB, b0), adaptiveState ? plus(bA, a0) : [], v128.store()],
            // a = sumA + aP p0 + aA a0
            adaptiveState ? [rowAddress(aState), load4(sumA, j), plus(aP, p0), plus(aA, a0), v128.store()] : [],
          ]
        : [],
    );
  const addSpikeRow = (sum: number, source: number): Code =>
    rowLoop(store4(sum, j, [load4(sum, j), get(source), get(coefficientRow), i32.add, get(j), i32.add, v128.load(), f32x4.add]));
  const body: Code = forLoop(i, i32.const(0), get(numPre), 1,
    op.block(
      [get(i), get(rowBytes), i32.mul, set(row)],
      [get(rowStart), get(i), i32.const(2), i32.shl, i32.add, i32.load(), set(first)],
      [get(rowStart), get(i), i32.const(2), i32.shl, i32.add, i32.load(4), set(end)],
      // zero carried-in state and no spikes: the state stays zero
      [get(carryIn), i32.eqz, get(first), get(end), i32.geU, i32.and],
      op.if([
        get(carryOut),
        op.if([rowLoop([rowAddress(bState), zero, v128.store()]), get(adaptive), op.if(rowLoop([rowAddress(aState), zero, v128.store()]))]),
        op.br(1),
      ]),
      // sums of the coefficient rows of this presynaptic neuron's spikes
      rowLoop(store4(sumG, j, zero), store4(sumB, j, zero), store4(sumA, j, zero)),
      forLoop(e, get(first), get(end), 1,
        [get(stepsByPre), get(e), i32.const(2), i32.shl, i32.add, i32.load(), get(rowBytes), i32.mul, set(coefficientRow)],
        addSpikeRow(sumG, spikeG),
        get(carryOut),
        op.if([addSpikeRow(sumB, spikeB), get(adaptive), op.if(addSpikeRow(sumA, spikeA))]),
      ),
      get(carryIn),
      op.if(
        [
          [get(p), get(i), i32.const(2), i32.shl, i32.add, f32.load(), f32x4.splat, set(p0)],
          get(carryOut),
          op.if(
            [get(adaptive), op.if(withCarry(true, true), withCarry(false, true))],
            [get(adaptive), op.if(withCarry(true, false), withCarry(false, false))],
          ),
        ],
        [
          rowLoop([rowAddress(gradient), loadRow(gradient), load4(sumG, j), f32x4.add, v128.store()]),
          get(carryOut),
          op.if([
            rowLoop([rowAddress(bState), load4(sumB, j), v128.store()]),
            get(adaptive),
            op.if(rowLoop([rowAddress(aState), load4(sumA, j), v128.store()])),
          ]),
        ],
      ),
    ),
  );
  return { name: "apply", params: Array(25).fill("i32"), locals: [...Array(7).fill("i32"), "v128", "v128", "v128"], body };
}

/**
 * feedback(errors, feedbackT, out, batchSize, nOut, rowBytes): the learning signal
 * out[b][j] = sum_k errors[b][k] feedbackT[k][j], errors `[batch][nOut]`, feedbackT `[nOut][row]`.
 */
function feedbackKernel(): FunctionDefinition {
  const { errors, feedbackT, out, batchSize, nOut, rowBytes } = numbered(["errors", "feedbackT", "out", "batchSize", "nOut", "rowBytes"] as const);
  const { b, j, k, errorRow, outRow, column } = numbered(["b", "j", "k", "errorRow", "outRow", "column"] as const, 6);
  const sum = 12;
  const body: Code = forLoop(b, i32.const(0), get(batchSize), 1,
    [get(b), get(nOut), i32.mul, i32.const(2), i32.shl, get(errors), i32.add, set(errorRow)],
    [get(b), get(rowBytes), i32.mul, get(out), i32.add, set(outRow)],
    forLoop(j, i32.const(0), get(rowBytes), 16,
      [f32.const(0), f32x4.splat, set(sum)],
      [get(feedbackT), get(j), i32.add, set(column)],
      forLoop(k, i32.const(0), get(nOut), 1,
        [get(sum), get(errorRow), get(k), i32.const(2), i32.shl, i32.add, f32.load(), f32x4.splat, get(column), v128.load(), f32x4.mul, f32x4.add, set(sum)],
        [get(column), get(rowBytes), i32.add, set(column)],
      ),
      [get(outRow), get(j), i32.add, get(sum), v128.store()],
    ),
  );
  return { name: "feedback", params: Array(6).fill("i32"), locals: [...Array(6).fill("i32"), "v128"], body };
}

/** The compiled kernel module (bytes), built once. */
let moduleBytes: Uint8Array<ArrayBuffer> | undefined;
export function chunkKernelModule(): Uint8Array<ArrayBuffer> {
  moduleBytes ??= assembleModule([backwardKernel(), applyKernel(), feedbackKernel()]);
  return moduleBytes;
}
