import { SnnError } from "../errors";
import type { SourcePosition } from "./ast";
import type { SnippetContext } from "./environment";

/**
 * The kinds of {@link SnippetError}, so that callers and tests can tell them apart without
 * parsing the message.
 *
 * - `unexpected-character`: a character that is not part of the language (`#`, `&`, ...).
 * - `unterminated-comment`: a `/*` comment without its closing `*\/`.
 * - `invalid-literal`: a malformed or out-of-range number (`1e`, `08`, `3000000000`).
 * - `unexpected-token`: the parser expected something else (a missing `;`, `)` or `}`,
 *   an unsupported operator or keyword such as `++` or `while`).
 * - `empty-expression`: an expression-mode snippet (e.g. `threshold`) with no expression.
 * - `unknown-name`: a name that is neither in the environment nor a visible local.
 * - `unknown-function`: a call to a function that does not exist.
 * - `wrong-argument-count`: a call with too few or too many arguments.
 * - `type-mismatch`: operand, condition, argument or assigned value of the wrong type.
 * - `assign-to-readonly`: assignment to a parameter, input or built-in value.
 * - `redeclaration`: a `let` whose name is already visible (environment or outer local).
 * - `reserved-name`: a `let` named like a type or function (`float`, `exp`, ...).
 * - `not-allowed-here`: a function that this snippet may not call (`addToPost` outside
 *   weight-update code, `uniform()` where randomness is disabled, `addToPost` inside an
 *   expression).
 * - `not-a-statement`: an expression used as a statement that has no effect (`V + 1;`).
 * - `too-deeply-nested`: code nested deeper than the parser allows (thousands of parentheses,
 *   a chain of hundreds of operators); split it into `let` locals.
 */
export type SnippetErrorCode =
  | "unexpected-character"
  | "unterminated-comment"
  | "invalid-literal"
  | "unexpected-token"
  | "empty-expression"
  | "unknown-name"
  | "unknown-function"
  | "wrong-argument-count"
  | "type-mismatch"
  | "assign-to-readonly"
  | "redeclaration"
  | "reserved-name"
  | "not-allowed-here"
  | "not-a-statement"
  | "too-deeply-nested";

/** What a {@link SnippetError} is made from. */
export interface SnippetErrorDetails {
  readonly code: SnippetErrorCode;
  /** Short text saying what is wrong (and, where possible, what to do). */
  readonly reason: string;
  readonly context: SnippetContext;
  readonly position: SourcePosition;
  /** The whole snippet source, to show the offending line. */
  readonly source: string;
}

/**
 * A snippet of model code failed to scan, parse or type-check.
 *
 * The message names the model and field, the 1-based line and column, the reason, and shows
 * the source line with a caret under the column:
 *
 * ```
 * LIF.sim, line 2, column 9: unknown name 'Vv' (did you mean 'V'?)
 *   2 | V = V + Vv * dt;
 *     |         ^
 * ```
 */
export class SnippetError extends SnnError {
  /** The kind of error; stable, for programmatic checks. */
  readonly code: SnippetErrorCode;
  /** The model the snippet belongs to, e.g. `LIF`. */
  readonly model: string;
  /** The field of the model holding the snippet, e.g. `sim` or `threshold`. */
  readonly field: string;
  /** 1-based line of the error in the snippet. */
  readonly line: number;
  /** 1-based column of the error in the snippet. */
  readonly column: number;
  /** 0-based offset of the error in the snippet source. */
  readonly offset: number;
  /** The short reason, without position and excerpt. */
  readonly reason: string;

  constructor(details: SnippetErrorDetails) {
    super(formatSnippetError(details));
    this.code = details.code;
    this.model = details.context.model;
    this.field = details.context.field;
    this.line = details.position.line;
    this.column = details.position.column;
    this.offset = details.position.offset;
    this.reason = details.reason;
  }
}

/** Builds the message of a {@link SnippetError}: header line, source line, caret line. */
function formatSnippetError(details: SnippetErrorDetails): string {
  const { context, position, reason, source } = details;
  const header = `${context.model}.${context.field}, line ${position.line}, column ${position.column}: ${reason}`;
  const lines = source.split("\n");
  const text = (lines[position.line - 1] ?? "").replace(/\r$/, "");
  const gutter = String(position.line);
  // Keep tabs before the column so that the caret lines up however tabs are rendered.
  const lead = text
    .slice(0, Math.max(0, position.column - 1))
    .replace(/[^\t]/g, " ")
    .padEnd(position.column - 1, " ");
  return [
    header,
    `  ${gutter} | ${text}`.trimEnd(),
    `  ${" ".repeat(gutter.length)} | ${lead}^`,
  ].join("\n");
}
