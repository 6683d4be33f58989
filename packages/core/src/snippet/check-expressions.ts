/**
 * Expression half of the snippet checker: types literals, names, operators, `?:`, casts and
 * builtin calls of the untyped tree into typed AST expressions, applying the typing rules of
 * `typing.ts` (summarised in `checker.ts`).
 */
import type {
  CallExpression,
  Expression,
  IdentifierExpression,
  ScalarType,
  SourcePosition,
} from "./ast";
import type { SnippetOptions } from "./environment";
import type { FailFunction } from "./scanner";
import type { Scopes } from "./scopes";
import { closestName } from "./suggest";
import type { SyntaxExpression } from "./syntax";
import {
  SCALAR_TYPES,
  SIGNATURES,
  availableFunctions,
  convertImplicitly,
  isBuiltinFunction,
  isScalarType,
  scalarTypeOf,
  unify,
  unifyPair,
} from "./typing";

type CallSyntax = Extract<SyntaxExpression, { kind: "call" }>;

/** Types expressions against the names of `scopes`. */
export class ExpressionChecker {
  constructor(
    private readonly options: SnippetOptions,
    private readonly scopes: Scopes,
    private readonly fail: FailFunction,
  ) {}

  check(syntax: SyntaxExpression): Expression {
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
        const operand = this.check(syntax.operand);
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
        const [whenTrue, whenFalse] = unifyPair(
          this.check(syntax.whenTrue),
          this.check(syntax.whenFalse),
          "the branches of '?:'",
          syntax.questionPosition,
          true,
          this.fail,
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

  /** A condition (of `if` or `?:`, named by `of`): must be bool. */
  checkCondition(syntax: SyntaxExpression, of: string): Expression {
    const condition = this.check(syntax);
    if (condition.type !== "bool") {
      this.fail(
        "type-mismatch",
        `the condition of ${of} must be bool, but it is ${condition.type}; compare it, e.g. 'x != 0'`,
        condition.position,
      );
    }
    return condition;
  }

  /** A name used as a value; unknown names fail with a suggestion. */
  checkName(name: string, position: SourcePosition): IdentifierExpression {
    const symbol = this.scopes.lookup(name);
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
    const suggestion = closestName(name, this.scopes.visibleNames());
    this.fail(
      "unknown-name",
      `unknown name '${name}'${suggestion === undefined ? "" : ` (did you mean '${suggestion}'?)`}`,
      position,
    );
  }

  /** A call of a builtin function; effect functions only when `asStatement`. */
  checkCall(syntax: CallSyntax, asStatement: boolean): CallExpression {
    const { callee: name, position } = syntax;
    if (!isBuiltinFunction(name)) {
      if (this.scopes.lookup(name) !== undefined) {
        this.fail("unknown-function", `'${name}' is a value, not a function`, position);
      }
      const suggestion = closestName(name, [...availableFunctions(this.options), ...SCALAR_TYPES]);
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
    const args = syntax.args.map((arg) => this.check(arg));
    switch (signature.kind) {
      case "random":
        return { kind: "call", position, type: "float", callee: name, args };
      case "float":
      case "effect": {
        const converted = args.map((arg, index) => {
          const result = convertImplicitly(arg, "float");
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
        const unified = unify(args, `${name}()`, position, false, this.fail);
        const type = unified[0] === undefined ? "float" : scalarTypeOf(unified[0]);
        return { kind: "call", position, type, callee: name, args: unified };
      }
    }
  }

  private checkBinary(syntax: Extract<SyntaxExpression, { kind: "binary" }>): Expression {
    const { operator, operatorPosition, position } = syntax;
    const left = this.check(syntax.left);
    const right = this.check(syntax.right);
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
    const [l, r] = unifyPair(left, right, `'${operator}'`, operatorPosition, isEquality, this.fail);
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

  /** `float(x)`, `int(x)`, `uint(x)`, `bool(x)`: an explicit conversion of any scalar. */
  private checkCast(syntax: CallSyntax, type: ScalarType): Expression {
    if (syntax.args.length !== 1) {
      this.fail(
        "wrong-argument-count",
        `${type}() converts one value, but ${syntax.args.length} ${syntax.args.length === 1 ? "was" : "were"} given`,
        syntax.position,
      );
    }
    const operand = this.check(syntax.args[0] as SyntaxExpression);
    return { kind: "convert", position: syntax.position, type, operand, implicit: false };
  }
}
