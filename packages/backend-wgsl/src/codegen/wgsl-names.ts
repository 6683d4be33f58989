/**
 * How snippet names appear in WGSL: built-ins, the scope a snippet is printed with, and the names
 * of the variables a snippet uses or writes, from core's analysis of it.
 */
import type { Binding, CheckedSnippet } from "@snn/core";
import type { SnippetAnalysis } from "@snn/core/internal";
import type { PrintScope } from "../wgsl/printer";

/** The WGSL value of a built-in (`id`: the element index of the kernel). */
export function builtinName(name: string, id: string): string {
  switch (name) {
    case "dt":
      return "DT";
    case "t":
      return "t";
    case "step":
      return "trial_step";
    case "batch":
      return "batch";
    case "id":
      return id;
    default:
      return name; // id_pre, id_post
  }
}

export type Names = Partial<Record<Binding["kind"], (name: string, binding: Binding) => string>>;

export function scope(
  snippet: CheckedSnippet,
  model: string,
  field: string,
  names: Names,
  extras: Partial<PrintScope> = {},
): PrintScope {
  return {
    model,
    field,
    source: snippet.source,
    name: (binding) => {
      if (binding.kind === "local") return `l_${binding.name}`;
      const map = names[binding.kind];
      if (!map)
        throw new Error(
          `internal: ${binding.kind} '${"name" in binding ? binding.name : ""}' is not available in ${model}.${field}`,
        );
      return map(binding.name, binding);
    },
    ...extras,
  };
}

/**
 * The names of the bindings of one kind that snippets use (`side`: only neuron variables of that
 * side), read or written, in order: per snippet, its reads, then its writes.
 */
export function namesUsed(
  analyses: readonly SnippetAnalysis[],
  kind: Binding["kind"],
  side?: "pre" | "post",
): string[] {
  const names: string[] = [];
  for (const { reads, writes } of analyses) {
    for (const b of reads.concat(writes)) {
      if (b.kind === kind && (side === undefined || (b.kind === "neuronVarRef" && b.side === side)))
        names.push(b.name);
    }
  }
  return [...new Set(names)];
}

/** The names of the bindings of one kind that snippets write. */
export function namesWritten(
  analyses: readonly SnippetAnalysis[],
  kind: Binding["kind"],
): Set<string> {
  return new Set(
    analyses.flatMap((analysis) =>
      analysis.writes.filter((b) => b.kind === kind).map((b) => (b as { name: string }).name),
    ),
  );
}
