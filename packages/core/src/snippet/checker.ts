/**
 * Type checker of the snippet language: resolves names through the environment and `let`
 * scopes and turns the untyped tree of the parser into the typed AST of `ast.ts`, with every
 * implicit conversion made explicit. This file holds the entry point and the statement rules;
 * expressions are checked in `check-expressions.ts`, conversions and builtin signatures are in
 * `typing.ts`, and `let` scopes in `scopes.ts`.
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
  Block,
  CheckedSnippet,
  Expression,
  LetStatement,
  ScalarType,
  Statement,
} from "./ast";
import { ExpressionChecker } from "./check-expressions";
import type { SnippetOptions, SymbolInfo } from "./environment";
import { Parser } from "./parser";
import { scan } from "./scanner";
import type { FailFunction } from "./scanner";
import { Scopes, describeBinding } from "./scopes";
import { SnippetError } from "./snippet-error";
import type { SyntaxBlock, SyntaxExpression, SyntaxStatement } from "./syntax";
import {
  convertImplicitly,
  isBuiltinFunction,
  isNegativeIntegerLiteral,
  isNumber,
  isScalarType,
  scalarTypeOf,
} from "./typing";

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

/** Checks statements (and a whole expression-mode snippet); expressions go to {@link ExpressionChecker}. */
class Checker {
  private readonly scopes: Scopes;
  private readonly expressions: ExpressionChecker;

  constructor(
    private readonly options: SnippetOptions,
    private readonly fail: FailFunction,
  ) {
    this.scopes = new Scopes(options.environment);
    this.expressions = new ExpressionChecker(options, this.scopes, fail);
  }

  checkTopBlock(block: SyntaxBlock): Block {
    return this.checkBlock(block);
  }

  checkTopExpression(syntax: SyntaxExpression): Expression {
    const expression = this.expressions.check(syntax);
    const expected = this.options.expectedType;
    if (expected === undefined) return expression;
    const converted = convertImplicitly(expression, expected);
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

  private checkBlock(block: SyntaxBlock): Block {
    this.scopes.push();
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
        const condition = this.expressions.checkCondition(statement.condition, "'if'");
        const then = this.checkBlock(statement.then);
        const otherwise =
          statement.otherwise === null ? null : this.checkBlock(statement.otherwise);
        return { kind: "if", position: statement.position, condition, then, otherwise };
      }
      case "expression": {
        const syntax = statement.expression;
        if (syntax.kind === "call" && !isScalarType(syntax.callee)) {
          const call = this.expressions.checkCall(syntax, true);
          if (call.callee === "addToPost" || call.callee === "addToPre") {
            return { kind: "expression", position: statement.position, expression: call };
          }
          this.fail(
            "not-a-statement",
            `the result of ${call.callee}() is not used; assign it, e.g. 'let y = ${call.callee}(...);'`,
            statement.position,
          );
        }
        const expression = this.expressions.check(syntax);
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
    const existing = this.scopes.lookup(name);
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
    let init = this.expressions.check(statement.init);
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
    const binding = this.scopes.declare(name, type);
    return { kind: "let", position: statement.position, name, binding, type, init };
  }

  private checkAssign(statement: Extract<SyntaxStatement, { kind: "assign" }>): AssignStatement {
    const target = this.expressions.checkName(statement.target.name, statement.target.position);
    const symbol = this.scopes.lookup(target.name);
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
      this.expressions.check(statement.value),
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
    const converted = convertImplicitly(value, type);
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
}
