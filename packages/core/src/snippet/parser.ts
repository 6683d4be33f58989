/**
 * Parser of the snippet language: tokens to the untyped syntax tree of `syntax.ts`, by
 * recursive descent with one function per precedence level (C precedence). The checker turns
 * the tree into the typed AST of `ast.ts`.
 *
 * Grammar (`{}` repetition, `[]` option):
 * ```
 * snippet     = { statement } end                       (statements mode)
 *             | expression [ ";" ] end                  (expression mode)
 * statement   = "let" name [ ":" type ] "=" expression ";"
 *             | name ( "=" | "+=" | "-=" | "*=" | "/=" ) expression ";"
 *             | "if" "(" expression ")" body [ "else" body ]
 *             | "{" { statement } "}"
 *             | call ";"                                (only addToPost/addToPre; checked later)
 *             | ";"                                     (empty statement, ignored)
 * body        = statement                               (a block, or one statement, or `if`)
 * expression  = or [ "?" expression ":" expression ]    (right associative)
 * or          = and { "||" and }
 * and         = equality { "&&" equality }
 * equality    = relational { ( "==" | "!=" ) relational }
 * relational  = additive { ( "<" | "<=" | ">" | ">=" ) additive }
 * additive    = multiplicative { ( "+" | "-" ) multiplicative }
 * multiplicative = unary { ( "*" | "/" | "%" ) unary }
 * unary       = ( "-" | "!" ) unary | primary
 * primary     = number | "true" | "false" | name | name "(" [ expression { "," expression } ] ")"
 *             | "(" expression ")"
 * ```
 * The body of `if`/`else` may be a braced block or a single statement; a single statement is
 * wrapped into a block of its own (so `else if` is a block holding one `if`).
 */
import type { AssignmentOperator, BinaryOperator, SourcePosition } from "./ast";
import type { FailFunction, Punctuator, Token } from "./scanner";
import type { SyntaxBlock, SyntaxExpression, SyntaxStatement } from "./syntax";

const ASSIGNMENT_OPERATORS: readonly string[] = ["=", "+=", "-=", "*=", "/="];

/** C/JS keywords that people may reach for, with a hint at what to write instead. */
const UNSUPPORTED_WORDS: ReadonlyMap<string, string> = new Map([
  ["const", "declare locals with 'let'"],
  ["var", "declare locals with 'let'"],
  ["float", "declare locals with 'let x: float = ...'"],
  ["int", "declare locals with 'let x: int = ...'"],
  ["uint", "declare locals with 'let x: uint = ...'"],
  ["bool", "declare locals with 'let x: bool = ...'"],
  ["scalar", "declare locals with 'let x: float = ...'"],
  ["while", "loops are not supported"],
  ["for", "loops are not supported"],
  ["do", "loops are not supported"],
  ["return", "snippets do not return values"],
  ["break", "loops are not supported"],
  ["continue", "loops are not supported"],
  ["switch", "use if/else"],
  ["function", "functions cannot be defined in snippets"],
]);

/** Words of {@link UNSUPPORTED_WORDS} that are only an error when a name follows (`float x`). */
const DECLARATION_WORDS: ReadonlySet<string> = new Set([
  "const",
  "var",
  "float",
  "int",
  "uint",
  "bool",
  "scalar",
]);

/**
 * Deepest nesting of statements, parentheses, conditionals and unary operators the parser
 * accepts; deeper code is refused with a `too-deeply-nested` error (instead of overflowing the
 * stack). Real model code nests a handful of levels.
 */
export const MAX_SNIPPET_NESTING = 100;

/** Deepest expression tree accepted (a long chain `a + b + c + ...` is as deep as it is long). */
export const MAX_SNIPPET_EXPRESSION_DEPTH = 256;

/** Parses snippet tokens (from `scan`) into an untyped tree. */
export class Parser {
  private index = 0;
  private nesting = 0;
  /** Depth of each expression tree built (leaves: 1), to refuse trees deeper than the limit. */
  private readonly depths = new WeakMap<SyntaxExpression, number>();

  constructor(
    private readonly tokens: readonly Token[],
    private readonly fail: FailFunction,
  ) {}

  /** Statements mode: the whole source as a block. */
  parseStatements(): SyntaxBlock {
    const statements: SyntaxStatement[] = [];
    while (this.peek().kind !== "end") {
      const statement = this.parseStatement();
      if (statement !== null) statements.push(statement);
    }
    return { kind: "block", position: { line: 1, column: 1, offset: 0 }, statements };
  }

  /** Expression mode: one expression, optionally followed by `;`; null when there is none. */
  parseExpressionOnly(): SyntaxExpression | null {
    if (this.peek().kind === "end" || this.isPunctuator(";")) {
      if (this.isPunctuator(";")) this.index++;
      if (this.peek().kind === "end") return null;
    }
    const expression = this.parseExpression();
    if (this.isPunctuator(";")) this.index++;
    const token = this.peek();
    if (token.kind !== "end") {
      this.fail(
        "unexpected-token",
        `expected the end of the expression but found ${describe(token)}; this field holds a single expression, not statements`,
        token.position,
      );
    }
    return expression;
  }

  /** Runs `parse` one nesting level deeper; refuses code nested more than MAX_SNIPPET_NESTING levels. */
  private nested<T>(parse: () => T): T {
    if (this.nesting >= MAX_SNIPPET_NESTING) {
      this.fail(
        "too-deeply-nested",
        `the code is nested more than ${MAX_SNIPPET_NESTING} levels deep (parentheses, blocks, 'if's, conditionals or unary operators); split it into 'let' locals`,
        this.peek().position,
      );
    }
    this.nesting++;
    try {
      return parse();
    } finally {
      this.nesting--;
    }
  }

  /** Records the depth of a new expression node from its children; refuses trees deeper than the limit. */
  private deep<T extends SyntaxExpression>(
    node: T,
    position: SourcePosition,
    ...children: SyntaxExpression[]
  ): T {
    let depth = 1;
    for (const child of children) depth = Math.max(depth, 1 + (this.depths.get(child) ?? 1));
    if (depth > MAX_SNIPPET_EXPRESSION_DEPTH) {
      this.fail(
        "too-deeply-nested",
        `the expression is more than ${MAX_SNIPPET_EXPRESSION_DEPTH} operations deep; split it into 'let' locals`,
        position,
      );
    }
    this.depths.set(node, depth);
    return node;
  }

  private parseStatement(): SyntaxStatement | null {
    return this.nested(() => this.parseStatementNow());
  }

  private parseStatementNow(): SyntaxStatement | null {
    const token = this.peek();
    if (token.kind === "punctuator" && token.text === ";") {
      this.index++;
      return null;
    }
    if (token.kind === "punctuator" && token.text === "{") return this.parseBlock();
    if (token.kind === "keyword") {
      if (token.text === "let") return this.parseLet();
      if (token.text === "if") return this.parseIf();
      if (token.text === "else") {
        this.fail("unexpected-token", "'else' without a matching 'if'", token.position);
      }
    }
    if (token.kind === "identifier") {
      const next = this.peekAt(1);
      const hint = UNSUPPORTED_WORDS.get(token.text);
      const isAssignment = next.kind === "punctuator" && ASSIGNMENT_OPERATORS.includes(next.text);
      if (
        hint !== undefined &&
        !isAssignment &&
        (next.kind === "identifier" || !DECLARATION_WORDS.has(token.text))
      ) {
        this.fail(
          "unexpected-token",
          `'${token.text}' is not part of the snippet language; ${hint}`,
          token.position,
        );
      }
      if (next.kind === "punctuator" && ASSIGNMENT_OPERATORS.includes(next.text)) {
        this.index += 2;
        const value = this.parseExpression();
        this.expectSemicolon("assignment");
        return {
          kind: "assign",
          position: token.position,
          target: { kind: "name", position: token.position, name: token.text },
          operator: next.text as AssignmentOperator,
          operatorPosition: next.position,
          value,
        };
      }
    }
    const expression = this.parseExpression();
    const after = this.peek();
    if (after.kind === "punctuator" && after.text === "=") {
      this.fail("unexpected-token", "only a variable name can be assigned to", token.position);
    }
    this.expectSemicolon("statement");
    return { kind: "expression", position: expression.position, expression };
  }

  private parseBlock(): SyntaxBlock {
    const open = this.expectPunctuator("{", "to start a block");
    const statements: SyntaxStatement[] = [];
    for (;;) {
      const token = this.peek();
      if (token.kind === "punctuator" && token.text === "}") {
        this.index++;
        return { kind: "block", position: open.position, statements };
      }
      if (token.kind === "end") {
        this.fail(
          "unexpected-token",
          `expected '}' to close the block opened at line ${open.position.line}, column ${open.position.column}`,
          token.position,
        );
      }
      const statement = this.parseStatement();
      if (statement !== null) statements.push(statement);
    }
  }

  private parseLet(): SyntaxStatement {
    const letToken = this.next();
    const nameToken = this.next();
    if (nameToken.kind !== "identifier") {
      this.fail(
        "unexpected-token",
        `expected a name after 'let' but found ${describe(nameToken)}`,
        nameToken.position,
      );
    }
    let declaredType: { name: string; position: SourcePosition } | null = null;
    if (this.isPunctuator(":")) {
      this.index++;
      const typeToken = this.next();
      if (typeToken.kind !== "identifier") {
        this.fail(
          "unexpected-token",
          `expected a type (float, int, uint or bool) but found ${describe(typeToken)}`,
          typeToken.position,
        );
      }
      declaredType = { name: typeToken.text, position: typeToken.position };
    }
    const equals = this.peek();
    if (!(equals.kind === "punctuator" && equals.text === "=")) {
      this.fail(
        "unexpected-token",
        `expected '=' and an initial value for '${nameToken.text}' but found ${describe(equals)}`,
        equals.position,
      );
    }
    this.index++;
    const init = this.parseExpression();
    this.expectSemicolon("declaration");
    return {
      kind: "let",
      position: letToken.position,
      name: nameToken.text,
      namePosition: nameToken.position,
      declaredType,
      init,
    };
  }

  private parseIf(): SyntaxStatement {
    const ifToken = this.next();
    this.expectPunctuator("(", "after 'if'");
    const condition = this.parseExpression();
    this.expectPunctuator(")", "to close the condition of 'if'");
    const then = this.parseBody("if");
    let otherwise: SyntaxBlock | null = null;
    const elseToken = this.peek();
    if (elseToken.kind === "keyword" && elseToken.text === "else") {
      this.index++;
      otherwise = this.parseBody("else");
    }
    return { kind: "if", position: ifToken.position, condition, then, otherwise };
  }

  /** The body of `if`/`else`: a block, or one statement wrapped into a block. */
  private parseBody(after: string): SyntaxBlock {
    const token = this.peek();
    if (token.kind === "punctuator" && token.text === "{") return this.parseBlock();
    if (
      token.kind === "end" ||
      (token.kind === "punctuator" && token.text === "}") ||
      (token.kind === "keyword" && token.text === "else")
    ) {
      this.fail(
        "unexpected-token",
        `expected a statement or '{' after '${after}' but found ${describe(token)}`,
        token.position,
      );
    }
    const statement = this.parseStatement();
    return {
      kind: "block",
      position: token.position,
      statements: statement === null ? [] : [statement],
    };
  }

  /** expression = or [ "?" expression ":" expression ] */
  private parseExpression(): SyntaxExpression {
    return this.nested(() => this.parseExpressionNow());
  }

  private parseExpressionNow(): SyntaxExpression {
    const condition = this.parseBinary(0);
    const question = this.peek();
    if (!(question.kind === "punctuator" && question.text === "?")) return condition;
    this.index++;
    const whenTrue = this.parseExpression();
    this.expectPunctuator(":", "in the conditional expression 'c ? a : b'");
    const whenFalse = this.parseExpression();
    const node: SyntaxExpression = {
      kind: "conditional",
      position: condition.position,
      questionPosition: question.position,
      condition,
      whenTrue,
      whenFalse,
    };
    return this.deep(node, question.position, condition, whenTrue, whenFalse);
  }

  /** Left-associative binary levels, loosest first. */
  private static readonly LEVELS: readonly (readonly BinaryOperator[])[] = [
    ["||"],
    ["&&"],
    ["==", "!="],
    ["<", "<=", ">", ">="],
    ["+", "-"],
    ["*", "/", "%"],
  ];

  private parseBinary(level: number): SyntaxExpression {
    const operators = Parser.LEVELS[level];
    if (operators === undefined) return this.parseUnary();
    let left = this.parseBinary(level + 1);
    for (;;) {
      const token = this.peek();
      if (!(token.kind === "punctuator" && (operators as readonly string[]).includes(token.text)))
        return left;
      this.index++;
      const right = this.parseBinary(level + 1);
      const node: SyntaxExpression = {
        kind: "binary",
        position: left.position,
        operatorPosition: token.position,
        operator: token.text as BinaryOperator,
        left,
        right,
      };
      left = this.deep(node, token.position, left, right);
    }
  }

  private parseUnary(): SyntaxExpression {
    const token = this.peek();
    if (token.kind === "punctuator" && (token.text === "-" || token.text === "!")) {
      this.index++;
      const operand = this.nested(() => this.parseUnary());
      return this.deep(
        { kind: "unary", position: token.position, operator: token.text, operand },
        token.position,
        operand,
      );
    }
    return this.parsePrimary();
  }

  private parsePrimary(): SyntaxExpression {
    const token = this.next();
    switch (token.kind) {
      case "number":
        return {
          kind: "number",
          position: token.position,
          text: token.text,
          value: token.value,
          literalType: token.literalType,
        };
      case "keyword":
        if (token.text === "true" || token.text === "false") {
          return { kind: "bool", position: token.position, value: token.text === "true" };
        }
        break;
      case "identifier": {
        if (!this.isPunctuator("("))
          return { kind: "name", position: token.position, name: token.text };
        this.index++;
        const args: SyntaxExpression[] = [];
        if (!this.isPunctuator(")")) {
          for (;;) {
            args.push(this.parseExpression());
            if (!this.isPunctuator(",")) break;
            this.index++;
          }
        }
        this.expectPunctuator(")", `to close the arguments of '${token.text}('`);
        return this.deep(
          { kind: "call", position: token.position, callee: token.text, args },
          token.position,
          ...args,
        );
      }
      case "punctuator":
        if (token.text === "(") {
          const inner = this.parseExpression();
          this.expectPunctuator(")", "to close '('");
          return inner;
        }
        if (token.text === "+") {
          this.fail("unexpected-token", "unary '+' is not supported; leave it out", token.position);
        }
        break;
      case "end":
        break;
    }
    this.fail(
      "unexpected-token",
      `expected an expression but found ${describe(token)}`,
      token.position,
    );
  }

  private expectSemicolon(what: string): void {
    const token = this.peek();
    if (token.kind === "punctuator" && token.text === ";") {
      this.index++;
      return;
    }
    // Point just after the previous token: that is where the ';' is missing.
    const previous = this.tokens[this.index - 1];
    this.fail(
      "unexpected-token",
      `expected ';' after this ${what} but found ${describe(token)}`,
      previous?.end ?? token.position,
    );
  }

  private expectPunctuator(text: Punctuator, why: string): Token {
    const token = this.peek();
    if (token.kind === "punctuator" && token.text === text) {
      this.index++;
      return token;
    }
    this.fail(
      "unexpected-token",
      `expected '${text}' ${why} but found ${describe(token)}`,
      token.position,
    );
  }

  private isPunctuator(text: Punctuator): boolean {
    const token = this.peek();
    return token.kind === "punctuator" && token.text === text;
  }

  private peek(): Token {
    return this.peekAt(0);
  }

  private peekAt(ahead: number): Token {
    // The token list always ends with an `end` token; never read past it.
    return this.tokens[Math.min(this.index + ahead, this.tokens.length - 1)] as Token;
  }

  private next(): Token {
    const token = this.peek();
    if (token.kind !== "end") this.index++;
    return token;
  }
}

function describe(token: Token): string {
  switch (token.kind) {
    case "end":
      return "the end of the code";
    case "number":
      return `the number ${token.text}`;
    case "identifier":
      return `'${token.text}'`;
    default:
      return `'${token.text}'`;
  }
}
