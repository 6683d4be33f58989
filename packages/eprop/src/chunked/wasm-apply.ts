/** The per-chunk application of the coefficients to the synapses' state and gradient, and the gradient's unblocking. */
import {
  add,
  BLOCK_BYTES,
  BLOCK_FLOATS,
  CARRIED_COEFFICIENTS,
  CarriedCoefficient,
  type Code,
  f32,
  f32x4,
  forLoop,
  Frame,
  type FunctionDefinition,
  get,
  i32,
  numbered,
  op,
  set,
  SPIKE_A,
  SPIKE_B,
  SPIKE_G,
  spikeOutputs,
  stateQuantities,
  tee,
  v128,
  VECTORS,
  zero,
} from "./wasm-common";

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
export function applyKernel(): FunctionDefinition {
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
  const [p0, b0, a0] = frame.locals("v128", 3);
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
export function unblockKernel(): FunctionDefinition {
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
