/**
 * Type checker of the snippet language: resolves names through the environment and `let`
 * scopes and turns the untyped tree of the parser into the typed AST of `ast.ts`, with every
 * implicit conversion made explicit.
 *
 * Typing rules (summary; the tests spell out each case):
 * - Literals: `1` int, `1u` uint, `1.0`/`.5`/`1e-3`/`1f` float, `true`/`false` bool.
 * - Arithmetic `+ - * / %` and comparisons need numbers (float, int, uint). Equal types stay;
 *   an int/uint operand next to a float becomes float (an integer literal becomes a float
 *   literal, anything else gets an implicit {@link ConvertExpression}). int next to uint is
 *   an error (write `int(...)`/`uint(...)`), except that an integer literal takes the type
 *   of the other operand (`i + 1` with `i: uint` makes `1` a uint literal).
 * - Comparisons give bool; `==`/`!=` also compare two bools; `&&`, `||`, `!` need bools.
 * - Unary `-` needs a float or int (not uint).
 * - Conditions of `if` and `?:` must be bool; the branches of `?:` unify like operands.
 * - Assignment and `let x: T = e` convert the value to the target type only where that is
 *   safe: integer literals to any number type, int/uint to float. Compound assignment
 *   (`+=`, ...) needs a number target and the same conversion of the value.
 * - Math library: `exp log sqrt sin cos tanh floor ceil` (1 float), `pow` (2 floats),
 *   `abs` (1 number, same type), `min max` (2 numbers, unified), `clamp(x, lo, hi)`
 *   (3 numbers, unified); int arguments of float functions are converted to float.
 *   `uniform()`/`normal()` give a float (unless `allowRandom` is false); `addToPost(x)`
 *   and `addToPre(x)` take a float, give nothing, are allowed only when listed in
 *   `extraFunctions`, and only as statements.
 * - Casts `float(x)`, `int(x)`, `uint(x)`, `bool(x)` take any scalar and give a
 *   non-implicit {@link ConvertExpression}.
 * - `let` declares a block-scoped local with a snippet-unique id; it may not reuse a name of
 *   the environment or of an enclosing local, nor a type or function name.
 */
import type {
  AssignStatement,
  Binding,
  Block,
  BuiltinFunction,
  CallExpression,
  CheckedSnippet,
  Expression,
  IdentifierExpression,
  LetStatement,
  LiteralExpression,
  ScalarType,
  SourcePosition,
  Statement,
} from "./ast";
import type { SnippetOptions, SymbolInfo } from "./environment";
import { Parser } from "./parser";
import type { SyntaxBlock, SyntaxExpression, SyntaxStatement } from "./syntax";
import { scan } from "./scanner";
import type { FailFunction } from "./scanner";
import { SnippetError } from "./snippet-error";
import { closestName } from "./suggest";

const SCALAR_TYPES: readonly ScalarType[] = ["float", "int", "uint", "bool"];

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

const SIGNATURES: Readonly<Record<BuiltinFunction, Signature>> = {
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

const isBuiltinFunction = (name: string): name is BuiltinFunction =>
  Object.hasOwn(SIGNATURES, name);
const isScalarType = (name: string): name is ScalarType =>
  (SCALAR_TYPES as readonly string[]).includes(name);
const isNumber = (type: ScalarType | "void"): type is "float" | "int" | "uint" =>
  type === "float" || type === "int" || type === "uint";

/**
 * Scans, parses and type-checks a snippet of model code.
 *
 * @param source The code, e.g. a neuron model's `sim` field.
 * @param options Mode, visible names, allowed functions and where the code comes from.
 * @returns The typed AST; in expression mode a single expression (of `expectedType` when given).
 * @throws {SnippetError} on the first error, with model, field, line, column and a caret excerpt.
 */
export function checkSnippet(source: string, options: SnippetOptions): CheckedSnippet {
  const fail: FailFunction = (code, reason, position) => {
    throw new SnippetError({ code, reason, context: options.context, position, source });
  };
  const parser = new Parser(scan(source, fail), fail);
  const checker = new Checker(options, fail);
  if (options.mode === "statements") {
    return { kind: "statements", body: checker.checkTopBlock(parser.parseStatements()), source };
  }
  const syntax = parser.parseExpressionOnly();
  if (syntax === null) {
    fail(
      "empty-expression",
      `${options.context.field} needs an expression${options.expectedType === "bool" ? " (a condition such as 'V >= Vthresh')" : ""}, but the code is empty`,
      { line: 1, column: 1, offset: 0 },
    );
  }
  return { kind: "expression", body: checker.checkTopExpression(syntax), source };
}

type LocalBinding = Extract<Binding, { kind: "local" }>;

interface Local {
  readonly type: ScalarType;
  readonly binding: LocalBinding;
}

class Checker {
  /** Lexical scopes of locals, innermost last. */
  private readonly scopes: Map<string, Local>[] = [];
  private nextLocalId = 0;

  constructor(
    private readonly options: SnippetOptions,
    private readonly fail: FailFunction,
  ) {}

  checkTopBlock(block: SyntaxBlock): Block {
    return this.checkBlock(block);
  }

  checkTopExpression(syntax: SyntaxExpression): Expression {
    const expression = this.checkExpression(syntax);
    const expected = this.options.expectedType;
    if (expected === undefined) return expression;
    const converted = this.convertImplicitly(expression, expected);
    if (converted !== null) return converted;
    const field = this.options.context.field;
    this.fail(
      "type-mismatch",
      expected === "bool"
        ? `${field} must be a condition (a bool expression such as 'V >= Vthresh'), but this expression is ${expression.type}`
        : `${field} must be a ${expected} expression, but this expression is ${expression.type}`,
      expression.position,
    );
  }

  // ---------------------------------------------------------------- statements

  private checkBlock(block: SyntaxBlock): Block {
    this.scopes.push(new Map());
    const statements = block.statements.map((statement) => this.checkStatement(statement));
    this.scopes.pop();
    return { kind: "block", position: block.position, statements };
  }

  private checkStatement(statement: SyntaxStatement): Statement {
    switch (statement.kind) {
      case "block":
        return this.checkBlock(statement);
      case "let":
        return this.checkLet(statement);
      case "assign":
        return this.checkAssign(statement);
      case "if": {
        const condition = this.checkCondition(statement.condition, "'if'");
        const then = this.checkBlock(statement.then);
        const otherwise =
          statement.otherwise === null ? null : this.checkBlock(statement.otherwise);
        return { kind: "if", position: statement.position, condition, then, otherwise };
      }
      case "expression": {
        const syntax = statement.expression;
        if (syntax.kind === "call" && !isScalarType(syntax.callee)) {
          const call = this.checkCall(syntax, true);
          if (call.callee === "addToPost" || call.callee === "addToPre") {
            return { kind: "expression", position: statement.position, expression: call };
          }
          this.fail(
            "not-a-statement",
            `the result of ${call.callee}() is not used; assign it, e.g. 'let y = ${call.callee}(...);'`,
            statement.position,
          );
        }
        const expression = this.checkExpression(syntax);
        this.fail(
          "not-a-statement",
          `this ${expression.type} expression has no effect; statements are 'let', assignments, 'if' and calls of addToPost/addToPre`,
          statement.position,
        );
      }
    }
  }

  private checkLet(statement: Extract<SyntaxStatement, { kind: "let" }>): LetStatement {
    const { name, namePosition } = statement;
    if (isScalarType(name) || isBuiltinFunction(name)) {
      this.fail(
        "reserved-name",
        `'${name}' is the name of a ${isScalarType(name) ? "type" : "function"}; choose another name for the local`,
        namePosition,
      );
    }
    const existing = this.lookup(name);
    if (existing !== undefined) {
      const where =
        existing.binding.kind === "local"
          ? "as a local in an enclosing block or earlier in this one"
          : `as ${describeBinding(existing.binding)} of this model`;
      this.fail(
        "redeclaration",
        `'${name}' is already defined ${where}; locals may not shadow other names, choose another name`,
        namePosition,
      );
    }
    let init = this.checkExpression(statement.init);
    let type: ScalarType = scalarTypeOf(init);
    if (statement.declaredType !== null) {
      const declared = statement.declaredType;
      if (!isScalarType(declared.name)) {
        const hint = declared.name === "double" || declared.name === "scalar" ? " ('float')" : "";
        this.fail(
          "unknown-name",
          `unknown type '${declared.name}'; the types are float${hint}, int, uint and bool`,
          declared.position,
        );
      }
      type = declared.name;
      init = this.convertForAssignment(init, type, `'${name}'`);
    }
    const binding: LocalBinding = { kind: "local", name, id: this.nextLocalId++ };
    this.currentScope().set(name, { type, binding });
    return { kind: "let", position: statement.position, name, binding, type, init };
  }

  private checkAssign(statement: Extract<SyntaxStatement, { kind: "assign" }>): AssignStatement {
    const target = this.checkName(statement.target.name, statement.target.position);
    const symbol = this.lookup(target.name);
    if (
      symbol !== undefined &&
      symbol.binding.kind !== "local" &&
      !(symbol as SymbolInfo).writable
    ) {
      this.fail(
        "assign-to-readonly",
        symbol.binding.kind === "var" || symbol.binding.kind === "varRef"
          ? `'${target.name}' is ${describeBinding(symbol.binding)} that is read-only here and cannot be assigned to`
          : `'${target.name}' is ${describeBinding(symbol.binding)} and cannot be assigned to`,
        statement.target.position,
      );
    }
    if (statement.operator !== "=" && !isNumber(target.type)) {
      this.fail(
        "type-mismatch",
        `'${statement.operator}' needs a number, but '${target.name}' is ${target.type}`,
        statement.operatorPosition,
      );
    }
    const value = this.convertForAssignment(
      this.checkExpression(statement.value),
      target.type,
      `'${target.name}'`,
    );
    return {
      kind: "assign",
      position: statement.position,
      target,
      operator: statement.operator,
      value,
    };
  }

  /** Converts an assigned value to the target type, or fails saying how to convert it. */
  private convertForAssignment(value: Expression, type: ScalarType, target: string): Expression {
    const converted = this.convertImplicitly(value, type);
    if (converted !== null) return converted;
    let hint = "";
    if (isNumber(value.type) && isNumber(type)) hint = `; convert it explicitly with ${type}(...)`;
    if (isNegativeIntegerLiteral(value) && type === "uint") hint = "; a uint cannot be negative";
    this.fail(
      "type-mismatch",
      `cannot assign a ${value.type} value to ${target}, which is ${type}${hint}`,
      value.position,
    );
  }

  // ---------------------------------------------------------------- expressions

  private checkExpression(syntax: SyntaxExpression): Expression {
    switch (syntax.kind) {
      case "number":
        return {
          kind: "literal",
          position: syntax.position,
          type: syntax.literalType,
          value: syntax.value,
        };
      case "bool":
        return {
          kind: "literal",
          position: syntax.position,
          type: "bool",
          value: syntax.value ? 1 : 0,
        };
      case "name":
        return this.checkName(syntax.name, syntax.position);
      case "unary": {
        const operand = this.checkExpression(syntax.operand);
        if (syntax.operator === "!") {
          if (operand.type !== "bool") {
            this.fail(
              "type-mismatch",
              `'!' needs a bool, but its operand is ${operand.type}`,
              syntax.position,
            );
          }
          return { kind: "unary", position: syntax.position, type: "bool", operator: "!", operand };
        }
        if (operand.type !== "float" && operand.type !== "int") {
          this.fail(
            "type-mismatch",
            operand.type === "uint"
              ? "a uint cannot be negated; convert it first, e.g. -int(x) or -float(x)"
              : `'-' needs a number, but its operand is ${operand.type}`,
            syntax.position,
          );
        }
        return {
          kind: "unary",
          position: syntax.position,
          type: operand.type,
          operator: "-",
          operand,
        };
      }
      case "binary":
        return this.checkBinary(syntax);
      case "conditional": {
        const condition = this.checkCondition(syntax.condition, "'?:'");
        const [whenTrue, whenFalse] = this.unifyPair(
          this.checkExpression(syntax.whenTrue),
          this.checkExpression(syntax.whenFalse),
          "the branches of '?:'",
          syntax.questionPosition,
          true,
        );
        return {
          kind: "conditional",
          position: syntax.position,
          type: scalarTypeOf(whenTrue),
          condition,
          whenTrue,
          whenFalse,
        };
      }
      case "call": {
        if (isScalarType(syntax.callee)) return this.checkCast(syntax, syntax.callee);
        const call = this.checkCall(syntax, false);
        if (call.type === "void") {
          // Only addToPost/addToPre return nothing; checkCall rejects them in expressions.
          throw new Error(`internal error: void call ${call.callee} in an expression`);
        }
        return call as Expression;
      }
    }
  }

  private checkBinary(syntax: Extract<SyntaxExpression, { kind: "binary" }>): Expression {
    const { operator, operatorPosition, position } = syntax;
    const left = this.checkExpression(syntax.left);
    const right = this.checkExpression(syntax.right);
    if (operator === "&&" || operator === "||") {
      for (const [side, operand] of [
        ["left", left],
        ["right", right],
      ] as const) {
        if (operand.type !== "bool") {
          this.fail(
            "type-mismatch",
            `'${operator}' needs bool operands, but the ${side} operand is ${operand.type}`,
            operatorPosition,
          );
        }
      }
      return { kind: "binary", position, type: "bool", operator, left, right };
    }
    const isEquality = operator === "==" || operator === "!=";
    const [l, r] = this.unifyPair(left, right, `'${operator}'`, operatorPosition, isEquality);
    const isComparison =
      isEquality || operator === "<" || operator === "<=" || operator === ">" || operator === ">=";
    return {
      kind: "binary",
      position,
      type: isComparison ? "bool" : scalarTypeOf(l),
      operator,
      left: l,
      right: r,
    };
  }

  private checkCondition(syntax: SyntaxExpression, of: string): Expression {
    const condition = this.checkExpression(syntax);
    if (condition.type !== "bool") {
      this.fail(
        "type-mismatch",
        `the condition of ${of} must be bool, but it is ${condition.type}; compare it, e.g. 'x != 0'`,
        condition.position,
      );
    }
    return condition;
  }

  private checkName(name: string, position: SourcePosition): IdentifierExpression {
    const symbol = this.lookup(name);
    if (symbol !== undefined) {
      return { kind: "identifier", position, type: symbol.type, name, binding: symbol.binding };
    }
    if (isBuiltinFunction(name) || isScalarType(name)) {
      this.fail(
        "unknown-name",
        `'${name}' is a ${isScalarType(name) ? "type" : "function"}, not a value; call it, e.g. ${name}(x)`,
        position,
      );
    }
    const suggestion = closestName(name, this.visibleNames());
    this.fail(
      "unknown-name",
      `unknown name '${name}'${suggestion === undefined ? "" : ` (did you mean '${suggestion}'?)`}`,
      position,
    );
  }

  /** `float(x)`, `int(x)`, `uint(x)`, `bool(x)`: an explicit conversion of any scalar. */
  private checkCast(
    syntax: Extract<SyntaxExpression, { kind: "call" }>,
    type: ScalarType,
  ): Expression {
    if (syntax.args.length !== 1) {
      this.fail(
        "wrong-argument-count",
        `${type}() converts one value, but ${syntax.args.length} ${syntax.args.length === 1 ? "was" : "were"} given`,
        syntax.position,
      );
    }
    const operand = this.checkExpression(syntax.args[0] as SyntaxExpression);
    return { kind: "convert", position: syntax.position, type, operand, implicit: false };
  }

  /** A call of a builtin function; effect functions only when `asStatement`. */
  private checkCall(
    syntax: Extract<SyntaxExpression, { kind: "call" }>,
    asStatement: boolean,
  ): CallExpression {
    const { callee: name, position } = syntax;
    if (!isBuiltinFunction(name)) {
      if (this.lookup(name) !== undefined) {
        this.fail("unknown-function", `'${name}' is a value, not a function`, position);
      }
      const suggestion = closestName(name, [...this.availableFunctions(), ...SCALAR_TYPES]);
      this.fail(
        "unknown-function",
        `unknown function '${name}'${suggestion === undefined ? "" : ` (did you mean '${suggestion}'?)`}`,
        position,
      );
    }
    const signature = SIGNATURES[name];
    if (signature.kind === "effect") {
      if (!(this.options.extraFunctions ?? []).includes(name)) {
        this.fail(
          "not-allowed-here",
          `${name}() cannot be used in ${this.options.context.field}; it is only available in weight-update code`,
          position,
        );
      }
      if (!asStatement) {
        this.fail(
          "not-allowed-here",
          `${name}() has no value; call it as a statement: '${name}(x);'`,
          position,
        );
      }
    }
    if (signature.kind === "random" && this.options.allowRandom === false) {
      this.fail(
        "not-allowed-here",
        `random numbers (${name}()) are not available in ${this.options.context.field}`,
        position,
      );
    }
    const arity =
      signature.kind === "random" ? 0 : signature.kind === "effect" ? 1 : signature.arity;
    if (syntax.args.length !== arity) {
      this.fail(
        "wrong-argument-count",
        `${name}() takes ${arity} argument${arity === 1 ? "" : "s"}, but ${syntax.args.length} ${syntax.args.length === 1 ? "was" : "were"} given`,
        position,
      );
    }
    const args = syntax.args.map((arg) => this.checkExpression(arg));
    switch (signature.kind) {
      case "random":
        return { kind: "call", position, type: "float", callee: name, args };
      case "float":
      case "effect": {
        const converted = args.map((arg, index) => {
          const result = this.convertImplicitly(arg, "float");
          if (result === null) {
            this.fail(
              "type-mismatch",
              `argument ${index + 1} of ${name}() must be a float, but it is ${arg.type}${arg.type === "bool" ? "" : `; convert it with float(...)`}`,
              arg.position,
            );
          }
          return result;
        });
        return {
          kind: "call",
          position,
          type: signature.kind === "effect" ? "void" : "float",
          callee: name,
          args: converted,
        };
      }
      case "numeric": {
        const unified = this.unify(args, `${name}()`, position, false);
        const type = unified[0] === undefined ? "float" : scalarTypeOf(unified[0]);
        return { kind: "call", position, type, callee: name, args: unified };
      }
    }
  }

  // ---------------------------------------------------------------- conversions

  /** {@link unify} for two operands. */
  private unifyPair(
    left: Expression,
    right: Expression,
    what: string,
    position: SourcePosition,
    allowBool: boolean,
  ): [Expression, Expression] {
    const [l, r] = this.unify([left, right], what, position, allowBool);
    return [l as Expression, r as Expression];
  }

  /**
   * Brings operands to one type: numbers per the promotion rules (see the module comment);
   * two bools only when `allowBool`. Fails at `position` naming `what` otherwise.
   */
  private unify(
    operands: Expression[],
    what: string,
    position: SourcePosition,
    allowBool: boolean,
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
      this.fail(
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
        this.fail(
          "type-mismatch",
          `${what} cannot mix int and uint; convert one side with int(...) or uint(...)`,
          position,
        );
      }
      target = fixed[0] === undefined ? "int" : scalarTypeOf(fixed[0]);
    }
    return operands.map((operand) => {
      const converted = this.convertImplicitly(operand, target);
      if (converted === null) {
        this.fail(
          "type-mismatch",
          `${what}: the negative literal cannot be a uint`,
          operand.position,
        );
      }
      return converted;
    });
  }

  /**
   * The safe implicit conversions: same type; an integer literal (or negated integer
   * literal) to float, or to uint when not negative; an int or uint expression to float.
   * Returns null where no implicit conversion exists.
   */
  private convertImplicitly(expression: Expression, type: ScalarType): Expression | null {
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

  // ---------------------------------------------------------------- names

  private lookup(name: string): Local | SymbolInfo | undefined {
    for (let i = this.scopes.length - 1; i >= 0; i--) {
      const local = this.scopes[i]?.get(name);
      if (local !== undefined) return local;
    }
    return this.options.environment.get(name);
  }

  private currentScope(): Map<string, Local> {
    const scope = this.scopes[this.scopes.length - 1];
    if (scope === undefined) throw new Error("internal error: no scope");
    return scope;
  }

  private *visibleNames(): Iterable<string> {
    for (let i = this.scopes.length - 1; i >= 0; i--) yield* this.scopes[i]?.keys() ?? [];
    yield* this.options.environment.keys();
  }

  private availableFunctions(): BuiltinFunction[] {
    const extra = this.options.extraFunctions ?? [];
    return FUNCTION_NAMES.filter((name) => {
      const kind = SIGNATURES[name].kind;
      if (kind === "effect") return extra.includes(name);
      if (kind === "random") return this.options.allowRandom !== false;
      return true;
    });
  }
}

/** The type of a value expression (calls without a value never reach the typing rules). */
function scalarTypeOf(expression: Expression): ScalarType {
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

function isNegativeIntegerLiteral(expression: Expression): boolean {
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

function describeBinding(binding: Binding): string {
  switch (binding.kind) {
    case "param":
      return "a parameter";
    case "derivedParam":
      return "a derived parameter";
    case "var":
      return "a state variable";
    case "preVar":
      return "a presynaptic variable";
    case "postVar":
      return "a postsynaptic variable";
    case "neuronVarRef":
      return `a variable of the ${binding.side}synaptic neuron`;
    case "varRef":
      return "a variable reference";
    case "additionalInput":
      return "an additional input variable";
    case "input":
      return "the summed synaptic input";
    case "builtin":
      return "a built-in value";
    case "local":
      return "a local";
  }
}
