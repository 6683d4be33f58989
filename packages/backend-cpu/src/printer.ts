/**
 * Prints the typed snippet AST of @snn/core as JavaScript.
 *
 * Value representation in the printed code:
 * - `float`: a JS number that always holds a value exactly representable in float32. Every
 *   float operation is rounded with `Math.fround`, so `+ - * /` and `sqrt` give the same result
 *   as float32 hardware (rounding a double result of two float32 operands is exact for these).
 *   Math-library functions (`exp`, `log`, `pow`, ...) are computed in double and rounded
 *   once, which is at least as accurate as a GPU's float32 versions.
 * - `int`: a JS number holding an int32 (`| 0`, `Math.imul`, truncating division).
 * - `uint`: a JS number holding a uint32 (`>>> 0`).
 * - `bool`: a JS boolean (stored as u32 0/1 in memory).
 *
 * Names are resolved through {@link PrintScope}: the code generator decides what each
 * binding (variable, param, built-in, ...) is in the surrounding generated function.
 */
import type {
  AssignStatement,
  Binding,
  Block,
  CallExpression,
  CheckedSnippet,
  Expression,
  ScalarType,
  Statement,
} from "@snn/core";

/** How the code generator maps bindings and side-effect calls to JavaScript. */
export interface PrintScope {
  /** A JS expression (or assignable local name) for a binding. */
  name(binding: Binding, type: ScalarType): string;
  /** A JS expression giving the next random number (`uniform()`/`normal()`). */
  random(kind: "uniform" | "normal"): string;
  /** A JS statement for `addToPost(value)` / `addToPre(value)`. */
  effect(kind: "addToPost" | "addToPre", value: string): string;
}

/** JS local name of a snippet `let` local. */
export function localName(binding: Extract<Binding, { kind: "local" }>): string {
  return `l${binding.id}_${binding.name}`;
}

/** A float value as a JS literal, rounded to float32. */
export function floatLiteral(value: number): string {
  const rounded = Math.fround(value);
  if (Number.isNaN(rounded)) return "NaN";
  if (rounded === Infinity) return "Infinity";
  if (rounded === -Infinity) return "(-Infinity)";
  if (Object.is(rounded, -0)) return "(-0)";
  const text = String(rounded);
  return rounded < 0 ? `(${text})` : text;
}

/** A number literal of any scalar type, normalised to that type. */
export function typedLiteral(value: number, type: ScalarType): string {
  switch (type) {
    case "float":
      return floatLiteral(value);
    case "int": {
      const v = value | 0;
      return v < 0 ? `(${v})` : String(v);
    }
    case "uint":
      return String(value >>> 0);
    case "bool":
      return value !== 0 ? "true" : "false";
  }
}

/** Prints a typed expression; see the module comment for the value representation. */
export function printExpression(e: Expression, scope: PrintScope): string {
  switch (e.kind) {
    case "literal":
      return typedLiteral(e.value, e.type);
    case "identifier":
      return e.binding.kind === "local" ? localName(e.binding) : scope.name(e.binding, e.type);
    case "unary": {
      const operand = printExpression(e.operand, scope);
      if (e.operator === "!") return `(!${operand})`;
      return e.type === "int" ? `((-${operand}) | 0)` : `(-${operand})`;
    }
    case "binary":
      return printBinary(
        e.operator,
        e.left.type as ScalarType,
        printExpression(e.left, scope),
        printExpression(e.right, scope),
        e.type,
      );
    case "conditional":
      return `(${printExpression(e.condition, scope)} ? ${printExpression(e.whenTrue, scope)} : ${printExpression(e.whenFalse, scope)})`;
    case "convert":
      return printConvert(printExpression(e.operand, scope), e.operand.type as ScalarType, e.type);
    case "call":
      return printCall(e, scope);
  }
}

/** An arithmetic or comparison operation on two printed operands of `operandType`. */
export function printBinary(
  operator: string,
  operandType: ScalarType,
  left: string,
  right: string,
  resultType: ScalarType | "void",
): string {
  switch (operator) {
    case "&&":
    case "||":
      return `(${left} ${operator} ${right})`;
    case "==":
      return `(${left} === ${right})`;
    case "!=":
      return `(${left} !== ${right})`;
    case "<":
    case "<=":
    case ">":
    case ">=":
      return `(${left} ${operator} ${right})`;
  }
  const type = resultType === "void" ? operandType : resultType;
  if (type === "float") return `Math.fround(${left} ${operator} ${right})`;
  if (type === "int") {
    switch (operator) {
      case "*":
        return `Math.imul(${left}, ${right})`;
      case "/":
        return `idiv(${left}, ${right})`;
      default:
        return `((${left} ${operator} ${right}) | 0)`;
    }
  }
  // uint
  switch (operator) {
    case "*":
      return `(Math.imul(${left}, ${right}) >>> 0)`;
    case "/":
      return `udiv(${left}, ${right})`;
    default:
      return `((${left} ${operator} ${right}) >>> 0)`;
  }
}

/** A conversion between scalar types (WGSL semantics: float to int truncates and saturates). */
export function printConvert(operand: string, from: ScalarType, to: ScalarType): string {
  if (from === to) return operand;
  switch (to) {
    case "float":
      return from === "bool" ? `(${operand} ? 1 : 0)` : `Math.fround(${operand})`;
    case "int":
      if (from === "bool") return `(${operand} ? 1 : 0)`;
      if (from === "uint") return `(${operand} | 0)`;
      return `f2i(${operand})`;
    case "uint":
      if (from === "bool") return `(${operand} ? 1 : 0)`;
      if (from === "int") return `(${operand} >>> 0)`;
      return `f2u(${operand})`;
    case "bool":
      return `(${operand} !== 0)`;
  }
}

const FLOAT_FUNCTIONS: Readonly<Record<string, string>> = {
  exp: "Math.exp",
  log: "Math.log",
  sqrt: "Math.sqrt",
  sin: "Math.sin",
  cos: "Math.cos",
  tanh: "Math.tanh",
  floor: "Math.floor",
  ceil: "Math.ceil",
  pow: "Math.pow",
};

function printCall(e: CallExpression, scope: PrintScope): string {
  const args = e.args.map((a) => printExpression(a, scope));
  const fn = FLOAT_FUNCTIONS[e.callee];
  if (fn !== undefined) {
    // floor/ceil of a float32 value are float32 values already.
    return e.callee === "floor" || e.callee === "ceil"
      ? `${fn}(${args.join(", ")})`
      : `Math.fround(${fn}(${args.join(", ")}))`;
  }
  switch (e.callee) {
    case "abs":
      if (e.type === "int") return `(Math.abs(${args[0]}) | 0)`;
      if (e.type === "uint") return args[0]!;
      return `Math.abs(${args[0]})`;
    case "min":
    case "max":
      return `Math.${e.callee}(${args[0]}, ${args[1]})`;
    case "clamp":
      return `Math.min(Math.max(${args[0]}, ${args[1]}), ${args[2]})`;
    case "uniform":
    case "normal":
      return scope.random(e.callee);
    case "addToPost":
    case "addToPre":
      throw new Error(`internal error: ${e.callee}() in an expression`);
    default:
      throw new Error(`internal error: unknown function ${e.callee}`);
  }
}

function printAssign(s: AssignStatement, scope: PrintScope, indent: string): string {
  const target =
    s.target.binding.kind === "local"
      ? localName(s.target.binding)
      : scope.name(s.target.binding, s.target.type);
  const value = printExpression(s.value, scope);
  if (s.operator === "=") {
    // Every printed float expression is already a float32 value, so no extra rounding is needed.
    return `${indent}${target} = ${value};\n`;
  }
  const operator = s.operator.slice(0, 1);
  return `${indent}${target} = ${printBinary(operator, s.target.type, target, value, s.target.type)};\n`;
}

/** Prints a statement list with `indent` before each line. */
export function printStatements(block: Block, scope: PrintScope, indent = ""): string {
  let out = "";
  for (const statement of block.statements) out += printStatement(statement, scope, indent);
  return out;
}

function printStatement(s: Statement, scope: PrintScope, indent: string): string {
  switch (s.kind) {
    case "let":
      return `${indent}let ${localName(s.binding)} = ${printExpression(s.init, scope)};\n`;
    case "assign":
      return printAssign(s, scope, indent);
    case "if": {
      let out = `${indent}if (${printExpression(s.condition, scope)}) {\n${printStatements(s.then, scope, indent + "  ")}${indent}}`;
      if (s.otherwise)
        out += ` else {\n${printStatements(s.otherwise, scope, indent + "  ")}${indent}}`;
      return out + "\n";
    }
    case "expression": {
      const call = s.expression;
      if (call.callee !== "addToPost" && call.callee !== "addToPre") {
        throw new Error(`internal error: ${call.callee}() as a statement`);
      }
      return `${indent}${scope.effect(call.callee, printExpression(call.args[0]!, scope))}\n`;
    }
    case "block":
      return `${indent}{\n${printStatements(s, scope, indent + "  ")}${indent}}\n`;
  }
}

/** Prints a statements snippet (null: nothing). */
export function printSnippet(
  snippet: CheckedSnippet | null,
  scope: PrintScope,
  indent = "",
): string {
  if (snippet === null) return "";
  if (snippet.kind !== "statements")
    throw new Error("internal error: expected a statements snippet");
  return printStatements(snippet.body, scope, indent);
}

/** Prints an expression snippet such as a threshold condition. */
export function printCondition(snippet: CheckedSnippet, scope: PrintScope): string {
  if (snippet.kind !== "expression")
    throw new Error("internal error: expected an expression snippet");
  return printExpression(snippet.body, scope);
}

/**
 * Helper functions the printed code calls (integer division with WGSL semantics, saturating
 * float-to-int conversions). Included once at the top of every generated module.
 */
export const PRINTER_HELPERS = `function idiv(a, b) { return b === 0 ? a : (a / b) | 0; }
function udiv(a, b) { return b === 0 ? a : (a / b) >>> 0; }
function f2i(x) { return x !== x ? 0 : x >= 2147483647 ? 2147483647 : x <= -2147483648 ? -2147483648 : x | 0; }
function f2u(x) { return x !== x || x <= 0 ? 0 : x >= 4294967295 ? 4294967295 : x >>> 0; }
`;
