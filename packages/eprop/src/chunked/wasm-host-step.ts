/** The host step: psi into the chunk history, spikes into per-batch lists, and the firing rate and r(u) in float64. */
import {
  add,
  type Code,
  f32,
  forLoop,
  Frame,
  type FunctionDefinition,
  get,
  HIGH_HALF,
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
 *   `[batch][row]` and r(u) = fround(strength (f(u) - targetPerStep)) into `rOut`, in float64
 *   as the per-step form; otherwise zeros into `rOut`.
 * Four neurons per vector: lanes past n (at most three, within the padded row) get values of no meaning.
 */
export function hostStepKernel(): FunctionDefinition {
  const p = numbered(HOST_STEP_PARAMS);
  const frame = new Frame(HOST_STEP_PARAMS.length);
  const b = frame.local("i32"),
    j = frame.local("i32"),
    count = frame.local("i32"),
    input = frame.local("i32"),
    out = frame.local("i32");
  const unitsRow = frame.local("i32"),
    mask = frame.local("i32");
  const [x, spike, vFloor, vOne, vAlpha, vOneMinusAlpha, vStrength, vTarget, f, z] = frame.locals(
    "v128",
    10,
  ) as [number, number, number, number, number, number, number, number, number, number];
  /** fround(alpha f + (1 - alpha) z) for the two neurons in the low half of `rates` and `z` (f64x2). */
  const rateHalf = (rates: Code, z: Code): Code => [
    get(vAlpha),
    rates,
    simd.f64x2PromoteLowF32x4,
    simd.f64x2Mul,
    get(vOneMinusAlpha),
    z,
    simd.f64x2PromoteLowF32x4,
    simd.f64x2Mul,
    simd.f64x2Add,
    simd.f32x4DemoteF64x2Zero,
  ];
  /** fround(strength (f - target)) for the low half of `rates` (f64x2). */
  const regulariserHalf = (rates: Code): Code => [
    get(vStrength),
    rates,
    simd.f64x2PromoteLowF32x4,
    get(vTarget),
    simd.f64x2Sub,
    simd.f64x2Mul,
    simd.f32x4DemoteF64x2Zero,
  ];
  const highHalf = (value: Code): Code => [value, value, simd.shuffle(HIGH_HALF)];
  const join = (low: Code, high: Code): Code => [low, high, simd.shuffle(LOW_HALVES)];
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
  const regularised: Code = [
    [get(p.rate), get(out), i32.add, v128.load(), set(f)],
    [get(spike), get(vOne), simd.v128And, set(z)], // z(u) as 0 or 1
    join(rateHalf(get(f), get(z)), rateHalf(highHalf(get(f)), highHalf(get(z)))),
    set(f),
    [get(p.rate), get(out), i32.add, get(f), v128.store()],
    [
      get(p.rOut),
      get(out),
      i32.add,
      join(regulariserHalf(get(f)), regulariserHalf(highHalf(get(f)))),
      v128.store(),
    ],
  ];
  const body: Code = [
    get(p.spikeWithoutPsi),
    op.f32x4.splat,
    set(vFloor),
    f32.const(1),
    op.f32x4.splat,
    set(vOne),
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
      [get(b), get(p.rowBytes), i32.mul, set(out)],
      [i32.const(0), set(count)],
      forLoop(
        j,
        i32.const(0),
        get(p.n),
        4,
        [get(input), v128.load(), tee(x), zero, simd.f32x4Lt, set(spike)],
        // psi: -x at a spike (0 for the floor), else x
        [get(p.psiOut), get(out), i32.add],
        [
          get(x),
          simd.f32x4Neg,
          get(x),
          get(spike),
          simd.v128Bitselect,
          get(x),
          get(vFloor),
          simd.f32x4Eq,
          simd.v128AndNot,
          v128.store(),
        ],
        [
          get(p.regularise),
          op.if(regularised, [get(p.rOut), get(out), i32.add, zero, v128.store()]),
        ],
        [get(spike), simd.i32x4Bitmask, tee(mask), op.if([0, 1, 2, 3].map(compactLane))],
        add(input, 16),
        add(out, 16),
      ),
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
