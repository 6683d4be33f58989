/** The host step: psi into the chunk history, spikes into per-batch lists, and the firing rate and r(u) in float64. */
import {
  add,
  type Code,
  forLoop,
  Frame,
  type FunctionDefinition,
  get,
  i32,
  LOW_HALVES,
  numbered,
  op,
  set,
  simd,
  tee,
  v128,
  zero,
} from "./wasm-common";

const HOST_STEP_PARAMS = [
  "psiSpike",
  "n",
  "batchSize",
  "psiOut",
  "rOut",
  "rowBytes",
  "rate",
  "regularise",
  "units",
  "counts",
  "spikeWithoutPsi",
  "alpha",
  "oneMinusAlpha",
  "strength",
  "targetPerStep",
] as const;

/** The registers of the firing rate's update: locals (`rateAt` the rates' byte address) and code pushing the f64x2 splats. */
export interface RateRegisters {
  readonly rateAt: number;
  readonly alpha: Code;
  readonly oneMinusAlpha: Code;
  readonly strength: Code;
  readonly target: Code;
  /** Two v128 locals for the rates of the low and high two neurons. */
  readonly low: number;
  readonly high: number;
}

/**
 * psi(u) from a vector `x` of `PsiSpike` (local) whose spike lanes (x < 0) are in the local
 * `spike`: -x at a spike (0 where x is `spikeWithoutPsi`, pushed by `floor`), else x.
 */
export function decodePsi(x: number, spike: number, floor: Code): Code {
  return [
    get(x),
    simd.f32x4Neg,
    get(x),
    get(spike),
    simd.v128Bitselect,
    get(x),
    floor,
    simd.f32x4Eq,
    simd.v128AndNot,
  ];
}

/**
 * The firing rates of four neurons (f64 at `rateAt`, `rateAt + 16`) and r(u), stored as four
 * float32 at the address `rOut` pushes: f(u) = fround(alpha f(u-1) + (1 - alpha) z(u)), as f64
 * (exact: it is a float32), and r(u) = fround(strength (f(u) - targetPerStep)). (1 - alpha) z(u)
 * is the spike lanes (`spikes`, an i32x4 mask local) of (1 - alpha), +0 elsewhere; with `spikes`
 * null (no spike in the vector) the sum is alpha f(u-1) itself, the same bits (alpha f(u-1) >= +0,
 * and x + (+0) = x for every x >= +0).
 */
export function rateAndRegulariser(r: RateRegisters, spikes: number | null, rOut: Code): Code {
  const rateHalf = (offset: number, lanes: Code | null, into: number): Code => [
    get(r.rateAt),
    r.alpha,
    get(r.rateAt),
    v128.load(offset),
    simd.f64x2Mul,
    lanes === null ? [] : [lanes, r.oneMinusAlpha, simd.v128And, simd.f64x2Add],
    simd.f32x4DemoteF64x2Zero,
    simd.f64x2PromoteLowF32x4,
    tee(into),
    v128.store(offset),
  ];
  /** fround(strength (f - target)) of the f64x2 `rates` into the low two f32 lanes. */
  const regulariserHalf = (rates: number): Code => [
    r.strength,
    get(rates),
    r.target,
    simd.f64x2Sub,
    simd.f64x2Mul,
    simd.f32x4DemoteF64x2Zero,
  ];
  return [
    rateHalf(0, spikes === null ? null : [get(spikes), simd.i64x2ExtendLowI32x4S], r.low),
    rateHalf(16, spikes === null ? null : [get(spikes), simd.i64x2ExtendHighI32x4S], r.high),
    [rOut, regulariserHalf(r.low), regulariserHalf(r.high), simd.shuffle(LOW_HALVES), v128.store()],
  ];
}

/**
 * hostStep(psiSpike, n, batchSize, psiOut, rOut, rowBytes, rate, regularise, units, counts,
 *          spikeWithoutPsi, alpha, oneMinusAlpha, strength, targetPerStep)
 * the per-step host work of a hidden layer on its `PsiSpike` `[batch][n]` (models.ts: psi(u) >= 0
 * without a spike, -max(psi(u), 2^-126) with one, so that a spike with psi(u) = 0 reads
 * `spikeWithoutPsi` = -2^-126; followed by 4 readable floats):
 * - psi(u) into `psiOut` `[batch][row]` (row stride rowBytes): x < 0 ? (x = spikeWithoutPsi ? 0 : -x) : x;
 * - the spikes compacted: for each batch element b, the spiking neurons in order at
 *   `units[b * n ..]`, their number at `counts[b]`;
 * - with `regularise`, the firing rate f(u) = fround(alpha f(u-1) + (1 - alpha) z(u)) in `rate`
 *   `[batch][row]` (float64 values, each a float32's) and r(u) = fround(strength (f(u) - targetPerStep))
 *   into `rOut`, in float64 as the per-step form; otherwise zeros into `rOut`.
 * Four neurons per vector: lanes past n (at most three, within the padded row) get values of no meaning.
 */
export function hostStepKernel(): FunctionDefinition {
  const p = numbered(HOST_STEP_PARAMS);
  const frame = new Frame(HOST_STEP_PARAMS.length);
  const b = frame.local("i32"),
    j = frame.local("i32"),
    count = frame.local("i32"),
    input = frame.local("i32"),
    out = frame.local("i32"),
    rateAt = frame.local("i32");
  const unitsRow = frame.local("i32"),
    mask = frame.local("i32");
  const [x, spike, vFloor, vAlpha, vOneMinusAlpha, vStrength, vTarget, low, high] = frame.locals(
    "v128",
    9,
  );
  const rate: RateRegisters = {
    rateAt,
    alpha: get(vAlpha),
    oneMinusAlpha: get(vOneMinusAlpha),
    strength: get(vStrength),
    target: get(vTarget),
    low,
    high,
  };
  /** The vector's four rates and r(u) (with the spikes of `spike`, or none). */
  const regularised = (withSpikes: boolean): Code =>
    rateAndRegulariser(rate, withSpikes ? spike : null, [get(p.rOut), get(out), i32.add]);
  const compactLane = (lane: number): Code => [
    get(mask),
    i32.const(1 << lane),
    i32.and,
    i32.const(0),
    i32.ne,
    get(j),
    i32.const(lane),
    i32.add,
    get(p.n),
    i32.ltU,
    i32.and,
    op.if([
      [
        get(unitsRow),
        get(count),
        i32.const(2),
        i32.shl,
        i32.add,
        get(j),
        i32.const(lane),
        i32.add,
        i32.store(),
      ],
      [get(count), i32.const(1), i32.add, set(count)],
    ]),
  ];
  /** The neurons of one batch element, four at a time (the regulariser's two forms apart, so that the loop holds no test of it). */
  const neurons = (regularise: boolean): Code =>
    forLoop(
      j,
      i32.const(0),
      get(p.n),
      4,
      [
        get(input),
        v128.load(),
        tee(x),
        zero,
        simd.f32x4Lt,
        tee(spike),
        simd.i32x4Bitmask,
        tee(mask),
      ],
      op.if(
        [
          // psi: -x at a spike (0 for the floor), else x
          [get(p.psiOut), get(out), i32.add],
          [decodePsi(x, spike, get(vFloor)), v128.store()],
          regularise ? regularised(true) : [],
          [0, 1, 2, 3].map(compactLane),
        ],
        [
          // no spike: psi is x (x >= 0 or -0, never the floor)
          [get(p.psiOut), get(out), i32.add, get(x), v128.store()],
          regularise ? regularised(false) : [],
        ],
      ),
      regularise ? add(rateAt, 32) : [get(p.rOut), get(out), i32.add, zero, v128.store()],
      add(input, 16),
      add(out, 16),
    );
  const body: Code = [
    get(p.spikeWithoutPsi),
    op.f32x4.splat,
    set(vFloor),
    get(p.alpha),
    simd.f64x2Splat,
    set(vAlpha),
    get(p.oneMinusAlpha),
    simd.f64x2Splat,
    set(vOneMinusAlpha),
    get(p.strength),
    simd.f64x2Splat,
    set(vStrength),
    get(p.targetPerStep),
    simd.f64x2Splat,
    set(vTarget),
    forLoop(
      b,
      i32.const(0),
      get(p.batchSize),
      1,
      [
        get(b),
        get(p.n),
        i32.mul,
        i32.const(2),
        i32.shl,
        tee(input),
        get(p.units),
        i32.add,
        set(unitsRow),
      ],
      [get(input), get(p.psiSpike), i32.add, set(input)],
      [
        get(b),
        get(p.rowBytes),
        i32.mul,
        tee(out),
        i32.const(1),
        i32.shl,
        get(p.rate),
        i32.add,
        set(rateAt),
      ],
      [i32.const(0), set(count)],
      [get(p.regularise), op.if(neurons(true), neurons(false))],
      [get(p.counts), get(b), i32.const(2), i32.shl, i32.add, get(count), i32.store()],
    ),
  ];
  return {
    name: "hostStep",
    params: [...Array(10).fill("i32"), "f32", "f64", "f64", "f64", "f64"],
    locals: frame.declared,
    body,
  };
}
