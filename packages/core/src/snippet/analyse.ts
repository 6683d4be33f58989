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

/**
 * The key of a binding: equal for two bindings exactly when they name the same thing (kind,
 * side of a neuron variable reference, name, local id), e.g. `var:V`, `neuronVarRef:post:V`,
 * `local:0:d`. A code generator keys its maps of loaded names with it.
 */
export function bindingKey(binding: Binding): string {
  switch (binding.kind) {
    case "neuronVarRef":
      return `neuronVarRef:${binding.side}:${binding.name}`;
    case "local":
      return `local:${binding.id}:${binding.name}`;
    default:
      return `${binding.kind}:${binding.name}`;
  }
}

/** Entries deduplicated by the binding they are about ({@link bindingKey}); the first is kept. */
class BindingSet<T> {
  private readonly byKey = new Map<string, T>();

  add(binding: Binding, entry: T): void {
    const key = bindingKey(binding);
    if (!this.byKey.has(key)) this.byKey.set(key, entry);
  }

  get(binding: Binding): T | undefined {
    return this.byKey.get(bindingKey(binding));
  }

  values(): T[] {
    return [...this.byKey.values()];
  }
}

/**
 * What snippets that run in one place (one code site, sharing what they load) do with the
 * storage of their model: every name but their locals, which belong to one snippet each.
 */
export interface StorageUse {
  /**
   * Every binding other than a local that the snippets name, with its type, in order of first
   * appearance (snippet by snippet, as in {@link SnippetAnalysis.bindings}): what a code
   * generator loads before the code. The assigned ones are among them, since an assignment in a
   * branch keeps the old value otherwise.
   */
  readonly loads: readonly TypedBinding[];
  /** The loaded bindings the snippets assign, in order of first assignment: what it stores after the code. */
  readonly stores: readonly TypedBinding[];
  /** The {@link bindingKey}s of `stores`, for the question "is this binding written here?". */
  readonly stored: ReadonlySet<string>;
  /** Builtin functions called, deduplicated in order of first call. */
  readonly calls: readonly BuiltinFunction[];
  /** Whether any of them draws random numbers. */
  readonly random: boolean;
}

/** The storage use of snippets that run in one place (null: no code), from their analyses. */
export function analyseStorage(snippets: readonly (CheckedSnippet | null)[]): StorageUse {
  const loads = new BindingSet<TypedBinding>();
  const stores = new BindingSet<TypedBinding>();
  const calls = new Set<BuiltinFunction>();
  let random = false;
  for (const snippet of snippets) {
    const analysis = analyseSnippet(snippet);
    for (const entry of analysis.bindings)
      if (entry.binding.kind !== "local") loads.add(entry.binding, entry);
    // An assigned binding is named, so loaded: its entry gives the type.
    for (const binding of analysis.writes)
      if (binding.kind !== "local") stores.add(binding, loads.get(binding)!);
    analysis.calls.forEach((call) => calls.add(call));
    random ||= analysis.random;
  }
  const stored = stores.values();
  return {
    loads: loads.values(),
    stores: stored,
    stored: new Set(stored.map((entry) => bindingKey(entry.binding))),
    calls: [...calls],
    random,
  };
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
