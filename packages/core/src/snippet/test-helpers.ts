/**
 * Test helpers for the snippet language (used by the `*.test.ts` files beside it; not
 * exported from the package).
 */
import type { Binding, Block, CheckedSnippet, Expression, ScalarType, Statement } from "./ast";
import { checkSnippet } from "./checker";
import type { SnippetOptions, SymbolInfo } from "./environment";
import { SnippetError } from "./snippet-error";

const symbol = (type: ScalarType, binding: Binding, writable: boolean): SymbolInfo => ({
  type,
  binding,
  writable,
});

/** A neuron-like environment with names of every type and several binding kinds. */
export const testEnvironment: ReadonlyMap<string, SymbolInfo> = new Map<string, SymbolInfo>([
  ["V", symbol("float", { kind: "var", name: "V" }, true)],
  ["RefracTime", symbol("float", { kind: "var", name: "RefracTime" }, true)],
  ["n", symbol("int", { kind: "var", name: "n" }, true)],
  ["count", symbol("uint", { kind: "var", name: "count" }, true)],
  ["spiked", symbol("bool", { kind: "var", name: "spiked" }, true)],
  ["Vfrozen", symbol("float", { kind: "var", name: "Vfrozen" }, false)],
  ["tau", symbol("float", { kind: "param", name: "tau" }, false)],
  ["k", symbol("int", { kind: "param", name: "k" }, false)],
  ["alpha", symbol("float", { kind: "derivedParam", name: "alpha" }, false)],
  ["Isyn", symbol("float", { kind: "input", name: "Isyn" }, false)],
  ["dt", symbol("float", { kind: "builtin", name: "dt" }, false)],
  ["id", symbol("uint", { kind: "builtin", name: "id" }, false)],
  ["step", symbol("uint", { kind: "builtin", name: "step" }, false)],
  ["g", symbol("float", { kind: "var", name: "g" }, true)],
  ["V_post", symbol("float", { kind: "neuronVarRef", side: "post", name: "V" }, false)],
  ["V_pre", symbol("float", { kind: "neuronVarRef", side: "pre", name: "V" }, false)],
  ["trace", symbol("float", { kind: "preVar", name: "trace" }, true)],
]);

/** Options for `checkSnippet` in statements mode over {@link testEnvironment}. */
export function statementOptions(overrides: Partial<SnippetOptions> = {}): SnippetOptions {
  return {
    mode: "statements",
    environment: testEnvironment,
    context: { model: "LIF", field: "sim" },
    ...overrides,
  };
}

/** Options for `checkSnippet` in expression mode (a threshold condition) over {@link testEnvironment}. */
export function expressionOptions(overrides: Partial<SnippetOptions> = {}): SnippetOptions {
  return {
    mode: "expression",
    environment: testEnvironment,
    expectedType: "bool",
    context: { model: "LIF", field: "threshold" },
    ...overrides,
  };
}

/** Checks statements and returns the top-level block. */
export function statements(source: string, overrides: Partial<SnippetOptions> = {}): Block {
  const checked = checkSnippet(source, statementOptions(overrides));
  if (checked.kind !== "statements") throw new Error("expected statements");
  return checked.body;
}

/** Checks an expression snippet (no expected type unless given) and returns its expression. */
export function expression(source: string, overrides: Partial<SnippetOptions> = {}): Expression {
  const checked: CheckedSnippet = checkSnippet(source, {
    mode: "expression",
    environment: testEnvironment,
    context: { model: "LIF", field: "expr" },
    ...overrides,
  });
  if (checked.kind !== "expression") throw new Error("expected an expression");
  return checked.body;
}

/** Runs `check` and returns the SnippetError it throws (fails if it throws none or another error). */
export function snippetError(check: () => unknown): SnippetError {
  try {
    check();
  } catch (error) {
    if (error instanceof SnippetError) return error;
    throw error;
  }
  throw new Error("expected a SnippetError, but the snippet was accepted");
}

/**
 * A compact typed rendering of an expression, to assert whole trees:
 * `(+:float V:float (convert!:float n:int))`; `convert!` is implicit, `convert` explicit;
 * literals as `1:int`; locals as `name#id`; neuron refs as `V@post`.
 */
export function show(expression: Expression): string {
  switch (expression.kind) {
    case "literal":
      return `${expression.value}:${expression.type}`;
    case "identifier": {
      const b = expression.binding;
      const suffix =
        b.kind === "local" ? `#${b.id}` : b.kind === "neuronVarRef" ? `@${b.side}` : "";
      return `${expression.name}${suffix}:${expression.type}`;
    }
    case "unary":
      return `(${expression.operator}:${expression.type} ${show(expression.operand)})`;
    case "binary":
      return `(${expression.operator}:${expression.type} ${show(expression.left)} ${show(expression.right)})`;
    case "conditional":
      return `(?:${expression.type} ${show(expression.condition)} ${show(expression.whenTrue)} ${show(expression.whenFalse)})`;
    case "call":
      return `(${expression.callee}:${expression.type}${expression.args.map((a) => ` ${show(a)}`).join("")})`;
    case "convert":
      return `(convert${expression.implicit ? "!" : ""}:${expression.type} ${show(expression.operand)})`;
  }
}

/** A compact rendering of statements, one per line, nested blocks indented by two spaces. */
export function showStatements(block: Block, indent = ""): string {
  return block.statements.map((statement) => showStatement(statement, indent)).join("\n");
}

function showStatement(statement: Statement, indent: string): string {
  switch (statement.kind) {
    case "let":
      return `${indent}let ${statement.name}#${statement.binding.id}:${statement.type} = ${show(statement.init)}`;
    case "assign":
      return `${indent}${show(statement.target)} ${statement.operator} ${show(statement.value)}`;
    case "expression":
      return `${indent}${show(statement.expression)}`;
    case "block":
      return `${indent}{\n${showStatements(statement, `${indent}  `)}\n${indent}}`;
    case "if":
      return [
        `${indent}if ${show(statement.condition)}`,
        showStatements(statement.then, `${indent}  `),
        ...(statement.otherwise === null
          ? []
          : [`${indent}else`, showStatements(statement.otherwise, `${indent}  `)]),
      ].join("\n");
  }
}
