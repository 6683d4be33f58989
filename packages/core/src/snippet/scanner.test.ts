import { describe, expect, it } from "vitest";
import type { FailFunction, Token } from "./scanner";
import { scan } from "./scanner";
import { SnippetError } from "./snippet-error";

const context = { model: "M", field: "f" };

function tokens(source: string): Token[] {
  const fail: FailFunction = (code, reason, position) => {
    throw new SnippetError({ code, reason, context, position, source });
  };
  return scan(source, fail);
}

function scanError(source: string): SnippetError {
  try {
    tokens(source);
  } catch (error) {
    if (error instanceof SnippetError) return error;
    throw error;
  }
  throw new Error("expected a scan error");
}

const texts = (source: string): string[] => tokens(source).map((t) => `${t.kind}:${t.text}`);

describe("scan", () => {
  it("splits identifiers, keywords, numbers and every operator", () => {
    expect(texts("let x = a1_b + 2;")).toEqual([
      "keyword:let",
      "identifier:x",
      "punctuator:=",
      "identifier:a1_b",
      "punctuator:+",
      "number:2",
      "punctuator:;",
      "end:",
    ]);
    expect(
      texts("+ - * / % == != < <= > >= && || ! = += -= *= /= ? : ( ) { } ; ,").slice(0, -1),
    ).toEqual(
      "+ - * / % == != < <= > >= && || ! = += -= *= /= ? : ( ) { } ; ,"
        .split(" ")
        .map((p) => `punctuator:${p}`),
    );
    expect(texts("if else true false iff _x")).toEqual([
      "keyword:if",
      "keyword:else",
      "keyword:true",
      "keyword:false",
      "identifier:iff",
      "identifier:_x",
      "end:",
    ]);
  });

  it("takes the longest operator: a<=b, a==-b, x>=1", () => {
    expect(texts("a<=b")).toEqual(["identifier:a", "punctuator:<=", "identifier:b", "end:"]);
    expect(texts("a==-b")).toEqual([
      "identifier:a",
      "punctuator:==",
      "punctuator:-",
      "identifier:b",
      "end:",
    ]);
    expect(texts("!x!=y")).toEqual([
      "punctuator:!",
      "identifier:x",
      "punctuator:!=",
      "identifier:y",
      "end:",
    ]);
  });

  it("reads numbers with their literal type and value", () => {
    const numbers = tokens("1 1u 1.0 .5 1e-3 1.5f 2f 2.5E+2 0 0u 1. 4294967295u 2147483647").filter(
      (t) => t.kind === "number",
    );
    expect(
      numbers.map((t) => (t.kind === "number" ? [t.text, t.literalType, t.value] : null)),
    ).toEqual([
      ["1", "int", 1],
      ["1u", "uint", 1],
      ["1.0", "float", 1],
      [".5", "float", 0.5],
      ["1e-3", "float", 0.001],
      ["1.5f", "float", 1.5],
      ["2f", "float", 2],
      ["2.5E+2", "float", 250],
      ["0", "int", 0],
      ["0u", "uint", 0],
      ["1.", "float", 1],
      ["4294967295u", "uint", 4294967295],
      ["2147483647", "int", 2147483647],
    ]);
  });

  it("tracks line, column and offset across lines and comments", () => {
    const source = "a // one\n  /* two\n three */ b\r\n\tc";
    const positions = tokens(source).map((t) => [
      t.text,
      t.position.line,
      t.position.column,
      t.position.offset,
    ]);
    expect(positions).toEqual([
      ["a", 1, 1, 0],
      ["b", 3, 11, 28],
      ["c", 4, 2, 32],
      ["", 4, 3, 33],
    ]);
    const b = tokens(source)[1];
    expect(b?.end).toEqual({ line: 3, column: 12, offset: 29 });
  });

  it("skips comments, including ones that contain operators and stars", () => {
    expect(texts("x /* a * / b **/ + y // z = 1;")).toEqual([
      "identifier:x",
      "punctuator:+",
      "identifier:y",
      "end:",
    ]);
    expect(texts("// only a comment")).toEqual(["end:"]);
    expect(texts("")).toEqual(["end:"]);
  });

  it("rejects characters outside the language with their position", () => {
    const error = scanError("x = 1;\ny = a # b;");
    expect([error.code, error.line, error.column, error.offset]).toEqual([
      "unexpected-character",
      2,
      7,
      13,
    ]);
    expect(error.reason).toBe("unexpected character '#'");
    expect(scanError("a & b").reason).toContain("did you mean '&&'?");
    expect(scanError("a | b").reason).toContain("did you mean '||'?");
    expect(scanError("a[1]").reason).toContain("indexing");
    expect(scanError("x = \u00e9;").reason).toBe("unexpected character 'U+00E9'");
  });

  it("rejects an unterminated block comment at its start", () => {
    const error = scanError("x = 1;\n  /* never\nclosed");
    expect([error.code, error.line, error.column]).toEqual(["unterminated-comment", 2, 3]);
  });

  it("rejects ++ and -- with a hint", () => {
    const error = scanError("x++;");
    expect([error.code, error.line, error.column]).toEqual(["unexpected-token", 1, 2]);
    expect(error.reason).toContain("x += 1");
    expect(scanError("x--;").reason).toContain("x -= 1");
  });

  it.each([
    ["1e", "the exponent needs digits"],
    ["1e+", "the exponent needs digits"],
    ["1.5u", "only whole numbers can be uint"],
    ["12abc", "'12abc' is not a valid number"],
    ["1.2.3", "'1.2.3' is not a valid number"],
    ["0x1F", "'0x1F' is not a valid number"],
    ["007", "may not start with 0"],
    ["2147483648", "too large for an int"],
    ["4294967296u", "too large for a uint"],
    ["1e999", "too large for a float"],
  ])("rejects the malformed number %s", (source, reason) => {
    const error = scanError(`x = ${source};`);
    expect([error.code, error.line, error.column]).toEqual(["invalid-literal", 1, 5]);
    expect(error.reason).toContain(reason);
  });
});
