/** Presynaptic traces and learning signals: the trace update over a chunk's spikes, and the errors fed back through the feedback weights. */
import {
  BLOCK_BYTES,
  type Code,
  f32,
  f32x4,
  f64,
  forLoop,
  Frame,
  type FunctionDefinition,
  get,
  i32,
  numbered,
  op,
  set,
  tee,
  v128,
  VECTORS,
  zero,
} from "./wasm-common";

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
export function advanceTracesKernel(): FunctionDefinition {
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
export function feedbackKernel(): FunctionDefinition {
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
export function learningSignalKernel(): FunctionDefinition {
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
