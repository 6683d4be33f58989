/**
 * `uniform()` and `normal()` in WebAssembly kernels, bit-identical to the generated JavaScript
 * (rng-source.ts): the counter-based Philox4x32-10 of @snn/core for the network's seed, as a
 * module function `philox(c0, c1, c2, c3) -> i64` (the first output word in the low half, the
 * second in the high half; the 32x32-bit products in 64-bit integers), and the conversions of
 * core's `uniformFromBlock`/`normalFromBlock` with the engine's own `Math.log`/`Math.cos`.
 *
 * The counter of a call is (element, batch element, global step, stream << 8 | field << 5 |
 * call index mod 32), where the call index counts the calls one element's code has made so far
 * in that code site (`rk` of the JavaScript): {@link RandomSite} keeps it, per lane in SIMD code
 * (a lane counts only the calls made where its mask is on).
 */
import { RNG_KEY_HI } from "@snn/core";
import {
  PHILOX_M0,
  PHILOX_M1,
  PHILOX_W0,
  PHILOX_W1,
  randomCounterBase,
  UNIT_24,
  wasm,
} from "@snn/core/internal";
import { MATH_IMPORTS } from "./wasm-snippet";

const { op } = wasm;
const { get, set, i32, i64, f32, f64, v128, i32x4, f32x4 } = op;
type Code = wasm.Code;

const LOG = MATH_IMPORTS.indexOf("log");
const COS = MATH_IMPORTS.indexOf("cos");

/** The module function `philox(c0, c1, c2, c3: i32) -> i64` for `seed`. */
export function philoxFunction(seed: number, name: string): wasm.FunctionDefinition {
  const [c0, c1, c2, c3] = [0, 1, 2, 3];
  const frame = new wasm.Frame(4);
  const p0 = frame.local("i64");
  const p1 = frame.local("i64");
  const product = (x: number, m: number, into: number): Code => [
    get(x),
    i64.extendI32U,
    i64.const(BigInt(m >>> 0)),
    i64.mul,
    set(into),
  ];
  const hi = (p: number): Code => [get(p), i64.const(32n), i64.shrU, i32.wrapI64];
  const lo = (p: number): Code => [get(p), i32.wrapI64];
  const body: Code[] = [];
  let key0 = seed >>> 0;
  let key1 = RNG_KEY_HI >>> 0;
  for (let round = 0; round < 10; round++) {
    // (x0, x1, x2, x3) = (hi1 ^ x1 ^ key0, lo1, hi0 ^ x3 ^ key1, lo0)
    body.push(
      product(c0, PHILOX_M0, p0),
      product(c2, PHILOX_M1, p1),
      hi(p1),
      get(c1),
      i32.xor,
      i32.const(key0 | 0),
      i32.xor,
      set(c0),
      lo(p1),
      set(c1),
      hi(p0),
      get(c3),
      i32.xor,
      i32.const(key1 | 0),
      i32.xor,
      set(c2),
      lo(p0),
      set(c3),
    );
    key0 = (key0 + PHILOX_W0) >>> 0;
    key1 = (key1 + PHILOX_W1) >>> 0;
  }
  body.push(get(c1), i64.extendI32U, i64.const(32n), i64.shl, get(c0), i64.extendI32U, i64.or);
  return {
    name,
    params: ["i32", "i32", "i32", "i32"],
    results: ["i64"],
    locals: frame.declared,
    body,
  };
}

/**
 * The f32 value of `uniform()` or `normal()` from a Philox block on the stack (i64), as the
 * JavaScript's rngUniform/rngNormal compute it (in double, rounded once to float32). `block`
 * is an i64 scratch local.
 */
function fromBlock(kind: "uniform" | "normal", block: number): Code {
  const word = (high: boolean): Code => [
    get(block),
    ...(high ? [i64.const(32n), i64.shrU] : []),
    i32.wrapI64,
    i32.const(8),
    i32.shrU,
  ];
  if (kind === "uniform")
    return [set(block), word(false), op.f32.convertI32U, f32.const(UNIT_24), f32.mul];
  return [
    set(block),
    // sqrt(-2 log u1) with u1 = ((w0 >>> 8) + 1) 2^-24
    f64.const(-2),
    word(false),
    i32.const(1),
    i32.add,
    f64.convertI32U,
    f64.const(UNIT_24),
    f64.mul,
    op.call(LOG),
    f64.mul,
    f64.sqrt,
    // cos(2 pi u2) with u2 = (w1 >>> 8) 2^-24
    f64.const(2 * Math.PI),
    word(true),
    f64.convertI32U,
    f64.const(UNIT_24),
    f64.mul,
    f64.mul,
    op.call(COS),
    f64.mul,
    op.f32.demoteF64,
  ];
}

/** How a kernel's element code names the counter words other than the call index. */
export interface RandomCounter {
  /** Pushes the element id (i32) of lane `lane` (0 in scalar code). */
  readonly element: (lane: number) => Code;
  /** Pushes the batch element (i32). */
  readonly batch: Code;
  /** Pushes the global step (i32, its u32 bits). */
  readonly step: Code;
  /** The function index of `philox`. */
  readonly philox: number;
}

/**
 * The random-number calls of one code site (one element's code, as one `CodeSite` of the
 * JavaScript): the call counter `rk` (an i32, or an i32x4 in SIMD code) and the counter base
 * `stream << 8 | field << 5`.
 */
export class RandomSite {
  private readonly rk: number;
  private readonly block: number;
  private readonly value: number;
  private base: number;

  constructor(
    frame: wasm.Frame,
    private readonly counter: RandomCounter,
    private readonly stream: number,
    field: number,
    private readonly vector: boolean,
  ) {
    this.rk = frame.local(vector ? "v128" : "i32");
    this.block = frame.local("i64");
    this.value = frame.local(vector ? "v128" : "f32");
    this.base = randomCounterBase(stream, field);
  }

  /** Starts the site's calls anew (the JavaScript's `rk = 0`) with the counter field `field`. */
  reset(field: number): Code {
    this.base = randomCounterBase(this.stream, field);
    return [this.vector ? [i32.const(0), i32x4.splat] : i32.const(0), set(this.rk)];
  }

  /** Pushes the next `uniform()`/`normal()`; in SIMD code only the lanes of `mask` (null: all) count the call. */
  call(kind: "uniform" | "normal", mask: number | null): Code {
    const { counter, rk, block } = this;
    const philox = (element: Code, index: Code): Code => [
      element,
      counter.batch,
      counter.step,
      i32.const(this.base),
      index,
      i32.const(31),
      i32.and,
      i32.add,
      op.call(counter.philox),
    ];
    if (!this.vector) {
      return [
        philox(counter.element(0), get(rk)),
        fromBlock(kind, block),
        get(rk),
        i32.const(1),
        i32.add,
        set(rk),
      ];
    }
    const lanes: Code[] = [];
    for (let lane = 0; lane < 4; lane++) {
      lanes.push(
        get(this.value),
        philox(counter.element(lane), [get(rk), i32x4.extractLane(lane)]),
        fromBlock(kind, block),
        f32x4.replaceLane(lane),
        set(this.value),
      );
    }
    const one: Code = [i32.const(1), i32x4.splat];
    const step: Code = mask === null ? one : [one, get(mask), v128.and];
    return [lanes, get(rk), step, i32x4.add, set(rk), get(this.value)];
  }
}
