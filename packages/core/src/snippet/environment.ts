import type { Binding, BuiltinFunction, ScalarType } from "./ast";

/** What the checker knows about a name visible to a snippet. */
export interface SymbolInfo {
  readonly type: ScalarType;
  readonly binding: Binding;
  /** Whether code may assign to it (state variables yes; params, inputs, built-ins no). */
  readonly writable: boolean;
}

/** Where a snippet comes from, for error messages: e.g. model `LIF`, field `sim`. */
export interface SnippetContext {
  readonly model: string;
  readonly field: string;
}

/** Everything the checker needs besides the source text. */
export interface SnippetOptions {
  /** `statements` for code blocks, `expression` for conditions such as `threshold`. */
  readonly mode: "statements" | "expression";
  /** Names visible to the snippet. Locals declared with `let` may not shadow them. */
  readonly environment: ReadonlyMap<string, SymbolInfo>;
  /**
   * Functions with side effects allowed here beyond the math library and the random
   * functions, e.g. `addToPost` in weight-update code.
   */
  readonly extraFunctions?: readonly BuiltinFunction[];
  /** Whether `uniform()`/`normal()` may be used (default true). */
  readonly allowRandom?: boolean;
  /** Expression mode: the type the expression must have (threshold: `bool`). */
  readonly expectedType?: ScalarType;
  readonly context: SnippetContext;
}
