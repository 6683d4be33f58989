/**
 * WebAssembly SIMD kernels of the chunked e-prop evaluation (docs/chunked-eprop.md),
 * vectorised over postsynaptic neurons in lanes of 4 and register-blocked in blocks of
 * {@link BLOCK_FLOATS} neurons. Layouts (all in the module's memory, rows padded to whole blocks):
 *
 * - histories psi, L, r: `[step][batch][row]` (written by the host);
 * - spike coefficients lp(t): `[batch][block][step][output][16]`, outputs g, b (and a for
 *   adaptive layers), so that the coefficients of one spike for one block are contiguous;
 * - carried-in coefficients: `[batch][block][8][16]` in the order of {@link CarriedCoefficient};
 * - per-synapse state: `[batch][block][pre][b, a][16]` (no a for non-adaptive layers);
 * - gradient: `[block][pre][16]`.
 */
import { wasm } from "@snn/core/internal";

type Code = wasm.Code;
type FunctionDefinition = wasm.FunctionDefinition;
const { assembleModule, op, Frame, forLoop, numbered } = wasm;

const { get, set, tee, i32, f32, f64, v128, f32x4 } = op;

/** Postsynaptic neurons per register block (rows are padded to a multiple of it). */
export const BLOCK_FLOATS = 16;
/** Bytes of one block of floats: one cache line. */
export const BLOCK_BYTES = BLOCK_FLOATS * 4;
const VECTORS = BLOCK_FLOATS / 4;

/** Order of the carried-in coefficients within a block (each `[16]` floats). */
export const CarriedCoefficient = {
  gP: 0,
  gA: 1,
  gB: 2,
  bP: 3,
  bA: 4,
  bB: 5,
  aP: 6,
  aA: 7,
} as const;
/** Carried-in coefficients per block. */
export const CARRIED_COEFFICIENTS = 8;
/** Outputs of the spike coefficients, and their position within a step of a block. */
const SPIKE_G = 0;
const SPIKE_B = 1;
const SPIKE_A = 2;

/** Outputs (g, b, and a when adaptive) recorded per step in the spike coefficient history. */
export function spikeOutputs(adaptive: boolean): number {
  return adaptive ? 3 : 2;
}

/** State quantities per synapse (b, and a when adaptive). */
export function stateQuantities(adaptive: boolean): number {
  return adaptive ? 2 : 1;
}

const zero: Code = [f32.const(0), f32x4.splat];
/** i32.shr_u (not in `@snn/core`'s opcode table). */
const I32_SHR_U = 0x76;
const add = (local: number, value: number): Code => [
  get(local),
  i32.const(value),
  i32.add,
  set(local),
];
/** `a * b + c` on f32x4 values (two roundings, as the per-step recursion). */
const mulAdd = (a: Code, b: Code, c: Code): Code => [a, b, f32x4.mul, c, f32x4.add];

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
function backwardKernel(): FunctionDefinition {
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

const APPLY_PARAMS = [
  "batchSize",
  "numPre",
  "numBlocks",
  "rowStart",
  "offsets",
  "history",
  "historyBatchBytes",
  "historyBlockBytes",
  "carried",
  "p",
  "state",
  "gradient",
  "carryIn",
  "carryOut",
  "adaptive",
  "K",
  "denseEnd",
  "denseRows",
  "totals",
  "blockStart",
  "blockEnd",
] as const;

/**
 * apply(batchSize, numPre, numBlocks, rowStart, offsets, history, historyBatchBytes,
 *       historyBlockBytes, carried, p, state, gradient, carryIn, carryOut, adaptive, K, denseEnd,
 *       denseRows, totals, blockStart, blockEnd)
 * for all batch elements and the blocks blockStart .. blockEnd - 1 of postsynaptic neurons (each
 * block's state and gradient are its own, so block ranges may run in any order or in parallel,
 * with the same results): per block and presynaptic neuron i, the
 * coefficient rows of i's spikes are summed in registers, then the carried-in state terms
 * are added and the gradient and (unless `carryOut` is 0) the carried-out state written.
 * `rowStart` `[batch * numPre + 1]` holds absolute addresses into `offsets`, whose entries are
 * a spike's step times the step stride of the history (bytes).
 *
 * Dense rows (sortSpikes: denseEnd[row] not 0, the row's entries the silent steps): the sum of
 * the spike coefficients is the chunk's total over all K steps minus those of the silent steps.
 * The totals of a (batch element, block) are summed step by step, for the batch elements with
 * dense rows (denseRows[b] not 0), into `totals` `[block][output][16]` (scratch, numBlocks x 3 x 64 bytes).
 */
function applyKernel(): FunctionDefinition {
  const p = numbered(APPLY_PARAMS);
  const frame = new Frame(APPLY_PARAMS.length);
  const b = frame.local("i32"),
    block = frame.local("i32"),
    i = frame.local("i32");
  const historyBatch = frame.local("i32"),
    historyBlock = frame.local("i32"),
    coefficients = frame.local("i32");
  const statePointer = frame.local("i32"),
    gradientPointer = frame.local("i32"),
    rowPointer = frame.local("i32"),
    pPointer = frame.local("i32");
  const event = frame.local("i32"),
    eventEnd = frame.local("i32"),
    spike = frame.local("i32");
  const densePointer = frame.local("i32"),
    dense = frame.local("i32"),
    totalsBlock = frame.local("i32"),
    step = frame.local("i32");
  const sums = frame.locals("v128", VECTORS);
  const [p0, b0, a0] = frame.locals("v128", 3) as [number, number, number];
  const C = CarriedCoefficient;
  /** coefficient (vector k of the block) times a vector local. */
  const term = (coefficient: number, k: number, value: number): Code => [
    get(coefficients),
    v128.load(coefficient * BLOCK_BYTES + 16 * k),
    get(value),
    f32x4.mul,
  ];

  const variant = (carryIn: boolean, carryOut: boolean, adaptive: boolean): Code => {
    const stateBytes = stateQuantities(adaptive) * BLOCK_BYTES;
    /** Loads the carried-in b(t0) and a(t0) of vector k. */
    const carried = (k: number, needB: boolean): Code =>
      carryIn
        ? [
            needB ? [get(statePointer), v128.load(16 * k), set(b0)] : [],
            adaptive ? [get(statePointer), v128.load(BLOCK_BYTES + 16 * k), set(a0)] : [],
          ]
        : [];
    /**
     * One output per pass, so that only its VECTORS sums are live: the gradient (reads the old
     * b and a), then b (reads the old b and a, writes b), then a (reads the old a, writes a).
     */
    const update = (output: number, k: number): Code => {
      const sum = get(sums[k]!);
      switch (output) {
        case SPIKE_G: // gradient += sumG + gP p0 + gB b0 (+ gA a0)
          return [
            carried(k, true),
            get(gradientPointer),
            [get(gradientPointer), v128.load(16 * k), sum, f32x4.add],
            carryIn
              ? [
                  term(C.gP, k, p0),
                  f32x4.add,
                  term(C.gB, k, b0),
                  f32x4.add,
                  adaptive ? [term(C.gA, k, a0), f32x4.add] : [],
                ]
              : [],
            v128.store(16 * k),
          ];
        case SPIKE_B: // b = sumB + bP p0 + bB b0 (+ bA a0)
          return [
            carried(k, true),
            get(statePointer),
            sum,
            carryIn
              ? [
                  term(C.bP, k, p0),
                  f32x4.add,
                  term(C.bB, k, b0),
                  f32x4.add,
                  adaptive ? [term(C.bA, k, a0), f32x4.add] : [],
                ]
              : [],
            v128.store(16 * k),
          ];
        default: // a = sumA + aP p0 + aA a0
          return [
            carried(k, false),
            get(statePointer),
            sum,
            carryIn ? [term(C.aP, k, p0), f32x4.add, term(C.aA, k, a0), f32x4.add] : [],
            v128.store(BLOCK_BYTES + 16 * k),
          ];
      }
    };
    const outputs = carryOut
      ? adaptive
        ? [SPIKE_G, SPIKE_B, SPIKE_A]
        : [SPIKE_G, SPIKE_B]
      : [SPIKE_G];
    const stepBytes = spikeOutputs(adaptive) * BLOCK_BYTES;
    /** Sums, for each listed step (offsets from `event` to `end`), of the output's coefficient lines: added to or subtracted from the sums. */
    const accumulate = (output: number, end: number, combine: Code): Code =>
      forLoop(
        event,
        [get(rowPointer), i32.load()],
        get(end),
        4,
        [get(event), i32.load(), get(historyBlock), i32.add, set(spike)],
        sums.map((sum, k) => [
          get(sum),
          get(spike),
          v128.load(output * BLOCK_BYTES + 16 * k),
          combine,
          set(sum),
        ]),
      );
    const pass = (output: number): Code => [
      // the sum of this neuron's spike coefficients, in registers: of its spikes, or the total less its silent steps
      get(dense),
      i32.eqz,
      op.if(
        [sums.map((sum) => [zero, set(sum)]), accumulate(output, eventEnd, f32x4.add)],
        [
          sums.map((sum, k) => [
            get(totalsBlock),
            v128.load(output * BLOCK_BYTES + 16 * k),
            set(sum),
          ]),
          accumulate(output, dense, f32x4.sub),
        ],
      ),
      sums.map((_, k) => update(output, k)),
    ];
    /** The totals over the chunk's K steps of a (batch element, block), for each output used, summed step by step. */
    const totals: Code = [
      [get(p.totals), get(block), i32.const(3 * BLOCK_BYTES), i32.mul, i32.add, set(totalsBlock)],
      [get(p.denseRows), get(b), i32.const(2), i32.shl, i32.add, i32.load()],
      op.if(
        outputs.map((output) => [
          sums.map((sum) => [zero, set(sum)]),
          forLoop(
            step,
            get(historyBlock),
            [get(p.K), i32.const(stepBytes), i32.mul, get(historyBlock), i32.add],
            stepBytes,
            sums.map((sum, k) => [
              get(sum),
              get(step),
              v128.load(output * BLOCK_BYTES + 16 * k),
              f32x4.add,
              set(sum),
            ]),
          ),
          sums.map((sum, k) => [
            get(totalsBlock),
            get(sum),
            v128.store(output * BLOCK_BYTES + 16 * k),
          ]),
        ]),
      ),
    ];
    const presynaptic: Code = [
      [get(rowPointer), i32.load(4), set(eventEnd)],
      [get(densePointer), i32.load(), set(dense)],
      carryIn ? [get(pPointer), f32.load(), f32x4.splat, set(p0)] : [],
      outputs.map(pass),
      add(statePointer, stateBytes),
      add(gradientPointer, BLOCK_BYTES),
      add(rowPointer, 4),
      add(densePointer, 4),
      add(pPointer, 4),
    ];
    return forLoop(
      b,
      i32.const(0),
      get(p.batchSize),
      1,
      [get(p.history), get(b), get(p.historyBatchBytes), i32.mul, i32.add, set(historyBatch)],
      forLoop(
        block,
        get(p.blockStart),
        get(p.blockEnd),
        1,
        [
          get(block),
          get(p.historyBlockBytes),
          i32.mul,
          get(historyBatch),
          i32.add,
          set(historyBlock),
        ],
        [get(b), get(p.numBlocks), i32.mul, get(block), i32.add, tee(coefficients)],
        [
          get(p.numPre),
          i32.mul,
          i32.const(stateBytes),
          i32.mul,
          get(p.state),
          i32.add,
          set(statePointer),
        ],
        [
          get(coefficients),
          i32.const(CARRIED_COEFFICIENTS * BLOCK_BYTES),
          i32.mul,
          get(p.carried),
          i32.add,
          set(coefficients),
        ],
        [
          get(block),
          get(p.numPre),
          i32.mul,
          i32.const(BLOCK_BYTES),
          i32.mul,
          get(p.gradient),
          i32.add,
          set(gradientPointer),
        ],
        [
          get(b),
          get(p.numPre),
          i32.mul,
          i32.const(2),
          i32.shl,
          tee(rowPointer),
          get(p.p),
          i32.add,
          set(pPointer),
        ],
        [get(rowPointer), get(p.denseEnd), i32.add, set(densePointer)],
        [get(rowPointer), get(p.rowStart), i32.add, set(rowPointer)],
        totals,
        forLoop(i, i32.const(0), get(p.numPre), 1, presynaptic),
      ),
    );
  };
  const byFlag = (flag: number, then: Code, otherwise: Code): Code => [
    get(flag),
    op.if(then, otherwise),
  ];
  const body: Code = byFlag(
    p.adaptive,
    byFlag(
      p.carryIn,
      byFlag(p.carryOut, variant(true, true, true), variant(true, false, true)),
      byFlag(p.carryOut, variant(false, true, true), variant(false, false, true)),
    ),
    byFlag(
      p.carryIn,
      byFlag(p.carryOut, variant(true, true, false), variant(true, false, false)),
      byFlag(p.carryOut, variant(false, true, false), variant(false, false, false)),
    ),
  );
  return {
    name: "apply",
    params: Array(APPLY_PARAMS.length).fill("i32"),
    locals: frame.declared,
    body,
  };
}

const SPIKE_PARAMS = [
  "batchSize",
  "numPre",
  "units",
  "steps",
  "batchEnds",
  "rowStart",
  "cursor",
  "offsets",
  "stepBytes",
  "K",
  "seen",
  "denseEnd",
  "denseRows",
  "denseMin",
] as const;

/**
 * The fewest spikes in a chunk of K steps for which a presynaptic neuron's row is applied as
 * the complement (the chunk's total coefficients less those of its silent steps), when each
 * spike or silent step costs `lines` coefficient lines (blocks of post neurons x outputs): the
 * complement saves 2 spikes - K lines per block and output, and costs one pass over the spikes
 * and one over the K steps in the sort (each about as costly as one line, measured); so a row is
 * dense where (2 spikes - K) lines >= spikes + K. The totals of the chunk (K lines per block and
 * output, per batch element with a dense row) are left out: shared by the dense rows.
 */
export function denseThreshold(K: number, lines: number): number {
  return lines < 1 ? K + 1 : Math.ceil((K * (lines + 1)) / (2 * lines - 1));
}

/**
 * sortSpikes(batchSize, numPre, units, steps, batchEnds, rowStart, cursor, offsets, stepBytes,
 *            K, seen, denseEnd, denseRows, denseMin):
 * counting sort of a chunk's spikes (`units`, `steps`: i32 per spike, batch element b's from
 * index batchEnds[b - 1] (0 for b = 0) to batchEnds[b]) by (batch element, presynaptic neuron),
 * keeping step order. Writes `offsets` (step x stepBytes per spike) and `rowStart`
 * `[batch * numPre + 1]` (addresses into offsets); `cursor` `[batch * numPre]` is scratch.
 *
 * Dense rows: where a row (batch element, presynaptic neuron) has at least denseMin spikes
 * ({@link denseThreshold}), all at distinct steps 0 .. K - 1, its entries in `offsets` are replaced by those of its
 * silent steps (ascending), ending at denseEnd[row] (an address into offsets, i32
 * `[batch * numPre]`; 0 for a row left as it is), and denseRows[b] (i32 `[batch + 1]`) counts batch
 * element b's dense rows, denseRows[batch] those of every call so far (never reset here). `seen` (i32, K x stepBytes / 64 entries) is scratch.
 */
function sortSpikesKernel(): FunctionDefinition {
  const p = numbered(SPIKE_PARAMS);
  const frame = new Frame(SPIKE_PARAMS.length);
  const b = frame.local("i32"),
    e = frame.local("i32"),
    end = frame.local("i32"),
    k = frame.local("i32"),
    slot = frame.local("i32");
  const address = frame.local("i32"),
    rows = frame.local("i32");
  const limit = frame.local("i32"),
    threshold = frame.local("i32"),
    stamp = frame.local("i32"),
    unique = frame.local("i32"),
    count = frame.local("i32"),
    i = frame.local("i32");
  const atIndex = (base: number, index: Code): Code => [
    index,
    i32.const(2),
    i32.shl,
    get(base),
    i32.add,
  ];
  /** Address of seen[offset / 64] (offsets are whole multiples of 64 bytes). */
  const seenAt = (offset: Code): Code => [offset, i32.const(4), I32_SHR_U, get(p.seen), i32.add];
  // Per row: the steps of its spikes marked with the row's stamp; if they are distinct and within the chunk, the silent steps replace them.
  const denseRow: Code = [
    [get(k), i32.const(1), i32.add, set(stamp)],
    [i32.const(1), set(unique)],
    forLoop(e, get(address), get(end), 4, [
      get(e),
      i32.load(),
      tee(slot),
      get(limit),
      i32.geU,
      op.if(
        [i32.const(0), set(unique)],
        [
          [
            seenAt(get(slot)),
            tee(slot),
            i32.load(),
            get(stamp),
            i32.eq,
            op.if([i32.const(0), set(unique)]),
          ],
          [get(slot), get(stamp), i32.store()],
        ],
      ),
    ]),
    [
      get(unique),
      op.if([
        [get(address), set(e)],
        forLoop(
          slot,
          i32.const(0),
          get(limit),
          0, // step: stepBytes, below
          // branch-free: the step is written always, and kept (e advances) if silent
          [get(e), get(slot), i32.store()],
          [
            seenAt(get(slot)),
            i32.load(),
            get(stamp),
            i32.ne,
            i32.const(2),
            i32.shl,
            get(e),
            i32.add,
            set(e),
          ],
          [get(slot), get(p.stepBytes), i32.add, set(slot)],
        ),
        [get(p.denseEnd), get(k), i32.add, get(e), i32.store()],
        add(count, 1),
      ]),
    ],
  ];
  const denseRows: Code = [
    [get(p.K), get(p.stepBytes), i32.mul, set(limit)],
    [get(p.denseMin), i32.const(2), i32.shl, set(threshold)], // in bytes of offsets
    forLoop(e, i32.const(0), [get(limit), i32.const(4), I32_SHR_U], 4, [
      get(p.seen),
      get(e),
      i32.add,
      i32.const(0),
      i32.store(),
    ]),
    i32.const(0),
    set(k),
    forLoop(
      b,
      i32.const(0),
      get(p.batchSize),
      1,
      i32.const(0),
      set(count),
      forLoop(
        i,
        i32.const(0),
        get(p.numPre),
        1,
        [get(p.denseEnd), get(k), i32.add, i32.const(0), i32.store()],
        [get(p.rowStart), get(k), i32.add, tee(address), i32.load(4), set(end)],
        [get(address), i32.load(), set(address)],
        [get(end), get(address), i32.sub, get(threshold), i32.geS, op.if(denseRow)],
        add(k, 4),
      ),
      [atIndex(p.denseRows, get(b)), get(count), i32.store()],
      [
        atIndex(p.denseRows, get(p.batchSize)),
        tee(slot),
        get(slot),
        i32.load(),
        get(count),
        i32.add,
        i32.store(),
      ],
    ),
  ];
  /** For every spike e of every batch element b: body, with `slot` = address of cursor[b * numPre + unit]. */
  const eachSpike = (...body: Code[]): Code => [
    i32.const(0),
    set(e),
    forLoop(
      b,
      i32.const(0),
      get(p.batchSize),
      1,
      [atIndex(p.batchEnds, get(b)), i32.load(), set(end)],
      forLoop(
        e,
        get(e),
        get(end),
        1,
        [get(b), get(p.numPre), i32.mul, atIndex(p.units, get(e)), i32.load(), i32.add, set(slot)],
        [atIndex(p.cursor, get(slot)), set(slot)],
        body,
      ),
    ),
  ];
  const body: Code = [
    [get(p.batchSize), get(p.numPre), i32.mul, i32.const(2), i32.shl, set(rows)],
    forLoop(k, i32.const(0), get(rows), 4, [
      get(p.cursor),
      get(k),
      i32.add,
      i32.const(0),
      i32.store(),
    ]),
    // counts
    eachSpike([get(slot), get(slot), i32.load(), i32.const(1), i32.add, i32.store()]),
    // starts
    [get(p.offsets), set(address)],
    forLoop(
      k,
      i32.const(0),
      get(rows),
      4,
      [get(p.cursor), get(k), i32.add, i32.load(), set(end)],
      [get(p.rowStart), get(k), i32.add, get(address), i32.store()],
      [get(p.cursor), get(k), i32.add, get(address), i32.store()],
      [get(address), get(end), i32.const(2), i32.shl, i32.add, set(address)],
    ),
    [get(p.rowStart), get(rows), i32.add, get(address), i32.store()],
    // scatter
    eachSpike(
      [get(slot), i32.load(), set(address)],
      [get(address), atIndex(p.steps, get(e)), i32.load(), get(p.stepBytes), i32.mul, i32.store()],
      [get(slot), get(address), i32.const(4), i32.add, i32.store()],
    ),
    denseRows,
  ];
  return {
    name: "sortSpikes",
    params: Array(SPIKE_PARAMS.length).fill("i32"),
    locals: frame.declared,
    body,
  };
}

const TRACE_PARAMS = [
  "batchSize",
  "numPre",
  "units",
  "steps",
  "batchEnds",
  "p",
  "alphaPowers",
  "K",
  "first",
] as const;

/**
 * advanceTraces(batchSize, numPre, units, steps, batchEnds, p, alphaPowers, K, first): the
 * presynaptic traces over the chunk, p(t1) = alpha^K p(t0) + sum over spikes alpha^(K-1-step)
 * (p f32 `[batch][numPre]`, 0 before the chunk if `first`; alphaPowers f64 alpha^0..alpha^K;
 * each step computed in f64 and rounded to f32). Spikes as for sortSpikes.
 */
function advanceTracesKernel(): FunctionDefinition {
  const p = numbered(TRACE_PARAMS);
  const frame = new Frame(TRACE_PARAMS.length);
  const b = frame.local("i32"),
    e = frame.local("i32"),
    end = frame.local("i32"),
    k = frame.local("i32"),
    trace = frame.local("i32"),
    bytes = frame.local("i32");
  const atIndex = (base: number, index: Code): Code => [
    index,
    i32.const(2),
    i32.shl,
    get(base),
    i32.add,
  ];
  const body: Code = [
    [
      get(p.batchSize),
      get(p.numPre),
      i32.mul,
      i32.const(2),
      i32.shl,
      get(p.p),
      i32.add,
      set(bytes),
    ],
    get(p.first),
    op.if(
      forLoop(k, get(p.p), get(bytes), 4, [get(k), f32.const(0), f32.store()]),
      forLoop(k, get(p.p), get(bytes), 4, [
        get(k),
        get(k),
        f32.load(),
        f64.promoteF32,
        get(p.K),
        i32.const(3),
        i32.shl,
        get(p.alphaPowers),
        i32.add,
        f64.load(),
        f64.mul,
        f32.demoteF64,
        f32.store(),
      ]),
    ),
    i32.const(0),
    set(e),
    forLoop(
      b,
      i32.const(0),
      get(p.batchSize),
      1,
      [atIndex(p.batchEnds, get(b)), i32.load(), set(end)],
      forLoop(
        e,
        get(e),
        get(end),
        1,
        [
          get(b),
          get(p.numPre),
          i32.mul,
          atIndex(p.units, get(e)),
          i32.load(),
          i32.add,
          i32.const(2),
          i32.shl,
          get(p.p),
          i32.add,
          set(trace),
        ],
        [get(trace), get(trace), f32.load(), f64.promoteF32],
        [
          get(p.K),
          i32.const(1),
          i32.sub,
          atIndex(p.steps, get(e)),
          i32.load(),
          i32.sub,
          i32.const(3),
          i32.shl,
          get(p.alphaPowers),
          i32.add,
          f64.load(),
        ],
        [f64.add, f32.demoteF64, f32.store()],
      ),
    ),
  ];
  return {
    name: "advanceTraces",
    params: Array(TRACE_PARAMS.length).fill("i32"),
    locals: frame.declared,
    body,
  };
}

/**
 * feedback(errors, feedbackT, out, batchSize, nOut, rowBytes): the learning signal
 * out[b][j] = sum_k errors[b][k] feedbackT[k][j], errors `[batch][nOut]`, feedbackT `[nOut][row]`
 * (row a whole number of blocks), summed over k in order, block by block in registers.
 */
function feedbackKernel(): FunctionDefinition {
  const p = numbered(["errors", "feedbackT", "out", "batchSize", "nOut", "rowBytes"] as const);
  const frame = new Frame(6);
  const b = frame.local("i32"),
    block = frame.local("i32"),
    error = frame.local("i32"),
    errorEnd = frame.local("i32");
  const errorRow = frame.local("i32"),
    outRow = frame.local("i32"),
    column = frame.local("i32");
  const sums = frame.locals("v128", VECTORS);
  const e = frame.local("v128");
  const body: Code = forLoop(
    b,
    i32.const(0),
    get(p.batchSize),
    1,
    [
      get(b),
      get(p.nOut),
      i32.mul,
      i32.const(2),
      i32.shl,
      get(p.errors),
      i32.add,
      tee(errorRow),
      get(p.nOut),
      i32.const(2),
      i32.shl,
      i32.add,
      set(errorEnd),
    ],
    [get(b), get(p.rowBytes), i32.mul, get(p.out), i32.add, set(outRow)],
    forLoop(
      block,
      i32.const(0),
      get(p.rowBytes),
      BLOCK_BYTES,
      sums.map((sum) => [zero, set(sum)]),
      [get(p.feedbackT), get(block), i32.add, set(column)],
      forLoop(
        error,
        get(errorRow),
        get(errorEnd),
        4,
        [get(error), f32.load(), f32x4.splat, set(e)],
        sums.map((sum, k) => [
          get(sum),
          get(e),
          get(column),
          v128.load(16 * k),
          f32x4.mul,
          f32x4.add,
          set(sum),
        ]),
        [get(column), get(p.rowBytes), i32.add, set(column)],
      ),
      sums.map((sum, k) => [get(outRow), get(block), i32.add, get(sum), v128.store(16 * k)]),
    ),
  );
  return { name: "feedback", params: Array(6).fill("i32"), locals: frame.declared, body };
}

const LEARNING_SIGNAL_PARAMS = [
  "errors",
  "masked",
  "feedbackT",
  "L",
  "batchSize",
  "nOut",
  "rowBytes",
  "K",
  "errorStepBytes",
  "stepBytes",
  "blockStart",
  "blockEnd",
] as const;

/**
 * learningSignal(errors, masked, feedbackT, L, batchSize, nOut, rowBytes, K, errorStepBytes,
 *                stepBytes, blockStart, blockEnd)
 * the learning signal of K steps for the neuron blocks blockStart .. blockEnd - 1:
 * L(u)[b][j] = sum_k errors(u)[b][k] feedbackT[k][j] (summed over k in order, as `feedback`) where
 * `masked[u]` (i32) is not 0, else 0. errors `[step][batch][nOut]` (step stride errorStepBytes),
 * L `[step][batch][row]` (step stride stepBytes), feedbackT `[nOut][row]`.
 */
function learningSignalKernel(): FunctionDefinition {
  const p = numbered(LEARNING_SIGNAL_PARAMS);
  const frame = new Frame(LEARNING_SIGNAL_PARAMS.length);
  const u = frame.local("i32"),
    b = frame.local("i32"),
    block = frame.local("i32"),
    error = frame.local("i32"),
    errorEnd = frame.local("i32");
  const errorRow = frame.local("i32"),
    outRow = frame.local("i32"),
    column = frame.local("i32"),
    errorStep = frame.local("i32"),
    outStep = frame.local("i32");
  const sums = frame.locals("v128", VECTORS);
  const e = frame.local("v128");
  const blocks = (body: Code): Code =>
    forLoop(
      block,
      [get(p.blockStart), i32.const(BLOCK_BYTES), i32.mul],
      [get(p.blockEnd), i32.const(BLOCK_BYTES), i32.mul],
      BLOCK_BYTES,
      body,
    );
  const signal: Code = [
    sums.map((sum) => [zero, set(sum)]),
    [get(p.feedbackT), get(block), i32.add, set(column)],
    forLoop(
      error,
      get(errorRow),
      get(errorEnd),
      4,
      [get(error), f32.load(), f32x4.splat, set(e)],
      sums.map((sum, k) => [
        get(sum),
        get(e),
        get(column),
        v128.load(16 * k),
        f32x4.mul,
        f32x4.add,
        set(sum),
      ]),
      [get(column), get(p.rowBytes), i32.add, set(column)],
    ),
    sums.map((sum, k) => [get(outRow), get(block), i32.add, get(sum), v128.store(16 * k)]),
  ];
  const zeros: Code = sums.map((_, k) => [
    get(outRow),
    get(block),
    i32.add,
    zero,
    v128.store(16 * k),
  ]);
  const body: Code = [
    [get(p.errors), set(errorStep)],
    [get(p.L), set(outStep)],
    forLoop(
      u,
      i32.const(0),
      get(p.K),
      1,
      forLoop(
        b,
        i32.const(0),
        get(p.batchSize),
        1,
        [
          get(b),
          get(p.nOut),
          i32.mul,
          i32.const(2),
          i32.shl,
          get(errorStep),
          i32.add,
          tee(errorRow),
          get(p.nOut),
          i32.const(2),
          i32.shl,
          i32.add,
          set(errorEnd),
        ],
        [get(b), get(p.rowBytes), i32.mul, get(outStep), i32.add, set(outRow)],
        [
          get(p.masked),
          get(u),
          i32.const(2),
          i32.shl,
          i32.add,
          i32.load(),
          op.if(blocks(signal), blocks(zeros)),
        ],
      ),
      [get(errorStep), get(p.errorStepBytes), i32.add, set(errorStep)],
      [get(outStep), get(p.stepBytes), i32.add, set(outStep)],
    ),
  ];
  return {
    name: "learningSignal",
    params: Array(LEARNING_SIGNAL_PARAMS.length).fill("i32"),
    locals: frame.declared,
    body,
  };
}

const UNBLOCK_PARAMS = [
  "source",
  "numPre",
  "numBlocks",
  "preBytes",
  "target",
  "numNeurons",
] as const;

/**
 * unblock(source, numPre, numBlocks, preBytes, target, numNeurons): copies `[block][pre][16]`
 * floats (one presynaptic neuron's 16 every preBytes bytes) into `[pre][numNeurons]` at target,
 * dropping the padding of the last block.
 */
function unblockKernel(): FunctionDefinition {
  const p = numbered(UNBLOCK_PARAMS);
  const frame = new Frame(UNBLOCK_PARAMS.length);
  const block = frame.local("i32"),
    i = frame.local("i32"),
    lane = frame.local("i32"),
    width = frame.local("i32");
  const from = frame.local("i32"),
    to = frame.local("i32"),
    rowBytes = frame.local("i32");
  const body: Code = [
    [get(p.numNeurons), i32.const(2), i32.shl, set(rowBytes)],
    [get(p.source), set(from)],
    forLoop(
      block,
      i32.const(0),
      get(p.numBlocks),
      1,
      // width = min(16, numNeurons - 16 block) floats
      [
        get(p.numNeurons),
        get(block),
        i32.const(4),
        i32.shl,
        i32.sub,
        tee(width),
        i32.const(BLOCK_FLOATS),
        get(width),
        i32.const(BLOCK_FLOATS),
        i32.ltU,
        op.select,
        set(width),
      ],
      [get(block), i32.const(BLOCK_BYTES), i32.mul, get(p.target), i32.add, set(to)],
      forLoop(
        i,
        i32.const(0),
        get(p.numPre),
        1,
        [
          get(width),
          i32.const(BLOCK_FLOATS),
          i32.eq,
          op.if(
            Array.from({ length: VECTORS }, (_, k) => [
              get(to),
              get(from),
              v128.load(16 * k),
              v128.store(16 * k),
            ]),
            forLoop(lane, i32.const(0), [get(width), i32.const(2), i32.shl], 4, [
              get(to),
              get(lane),
              i32.add,
              get(from),
              get(lane),
              i32.add,
              f32.load(),
              f32.store(),
            ]),
          ),
        ],
        [get(from), get(p.preBytes), i32.add, set(from)],
        [get(to), get(rowBytes), i32.add, set(to)],
      ),
    ),
  ];
  return {
    name: "unblock",
    params: Array(UNBLOCK_PARAMS.length).fill("i32"),
    locals: frame.declared,
    body,
  };
}

const EVENT_PARAMS = [
  "eventSteps",
  "eventUnits",
  "batchStarts",
  "batchSize",
  "seen",
  "firstStamp",
  "stampsPerBatch",
  "t0",
  "units",
  "steps",
  "batchEnds",
] as const;

/**
 * collectEvents(eventSteps, eventUnits, batchStarts, batchSize, seen, firstStamp, stampsPerBatch,
 *               t0, units, steps, batchEnds)
 * a chunk's input events as spike lists: batch element b's events are at batchStarts[b] ..
 * batchStarts[b + 1] - 1 of eventSteps and eventUnits (i32, steps ascending); each becomes the
 * spike (unit, step - t0) at units and steps (b's end at batchEnds[b]), but a channel counts once
 * per step: seen[unit] (i32 per channel) holds the stamp firstStamp + b stampsPerBatch + step of
 * its last event, and a repeated stamp is dropped.
 */
function collectEventsKernel(): FunctionDefinition {
  const p = numbered(EVENT_PARAMS);
  const frame = new Frame(EVENT_PARAMS.length);
  const b = frame.local("i32"),
    e = frame.local("i32"),
    end = frame.local("i32"),
    out = frame.local("i32"),
    step = frame.local("i32");
  const unit = frame.local("i32"),
    slot = frame.local("i32"),
    stamp = frame.local("i32");
  const atIndex = (base: number, index: Code): Code => [
    index,
    i32.const(2),
    i32.shl,
    get(base),
    i32.add,
  ];
  const body: Code = [
    i32.const(0),
    set(out),
    forLoop(
      b,
      i32.const(0),
      get(p.batchSize),
      1,
      [atIndex(p.batchStarts, get(b)), i32.load(), set(e)],
      [atIndex(p.batchStarts, get(b)), i32.load(4), set(end)],
      forLoop(
        e,
        get(e),
        get(end),
        1,
        [atIndex(p.eventSteps, get(e)), i32.load(), set(step)],
        [atIndex(p.eventUnits, get(e)), i32.load(), set(unit)],
        [
          get(p.firstStamp),
          get(b),
          get(p.stampsPerBatch),
          i32.mul,
          i32.add,
          get(step),
          i32.add,
          set(stamp),
        ],
        [
          atIndex(p.seen, get(unit)),
          tee(slot),
          i32.load(),
          get(stamp),
          i32.ne,
          op.if([
            [get(slot), get(stamp), i32.store()],
            [atIndex(p.units, get(out)), get(unit), i32.store()],
            [atIndex(p.steps, get(out)), get(step), get(p.t0), i32.sub, i32.store()],
            [get(out), i32.const(1), i32.add, set(out)],
          ]),
        ],
      ),
      [atIndex(p.batchEnds, get(b)), get(out), i32.store()],
    ),
  ];
  return {
    name: "collectEvents",
    params: Array(EVENT_PARAMS.length).fill("i32"),
    locals: frame.declared,
    body,
  };
}

/** Unsigned LEB128 of an opcode or immediate (the SIMD opcodes beyond `@snn/core`'s table). */
function leb(value: number): number[] {
  const bytes: number[] = [];
  do {
    let byte = value & 0x7f;
    value >>>= 7;
    if (value !== 0) byte |= 0x80;
    bytes.push(byte);
  } while (value !== 0);
  return bytes;
}
const simdOp = (code: number): Code => [0xfd, ...leb(code)];
/** SIMD instructions of the host step that `@snn/core`'s opcode table lacks (WebAssembly SIMD opcode numbers). */
const simd = {
  /** Loads 8 bytes into the low half, zeroing the high half. */
  load64Zero: (offset = 0): Code => [simdOp(0x5d), leb(3), leb(offset)],
  /** Lane shuffle of two vectors (16 byte indices, 0-15 the first, 16-31 the second). */
  shuffle: (lanes: readonly number[]): Code => [simdOp(0x0d), lanes],
  f32x4Eq: simdOp(0x41),
  f32x4Lt: simdOp(0x43),
  f32x4Neg: simdOp(0xe1),
  v128And: simdOp(0x4e),
  /** a & ~b. */
  v128AndNot: simdOp(0x4f),
  /** (a & c) | (b & ~c). */
  v128Bitselect: simdOp(0x52),
  i32x4Bitmask: simdOp(0xa4),
  f64x2Splat: simdOp(0x14),
  f64x2Add: simdOp(0xf0),
  f64x2Sub: simdOp(0xf1),
  f64x2Mul: simdOp(0xf2),
  f32x4DemoteF64x2Zero: simdOp(0x5e),
  f64x2PromoteLowF32x4: simdOp(0x5f),
} as const;
/** Bytes 8-15 of a vector into 0-7 (the high two f32 lanes into the low two). */
const HIGH_HALF = [8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15];
/** The low halves of two vectors side by side. */
const LOW_HALVES = [0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23];

const f64Store = (offset = 0): Code => [0x39, leb(3), leb(offset)];
const F64_NE = 0x62;

const READOUT_PARAMS = [
  "errors",
  "filtered",
  "gradient",
  "trace",
  "units",
  "steps",
  "batchEnds",
  "kappaPowers",
  "batchSize",
  "n",
  "rowBytes",
  "K",
  "errorStepBytes",
  "kappa",
  "decay",
] as const;

/**
 * readoutGradient(errors, filtered, gradient, trace, units, steps, batchEnds, kappaPowers,
 *                 batchSize, n, rowBytes, K, errorStepBytes, kappa, decay)
 * the readout gradient of a chunk of K steps, in float64 (docs/chunked-eprop.md): per batch
 * element b, the backward-filtered error E(u) = Err(u) + kappa E(u + 1) into `filtered` `[K][row]`;
 * the carried zbar_j(t0) adds kappa zbar_j(t0) E(0) to dW_j and decays by `decay` (kappa^K); each
 * spike (unit j at step u) adds E(u) to dW_j and kappa^(K - 1 - u) to zbar_j. errors
 * `[step][batch][row]` (step stride errorStepBytes), gradient `[n][row]`, rows of rowBytes (whole f64 pairs, padding 0),
 * trace zbar `[batch][n]` f64, spikes as for sortSpikes, kappaPowers f64 kappa^0 .. kappa^K.
 * The same operations in the same order as the float64 host code it replaces.
 */
function readoutGradientKernel(): FunctionDefinition {
  const p = numbered(READOUT_PARAMS);
  const frame = new Frame(READOUT_PARAMS.length);
  const b = frame.local("i32"),
    k = frame.local("i32"),
    o = frame.local("i32"),
    errorBase = frame.local("i32"),
    j = frame.local("i32"),
    eo = frame.local("i32");
  const zbar = frame.local("i32"),
    row = frame.local("i32"),
    e = frame.local("i32"),
    end = frame.local("i32"),
    last = frame.local("i32"),
    from = frame.local("i32");
  const carried = frame.local("f64");
  const [vKappa, weight] = frame.locals("v128", 2) as [number, number];
  const eachPair = (body: Code): Code => forLoop(k, i32.const(0), get(p.rowBytes), 16, body);
  const body: Code = [
    get(p.kappa),
    simd.f64x2Splat,
    set(vKappa),
    [get(p.K), i32.const(1), i32.sub, get(p.rowBytes), i32.mul, set(last)],
    i32.const(0),
    set(e),
    forLoop(
      b,
      i32.const(0),
      get(p.batchSize),
      1,
      [get(b), get(p.rowBytes), i32.mul, get(p.errors), i32.add, set(errorBase)],
      // E(K - 1) = Err(K - 1); E(u) = Err(u) + kappa E(u + 1)
      [
        get(p.K),
        i32.const(1),
        i32.sub,
        get(p.errorStepBytes),
        i32.mul,
        get(errorBase),
        i32.add,
        set(eo),
      ],
      eachPair([
        get(p.filtered),
        get(last),
        i32.add,
        get(k),
        i32.add,
        get(eo),
        get(k),
        i32.add,
        v128.load(),
        v128.store(),
      ]),
      [get(last), set(o)],
      op.block(
        op.loop(
          [get(o), i32.eqz, op.brIf(1)],
          [get(o), get(p.rowBytes), i32.sub, set(o)],
          [get(eo), get(p.errorStepBytes), i32.sub, set(eo)],
          eachPair([
            get(p.filtered),
            get(o),
            i32.add,
            get(k),
            i32.add,
            [get(eo), get(k), i32.add, v128.load()],
            [
              get(vKappa),
              get(p.filtered),
              get(o),
              i32.add,
              get(k),
              i32.add,
              get(p.rowBytes),
              i32.add,
              v128.load(),
              simd.f64x2Mul,
            ],
            simd.f64x2Add,
            v128.store(),
          ]),
          op.br(0),
        ),
      ),
      // the carried zbar_j(t0)
      [get(b), get(p.n), i32.mul, i32.const(3), i32.shl, get(p.trace), i32.add, set(zbar)],
      [get(p.gradient), set(row)],
      forLoop(
        j,
        i32.const(0),
        get(p.n),
        1,
        [get(zbar), f64.load(), set(carried)],
        [
          get(carried),
          f64.const(0),
          F64_NE,
          op.if([
            [get(p.kappa), get(carried), f64.mul, simd.f64x2Splat, set(weight)],
            eachPair([
              get(row),
              get(k),
              i32.add,
              get(row),
              get(k),
              i32.add,
              v128.load(),
              get(weight),
              get(p.filtered),
              get(k),
              i32.add,
              v128.load(),
              simd.f64x2Mul,
              simd.f64x2Add,
              v128.store(),
            ]),
          ]),
        ],
        [get(zbar), get(carried), get(p.decay), f64.mul, f64Store()],
        add(zbar, 8),
        [get(row), get(p.rowBytes), i32.add, set(row)],
      ),
      // the chunk's spikes, in order
      [get(p.batchEnds), get(b), i32.const(2), i32.shl, i32.add, i32.load(), set(end)],
      forLoop(
        e,
        get(e),
        get(end),
        1,
        [get(p.steps), get(e), i32.const(2), i32.shl, i32.add, i32.load(), set(o)],
        [get(p.units), get(e), i32.const(2), i32.shl, i32.add, i32.load(), set(j)],
        [get(j), get(p.rowBytes), i32.mul, get(p.gradient), i32.add, set(row)],
        [get(o), get(p.rowBytes), i32.mul, get(p.filtered), i32.add, set(from)],
        eachPair([
          get(row),
          get(k),
          i32.add,
          get(row),
          get(k),
          i32.add,
          v128.load(),
          get(from),
          get(k),
          i32.add,
          v128.load(),
          simd.f64x2Add,
          v128.store(),
        ]),
        [
          get(b),
          get(p.n),
          i32.mul,
          get(j),
          i32.add,
          i32.const(3),
          i32.shl,
          get(p.trace),
          i32.add,
          tee(zbar),
        ],
        [
          get(zbar),
          f64.load(),
          get(p.K),
          i32.const(1),
          i32.sub,
          get(o),
          i32.sub,
          i32.const(3),
          i32.shl,
          get(p.kappaPowers),
          i32.add,
          f64.load(),
          f64.add,
          f64Store(),
        ],
      ),
    ),
  ];
  return {
    name: "readoutGradient",
    params: [...Array(READOUT_PARAMS.length - 2).fill("i32"), "f64", "f64"],
    locals: frame.declared,
    body,
  };
}

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
function hostStepKernel(): FunctionDefinition {
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

/** Most pages a shared kernel memory may grow to (4 GiB, the wasm32 limit). */
export const SHARED_MAXIMUM_PAGES = 65536;

const compiled = new Map<string, WebAssembly.Module>();

/**
 * The compiled kernel module, built once per kind of memory it imports as `env.memory`: a
 * plain growable memory, or a shared one of {@link SHARED_MAXIMUM_PAGES} (for a worker thread).
 */
export function chunkKernelModule(memory: "plain" | "shared"): WebAssembly.Module {
  let module = compiled.get(memory);
  if (module === undefined) {
    const importMemory =
      memory === "shared" ? ({ shared: true, maximumPages: SHARED_MAXIMUM_PAGES } as const) : true;
    module = new WebAssembly.Module(
      assembleModule(
        [
          backwardKernel(),
          applyKernel(),
          feedbackKernel(),
          sortSpikesKernel(),
          advanceTracesKernel(),
          hostStepKernel(),
          learningSignalKernel(),
          unblockKernel(),
          readoutGradientKernel(),
          collectEventsKernel(),
        ],
        { importMemory },
      ),
    );
    compiled.set(memory, module);
  }
  return module;
}
