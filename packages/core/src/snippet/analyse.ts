import type { Binding, Block, BuiltinFunction, CheckedSnippet, Expression, Statement } from "./ast";

/** What a checked snippet touches; each list is deduplicated, in order of first appearance. */
export interface SnippetAnalysis {
  /**
   * Bindings whose value the snippet reads: identifiers in expressions, and the targets of
   * compound assignments (`x += ...` reads `x`). Includes `local` bindings.
   */
  readonly reads: readonly Binding[];
  /** Bindings the snippet assigns (`=`, `+=`, ...), and the locals it declares with `let`. */
  readonly writes: readonly Binding[];
  /** Builtin functions it calls, e.g. `uniform`, `addToPost`, `exp`. Casts are not calls. */
  readonly calls: readonly BuiltinFunction[];
}

/**
 * Lists the names a checked snippet reads and writes and the functions it calls, e.g. for a
 * network validator that must know which variables each phase writes, which `X_pre`/`X_post`
 * neuron variables a weight-update snippet uses, and whether it needs random numbers.
 * Filter `local` bindings out where only model storage matters.
 */
export function analyseSnippet(snippet: CheckedSnippet): SnippetAnalysis {
  const reads = new BindingSet();
  const writes = new BindingSet();
  const calls = new Set<BuiltinFunction>();

  const visitExpression = (expression: Expression): void => {
    switch (expression.kind) {
      case "literal":
        return;
      case "identifier":
        reads.add(expression.binding);
        return;
      case "unary":
      case "convert":
        visitExpression(expression.operand);
        return;
      case "binary":
        visitExpression(expression.left);
        visitExpression(expression.right);
        return;
      case "conditional":
        visitExpression(expression.condition);
        visitExpression(expression.whenTrue);
        visitExpression(expression.whenFalse);
        return;
      case "call":
        calls.add(expression.callee);
        expression.args.forEach(visitExpression);
        return;
    }
  };

  const visitBlock = (block: Block): void => block.statements.forEach(visitStatement);

  const visitStatement = (statement: Statement): void => {
    switch (statement.kind) {
      case "block":
        visitBlock(statement);
        return;
      case "let":
        visitExpression(statement.init);
        writes.add(statement.binding);
        return;
      case "assign":
        if (statement.operator !== "=") reads.add(statement.target.binding);
        visitExpression(statement.value);
        writes.add(statement.target.binding);
        return;
      case "if":
        visitExpression(statement.condition);
        visitBlock(statement.then);
        if (statement.otherwise !== null) visitBlock(statement.otherwise);
        return;
      case "expression":
        visitExpression(statement.expression);
        return;
    }
  };

  if (snippet.kind === "statements") visitBlock(snippet.body);
  else visitExpression(snippet.body);
  return { reads: reads.values(), writes: writes.values(), calls: [...calls] };
}

/** Bindings deduplicated by what they denote (kind, side, name, local id). */
class BindingSet {
  private readonly byKey = new Map<string, Binding>();

  add(binding: Binding): void {
    const key = [
      binding.kind,
      binding.kind === "neuronVarRef" ? binding.side : "",
      binding.kind === "local" ? String(binding.id) : "",
      binding.name,
    ].join("\u0000");
    if (!this.byKey.has(key)) this.byKey.set(key, binding);
  }

  values(): Binding[] {
    return [...this.byKey.values()];
  }
}

/**
 * Whether evaluating an expression draws random numbers (`uniform()`, `normal()`): a backend
 * that evaluates both sides of `?:`, `&&` or `||` must not do so where a skipped side would
 * draw, since every draw advances the per-element call counter of the counter-based generator.
 */
export function drawsRandom(e: Expression): boolean {
  switch (e.kind) {
    case "literal":
    case "identifier":
      return false;
    case "unary":
    case "convert":
      return drawsRandom(e.operand);
    case "binary":
      return drawsRandom(e.left) || drawsRandom(e.right);
    case "conditional":
      return drawsRandom(e.condition) || drawsRandom(e.whenTrue) || drawsRandom(e.whenFalse);
    case "call":
      return e.callee === "uniform" || e.callee === "normal" || e.args.some(drawsRandom);
  }
}
