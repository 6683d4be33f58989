/**
 * Compiles the typed snippet AST to WebAssembly SIMD code that updates four consecutive elements
 * (neurons, custom-update elements, the synapses of a dense row) at once, lane by lane
 * bit-identical to the scalar compiler of wasm-snippet.ts and so to the JavaScript printer:
 * - every value is a v128 of four lanes: `float` as f32x4, `int`/`uint` as i32x4, `bool` as a
 *   lane mask (all ones or zero; stored as 0/1 like the scalar code);
 * - `if`/`else` become masked assignments (if-conversion): both branches run on every lane,
 *   and an assignment keeps the old value in lanes whose condition is false. Snippet code has no
 *   side effects besides assignments and weight-update code's `addToPost`/`addToPre`, which
 *   take the same mask, and float operations do not trap, so running a branch on a lane that
 *   did not take it changes nothing;
 * - `exp log sin cos tanh pow` and integer `/ %` run lane by lane through the scalar code.
 * The float operations are the same IEEE single-precision instructions as the scalar ones, and
 * f32x4 `min`/`max` have Math.min/max's NaN and signed-zero results.
 */
import type {
  Block,
  CallExpression,
  CheckedSnippet,
  Expression,
  ScalarType,
  Statement,
} from "@snn/core";
import { wasm } from "@snn/core/internal";
import {
  integerDivision,
  MATH_IMPORTS,
  NotCompilable,
  SnippetCompilerBase,
  type BindingResolver,
  type EffectCompiler,
} from "./wasm-snippet";

const { op, forLoop } = wasm;
const { get, set, v128, f32x4, i32x4 } = op;
type Code = wasm.Code;

/** Lanes per vector. */
export const LANES = 4;

/** An element-wise kernel (neurons, custom update, synapses): whether it updates four elements at a time. */
export interface ElementKernelDefinition extends wasm.FunctionDefinition {
  readonly simd: boolean;
}

/**
 * The loops of an element kernel over elements 0 .. size-1 of `counter`: four elements at a
 * time with `elementCode(4)` (SIMD) over whole vectors, then one at a time with
 * `elementCode(1)`. Where the SIMD form does not compile (NotCompilable), every element runs
 * one at a time. Both forms give the same results.
 */
export function elementLoops(
  counter: number,
  size: number,
  elementCode: (lanes: 1 | 4) => Code,
): { readonly loops: Code; readonly simd: boolean } {
  const vectorEnd = size - (size % LANES);
  let vectorBody: Code | null = null;
  try {
    vectorBody = vectorEnd > 0 ? elementCode(LANES) : null;
  } catch (error) {
    if (!(error instanceof NotCompilable)) throw error;
  }
  const scalarBody = elementCode(1);
  const loops: Code = [
    vectorBody ? forLoop(counter, op.i32.const(0), op.i32.const(vectorEnd), LANES, vectorBody) : [],
    forLoop(counter, op.i32.const(vectorBody ? vectorEnd : 0), op.i32.const(size), 1, scalarBody),
  ];
  return { loops, simd: vectorBody !== null };
}

/** A vector with the same 32-bit pattern in every lane. */
export function splatBits(bits: number): Code {
  return v128.constI32([bits, bits, bits, bits]);
}

/** The bits of a float32 as an i32. */
function floatBits(value: number): number {
  return new Int32Array(new Float32Array([value]).buffer)[0]!;
}

/** A vector of four copies of a float. */
export function splatFloat(value: number): Code {
  return splatBits(floatBits(value));
}

/** The lane mask of a bool stored as 0/1 (pushes an address first). */
export const loadBool: Code = [v128.load(), splatBits(0), i32x4.ne];
/** A lane mask as the 0/1 the scalar code stores (pushes the mask). */
export const maskToBool: Code = [splatBits(1), v128.and];

const ONE_FLOAT_BITS = 0x3f800000;

/**
 * Compiles snippets into one function's vector body, sharing its locals. Its resolver gives
 * v128 locals or code pushing a v128 (params and built-ins as four copies).
 */
export class VectorSnippetCompiler extends SnippetCompilerBase {
  constructor(
    locals: wasm.Frame,
    resolve: BindingResolver,
    effects: EffectCompiler | null = null,
    /** Constant vectors (lane bits), e.g. from locals set once per call (`ElementKernel.vectorConstant`); default: inline. */
    private readonly constant: (lanes: readonly [number, number, number, number]) => Code = (
      lanes,
    ) => v128.constI32(lanes),
    random: ((kind: "uniform" | "normal", mask: number | null) => Code) | null = null,
  ) {
    super(locals, resolve, effects, random);
  }

  private splat(bits: number): Code {
    return this.constant([bits, bits, bits, bits]);
  }

  private splatFloat(value: number): Code {
    return this.splat(floatBits(value));
  }

  /** The statements of a snippet (null: none), run on the lanes of `mask` (a v128 local; null: all). */
  statements(snippet: CheckedSnippet | null, mask: number | null = null): Code {
    if (snippet === null) return [];
    if (snippet.kind !== "statements")
      throw new Error("internal error: expected a statements snippet");
    this.snippetLocals = new Map();
    return this.block(snippet.body, mask);
  }

  /** A condition snippet: pushes its lane mask. */
  condition(snippet: CheckedSnippet): Code {
    if (snippet.kind !== "expression")
      throw new Error("internal error: expected an expression snippet");
    this.snippetLocals = new Map();
    this.currentMask = null;
    return this.expression(snippet.body);
  }

  private block(block: Block, mask: number | null): Code {
    return block.statements.map((s) => this.statement(s, mask));
  }

  private vectorLocal(): number {
    return this.locals.local("v128");
  }

  private statement(s: Statement, mask: number | null): Code {
    this.currentMask = mask;
    switch (s.kind) {
      case "block":
        return this.block(s, mask);
      case "let": {
        // A let is visible only in its block: its lanes outside the block's mask are never read.
        const local = this.vectorLocal();
        const init = this.expression(s.init);
        this.snippetLocals.set(s.binding.id, local);
        return [init, set(local)];
      }
      case "assign": {
        const target = this.writableLocal(s.target.binding, s.target.type);
        const value = this.expression(s.value);
        const computed =
          s.operator === "="
            ? value
            : this.arithmetic(s.operator.slice(0, 1), s.target.type, get(target), value);
        if (mask === null) return [computed, set(target)];
        return [computed, get(target), get(mask), v128.bitselect, set(target)];
      }
      case "if": {
        const whenTrue = this.vectorLocal();
        const whenFalse = this.vectorLocal();
        const condition = this.expression(s.condition);
        const masks: Code =
          mask === null
            ? [condition, set(whenTrue), get(whenTrue), v128.not, set(whenFalse)]
            : [
                condition,
                set(whenFalse),
                get(whenFalse),
                get(mask),
                v128.and,
                set(whenTrue),
                get(mask),
                get(whenFalse),
                v128.andNot,
                set(whenFalse),
              ];
        return [
          masks,
          this.block(s.then, whenTrue),
          s.otherwise ? this.block(s.otherwise, whenFalse) : [],
        ];
      }
      case "expression":
        return this.effect(s.expression, mask);
    }
  }

  protected literal(type: ScalarType, value: number): Code {
    if (type === "float") return this.splatFloat(value);
    if (type === "bool") return this.splat(value !== 0 ? -1 : 0);
    return this.splat(value | 0);
  }

  protected unary(operator: "!" | "-", type: ScalarType, operand: Code): Code {
    if (operator === "!") return [operand, v128.not];
    if (type === "float") return [operand, f32x4.neg];
    if (type === "int") return [operand, i32x4.neg];
    throw new NotCompilable(`unary minus on ${type}`);
  }

  protected logical(operator: "&&" | "||"): Code {
    return operator === "&&" ? v128.and : v128.or;
  }

  protected readonly selectInstruction: Code = v128.bitselect;

  /** Compiles `e` for the lanes of `mask` (AND the current mask): random numbers count only there. */
  private within(mask: number, compile: () => Code): Code {
    const outer = this.currentMask;
    let setup: Code = [];
    let lanes = mask;
    if (outer !== null) {
      lanes = this.vectorLocal();
      setup = [get(mask), get(outer), v128.and, set(lanes)];
    }
    this.currentMask = lanes;
    try {
      return [setup, compile()];
    } finally {
      this.currentMask = outer;
    }
  }

  protected shortCircuit(operator: "&&" | "||", left: Expression, right: Expression): Code {
    const decided = this.vectorLocal();
    const undecided = this.vectorLocal();
    // && needs the right side where the left is true, || where it is false
    const lanes: Code =
      operator === "&&" ? [get(decided), set(undecided)] : [get(decided), v128.not, set(undecided)];
    return [
      this.expression(left),
      set(decided),
      lanes,
      this.within(undecided, () => this.expression(right)),
      get(decided),
      operator === "&&" ? v128.and : v128.or,
    ];
  }

  protected onlyTakenBranch(e: Expression & { kind: "conditional" }): Code {
    const taken = this.vectorLocal();
    const notTaken = this.vectorLocal();
    return [
      this.expression(e.condition),
      set(taken),
      get(taken),
      v128.not,
      set(notTaken),
      this.within(taken, () => this.expression(e.whenTrue)),
      this.within(notTaken, () => this.expression(e.whenFalse)),
      get(taken),
      v128.bitselect,
    ];
  }

  protected comparison(operator: string, type: ScalarType): Code | null {
    if (type === "float") {
      const table: Record<string, Code> = {
        "==": f32x4.eq,
        "!=": f32x4.ne,
        "<": f32x4.lt,
        "<=": f32x4.le,
        ">": f32x4.gt,
        ">=": f32x4.ge,
      };
      return table[operator] ?? null;
    }
    // bool masks (all ones / zero) order as the scalar code's 1 / 0 under the unsigned comparisons
    const signed = type === "int";
    const table: Record<string, Code> = {
      "==": i32x4.eq,
      "!=": i32x4.ne,
      "<": signed ? i32x4.ltS : i32x4.ltU,
      "<=": signed ? i32x4.leS : i32x4.leU,
      ">": signed ? i32x4.gtS : i32x4.gtU,
      ">=": signed ? i32x4.geS : i32x4.geU,
    };
    return table[operator] ?? null;
  }

  protected arithmetic(operator: string, type: ScalarType, left: Code, right: Code): Code {
    if (type === "float") {
      const table: Record<string, Code> = {
        "+": f32x4.add,
        "-": f32x4.sub,
        "*": f32x4.mul,
        "/": f32x4.div,
      };
      const instruction = table[operator];
      if (instruction === undefined) throw new NotCompilable(`float '${operator}'`);
      return [left, right, instruction];
    }
    if (type === "bool") throw new NotCompilable(`bool '${operator}'`);
    if (operator === "+") return [left, right, i32x4.add];
    if (operator === "-") return [left, right, i32x4.sub];
    if (operator === "*") return [left, right, i32x4.mul];
    if (operator !== "/" && operator !== "%") throw new NotCompilable(`${type} '${operator}'`);
    // No SIMD integer division: lane by lane, with the scalar code's results for 0 and INT_MIN / -1.
    return this.laneWise("i32", [left, right], ([a, b]) =>
      integerDivision(operator, type === "int", a!, b!),
    );
  }

  /**
   * Applies scalar code lane by lane: `args` push vectors; `scalar(argLocals)` computes one lane's
   * result from scalar locals holding that lane of each argument.
   */
  private laneWise(
    laneType: "i32" | "f32",
    args: readonly Code[],
    scalar: (lanes: readonly number[]) => Code,
  ): Code {
    const vectors = args.map(() => this.vectorLocal());
    const lanes = args.map(() => this.locals.local(laneType));
    const extract = laneType === "f32" ? f32x4.extractLane : i32x4.extractLane;
    const replace = laneType === "f32" ? f32x4.replaceLane : i32x4.replaceLane;
    const code: Code[] = [args.map((arg, k) => [arg, set(vectors[k]!)]), get(vectors[0]!)];
    for (let lane = 0; lane < LANES; lane++) {
      code.push(
        vectors.map((vector, k) => [get(vector), extract(lane), set(lanes[k]!)]),
        scalar(lanes),
        replace(lane),
      );
    }
    return code;
  }

  protected convert(operand: Code, from: ScalarType, to: ScalarType): Code {
    if (from === to) return operand;
    switch (to) {
      case "float":
        if (from === "bool") return [operand, this.splat(ONE_FLOAT_BITS), v128.and];
        return [operand, from === "int" ? f32x4.convertI32x4S : f32x4.convertI32x4U];
      case "int":
      case "uint":
        if (from === "float")
          return [operand, to === "int" ? i32x4.truncSatF32x4S : i32x4.truncSatF32x4U];
        if (from === "bool") return [operand, this.splat(1), v128.and];
        return operand;
      case "bool":
        return from === "float"
          ? [operand, this.splatFloat(0), f32x4.ne]
          : [operand, this.splat(0), i32x4.ne];
    }
  }

  protected call(e: CallExpression): Code {
    const type = e.type as ScalarType;
    const args = e.args.map((a) => this.expression(a));
    if (e.callee === "uniform" || e.callee === "normal") return this.randomCall(e.callee);
    const mathIndex = MATH_IMPORTS.indexOf(e.callee as (typeof MATH_IMPORTS)[number]);
    if (mathIndex >= 0) {
      // The engine's Math function on the promoted lane, demoted once, as the scalar code does.
      return this.laneWise("f32", args, (lanes) => [
        lanes.map((lane) => [get(lane), op.f64.promoteF32]),
        op.call(mathIndex),
        op.f32.demoteF64,
      ]);
    }
    switch (e.callee) {
      case "sqrt":
        return [args[0]!, f32x4.sqrt];
      case "floor":
        return [args[0]!, f32x4.floor];
      case "ceil":
        return [args[0]!, f32x4.ceil];
      case "abs":
        if (type === "float") return [args[0]!, f32x4.abs];
        if (type === "uint") return args[0]!;
        return [args[0]!, i32x4.abs];
      case "min":
      case "max":
        return this.minMax(e.callee, type, args[0]!, args[1]!);
      case "clamp":
        return this.minMax("min", type, this.minMax("max", type, args[0]!, args[1]!), args[2]!);
      default:
        throw new NotCompilable(`${e.callee}() is not compiled to WebAssembly`);
    }
  }

  private minMax(kind: "min" | "max", type: ScalarType, left: Code, right: Code): Code {
    if (type === "float") return [left, right, kind === "min" ? f32x4.min : f32x4.max];
    if (type === "int") return [left, right, kind === "min" ? i32x4.minS : i32x4.maxS];
    if (type === "uint") return [left, right, kind === "min" ? i32x4.minU : i32x4.maxU];
    throw new NotCompilable(`${kind} of ${type}`);
  }
}
