import type {
  Binding,
  Block,
  BuiltinFunction,
  CheckedSnippet,
  Expression,
  ScalarType,
  Statement,
} from "./ast";

/** A binding with its type in the snippet. */
export interface TypedBinding {
  readonly binding: Binding;
  readonly type: ScalarType;
}

/**
 * What a checked snippet touches; each list is deduplicated, in order of first appearance. The
 * one walker over a snippet's names: the planner and every backend take what a snippet reads,
 * writes and calls from here.
 */
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
  /**
   * Every binding it names (reads, assignment targets, declared locals) with its type, in order
   * of first appearance; an assignment's target comes before its value, a `let` local after its
   * initial value. A code generator declares what it loads in this order.
   */
  readonly bindings: readonly TypedBinding[];
  /** Whether it draws random numbers (calls `uniform()` or `normal()`). */
  readonly random: boolean;
}

const typed = ({ binding, type }: TypedBinding): TypedBinding => ({ binding, type });

const NOTHING: SnippetAnalysis = { reads: [], writes: [], calls: [], bindings: [], random: false };

/**
 * Lists the names a checked snippet reads and writes and the functions it calls, e.g. for a
 * network validator that must know which variables each phase writes, which `X_pre`/`X_post`
 * neuron variables a weight-update snippet uses, and whether it needs random numbers.
 * Filter `local` bindings out where only model storage matters. `null` (no code) touches nothing.
 */
export function analyseSnippet(snippet: CheckedSnippet | null): SnippetAnalysis {
  if (snippet === null) return NOTHING;
  const reads = new BindingSet<Binding>();
  const writes = new BindingSet<Binding>();
  const bindings = new BindingSet<TypedBinding>();
  const calls = new Set<BuiltinFunction>();

  const visitExpression = (expression: Expression): void => {
    switch (expression.kind) {
      case "literal":
        return;
      case "identifier":
        reads.add(expression.binding, expression.binding);
        bindings.add(expression.binding, typed(expression));
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
        writes.add(statement.binding, statement.binding);
        bindings.add(statement.binding, typed(statement));
        return;
      case "assign": {
        const { target } = statement;
        if (statement.operator !== "=") reads.add(target.binding, target.binding);
        bindings.add(target.binding, typed(target));
        visitExpression(statement.value);
        writes.add(target.binding, target.binding);
        return;
      }
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
  return {
    reads: reads.values(),
    writes: writes.values(),
    calls: [...calls],
    bindings: bindings.values(),
    random: calls.has("uniform") || calls.has("normal"),
  };
}

/** Entries deduplicated by the binding they are about (kind, side, name, local id); the first is kept. */
class BindingSet<T> {
  private readonly byKey = new Map<string, T>();

  add(binding: Binding, entry: T): void {
    const key = [
      binding.kind,
      binding.kind === "neuronVarRef" ? binding.side : "",
      binding.kind === "local" ? String(binding.id) : "",
      binding.name,
    ].join("\u0000");
    if (!this.byKey.has(key)) this.byKey.set(key, entry);
  }

  values(): T[] {
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
