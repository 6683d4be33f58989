import { drawsRandom } from "@snn/core/internal";
import type {
  Binding,
  Block,
  CallExpression,
  CheckedSnippet,
  Expression,
  ScalarType,
  SourcePosition,
  Statement,
} from "@snn/core";
import type { SnippetOrigin } from "../errors";
import type { CodeWriter } from "./code-writer";

/** WGSL type of a snippet scalar type. */
export function wgslType(type: ScalarType): string {
  switch (type) {
    case "float":
      return "f32";
    case "int":
      return "i32";
    case "uint":
      return "u32";
    case "bool":
      return "bool";
  }
}

/** A WGSL literal of a snippet literal (floats with an explicit `f` suffix). */
export function wgslLiteral(type: ScalarType, value: number): string {
  switch (type) {
    case "bool":
      return value !== 0 ? "true" : "false";
    case "int":
      return `${Math.trunc(value)}i`;
    case "uint":
      return `${Math.trunc(value) >>> 0}u`;
    case "float":
      return wgslFloat(value);
  }
}

/** A WGSL f32 literal: the shortest decimal of the number, with a `.0` when integral and an `f` suffix. */
export function wgslFloat(value: number): string {
  if (!Number.isFinite(value)) {
    if (Number.isNaN(value)) return "f32_nan()";
    return value > 0 ? "f32_infinity()" : "f32_neg_infinity()";
  }
  if (Object.is(value, -0)) return "-0.0f";
  let text = String(value);
  if (/^-?\d+$/.test(text)) text += ".0";
  return `${text}f`;
}

/** How the printer maps the names and effects of one snippet execution to WGSL. */
export interface PrintScope {
  /** The WGSL expression (or assignable name) a binding stands for. */
  name(binding: Binding): string;
  /** WGSL statement for `addToPost(x)` / `addToPre(x)`, given the printed argument. */
  effect?(callee: "addToPost" | "addToPre", argument: string): string;
  /** Name of the `Rng` variable of this execution (for `uniform()`/`normal()`). */
  readonly rng?: string;
  /** Model and code field, for mapping generated lines back to model code. */
  readonly model: string;
  readonly field: string;
  /** The snippet's source text. */
  readonly source: string;
}

/**
 * Prints checked snippets (the typed AST of `@snn/core`) as WGSL statements.
 *
 * Random calls have a side effect (they advance the call counter `k` of the execution), so
 * every `uniform()`/`normal()` is hoisted into a `let` before the statement that uses it, in
 * evaluation order; a `?:` or `&&`/`||` whose lazily evaluated part draws random numbers
 * becomes an `if`, so that a branch not taken draws nothing, as on the CPU.
 */
export class WgslPrinter {
  constructor(
    private readonly out: CodeWriter,
    private readonly scope: PrintScope,
  ) {}

  /** Prints a statement snippet (its statements, without an enclosing block). */
  statements(snippet: CheckedSnippet): void {
    if (snippet.kind !== "statements")
      throw new Error(`internal: expected a statement snippet for ${this.scope.field}`);
    for (const statement of snippet.body.statements) this.statement(statement);
  }

  /** Prints the expression of an expression snippet; random calls it makes are written before, as lets. */
  expression(snippet: CheckedSnippet): string {
    if (snippet.kind !== "expression")
      throw new Error(`internal: expected an expression snippet for ${this.scope.field}`);
    return this.out.withOrigin(this.origin(snippet.body.position), () => this.expr(snippet.body));
  }

  private origin(position: SourcePosition): SnippetOrigin {
    const sourceLine = this.scope.source.split("\n")[position.line - 1] ?? "";
    return {
      model: this.scope.model,
      field: this.scope.field,
      line: position.line,
      column: position.column,
      sourceLine,
    };
  }

  private statement(statement: Statement): void {
    this.out.withOrigin(this.origin(statement.position), () => {
      switch (statement.kind) {
        case "let":
          this.out.line(
            `var ${this.scope.name(statement.binding)}: ${wgslType(statement.type)} = ${stripParens(this.expr(statement.init))};`,
          );
          return;
        case "assign": {
          const value = this.expr(statement.value);
          this.out.line(
            `${this.scope.name(statement.target.binding)} ${statement.operator} ${stripParens(value)};`,
          );
          return;
        }
        case "if": {
          const condition = this.expr(statement.condition);
          this.out.line(`if (${stripParens(condition)}) {`);
          this.out.indent(() => this.blockBody(statement.then));
          if (statement.otherwise) {
            this.out.line("} else {");
            this.out.indent(() => this.blockBody(statement.otherwise!));
          }
          this.out.line("}");
          return;
        }
        case "expression":
          this.callStatement(statement.expression);
          return;
        case "block":
          this.out.line("{");
          this.out.indent(() => this.blockBody(statement));
          this.out.line("}");
          return;
      }
    });
  }

  private blockBody(block: Block): void {
    for (const statement of block.statements) this.statement(statement);
  }

  private callStatement(call: CallExpression): void {
    if (call.callee === "addToPost" || call.callee === "addToPre") {
      if (!this.scope.effect)
        throw new Error(`internal: ${call.callee} is not available in ${this.scope.field}`);
      const argument = this.expr(call.args[0]!);
      this.out.line(this.scope.effect(call.callee, stripParens(argument)));
      return;
    }
    // A value-returning call used as a statement: only random draws have an effect.
    const value = this.expr(call);
    if (call.callee === "uniform" || call.callee === "normal") return; // hoisted already
    this.out.line(`_ = ${value};`);
  }

  /** Prints an expression; writes hoisted random draws (and lazily evaluated parts that draw) before it. */
  private expr(e: Expression): string {
    switch (e.kind) {
      case "literal":
        return wgslLiteral(e.type, e.value);
      case "identifier":
        return this.scope.name(e.binding);
      case "unary": {
        const operand = this.expr(e.operand);
        return `${e.operator}${wrap(operand)}`;
      }
      case "convert": {
        const operand = this.expr(e.operand);
        if (e.operand.type === e.type) return operand;
        return `${wgslType(e.type)}(${stripParens(operand)})`;
      }
      case "binary": {
        if ((e.operator === "&&" || e.operator === "||") && drawsRandom(e.right)) {
          const left = this.expr(e.left);
          const name = this.out.temporary();
          this.out.line(`var ${name}: bool = ${stripParens(left)};`);
          this.out.line(`if (${e.operator === "&&" ? name : `!${name}`}) {`);
          this.out.indent(() => this.out.line(`${name} = ${stripParens(this.expr(e.right))};`));
          this.out.line("}");
          return name;
        }
        const left = this.expr(e.left);
        const right = this.expr(e.right);
        return `(${left} ${e.operator} ${right})`;
      }
      case "conditional": {
        const condition = this.expr(e.condition);
        if (drawsRandom(e.whenTrue) || drawsRandom(e.whenFalse)) {
          const name = this.out.temporary();
          this.out.line(`var ${name}: ${wgslType(e.type)};`);
          this.out.line(`if (${stripParens(condition)}) {`);
          this.out.indent(() => this.out.line(`${name} = ${stripParens(this.expr(e.whenTrue))};`));
          this.out.line("} else {");
          this.out.indent(() => this.out.line(`${name} = ${stripParens(this.expr(e.whenFalse))};`));
          this.out.line("}");
          return name;
        }
        const whenTrue = this.expr(e.whenTrue);
        const whenFalse = this.expr(e.whenFalse);
        return `select(${stripParens(whenFalse)}, ${stripParens(whenTrue)}, ${stripParens(condition)})`;
      }
      case "call":
        return this.call(e);
    }
  }

  private call(e: CallExpression): string {
    switch (e.callee) {
      case "uniform":
      case "normal": {
        if (!this.scope.rng)
          throw new Error(`internal: random numbers are not available in ${this.scope.field}`);
        const name = this.out.temporary("rnd");
        this.out.line(`let ${name} = rng_${e.callee}(&${this.scope.rng});`);
        return name;
      }
      case "addToPost":
      case "addToPre":
        throw new Error(`internal: ${e.callee}() used as a value`);
      default: {
        const args = e.args.map((a) => stripParens(this.expr(a)));
        const fn = e.callee === "pow" ? "snn_pow" : e.callee === "tanh" ? "snn_tanh" : e.callee;
        return `${fn}(${args.join(", ")})`;
      }
    }
  }
}

function wrap(text: string): string {
  return /^[\w.]+$/.test(text) || (text.startsWith("(") && matchingClose(text) === text.length - 1)
    ? text
    : `(${text})`;
}

/** Removes one pair of enclosing parentheses when they enclose the whole text. */
export function stripParens(text: string): string {
  return text.startsWith("(") && matchingClose(text) === text.length - 1 ? text.slice(1, -1) : text;
}

function matchingClose(text: string): number {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === "(") depth++;
    else if (text[i] === ")") {
      depth--;
      if (depth === 0) return i;
    }
  }
  return -1;
}
