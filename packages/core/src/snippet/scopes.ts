/**
 * Name resolution of the snippet checker: the block scopes of `let` locals over the names of
 * the environment, the snippet-unique ids of locals, and how a binding is named in messages.
 */
import type { Binding, ScalarType } from "./ast";
import type { SymbolInfo } from "./environment";

export type LocalBinding = Extract<Binding, { kind: "local" }>;

interface Local {
  readonly type: ScalarType;
  readonly binding: LocalBinding;
}

/** Lexical scopes of locals, innermost last, in front of the snippet's environment. */
export class Scopes {
  private readonly scopes: Map<string, Local>[] = [];
  private nextLocalId = 0;

  constructor(private readonly environment: ReadonlyMap<string, SymbolInfo>) {}

  /** Opens a block scope. */
  push(): void {
    this.scopes.push(new Map());
  }

  /** Closes the innermost block scope. */
  pop(): void {
    this.scopes.pop();
  }

  /** The innermost local of this name, else the environment's symbol. */
  lookup(name: string): Local | SymbolInfo | undefined {
    for (let i = this.scopes.length - 1; i >= 0; i--) {
      const local = this.scopes[i]?.get(name);
      if (local !== undefined) return local;
    }
    return this.environment.get(name);
  }

  /** Declares a local in the innermost scope, with the next snippet-unique id. */
  declare(name: string, type: ScalarType): LocalBinding {
    const binding: LocalBinding = { kind: "local", name, id: this.nextLocalId++ };
    this.currentScope().set(name, { type, binding });
    return binding;
  }

  /** Every name visible here, innermost first (for suggestions). */
  *visibleNames(): Iterable<string> {
    for (let i = this.scopes.length - 1; i >= 0; i--) yield* this.scopes[i]?.keys() ?? [];
    yield* this.environment.keys();
  }

  private currentScope(): Map<string, Local> {
    const scope = this.scopes[this.scopes.length - 1];
    if (scope === undefined) throw new Error("internal error: no scope");
    return scope;
  }
}

/** What a name is, for messages: "a parameter", "a state variable", ... */
export function describeBinding(binding: Binding): string {
  switch (binding.kind) {
    case "param":
      return "a parameter";
    case "derivedParam":
      return "a derived parameter";
    case "var":
      return "a state variable";
    case "preVar":
      return "a presynaptic variable";
    case "postVar":
      return "a postsynaptic variable";
    case "neuronVarRef":
      return `a variable of the ${binding.side}synaptic neuron`;
    case "varRef":
      return "a variable reference";
    case "additionalInput":
      return "an additional input variable";
    case "input":
      return "the summed synaptic input";
    case "builtin":
      return "a built-in value";
    case "local":
      return "a local";
  }
}
