/** The readout gradient of a chunk, in float64. */
import {
  add,
  type Code,
  f64,
  F64_NE,
  f64Store,
  forLoop,
  Frame,
  type FunctionDefinition,
  get,
  i32,
  numbered,
  op,
  set,
  simd,
  tee,
  v128,
} from "./wasm-common";

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
export function readoutGradientKernel(): FunctionDefinition {
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
  const [vKappa, weight] = frame.locals("v128", 2);
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
