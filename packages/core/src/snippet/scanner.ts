import type { SourcePosition } from "./ast";
import type { SnippetErrorCode } from "./snippet-error";

/** Reports an error at a position and does not return (throws a `SnippetError`). */
export type FailFunction = (
  code: SnippetErrorCode,
  reason: string,
  position: SourcePosition,
) => never;

/** Keywords of the snippet language. Type names (`float`, ...) are ordinary identifiers. */
export const KEYWORDS = ["let", "if", "else", "true", "false"] as const;
export type Keyword = (typeof KEYWORDS)[number];

/** Operators and punctuation, longest first where one is a prefix of another. */
const PUNCTUATORS = [
  "==",
  "!=",
  "<=",
  ">=",
  "&&",
  "||",
  "+=",
  "-=",
  "*=",
  "/=",
  "+",
  "-",
  "*",
  "/",
  "%",
  "<",
  ">",
  "!",
  "=",
  "?",
  ":",
  "(",
  ")",
  "{",
  "}",
  ";",
  ",",
] as const;
export type Punctuator = (typeof PUNCTUATORS)[number];

/** The type a numeric literal has by its spelling: `1` int, `1u` uint, `1.0`/`1e3`/`1f` float. */
export type LiteralType = "int" | "uint" | "float";

export type Token =
  | (TokenBase & { readonly kind: "identifier"; readonly text: string })
  | (TokenBase & { readonly kind: "keyword"; readonly text: Keyword })
  | (TokenBase & { readonly kind: "punctuator"; readonly text: Punctuator })
  | (TokenBase & {
      readonly kind: "number";
      readonly text: string;
      readonly value: number;
      readonly literalType: LiteralType;
    })
  | (TokenBase & { readonly kind: "end"; readonly text: "" });

interface TokenBase {
  /** Where the token starts. */
  readonly position: SourcePosition;
  /** Just after the token's last character (tokens never span lines). */
  readonly end: SourcePosition;
}

const INT_MAX = 2 ** 31 - 1;
const UINT_MAX = 2 ** 32 - 1;

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= "0" && c <= "9";
const isIdentifierStart = (c: string | undefined): boolean =>
  c !== undefined && ((c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || c === "_");
const isIdentifierPart = (c: string | undefined): boolean => isIdentifierStart(c) || isDigit(c);

/**
 * Splits snippet source into tokens, ending with one `end` token. Whitespace and comments
 * (`// ...` to the end of the line, `/* ... *\/`) are skipped. Runs in linear time.
 *
 * @throws via `fail` on characters outside the language, unterminated block comments and
 *   malformed numbers.
 */
export function scan(source: string, fail: FailFunction): Token[] {
  const tokens: Token[] = [];
  let offset = 0;
  let line = 1;
  let lineStart = 0;
  const here = (at = offset): SourcePosition => ({ line, column: at - lineStart + 1, offset: at });

  while (offset < source.length) {
    const c = source[offset];
    const next = source[offset + 1];
    if (c === "\n") {
      offset++;
      line++;
      lineStart = offset;
      continue;
    }
    if (c === " " || c === "\t" || c === "\r" || c === "\f" || c === "\v") {
      offset++;
      continue;
    }
    if (c === "/" && next === "/") {
      while (offset < source.length && source[offset] !== "\n") offset++;
      continue;
    }
    if (c === "/" && next === "*") {
      const start = here();
      offset += 2;
      for (;;) {
        if (offset >= source.length) {
          fail("unterminated-comment", "this comment is never closed; end it with '*/'", start);
        }
        if (source[offset] === "*" && source[offset + 1] === "/") {
          offset += 2;
          break;
        }
        if (source[offset] === "\n") {
          line++;
          lineStart = offset + 1;
        }
        offset++;
      }
      continue;
    }

    const start = here();
    if (isIdentifierStart(c)) {
      let end = offset + 1;
      while (isIdentifierPart(source[end])) end++;
      const text = source.slice(offset, end);
      offset = end;
      const endPosition = here();
      tokens.push(
        (KEYWORDS as readonly string[]).includes(text)
          ? { kind: "keyword", text: text as Keyword, position: start, end: endPosition }
          : { kind: "identifier", text, position: start, end: endPosition },
      );
      continue;
    }
    if (isDigit(c) || (c === "." && isDigit(next))) {
      const token = scanNumber(source, offset, start, fail);
      offset = token.end.offset;
      tokens.push(token);
      continue;
    }
    if ((c === "+" && next === "+") || (c === "-" && next === "-")) {
      fail(
        "unexpected-token",
        `'${c}${c}' is not supported; write 'x ${c}= 1' instead (or put a space between the signs)`,
        start,
      );
    }
    const punctuator = PUNCTUATORS.find((p) => source.startsWith(p, offset));
    if (punctuator !== undefined) {
      offset += punctuator.length;
      tokens.push({ kind: "punctuator", text: punctuator, position: start, end: here() });
      continue;
    }
    fail("unexpected-character", describeBadCharacter(c ?? ""), start);
  }
  const end = here();
  tokens.push({ kind: "end", text: "", position: end, end });
  return tokens;
}

/** Scans one numeric literal starting at `offset` (a digit, or `.` followed by a digit). */
function scanNumber(
  source: string,
  offset: number,
  start: SourcePosition,
  fail: FailFunction,
): Token & { kind: "number" } {
  let end = offset;
  let isFloat = false;
  while (isDigit(source[end])) end++;
  if (source[end] === ".") {
    isFloat = true;
    end++;
    while (isDigit(source[end])) end++;
  }
  if (source[end] === "e" || source[end] === "E") {
    isFloat = true;
    end++;
    if (source[end] === "+" || source[end] === "-") end++;
    if (!isDigit(source[end])) {
      let bad = end;
      while (isIdentifierPart(source[bad])) bad++;
      fail(
        "invalid-literal",
        `'${source.slice(offset, bad)}' is not a valid number: the exponent needs digits, e.g. 1e-3`,
        start,
      );
    }
    while (isDigit(source[end])) end++;
  }
  const digits = source.slice(offset, end);
  let literalType: LiteralType = isFloat ? "float" : "int";
  const suffix = source[end];
  if (suffix === "f" || suffix === "u") {
    if (suffix === "u" && isFloat) {
      fail(
        "invalid-literal",
        `'${digits}u' is not a valid number: only whole numbers can be uint`,
        start,
      );
    }
    literalType = suffix === "f" ? "float" : "uint";
    end++;
  }
  if (isIdentifierPart(source[end]) || source[end] === ".") {
    let bad = end;
    while (isIdentifierPart(source[bad]) || source[bad] === ".") bad++;
    fail("invalid-literal", `'${source.slice(offset, bad)}' is not a valid number`, start);
  }
  const text = source.slice(offset, end);
  const value = Number(digits);
  if (!isFloat && digits.length > 1 && digits.startsWith("0")) {
    fail(
      "invalid-literal",
      `'${text}' is not a valid number: whole numbers may not start with 0 (octal is not supported)`,
      start,
    );
  }
  if (literalType === "int" && value > INT_MAX) {
    fail(
      "invalid-literal",
      `${text} is too large for an int (at most ${INT_MAX}); write it as a uint (${text}u) or a float (${text}.0)`,
      start,
    );
  }
  if (literalType === "uint" && value > UINT_MAX) {
    fail("invalid-literal", `${text} is too large for a uint (at most ${UINT_MAX})`, start);
  }
  if (literalType === "float" && !Number.isFinite(value)) {
    fail("invalid-literal", `${text} is too large for a float`, start);
  }
  const length = end - offset;
  return {
    kind: "number",
    text,
    value,
    literalType,
    position: start,
    end: { line: start.line, column: start.column + length, offset: start.offset + length },
  };
}

function describeBadCharacter(c: string): string {
  switch (c) {
    case "&":
      return "unexpected character '&': bitwise operators are not supported; did you mean '&&'?";
    case "|":
      return "unexpected character '|': bitwise operators are not supported; did you mean '||'?";
    case "^":
    case "~":
      return `unexpected character '${c}': bitwise operators are not supported`;
    case "[":
    case "]":
      return `unexpected character '${c}': arrays and indexing are not supported`;
    case '"':
    case "'":
      return `unexpected character '${c}': strings are not supported`;
    default: {
      const code = c.codePointAt(0) ?? 0;
      const shown =
        code < 0x20 || code > 0x7e ? `U+${code.toString(16).toUpperCase().padStart(4, "0")}` : c;
      return `unexpected character '${shown}'`;
    }
  }
}
