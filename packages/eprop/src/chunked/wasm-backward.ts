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
 * backward(psi, L, r, beta, psiBefore, history, carried, batchSize, K, rowBytes,
 *          historyBatchBytes, historyBlockBytes, psiStepBytes, adaptive, carryOut, alpha, rho,
 *          kappa, blockStart, blockEnd)
 * for all batch elements and the neuron blocks blockStart .. blockEnd - 1: the spike
 * coefficients of the K recorded steps and the carried-in coefficients (module layouts above;
 * psi, L, r `[step][batch][row]`, step stride psiStepBytes). Blocks are independent. With
 * carryOut 0 (a trial's last chunk) only the gradient's coefficients are formed.
 */
export function backwardKernel(): FunctionDefinition {
  const p = numbered(BACKWARD_PARAMS);
  const frame = new Frame(BACKWARD_PARAMS.length);
  const b = frame.local("i32"),
    block = frame.local("i32"),
    lane = frame.local("i32"),
    u = frame.local("i32");
  const psiRow = frame.local("i32"),
    lRow = frame.local("i32"),
    rRow = frame.local("i32");
  const historyBlock = frame.local("i32"),
    carriedBlock = frame.local("i32");
  const j = frame.local("i32"),
    offset = frame.local("i32"),
    out = frame.local("i32"),
    stepBytes = frame.local("i32");
  const [
    vAlpha,
    vRho,
    vKappa,
    lbG,
    laG,
    lpG,
    laA,
    lpA,
    lbB,
    laB,
    lpB,
    ps,
    t1,
    eta,
    laNext,
    once,
    decay,
    pb,
  ] = frame.locals("v128", 18) as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const at = (base: number, off: number): Code => [get(base), get(off), i32.add];
  const steps = (adaptive: boolean, carryOut: boolean): Code =>
    forLoop(
      u,
      i32.const(0),
      get(p.K),
      1,
      load(ps, [at(psiRow, j), v128.load()]),
      [get(ps), get(p.beta), get(j), i32.add, v128.load(), f32x4.mul, set(t1)],
      [get(vRho), get(t1), f32x4.sub, set(decay)],
      // output g: lbG = L + kappa lbG; eta = lbG + r; laG' = decay laG - t1 eta; lpG = ps (eta + laG) + alpha lpG
      [at(lRow, j), v128.load(), mulAdd(get(vKappa), get(lbG), []), set(lbG)],
      [get(lbG), at(rRow, j), v128.load(), f32x4.add, set(eta)],
      [get(laG), set(laNext)],
      [get(decay), get(laG), f32x4.mul, get(t1), get(eta), f32x4.mul, f32x4.sub, set(laG)],
      [
        get(ps),
        get(eta),
        get(laNext),
        f32x4.add,
        f32x4.mul,
        get(vAlpha),
        get(lpG),
        f32x4.mul,
        f32x4.add,
        set(lpG),
      ],
      [get(out), get(lpG), v128.store(SPIKE_G * BLOCK_BYTES)],
      // output b(t1): lbB = once + kappa lbB; eta = lbB
      carryOut
        ? [
            [get(once), mulAdd(get(vKappa), get(lbB), []), set(lbB)],
            [get(laB), set(laNext)],
            [get(decay), get(laB), f32x4.mul, get(t1), get(lbB), f32x4.mul, f32x4.sub, set(laB)],
            [
              get(ps),
              get(lbB),
              get(laNext),
              f32x4.add,
              f32x4.mul,
              get(vAlpha),
              get(lpB),
              f32x4.mul,
              f32x4.add,
              set(lpB),
            ],
            [get(out), get(lpB), v128.store(SPIKE_B * BLOCK_BYTES)],
          ]
        : [],
      // output a(t1): laA = once + decay laA; lpA = ps laA(next) + alpha lpA
      adaptive && carryOut
        ? [
            [get(laA), set(laNext)],
            [get(once), get(decay), get(laA), f32x4.mul, f32x4.add, set(laA)],
            [
              get(ps),
              get(laNext),
              f32x4.mul,
              get(vAlpha),
              get(lpA),
              f32x4.mul,
              f32x4.add,
              set(lpA),
            ],
            [get(out), get(lpA), v128.store(SPIKE_A * BLOCK_BYTES)],
          ]
        : [],
      zero,
      set(once),
      // one step back
      [get(psiRow), get(p.psiStepBytes), i32.sub, set(psiRow)],
      [get(lRow), get(p.psiStepBytes), i32.sub, set(lRow)],
      [get(rRow), get(p.psiStepBytes), i32.sub, set(rRow)],
      [get(out), get(stepBytes), i32.sub, set(out)],
    );
  const carriedStore = (coefficient: number, value: Code): Code => [
    get(carriedBlock),
    get(lane),
    i32.add,
    value,
    v128.store(coefficient * BLOCK_BYTES),
  ];
  const C = CarriedCoefficient;
  const neuron = (adaptive: boolean, carryOut: boolean): Code => [
    [get(block), get(lane), i32.add, set(j)],
    zero,
    set(lbG),
    zero,
    set(laG),
    zero,
    set(lpG),
    zero,
    set(laA),
    zero,
    set(lpA),
    zero,
    set(lbB),
    zero,
    set(laB),
    zero,
    set(lpB),
    f32.const(1),
    f32x4.splat,
    set(once),
    // from the chunk's last step backwards
    [
      get(p.K),
      i32.const(1),
      i32.sub,
      get(p.psiStepBytes),
      i32.mul,
      get(b),
      get(p.rowBytes),
      i32.mul,
      i32.add,
      tee(offset),
    ],
    [get(p.psi), i32.add, set(psiRow)],
    [get(offset), get(p.L), i32.add, set(lRow)],
    [get(offset), get(p.r), i32.add, set(rRow)],
    [
      get(p.K),
      i32.const(1),
      i32.sub,
      get(stepBytes),
      i32.mul,
      get(historyBlock),
      i32.add,
      get(lane),
      i32.add,
      set(out),
    ],
    steps(adaptive, carryOut),
    // carried-in coefficients with psi(t0)
    [
      get(p.psiBefore),
      get(b),
      get(p.rowBytes),
      i32.mul,
      i32.add,
      get(j),
      i32.add,
      v128.load(),
      set(pb),
    ],
    [
      get(vRho),
      get(pb),
      get(p.beta),
      get(j),
      i32.add,
      v128.load(),
      f32x4.mul,
      f32x4.sub,
      set(decay),
    ],
    carriedStore(C.gP, [get(vAlpha), get(lpG), f32x4.mul, get(pb), get(laG), f32x4.mul, f32x4.add]),
    carriedStore(C.gA, [get(decay), get(laG), f32x4.mul]),
    carriedStore(C.gB, [get(vKappa), get(lbG), f32x4.mul]),
    carryOut
      ? [
          carriedStore(C.bP, [
            get(vAlpha),
            get(lpB),
            f32x4.mul,
            get(pb),
            get(laB),
            f32x4.mul,
            f32x4.add,
          ]),
          carriedStore(C.bA, [get(decay), get(laB), f32x4.mul]),
          carriedStore(C.bB, [get(vKappa), get(lbB), f32x4.mul]),
        ]
      : [],
    adaptive && carryOut
      ? [
          carriedStore(C.aP, [
            get(vAlpha),
            get(lpA),
            f32x4.mul,
            get(pb),
            get(laA),
            f32x4.mul,
            f32x4.add,
          ]),
          carriedStore(C.aA, [get(decay), get(laA), f32x4.mul]),
        ]
      : [],
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
        forLoop(lane, i32.const(0), i32.const(BLOCK_BYTES), 16, neuron(adaptive, carryOut)),
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
