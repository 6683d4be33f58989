import { describe, expect, it } from "vitest";
import { SnnError } from "../errors";
import type { SnippetOptions } from "./environment";
import { checkSnippet } from "./checker";
import { SnippetError } from "./snippet-error";
import type { SnippetErrorCode } from "./snippet-error";
import { expressionOptions, snippetError, statementOptions } from "./test-helpers";

describe("SnippetError message", () => {
  it("names model, field, line and column and shows the line with a caret", () => {
    const error = snippetError(() =>
      checkSnippet("V = 0.0;\nV = V + Vv * dt;", statementOptions()),
    );
    expect(error).toBeInstanceOf(SnippetError);
    expect(error).toBeInstanceOf(SnnError);
    expect(error.name).toBe("SnippetError");
    expect(error.message).toBe(
      [
        "LIF.sim, line 2, column 9: unknown name 'Vv' (did you mean 'V'?)",
        "  2 | V = V + Vv * dt;",
        "    |         ^",
      ].join("\n"),
    );
    expect([error.code, error.model, error.field, error.line, error.column, error.offset]).toEqual([
      "unknown-name",
      "LIF",
      "sim",
      2,
      9,
      17,
    ]);
    expect(error.reason).toBe("unknown name 'Vv' (did you mean 'V'?)");
  });

  it("widens the gutter for line numbers of several digits and keeps tabs before the caret", () => {
    const source = `${"\n".repeat(11)}\tV = \tfoo;`;
    const error = snippetError(() => checkSnippet(source, statementOptions()));
    expect(error.message).toBe(
      [
        "LIF.sim, line 12, column 7: unknown name 'foo'",
        "  12 | \tV = \tfoo;",
        "     | \t    \t^",
      ].join("\n"),
    );
  });

  it("shows the line without a trailing carriage return", () => {
    const error = snippetError(() => checkSnippet("V = 1.0;\r\nV = x;\r\n", statementOptions()));
    expect(error.message.split("\n").slice(1)).toEqual(["  2 | V = x;", "    |     ^"]);
  });

  it("puts the caret after the last character for errors at the end of the code", () => {
    const error = snippetError(() => checkSnippet("V = 1.0", statementOptions()));
    expect(error.message).toBe(
      [
        "LIF.sim, line 1, column 8: expected ';' after this assignment but found the end of the code",
        "  1 | V = 1.0",
        "    |        ^",
      ].join("\n"),
    );
  });
});

interface ErrorCase {
  readonly source: string;
  readonly code: SnippetErrorCode;
  readonly line: number;
  readonly column: number;
  readonly reason: string;
  readonly options?: Partial<SnippetOptions>;
  readonly expression?: boolean;
}

const cases: readonly ErrorCase[] = [
  // scanning
  {
    source: "V = 1.0;\nV = V @ 2;",
    code: "unexpected-character",
    line: 2,
    column: 7,
    reason: "unexpected character '@'",
  },
  {
    source: "V = 1.0; /* open",
    code: "unterminated-comment",
    line: 1,
    column: 10,
    reason: "never closed",
  },
  {
    source: "V = 1.0;\n  n = 09;",
    code: "invalid-literal",
    line: 2,
    column: 7,
    reason: "may not start with 0",
  },
  // parsing
  {
    source: "V = 1.0\nn = 2;",
    code: "unexpected-token",
    line: 1,
    column: 8,
    reason: "expected ';' after this assignment but found 'n'",
  },
  {
    source: "let x = 1\n",
    code: "unexpected-token",
    line: 1,
    column: 10,
    reason: "expected ';' after this declaration",
  },
  {
    source: "if V > 1.0 { V = 0.0; }",
    code: "unexpected-token",
    line: 1,
    column: 4,
    reason: "expected '(' after 'if' but found 'V'",
  },
  {
    source: "if (V > 1.0 { V = 0.0; }",
    code: "unexpected-token",
    line: 1,
    column: 13,
    reason: "expected ')' to close the condition of 'if' but found '{'",
  },
  {
    source: "if (spiked) {\n  V = 0.0;\n",
    code: "unexpected-token",
    line: 3,
    column: 1,
    reason: "expected '}' to close the block opened at line 1, column 13",
  },
  {
    source: "V = (V + 1.0;",
    code: "unexpected-token",
    line: 1,
    column: 13,
    reason: "expected ')' to close '(' but found ';'",
  },
  {
    source: "V = V + ;",
    code: "unexpected-token",
    line: 1,
    column: 9,
    reason: "expected an expression but found ';'",
  },
  {
    source: "V = spiked ? 1.0 2.0;",
    code: "unexpected-token",
    line: 1,
    column: 18,
    reason: "expected ':' in the conditional expression",
  },
  {
    source: "V = +1.0;",
    code: "unexpected-token",
    line: 1,
    column: 5,
    reason: "unary '+' is not supported",
  },
  {
    source: "else { V = 0.0; }",
    code: "unexpected-token",
    line: 1,
    column: 1,
    reason: "'else' without a matching 'if'",
  },
  {
    source: "let = 3;",
    code: "unexpected-token",
    line: 1,
    column: 5,
    reason: "expected a name after 'let' but found '='",
  },
  {
    source: "let x;",
    code: "unexpected-token",
    line: 1,
    column: 6,
    reason: "expected '=' and an initial value for 'x'",
  },
  {
    source: "let x: 3 = 1;",
    code: "unexpected-token",
    line: 1,
    column: 8,
    reason: "expected a type (float, int, uint or bool)",
  },
  {
    source: "float x = 1.0;",
    code: "unexpected-token",
    line: 1,
    column: 1,
    reason: "'float' is not part of the snippet language; declare locals with 'let x: float = ...'",
  },
  {
    source: "while (spiked) { V = 0.0; }",
    code: "unexpected-token",
    line: 1,
    column: 1,
    reason: "loops are not supported",
  },
  {
    source: "return;",
    code: "unexpected-token",
    line: 1,
    column: 1,
    reason: "snippets do not return values",
  },
  {
    source: "(V) = 1.0;",
    code: "unexpected-token",
    line: 1,
    column: 1,
    reason: "only a variable name can be assigned to",
  },
  {
    source: "V = n = 1;",
    code: "unexpected-token",
    line: 1,
    column: 6,
    reason: "expected ';' after this assignment but found '='",
  },
  {
    source: "if (spiked) else V = 1.0;",
    code: "unexpected-token",
    line: 1,
    column: 13,
    reason: "expected a statement or '{' after 'if' but found 'else'",
  },
  {
    source: "if (spiked)",
    code: "unexpected-token",
    line: 1,
    column: 12,
    reason: "expected a statement or '{' after 'if' but found the end of the code",
  },
  {
    source: "V >= 1.0; V < 2.0",
    code: "unexpected-token",
    line: 1,
    column: 11,
    reason: "expected the end of the expression but found 'V'",
    expression: true,
  },
  {
    source: "exp(V, )",
    code: "unexpected-token",
    line: 1,
    column: 8,
    reason: "expected an expression but found ')'",
    expression: true,
  },
  // expression mode
  {
    source: "",
    code: "empty-expression",
    line: 1,
    column: 1,
    reason:
      "threshold needs an expression (a condition such as 'V >= Vthresh'), but the code is empty",
    expression: true,
  },
  {
    source: "  // no condition\n ;",
    code: "empty-expression",
    line: 1,
    column: 1,
    reason: "threshold needs an expression",
    expression: true,
  },
  {
    source: "V - 1.0",
    code: "type-mismatch",
    line: 1,
    column: 1,
    reason:
      "threshold must be a condition (a bool expression such as 'V >= Vthresh'), but this expression is float",
    expression: true,
  },
  {
    source: "\n  n",
    code: "type-mismatch",
    line: 2,
    column: 3,
    reason: "this expression is int",
    expression: true,
  },
  // names
  {
    source: "V = V + Vv * dt;",
    code: "unknown-name",
    line: 1,
    column: 9,
    reason: "unknown name 'Vv' (did you mean 'V'?)",
  },
  {
    source: "V = refractime;",
    code: "unknown-name",
    line: 1,
    column: 5,
    reason: "unknown name 'refractime' (did you mean 'RefracTime'?)",
  },
  { source: "V = xyz;", code: "unknown-name", line: 1, column: 5, reason: "unknown name 'xyz'" },
  {
    source: "let decay = 0.5;\nV *= decy;",
    code: "unknown-name",
    line: 2,
    column: 6,
    reason: "unknown name 'decy' (did you mean 'decay'?)",
  },
  {
    source: "{ let a = 1.0; }\nV = a;",
    code: "unknown-name",
    line: 2,
    column: 5,
    reason: "unknown name 'a'",
  },
  {
    source: "let a = a + 1;",
    code: "unknown-name",
    line: 1,
    column: 9,
    reason: "unknown name 'a'",
  },
  {
    source: "V = exp;",
    code: "unknown-name",
    line: 1,
    column: 5,
    reason: "'exp' is a function, not a value; call it, e.g. exp(x)",
  },
  {
    source: "let x: double = 1.0;",
    code: "unknown-name",
    line: 1,
    column: 8,
    reason: "unknown type 'double'; the types are float ('float'), int, uint and bool",
  },
  // functions
  {
    source: "V = expp(V);",
    code: "unknown-function",
    line: 1,
    column: 5,
    reason: "unknown function 'expp' (did you mean 'exp'?)",
  },
  {
    source: "V = foo(V);",
    code: "unknown-function",
    line: 1,
    column: 5,
    reason: "unknown function 'foo'",
  },
  {
    source: "V = tau(V);",
    code: "unknown-function",
    line: 1,
    column: 5,
    reason: "'tau' is a value, not a function",
  },
  {
    source: "V = exp(V, 1.0);",
    code: "wrong-argument-count",
    line: 1,
    column: 5,
    reason: "exp() takes 1 argument, but 2 were given",
  },
  {
    source: "V = pow(V);",
    code: "wrong-argument-count",
    line: 1,
    column: 5,
    reason: "pow() takes 2 arguments, but 1 was given",
  },
  {
    source: "V = clamp(V, 0.0);",
    code: "wrong-argument-count",
    line: 1,
    column: 5,
    reason: "clamp() takes 3 arguments, but 2 were given",
  },
  {
    source: "V = uniform(1.0);",
    code: "wrong-argument-count",
    line: 1,
    column: 5,
    reason: "uniform() takes 0 arguments, but 1 was given",
  },
  {
    source: "V = float(n, n);",
    code: "wrong-argument-count",
    line: 1,
    column: 5,
    reason: "float() converts one value, but 2 were given",
  },
  {
    source: "addToPost();",
    code: "wrong-argument-count",
    line: 1,
    column: 1,
    reason: "addToPost() takes 1 argument, but 0 were given",
    options: { extraFunctions: ["addToPost"] },
  },
  {
    source: "addToPost(g);",
    code: "not-allowed-here",
    line: 1,
    column: 1,
    reason: "addToPost() cannot be used in sim; it is only available in weight-update code",
  },
  {
    source: "V = addToPost(g);",
    code: "not-allowed-here",
    line: 1,
    column: 5,
    reason: "addToPost() has no value; call it as a statement: 'addToPost(x);'",
    options: { extraFunctions: ["addToPost"] },
  },
  {
    source: "V = normal();",
    code: "not-allowed-here",
    line: 1,
    column: 5,
    reason: "random numbers (normal()) are not available in sim",
    options: { allowRandom: false },
  },
  // statements without effect
  {
    source: "V + 1.0;",
    code: "not-a-statement",
    line: 1,
    column: 1,
    reason: "this float expression has no effect",
  },
  {
    source: "V == 1.0;",
    code: "not-a-statement",
    line: 1,
    column: 1,
    reason: "this bool expression has no effect",
  },
  {
    source: "\n  exp(V);",
    code: "not-a-statement",
    line: 2,
    column: 3,
    reason: "the result of exp() is not used",
  },
  {
    source: "float(n);",
    code: "not-a-statement",
    line: 1,
    column: 1,
    reason: "this float expression has no effect",
  },
  // types
  {
    source: "V = V + spiked;",
    code: "type-mismatch",
    line: 1,
    column: 7,
    reason: "'+' needs numbers, but the right operand is bool",
  },
  {
    source: "V = n + count;",
    code: "type-mismatch",
    line: 1,
    column: 7,
    reason: "'+' cannot mix int and uint; convert one side with int(...) or uint(...)",
  },
  {
    source: "spiked = n < count;",
    code: "type-mismatch",
    line: 1,
    column: 12,
    reason: "'<' cannot mix int and uint",
  },
  {
    source: "count = count + -1;",
    code: "type-mismatch",
    line: 1,
    column: 17,
    reason: "'+': the negative literal cannot be a uint",
  },
  {
    source: "count = count + 1u + n;",
    code: "type-mismatch",
    line: 1,
    column: 20,
    reason: "'+' cannot mix int and uint",
  },
  {
    source: "spiked = spiked && V;",
    code: "type-mismatch",
    line: 1,
    column: 17,
    reason: "'&&' needs bool operands, but the right operand is float",
  },
  {
    source: "spiked = V || spiked;",
    code: "type-mismatch",
    line: 1,
    column: 12,
    reason: "'||' needs bool operands, but the left operand is float",
  },
  {
    source: "spiked = !V;",
    code: "type-mismatch",
    line: 1,
    column: 10,
    reason: "'!' needs a bool, but its operand is float",
  },
  {
    source: "V = -spiked;",
    code: "type-mismatch",
    line: 1,
    column: 5,
    reason: "'-' needs a number, but its operand is bool",
  },
  {
    source: "count = -count;",
    code: "type-mismatch",
    line: 1,
    column: 9,
    reason: "a uint cannot be negated",
  },
  {
    source: "spiked = spiked == V;",
    code: "type-mismatch",
    line: 1,
    column: 17,
    reason: "'==' needs operands of the same type, but they are bool and float",
  },
  {
    source: "if (V) { V = 0.0; }",
    code: "type-mismatch",
    line: 1,
    column: 5,
    reason: "the condition of 'if' must be bool, but it is float; compare it",
  },
  {
    source: "V = n ? 1.0 : 2.0;",
    code: "type-mismatch",
    line: 1,
    column: 5,
    reason: "the condition of '?:' must be bool, but it is int",
  },
  {
    source: "V = spiked ? 1.0 : false;",
    code: "type-mismatch",
    line: 1,
    column: 12,
    reason: "the branches of '?:' needs operands of the same type",
  },
  {
    source: "V = exp(spiked);",
    code: "type-mismatch",
    line: 1,
    column: 9,
    reason: "argument 1 of exp() must be a float, but it is bool",
  },
  {
    source: "V = max(V, spiked);",
    code: "type-mismatch",
    line: 1,
    column: 5,
    reason: "max() needs numbers, but the right operand is bool",
  },
  {
    source: "V = clamp(n, count, 1);",
    code: "type-mismatch",
    line: 1,
    column: 5,
    reason: "clamp() cannot mix int and uint",
  },
  {
    source: "n = V;",
    code: "type-mismatch",
    line: 1,
    column: 5,
    reason: "cannot assign a float value to 'n', which is int; convert it explicitly with int(...)",
  },
  {
    source: "n += 0.5;",
    code: "type-mismatch",
    line: 1,
    column: 6,
    reason: "cannot assign a float value to 'n', which is int",
  },
  {
    source: "count = n;",
    code: "type-mismatch",
    line: 1,
    column: 9,
    reason:
      "cannot assign a int value to 'count', which is uint; convert it explicitly with uint(...)",
  },
  {
    source: "count = -1;",
    code: "type-mismatch",
    line: 1,
    column: 9,
    reason: "a uint cannot be negative",
  },
  {
    source: "V = spiked;",
    code: "type-mismatch",
    line: 1,
    column: 5,
    reason: "cannot assign a bool value to 'V', which is float",
  },
  {
    source: "spiked = 1;",
    code: "type-mismatch",
    line: 1,
    column: 10,
    reason: "cannot assign a int value to 'spiked', which is bool",
  },
  {
    source: "spiked += true;",
    code: "type-mismatch",
    line: 1,
    column: 8,
    reason: "'+=' needs a number, but 'spiked' is bool",
  },
  {
    source: "let x: int = 1.5;",
    code: "type-mismatch",
    line: 1,
    column: 14,
    reason: "cannot assign a float value to 'x', which is int",
  },
  {
    source: "addToPost(spiked);",
    code: "type-mismatch",
    line: 1,
    column: 11,
    reason: "argument 1 of addToPost() must be a float, but it is bool",
    options: { extraFunctions: ["addToPost"] },
  },
  // writes
  {
    source: "tau = 2.0;",
    code: "assign-to-readonly",
    line: 1,
    column: 1,
    reason: "'tau' is a parameter and cannot be assigned to",
  },
  {
    source: "V = 0.0;\n  dt += 1.0;",
    code: "assign-to-readonly",
    line: 2,
    column: 3,
    reason: "'dt' is a built-in value and cannot be assigned to",
  },
  {
    source: "Isyn = 0.0;",
    code: "assign-to-readonly",
    line: 1,
    column: 1,
    reason: "'Isyn' is the summed synaptic input and cannot be assigned to",
  },
  {
    source: "alpha = 0.0;",
    code: "assign-to-readonly",
    line: 1,
    column: 1,
    reason: "'alpha' is a derived parameter",
  },
  {
    source: "V_post = 0.0;",
    code: "assign-to-readonly",
    line: 1,
    column: 1,
    reason: "'V_post' is a variable of the postsynaptic neuron and cannot be assigned to",
  },
  {
    source: "Vfrozen = 0.0;",
    code: "assign-to-readonly",
    line: 1,
    column: 1,
    reason: "'Vfrozen' is a state variable that is read-only here",
  },
  {
    source: "nope = 0.0;",
    code: "unknown-name",
    line: 1,
    column: 1,
    reason: "unknown name 'nope'",
  },
  // declarations
  {
    source: "let V = 1.0;",
    code: "redeclaration",
    line: 1,
    column: 5,
    reason:
      "'V' is already defined as a state variable of this model; locals may not shadow other names",
  },
  {
    source: "let tau = 1.0;",
    code: "redeclaration",
    line: 1,
    column: 5,
    reason: "'tau' is already defined as a parameter of this model",
  },
  {
    source: "let x = 1.0;\nif (spiked) {\n  let x = 2.0;\n}",
    code: "redeclaration",
    line: 3,
    column: 7,
    reason: "'x' is already defined as a local in an enclosing block or earlier in this one",
  },
  {
    source: "let x = 1.0; let x = 2.0;",
    code: "redeclaration",
    line: 1,
    column: 18,
    reason: "'x' is already defined as a local",
  },
  {
    source: "let float = 1.0;",
    code: "reserved-name",
    line: 1,
    column: 5,
    reason: "'float' is the name of a type; choose another name for the local",
  },
  {
    source: "let exp = 1.0;",
    code: "reserved-name",
    line: 1,
    column: 5,
    reason: "'exp' is the name of a function",
  },
];

describe("SnippetError codes and positions", () => {
  it.each(cases)("$code: $source", (c) => {
    const options = c.expression ? expressionOptions(c.options) : statementOptions(c.options);
    const error = snippetError(() => checkSnippet(c.source, options));
    expect({ code: error.code, line: error.line, column: error.column }).toEqual({
      code: c.code,
      line: c.line,
      column: c.column,
    });
    expect(error.reason).toContain(c.reason);
    // The excerpt shows the offending line and puts the caret under the column.
    const [, sourceLine, caretLine] = error.message.split("\n");
    const text = (c.source.split("\n")[c.line - 1] ?? "").replace(/\r$/, "");
    const gutter = String(c.line);
    expect(sourceLine).toBe(`  ${gutter} | ${text}`.trimEnd());
    expect(caretLine).toBe(`  ${" ".repeat(gutter.length)} | ${" ".repeat(c.column - 1)}^`);
    expect(error.offset).toBe(
      c.source
        .split("\n")
        .slice(0, c.line - 1)
        .reduce((sum, l) => sum + l.length + 1, 0) +
        c.column -
        1,
    );
  });

  it("covers every error code", () => {
    const all: SnippetErrorCode[] = [
      "unexpected-character",
      "unterminated-comment",
      "invalid-literal",
      "unexpected-token",
      "empty-expression",
      "unknown-name",
      "unknown-function",
      "wrong-argument-count",
      "type-mismatch",
      "assign-to-readonly",
      "redeclaration",
      "reserved-name",
      "not-allowed-here",
      "not-a-statement",
    ];
    expect(new Set(cases.map((c) => c.code))).toEqual(new Set(all));
  });

  it("offers random functions and extra functions in suggestions only where allowed", () => {
    const withRandom = snippetError(() => checkSnippet("V = uniforn();", statementOptions()));
    expect(withRandom.reason).toBe("unknown function 'uniforn' (did you mean 'uniform'?)");
    const withoutRandom = snippetError(() =>
      checkSnippet("V = uniforn();", statementOptions({ allowRandom: false })),
    );
    expect(withoutRandom.reason).toBe("unknown function 'uniforn'");
    const post = snippetError(() =>
      checkSnippet("addToPots(g);", statementOptions({ extraFunctions: ["addToPost"] })),
    );
    expect(post.reason).toBe("unknown function 'addToPots' (did you mean 'addToPost'?)");
  });
});
