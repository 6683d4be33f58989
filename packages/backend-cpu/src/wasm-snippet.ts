/**
 * Compiles the typed snippet AST to WebAssembly instructions with exactly the semantics of the
 * JavaScript printer (printer.ts), so that a kernel gives bit-identical results either way:
 * - `float` is f32 and every operation is the f32 instruction (the printer's `Math.fround` of a
 *   double operation rounds to the same value for + - * / and sqrt);
 * - `exp log sin cos tanh pow` call the engine's `Math` functions on the promoted value and
 *   demote once, as the printer does;
 * - `int`/`uint` are i32 with wrap-around; division and remainder by zero and `INT_MIN / -1`
 *   give what the printer's helpers give instead of trapping; float-to-int conversions
 *   saturate (`trunc_sat`), as the printer's `f2i`/`f2u` do;
 * - `bool` is an i32 holding 0 or 1.
 * Code the compiler cannot express bit-identically (random numbers, float `%`) raises
 * {@link NotCompilable}, and the kernel stays in JavaScript.
 */
import type {
  Binding,
  Block,
  CallExpression,
  CheckedSnippet,
  Expression,
  ScalarType,
  Statement,
} from "@snn/core";
import { drawsRandom, wasm } from "@snn/core/internal";

const { op } = wasm;
const { get, set, i32, f32 } = op;
type Code = wasm.Code;

/** Raised for code that stays in JavaScript; the message says why. */
export class NotCompilable extends Error {}

/** The math functions kernels import from `Math`, in import (function index) order. */
export const MATH_IMPORTS = ["exp", "log", "sin", "cos", "tanh", "pow"] as const;
type MathImport = (typeof MATH_IMPORTS)[number];

/** The module's function imports for {@link MATH_IMPORTS} (module `Math`). */
export function mathImports(): wasm.FunctionImport[] {
  return MATH_IMPORTS.map((name) => ({
    module: "Math",
    name,
    params: name === "pow" ? ["f64", "f64"] : ["f64"],
    results: ["f64"],
  }));
}

/** The wasm value type of a snippet scalar type. */
export const valueType = (type: ScalarType): "i32" | "f32" => (type === "float" ? "f32" : "i32");

/** What a binding is inside the function: a local (readable; writable if the code writes it) or a constant. */
export type ResolvedBinding = { readonly local: number } | { readonly value: Code };

/** Maps the bindings of a snippet (not its `let` locals) to locals or constants. */
export type BindingResolver = (binding: Binding, type: ScalarType) => ResolvedBinding;

const INT_MIN = -2147483648;

/**
 * Integer `/` or `%` of the i32 locals `a` and `b` with the JavaScript printer's results
 * (its idiv/udiv and `% | 0`): division by 0 gives a, `INT_MIN / -1` gives INT_MIN (the
 * printer's `| 0` of 2^31), a remainder by 0 gives 0; never traps.
 */
export function integerDivision(operator: "/" | "%", signed: boolean, a: number, b: number): Code {
  if (operator === "%") {
    return [
      get(a),
      i32.const(1),
      get(b),
      get(b),
      i32.eqz,
      op.select,
      signed ? op.i32.remS : op.i32.remU,
    ];
  }
  const keepDividend: Code = signed
    ? [
        get(b),
        i32.eqz,
        get(a),
        i32.const(INT_MIN),
        op.i32.eq,
        get(b),
        i32.const(-1),
        op.i32.eq,
        i32.and,
        op.i32.or,
      ]
    : [get(b), i32.eqz];
  return [
    get(a),
    [get(a), i32.const(1), get(b), keepDividend, op.select, signed ? op.i32.divS : op.i32.divU],
    keepDividend,
    op.select,
  ];
}

/**
 * Weight-update code's `addToPost(x)` and `addToPre(x)`: code adding the pushed-by-`value`
 * x to the target, on the lanes of `mask` (a v128 local; null: all lanes, or the scalar form).
 */
export type EffectCompiler = (
  callee: "addToPost" | "addToPre",
  value: Code,
  mask: number | null,
) => Code;

/**
 * What the scalar and the vector (wasm-vector-snippet.ts) snippet compilers share: the
 * function's locals, the resolver of bindings, the locals of a snippet's `let`s, and the
 * weight-update effects, if the code may have them.
 */
export abstract class SnippetCompilerBase {
  protected snippetLocals = new Map<number, number>();

  constructor(
    protected readonly locals: wasm.Frame,
    protected readonly resolve: BindingResolver,
    protected readonly effects: EffectCompiler | null = null,
    /** `uniform()`/`normal()` (wasm-random.ts `RandomSite.call`), or null: code with them is not compiled. */
    protected readonly random:
      ((kind: "uniform" | "normal", mask: number | null) => Code) | null = null,
  ) {}

  /** The lanes the statement being compiled runs on (a v128 local; null: all, or scalar code). */
  protected currentMask: number | null = null;

  /** A random-number call, where the code may have them. */
  protected randomCall(kind: "uniform" | "normal"): Code {
    if (this.random === null) throw new NotCompilable("random numbers");
    return this.random(kind, this.currentMask);
  }

  /** An expression statement: `addToPost(x)` or `addToPre(x)` where the code may have effects. */
  protected effect(call: CallExpression, mask: number | null): Code {
    const callee = call.callee;
    if (
      this.effects === null ||
      (callee !== "addToPost" && callee !== "addToPre") ||
      call.args.length !== 1
    ) {
      throw new NotCompilable(`${callee}() is not compiled to WebAssembly here`);
    }
    return this.effects(callee, this.expression(call.args[0]!), mask);
  }

  /** The local a statement assigns to: a `let` local or a resolved binding's. */
  protected writableLocal(binding: Binding, type: ScalarType): number {
    if (binding.kind === "local") return this.snippetLocal(binding.id);
    const resolved = this.resolve(binding, type);
    if (!("local" in resolved)) throw new Error(`internal error: cannot assign to ${binding.kind}`);
    return resolved.local;
  }

  protected snippetLocal(id: number): number {
    const local = this.snippetLocals.get(id);
    if (local === undefined) throw new Error(`internal error: local ${id} used before its let`);
    return local;
  }

  /** Code pushing the expression's value: one walk of the tree, the instructions from the hooks below. */
  expression(e: Expression): Code {
    switch (e.kind) {
      case "literal":
        return this.literal(e.type, e.value);
      case "identifier": {
        if (e.binding.kind === "local") return get(this.snippetLocal(e.binding.id));
        const resolved = this.resolve(e.binding, e.type);
        return "local" in resolved ? get(resolved.local) : resolved.value;
      }
      case "unary":
        return this.unary(e.operator, e.type, this.expression(e.operand));
      case "binary": {
        const operandType = e.left.type as ScalarType;
        if ((e.operator === "&&" || e.operator === "||") && drawsRandom(e.right)) {
          // JavaScript skips the right side (and its random numbers) when the left decides.
          return this.shortCircuit(e.operator, e.left, e.right);
        }
        const left = this.expression(e.left);
        const right = this.expression(e.right);
        if (e.operator === "&&" || e.operator === "||")
          return [left, right, this.logical(e.operator)];
        const comparison = this.comparison(e.operator, operandType);
        if (comparison !== null) return [left, right, comparison];
        return this.arithmetic(e.operator, e.type as ScalarType, left, right);
      }
      case "conditional":
        // both values, then the condition: `select` and `v128.bitselect` take them in this order
        // JavaScript evaluates one branch only: where a branch draws random numbers, so must this.
        if (drawsRandom(e.whenTrue) || drawsRandom(e.whenFalse)) return this.onlyTakenBranch(e);
        return [
          this.expression(e.whenTrue),
          this.expression(e.whenFalse),
          this.expression(e.condition),
          this.selectInstruction,
        ];
      case "convert":
        return this.convert(this.expression(e.operand), e.operand.type as ScalarType, e.type);
      case "call":
        return this.call(e);
    }
  }

  /** `left && right` or `left || right` evaluating `right` only where `left` does not decide (it draws random numbers). */
  protected abstract shortCircuit(operator: "&&" | "||", left: Expression, right: Expression): Code;
  /** `c ? a : b` evaluating only the branch taken (a branch draws random numbers). */
  protected abstract onlyTakenBranch(e: Expression & { kind: "conditional" }): Code;
  /** A literal of `type` (bools as 1/0). */
  protected abstract literal(type: ScalarType, value: number): Code;
  /** `!` or unary minus of an operand of `type`. */
  protected abstract unary(operator: "!" | "-", type: ScalarType, operand: Code): Code;
  /** The instruction of `&&` or `||` on two bools (both sides are evaluated; they have no side effects). */
  protected abstract logical(operator: "&&" | "||"): Code;
  /** The instruction comparing two operands of `type`, or null if `operator` is no comparison. */
  protected abstract comparison(operator: string, type: ScalarType): Code | null;
  /** `+ - * / %` on two operands of `type`. */
  protected abstract arithmetic(operator: string, type: ScalarType, left: Code, right: Code): Code;
  /** Pops a value if true, a value if false and the condition. */
  protected abstract readonly selectInstruction: Code;
  protected abstract convert(operand: Code, from: ScalarType, to: ScalarType): Code;
  protected abstract call(e: CallExpression): Code;
}

/** Compiles snippets into one function's body, sharing its locals. */
export class SnippetCompiler extends SnippetCompilerBase {
  /** The statements of a snippet (null: none). */
  statements(snippet: CheckedSnippet | null): Code {
    if (snippet === null) return [];
    if (snippet.kind !== "statements")
      throw new Error("internal error: expected a statements snippet");
    this.snippetLocals = new Map();
    return this.block(snippet.body);
  }

  /** A condition snippet (an expression giving a bool). */
  condition(snippet: CheckedSnippet): Code {
    if (snippet.kind !== "expression")
      throw new Error("internal error: expected an expression snippet");
    this.snippetLocals = new Map();
    return this.expression(snippet.body);
  }

  private block(block: Block): Code {
    return block.statements.map((s) => this.statement(s));
  }

  private statement(s: Statement): Code {
    switch (s.kind) {
      case "block":
        return this.block(s);
      case "let": {
        const local = this.locals.local(valueType(s.type));
        const init = this.expression(s.init);
        this.snippetLocals.set(s.binding.id, local);
        return [init, set(local)];
      }
      case "assign": {
        const target = this.writableLocal(s.target.binding, s.target.type);
        const value = this.expression(s.value);
        if (s.operator === "=") return [value, set(target)];
        const type = s.target.type;
        return [this.arithmetic(s.operator.slice(0, 1), type, get(target), value), set(target)];
      }
      case "if":
        return [
          this.expression(s.condition),
          op.if(this.block(s.then), s.otherwise ? this.block(s.otherwise) : undefined),
        ];
      case "expression":
        return this.effect(s.expression, null);
    }
  }

  private temp(type: ScalarType): number {
    return this.locals.local(valueType(type));
  }

  protected literal(type: ScalarType, value: number): Code {
    return type === "float"
      ? f32.const(Math.fround(value))
      : i32.const(type === "bool" ? (value !== 0 ? 1 : 0) : value | 0);
  }

  protected unary(operator: "!" | "-", type: ScalarType, operand: Code): Code {
    if (operator === "!") return [operand, i32.eqz];
    if (type === "float") return [operand, op.f32.neg];
    if (type === "int") return [i32.const(0), operand, i32.sub];
    throw new NotCompilable(`unary minus on ${type}`);
  }

  protected logical(operator: "&&" | "||"): Code {
    return operator === "&&" ? i32.and : op.i32.or;
  }

  protected readonly selectInstruction: Code = op.select;

  protected shortCircuit(operator: "&&" | "||", left: Expression, right: Expression): Code {
    const rest = this.expression(right);
    return [
      this.expression(left),
      operator === "&&"
        ? op.ifElse("i32", rest, i32.const(0))
        : op.ifElse("i32", i32.const(1), rest),
    ];
  }

  protected onlyTakenBranch(e: Expression & { kind: "conditional" }): Code {
    const condition = this.expression(e.condition);
    return [
      condition,
      op.ifElse(
        valueType(e.type as ScalarType),
        this.expression(e.whenTrue),
        this.expression(e.whenFalse),
      ),
    ];
  }

  protected comparison(operator: string, type: ScalarType): Code | null {
    if (type === "float") {
      const table: Record<string, Code> = {
        "==": op.f32.eq,
        "!=": op.f32.ne,
        "<": op.f32.lt,
        "<=": op.f32.le,
        ">": op.f32.gt,
        ">=": op.f32.ge,
      };
      return table[operator] ?? null;
    }
    const signed = type === "int";
    const table: Record<string, Code> = {
      "==": op.i32.eq,
      "!=": i32.ne,
      "<": signed ? op.i32.ltS : i32.ltU,
      "<=": signed ? op.i32.leS : op.i32.leU,
      ">": signed ? op.i32.gtS : op.i32.gtU,
      ">=": signed ? op.i32.geS : i32.geU,
    };
    return table[operator] ?? null;
  }

  /** `+ - * / %` on two operands of `type` (the printer's printBinary). */
  protected arithmetic(operator: string, type: ScalarType, left: Code, right: Code): Code {
    if (type === "float") {
      const table: Record<string, Code> = {
        "+": f32.add,
        "-": f32.sub,
        "*": f32.mul,
        "/": op.f32.div,
      };
      const instruction = table[operator];
      if (instruction === undefined) throw new NotCompilable(`float '${operator}'`);
      return [left, right, instruction];
    }
    if (type === "bool") throw new NotCompilable(`bool '${operator}'`);
    if (operator === "+") return [left, right, i32.add];
    if (operator === "-") return [left, right, i32.sub];
    if (operator === "*") return [left, right, i32.mul];
    if (operator !== "/" && operator !== "%") throw new NotCompilable(`${type} '${operator}'`);
    const a = this.temp(type);
    const b = this.temp(type);
    return [left, set(a), right, set(b), integerDivision(operator, type === "int", a, b)];
  }

  protected convert(operand: Code, from: ScalarType, to: ScalarType): Code {
    if (from === to) return operand;
    switch (to) {
      case "float":
        return [operand, from === "int" ? op.f32.convertI32S : op.f32.convertI32U];
      case "int":
        return from === "float" ? [operand, op.i32.truncSatF32S] : operand;
      case "uint":
        return from === "float" ? [operand, op.i32.truncSatF32U] : operand;
      case "bool":
        return from === "float"
          ? [operand, f32.const(0), op.f32.ne]
          : [operand, i32.const(0), i32.ne];
    }
  }

  protected call(e: CallExpression): Code {
    const type = e.type as ScalarType;
    const args = e.args.map((a) => this.expression(a));
    const mathIndex = MATH_IMPORTS.indexOf(e.callee as MathImport);
    if (mathIndex >= 0)
      return [args.map((a) => [a, op.f64.promoteF32]), op.call(mathIndex), op.f32.demoteF64];
    switch (e.callee) {
      case "uniform":
      case "normal":
        return this.randomCall(e.callee);
      case "sqrt":
        return [args[0]!, op.f32.sqrt];
      case "floor":
        return [args[0]!, op.f32.floor];
      case "ceil":
        return [args[0]!, op.f32.ceil];
      case "abs": {
        if (type === "float") return [args[0]!, op.f32.abs];
        if (type === "uint") return args[0]!;
        const x = this.temp(type);
        return [
          args[0]!,
          set(x),
          get(x),
          i32.const(0),
          get(x),
          i32.sub,
          get(x),
          i32.const(0),
          op.i32.geS,
          op.select,
        ];
      }
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
    if (type === "float") return this.floatMinMax(kind, left, right);
    const a = this.temp(type);
    const b = this.temp(type);
    const less = type === "int" ? op.i32.ltS : i32.ltU;
    // min: a < b ? a : b; max: a < b ? b : a
    return [
      left,
      set(a),
      right,
      set(b),
      kind === "min" ? [get(a), get(b)] : [get(b), get(a)],
      get(a),
      get(b),
      less,
      op.select,
    ];
  }

  /**
   * Float min/max as JavaScript's Math.min/max (NaN if either is NaN; max(+0, -0) = +0,
   * min(+0, -0) = -0) without branches: engines compile `f32.min`/`f32.max` with branches for
   * the NaN and zero cases, which mispredict when the operands' order varies (e.g. a surrogate
   * derivative max(0, ...)). Here the choice is an integer `select` of the bit patterns.
   */
  private floatMinMax(kind: "min" | "max", left: Code, right: Code): Code {
    const a = this.temp("float");
    const b = this.temp("float");
    const r = this.temp("int");
    const bits = (local: number): Code => [get(local), op.i32.reinterpretF32];
    return [
      left,
      set(a),
      right,
      set(b),
      // ordered operands: the larger (max) or the smaller (min)
      [bits(a), bits(b), get(a), get(b), kind === "max" ? op.f32.gt : op.f32.lt, op.select, set(r)],
      // equal operands (also +0 and -0): the bits' AND (max gives +0) or OR (min gives -0)
      [
        bits(a),
        bits(b),
        kind === "max" ? i32.and : op.i32.or,
        get(r),
        get(a),
        get(b),
        op.f32.eq,
        op.select,
        set(r),
      ],
      // a NaN operand gives NaN
      [bits(a), get(r), get(a), get(a), op.f32.ne, op.select, set(r)],
      [bits(b), get(r), get(b), get(b), op.f32.ne, op.select],
      op.f32.reinterpretI32,
    ];
  }
}
