/** The backward pass of a chunk: spike coefficients and carried-in coefficients, block by block. */
import {
  BLOCK_BYTES,
  CarriedCoefficient,
  type Code,
  f32,
  f32x4,
  forLoop,
  Frame,
  type FunctionDefinition,
  get,
  i32,
  mulAdd,
  numbered,
  op,
  set,
  SPIKE_A,
  SPIKE_B,
  SPIKE_G,
  spikeOutputs,
  tee,
  v128,
  VECTORS,
  zero,
} from "./wasm-common";

const BACKWARD_PARAMS = [
  "psi",
  "L",
  "r",
  "beta",
  "psiBefore",
  "history",
  "carried",
  "batchSize",
  "K",
  "rowBytes",
  "historyBatchBytes",
  "historyBlockBytes",
  "psiStepBytes",
  "adaptive",
  "carryOut",
  "alpha",
  "rho",
  "kappa",
  "blockStart",
  "blockEnd",
] as const;

/**
 * Steps of a segment of the backward walk: the block's four vectors of neurons walk a segment in
 * turn (each with its own recursions, in registers), so that the segment's history lines (psi,
 * L, r in; the spike coefficients out) come from memory once and stay in the L1 cache for the
 * other three, instead of each vector walking the whole chunk, its lines evicted before the next.
 */
const SEGMENT_STEPS = 32;

/**
 * backward(psi, L, r, beta, psiBefore, history, carried, batchSize, K, rowBytes,
 *          historyBatchBytes, historyBlockBytes, psiStepBytes, adaptive, carryOut, alpha, rho,
 *          kappa, blockStart, blockEnd)
 * for all batch elements and the neuron blocks blockStart .. blockEnd - 1: the spike
 * coefficients of the K recorded steps and the carried-in coefficients (module layouts above;
 * psi, L, r `[step][batch][row]`, step stride psiStepBytes). Blocks are independent. With
 * carryOut 0 (a trial's last chunk) only the gradient's coefficients are formed. Each vector
 * of 4 neurons runs the same operations in the same order whatever the segments, so the
 * results do not depend on {@link SEGMENT_STEPS}.
 */
export function backwardKernel(): FunctionDefinition {
  const p = numbered(BACKWARD_PARAMS);
  const frame = new Frame(BACKWARD_PARAMS.length);
  const b = frame.local("i32"),
    block = frame.local("i32"),
    u = frame.local("i32"),
    segment = frame.local("i32"),
    segmentEnd = frame.local("i32");
  const psiRow = frame.local("i32"),
    lRow = frame.local("i32"),
    rRow = frame.local("i32"),
    betaBlock = frame.local("i32");
  const historyBlock = frame.local("i32"),
    carriedBlock = frame.local("i32");
  const offset = frame.local("i32"),
    segmentOut = frame.local("i32"),
    out = frame.local("i32"),
    stepBytes = frame.local("i32");
  const [vAlpha, vRho, vKappa, ps, t1, eta, laNext, decay, pb] = frame.locals("v128", 9);
  /** Each vector's recursions (and its `once`: 1 at the chunk's last step, then 0). */
  const vectors = Array.from({ length: VECTORS }, () => {
    const [lbG, laG, lpG, laA, lpA, lbB, laB, lpB, once] = frame.locals("v128", 9);
    return { lbG, laG, lpG, laA, lpA, lbB, laB, lpB, once };
  });
  type Vector = (typeof vectors)[number];
  /** The steps `segment` .. `segmentEnd` - 1 of the walk (from the chunk's last step backwards) for vector k. */
  const steps = (adaptive: boolean, carryOut: boolean, v: Vector, k: number): Code => [
    [get(offset), get(p.psi), i32.add, set(psiRow)],
    [get(offset), get(p.L), i32.add, set(lRow)],
    [get(offset), get(p.r), i32.add, set(rRow)],
    [get(segmentOut), set(out)],
    forLoop(
      u,
      get(segment),
      get(segmentEnd),
      1,
      load(ps, [get(psiRow), v128.load(16 * k)]),
      [get(ps), get(betaBlock), v128.load(16 * k), f32x4.mul, set(t1)],
      [get(vRho), get(t1), f32x4.sub, set(decay)],
      // output g: lbG = L + kappa lbG; eta = lbG + r; laG' = decay laG - t1 eta; lpG = ps (eta + laG) + alpha lpG
      [get(lRow), v128.load(16 * k), mulAdd(get(vKappa), get(v.lbG), []), set(v.lbG)],
      [get(v.lbG), get(rRow), v128.load(16 * k), f32x4.add, set(eta)],
      [get(v.laG), set(laNext)],
      [get(decay), get(v.laG), f32x4.mul, get(t1), get(eta), f32x4.mul, f32x4.sub, set(v.laG)],
      [
        get(ps),
        get(eta),
        get(laNext),
        f32x4.add,
        f32x4.mul,
        get(vAlpha),
        get(v.lpG),
        f32x4.mul,
        f32x4.add,
        set(v.lpG),
      ],
      [get(out), get(v.lpG), v128.store(SPIKE_G * BLOCK_BYTES + 16 * k)],
      // output b(t1): lbB = once + kappa lbB; eta = lbB
      carryOut
        ? [
            [get(v.once), mulAdd(get(vKappa), get(v.lbB), []), set(v.lbB)],
            [get(v.laB), set(laNext)],
            [
              get(decay),
              get(v.laB),
              f32x4.mul,
              get(t1),
              get(v.lbB),
              f32x4.mul,
              f32x4.sub,
              set(v.laB),
            ],
            [
              get(ps),
              get(v.lbB),
              get(laNext),
              f32x4.add,
              f32x4.mul,
              get(vAlpha),
              get(v.lpB),
              f32x4.mul,
              f32x4.add,
              set(v.lpB),
            ],
            [get(out), get(v.lpB), v128.store(SPIKE_B * BLOCK_BYTES + 16 * k)],
          ]
        : [],
      // output a(t1): laA = once + decay laA; lpA = ps laA(next) + alpha lpA
      adaptive && carryOut
        ? [
            [get(v.laA), set(laNext)],
            [get(v.once), get(decay), get(v.laA), f32x4.mul, f32x4.add, set(v.laA)],
            [
              get(ps),
              get(laNext),
              f32x4.mul,
              get(vAlpha),
              get(v.lpA),
              f32x4.mul,
              f32x4.add,
              set(v.lpA),
            ],
            [get(out), get(v.lpA), v128.store(SPIKE_A * BLOCK_BYTES + 16 * k)],
          ]
        : [],
      zero,
      set(v.once),
      // one step back
      [get(psiRow), get(p.psiStepBytes), i32.sub, set(psiRow)],
      [get(lRow), get(p.psiStepBytes), i32.sub, set(lRow)],
      [get(rRow), get(p.psiStepBytes), i32.sub, set(rRow)],
      [get(out), get(stepBytes), i32.sub, set(out)],
    ),
  ];
  const carriedStore = (coefficient: number, k: number, value: Code): Code => [
    get(carriedBlock),
    value,
    v128.store(coefficient * BLOCK_BYTES + 16 * k),
  ];
  const C = CarriedCoefficient;
  const start = (v: Vector): Code => [
    [v.lbG, v.laG, v.lpG, v.laA, v.lpA, v.lbB, v.laB, v.lpB].map((local) => [zero, set(local)]),
    f32.const(1),
    f32x4.splat,
    set(v.once),
  ];
  /** Vector k's carried-in coefficients, with psi(t0). */
  const carriedIn = (adaptive: boolean, carryOut: boolean, v: Vector, k: number): Code => [
    [
      get(p.psiBefore),
      get(b),
      get(p.rowBytes),
      i32.mul,
      i32.add,
      get(block),
      i32.add,
      v128.load(16 * k),
      set(pb),
    ],
    [get(vRho), get(pb), get(betaBlock), v128.load(16 * k), f32x4.mul, f32x4.sub, set(decay)],
    carriedStore(C.gP, k, [
      get(vAlpha),
      get(v.lpG),
      f32x4.mul,
      get(pb),
      get(v.laG),
      f32x4.mul,
      f32x4.add,
    ]),
    carriedStore(C.gA, k, [get(decay), get(v.laG), f32x4.mul]),
    carriedStore(C.gB, k, [get(vKappa), get(v.lbG), f32x4.mul]),
    carryOut
      ? [
          carriedStore(C.bP, k, [
            get(vAlpha),
            get(v.lpB),
            f32x4.mul,
            get(pb),
            get(v.laB),
            f32x4.mul,
            f32x4.add,
          ]),
          carriedStore(C.bA, k, [get(decay), get(v.laB), f32x4.mul]),
          carriedStore(C.bB, k, [get(vKappa), get(v.lbB), f32x4.mul]),
        ]
      : [],
    adaptive && carryOut
      ? [
          carriedStore(C.aP, k, [
            get(vAlpha),
            get(v.lpA),
            f32x4.mul,
            get(pb),
            get(v.laA),
            f32x4.mul,
            f32x4.add,
          ]),
          carriedStore(C.aA, k, [get(decay), get(v.laA), f32x4.mul]),
        ]
      : [],
  ];
  /** A block of 16 neurons of batch element b: its vectors' walks, segment by segment, then their carried-in coefficients. */
  const neurons = (adaptive: boolean, carryOut: boolean): Code => [
    [get(p.beta), get(block), i32.add, set(betaBlock)],
    vectors.map(start),
    forLoop(
      segment,
      i32.const(0),
      get(p.K),
      SEGMENT_STEPS,
      // segmentEnd = min(segment + SEGMENT_STEPS, K)
      [
        get(segment),
        i32.const(SEGMENT_STEPS),
        i32.add,
        tee(segmentEnd),
        get(p.K),
        get(segmentEnd),
        get(p.K),
        i32.ltU,
        op.select,
        set(segmentEnd),
      ],
      // the segment's first step, K - 1 - segment: its offset in psi, L, r and its spike coefficients
      [
        get(p.K),
        i32.const(1),
        i32.sub,
        get(segment),
        i32.sub,
        tee(offset),
        get(stepBytes),
        i32.mul,
        get(historyBlock),
        i32.add,
        set(segmentOut),
      ],
      [
        get(offset),
        get(p.psiStepBytes),
        i32.mul,
        get(b),
        get(p.rowBytes),
        i32.mul,
        i32.add,
        get(block),
        i32.add,
        set(offset),
      ],
      vectors.map((v, k) => steps(adaptive, carryOut, v, k)),
    ),
    vectors.map((v, k) => carriedIn(adaptive, carryOut, v, k)),
  ];
  const all = (adaptive: boolean, carryOut: boolean): Code => [
    [i32.const(spikeOutputs(adaptive) * BLOCK_BYTES), set(stepBytes)],
    forLoop(
      b,
      i32.const(0),
      get(p.batchSize),
      1,
      [get(p.history), get(b), get(p.historyBatchBytes), i32.mul, i32.add],
      [get(p.blockStart), get(p.historyBlockBytes), i32.mul, i32.add, set(historyBlock)],
      // block: byte offset of the block in a row
      forLoop(
        block,
        [get(p.blockStart), i32.const(BLOCK_BYTES), i32.mul],
        [get(p.blockEnd), i32.const(BLOCK_BYTES), i32.mul],
        BLOCK_BYTES,
        // carried-in coefficients [batch][block][8][16]: byte (b * rowBytes + block) * 8
        [
          get(b),
          get(p.rowBytes),
          i32.mul,
          get(block),
          i32.add,
          i32.const(3),
          i32.shl,
          get(p.carried),
          i32.add,
          set(carriedBlock),
        ],
        neurons(adaptive, carryOut),
        [get(historyBlock), get(p.historyBlockBytes), i32.add, set(historyBlock)],
      ),
    ),
  ];
  const body: Code = [
    get(p.alpha),
    f32x4.splat,
    set(vAlpha),
    get(p.rho),
    f32x4.splat,
    set(vRho),
    get(p.kappa),
    f32x4.splat,
    set(vKappa),
    get(p.adaptive),
    op.if(
      [get(p.carryOut), op.if(all(true, true), all(true, false))],
      [get(p.carryOut), op.if(all(false, true), all(false, false))],
    ),
  ];
  return {
    name: "backward",
    params: [...Array(BACKWARD_PARAMS.length - 5).fill("i32"), "f32", "f32", "f32", "i32", "i32"],
    locals: frame.declared,
    body,
  };

  function load(target: number, value: Code): Code {
    return [value, set(target)];
  }
}
