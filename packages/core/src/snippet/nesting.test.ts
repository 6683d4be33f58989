import { describe, expect, it } from "vitest";
import { checkSnippet } from "./checker";
import { MAX_SNIPPET_EXPRESSION_DEPTH, MAX_SNIPPET_NESTING } from "./parser";
import { expressionOptions, snippetError, statementOptions } from "./test-helpers";

describe("nesting depth limit", () => {
  it("5,000 nested parentheses give a too-deeply-nested error with line and column, not a stack overflow", () => {
    const source = `V = ${"(".repeat(5000)}V${")".repeat(5000)};`;
    const error = snippetError(() => checkSnippet(source, statementOptions()));
    expect(error.code).toBe("too-deeply-nested");
    expect(error.line).toBe(1);
    // The statement is level 1 and the assigned expression level 2, so the expression inside the
    // 99th '(' would be level 101: the error points at what follows that '(' (the 100th '(').
    expect(error.column).toBe(5 + MAX_SNIPPET_NESTING - 1);
    expect(error.message).toMatch(
      /^LIF\.sim, line 1, column \d+: the code is nested more than 100 levels deep/,
    );
  });

  it("deeply nested blocks, if chains and unary operators are refused the same way", () => {
    const blocks = `${"{".repeat(3000)}V = 1.0;${"}".repeat(3000)}`;
    expect(snippetError(() => checkSnippet(blocks, statementOptions())).code).toBe(
      "too-deeply-nested",
    );
    const ifs = `${"if (V > 0.0) ".repeat(3000)}V = 1.0;`;
    expect(snippetError(() => checkSnippet(ifs, statementOptions())).code).toBe(
      "too-deeply-nested",
    );
    const minus = `${"- ".repeat(20000)}V`;
    expect(snippetError(() => checkSnippet(minus, expressionOptions())).code).toBe(
      "too-deeply-nested",
    );
  });

  it("a very long operator chain is refused before the checker recurses through it", () => {
    const chain = Array.from({ length: 50_000 }, () => "V").join(" + ");
    const error = snippetError(() => checkSnippet(`V = ${chain};`, statementOptions()));
    expect(error.code).toBe("too-deeply-nested");
    expect(error.reason).toMatch(/more than 256 operations deep/);
    // Column of the operator that went one too deep: "V = " then 256 "V + " groups.
    expect(error.column).toBe(5 + 4 * MAX_SNIPPET_EXPRESSION_DEPTH - 2);
  });

  it("code within the limits still checks", () => {
    const nested = `V = ${"(".repeat(90)}V${")".repeat(90)};`;
    expect(() => checkSnippet(nested, statementOptions())).not.toThrow();
    const chain = Array.from({ length: 200 }, () => "V").join(" + ");
    expect(() => checkSnippet(`V = ${chain};`, statementOptions())).not.toThrow();
  });
});
