/**
 * Typing rules of the snippet checker that do not depend on where code stands: the scalar
 * types, the signatures of the builtin functions, and the implicit conversions and operand
 * unification of binary operators, `?:` and numeric functions (rules summarised in
 * `checker.ts`).
 */
import type {
  BuiltinFunction,
  Expression,
  LiteralExpression,
  ScalarType,
  SourcePosition,
} from "./ast";
import type { SnippetOptions } from "./environment";
import type { FailFunction } from "./scanner";

export const SCALAR_TYPES: readonly ScalarType[] = ["float", "int", "uint", "bool"];

/** Parameter pattern of a builtin function. */
type Signature =
  /** Fixed float parameters, float result. */
  | { readonly kind: "float"; readonly arity: number }
  /** Numbers unified like binary operands; the result has the unified type. */
  | { readonly kind: "numeric"; readonly arity: number }
  /** No parameters, float result (random numbers). */
  | { readonly kind: "random" }
  /** One float parameter, no result (side effect). */
  | { readonly kind: "effect" };

export const SIGNATURES: Readonly<Record<BuiltinFunction, Signature>> = {
  exp: { kind: "float", arity: 1 },
  log: { kind: "float", arity: 1 },
  sqrt: { kind: "float", arity: 1 },
  sin: { kind: "float", arity: 1 },
  cos: { kind: "float", arity: 1 },
  tanh: { kind: "float", arity: 1 },
  floor: { kind: "float", arity: 1 },
  ceil: { kind: "float", arity: 1 },
  pow: { kind: "float", arity: 2 },
  abs: { kind: "numeric", arity: 1 },
  min: { kind: "numeric", arity: 2 },
  max: { kind: "numeric", arity: 2 },
  clamp: { kind: "numeric", arity: 3 },
  uniform: { kind: "random" },
  normal: { kind: "random" },
  addToPost: { kind: "effect" },
  addToPre: { kind: "effect" },
};

const FUNCTION_NAMES = Object.keys(SIGNATURES) as BuiltinFunction[];

export const isBuiltinFunction = (name: string): name is BuiltinFunction =>
  Object.hasOwn(SIGNATURES, name);
export const isScalarType = (name: string): name is ScalarType =>
  (SCALAR_TYPES as readonly string[]).includes(name);
export const isNumber = (type: ScalarType | "void"): type is "float" | "int" | "uint" =>
  type === "float" || type === "int" || type === "uint";

/** The builtin functions a snippet with these options may call (for suggestions). */
export function availableFunctions(options: SnippetOptions): BuiltinFunction[] {
  const extra = options.extraFunctions ?? [];
  return FUNCTION_NAMES.filter((name) => {
    const kind = SIGNATURES[name].kind;
    if (kind === "effect") return extra.includes(name);
    if (kind === "random") return options.allowRandom !== false;
    return true;
  });
}

/** The type of a value expression (calls without a value never reach the typing rules). */
export function scalarTypeOf(expression: Expression): ScalarType {
  if (expression.type === "void") throw new Error("internal error: an expression without a value");
  return expression.type;
}

/** An unsuffixed integer literal, possibly negated: it adapts to the type it meets. */
function isIntegerLiteral(expression: Expression): boolean {
  if (expression.kind === "literal") return expression.type === "int";
  return (
    expression.kind === "unary" &&
    expression.operator === "-" &&
    isIntegerLiteral(expression.operand)
  );
}

export function isNegativeIntegerLiteral(expression: Expression): boolean {
  let negations = 0;
  let current = expression;
  while (current.kind === "unary" && current.operator === "-") {
    negations++;
    current = current.operand;
  }
  return (
    current.kind === "literal" &&
    current.type === "int" &&
    negations % 2 === 1 &&
    current.value !== 0
  );
}

/** Rebuilds an integer literal (under its unary minuses) with another number type. */
function retypeLiteral(expression: Expression, type: "float" | "uint"): Expression {
  if (expression.kind === "unary") {
    return { ...expression, type, operand: retypeLiteral(expression.operand, type) };
  }
  const literal = expression as LiteralExpression;
  return { ...literal, type };
}

/**
 * The safe implicit conversions: same type; an integer literal (or negated integer
 * literal) to float, or to uint when not negative; an int or uint expression to float.
 * Returns null where no implicit conversion exists.
 */
export function convertImplicitly(expression: Expression, type: ScalarType): Expression | null {
  if (expression.type === type) return expression;
  if (isIntegerLiteral(expression)) {
    if (type === "float") return retypeLiteral(expression, "float");
    if (type === "uint" && !isNegativeIntegerLiteral(expression))
      return retypeLiteral(expression, "uint");
    return null;
  }
  if (type === "float" && (expression.type === "int" || expression.type === "uint")) {
    return {
      kind: "convert",
      position: expression.position,
      type: "float",
      operand: expression,
      implicit: true,
    };
  }
  return null;
}

/** {@link unify} for two operands. */
export function unifyPair(
  left: Expression,
  right: Expression,
  what: string,
  position: SourcePosition,
  allowBool: boolean,
  fail: FailFunction,
): [Expression, Expression] {
  const [l, r] = unify([left, right], what, position, allowBool, fail);
  return [l as Expression, r as Expression];
}

/**
 * Brings operands to one type: numbers per the promotion rules (see the module comment of
 * `checker.ts`); two bools only when `allowBool`. Fails at `position` naming `what` otherwise.
 */
export function unify(
  operands: Expression[],
  what: string,
  position: SourcePosition,
  allowBool: boolean,
  fail: FailFunction,
): Expression[] {
  const types = new Set(operands.map((operand) => operand.type));
  if (types.size === 1 && (allowBool || !types.has("bool"))) return operands;
  const bad = operands.findIndex((operand) => !isNumber(operand.type));
  if (bad >= 0) {
    const operand = operands[bad] as Expression;
    const index =
      operands.length === 2
        ? bad === 0
          ? "the left operand"
          : "the right operand"
        : `argument ${bad + 1}`;
    fail(
      "type-mismatch",
      allowBool && types.has("bool")
        ? `${what} needs operands of the same type, but they are ${operands.map((o) => o.type).join(" and ")}`
        : `${what} needs numbers, but ${index} is ${operand.type}`,
      position,
    );
  }
  let target: ScalarType;
  if (types.has("float")) target = "float";
  else {
    // int and uint: only integer literals may adapt (to uint).
    const fixed = operands.filter((operand) => !isIntegerLiteral(operand));
    const fixedTypes = new Set(fixed.map((operand) => operand.type));
    if (fixedTypes.size > 1) {
      fail(
        "type-mismatch",
        `${what} cannot mix int and uint; convert one side with int(...) or uint(...)`,
        position,
      );
    }
    target = fixed[0] === undefined ? "int" : scalarTypeOf(fixed[0]);
  }
  return operands.map((operand) => {
    const converted = convertImplicitly(operand, target);
    if (converted === null) {
      fail("type-mismatch", `${what}: the negative literal cannot be a uint`, operand.position);
    }
    return converted;
  });
}
