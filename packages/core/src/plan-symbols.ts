/** The environments snippets are checked in (params, vars, inputs and built-ins), and the check itself. */
import { ModelDefinitionError } from "./errors";
import type { AnyModel, CustomUpdateVarSpec, VarSpec } from "./models/types";
import type { Binding, BuiltinFunction, CheckedSnippet, ScalarType } from "./snippet/ast";
import type { SymbolInfo } from "./snippet/environment";
import { checkSnippet } from "./snippet/index";

/** Environment entries shared by every snippet: `dt`, `t`, `step`, `batch`, `id`. */
export function builtinSymbols(
  extra: readonly ("id_pre" | "id_post")[] = [],
): [string, SymbolInfo][] {
  const entries: [string, ScalarType][] = [
    ["dt", "float"],
    ["t", "float"],
    ["step", "uint"],
    ["batch", "uint"],
    ["id", "uint"],
    ...extra.map((name): [string, ScalarType] => [name, "uint"]),
  ];
  return entries.map(([name, type]) => [
    name,
    { type, binding: { kind: "builtin", name } as Binding, writable: false },
  ]);
}

export function symbol(type: ScalarType, binding: Binding, writable: boolean): SymbolInfo {
  return { type, binding, writable };
}

export function paramSymbols(model: AnyModel): [string, SymbolInfo][] {
  return [
    ...Object.keys(model.params ?? {}).map((name): [string, SymbolInfo] => [
      name,
      symbol("float", { kind: "param", name }, false),
    ]),
    ...Object.keys(model.derivedParams ?? {}).map((name): [string, SymbolInfo] => [
      name,
      symbol("float", { kind: "derivedParam", name }, false),
    ]),
  ];
}

export function varSymbols(
  vars: Readonly<Record<string, VarSpec | CustomUpdateVarSpec>> | undefined,
  kind: "var" | "preVar" | "postVar",
  writableInThisCode: boolean,
): [string, SymbolInfo][] {
  return Object.entries(vars ?? {}).map(([name, spec]) => [
    name,
    symbol(
      spec.type ?? "float",
      { kind, name },
      writableInThisCode &&
        (spec.access ?? "readWrite") !== "readOnly" &&
        spec.access !== "readOnlyDuplicate",
    ),
  ]);
}

/** Builds an environment, rejecting a name declared twice by one model. */
export function environment(
  modelName: string,
  groups: [string, SymbolInfo][][],
): Map<string, SymbolInfo> {
  const map = new Map<string, SymbolInfo>();
  for (const group of groups) {
    for (const [name, info] of group) {
      if (map.has(name)) {
        throw new ModelDefinitionError(
          `Model '${modelName}' uses the name '${name}' twice (params, derived params, vars, inputs and built-ins share one namespace); rename one of them.`,
        );
      }
      map.set(name, info);
    }
  }
  return map;
}

export function check(
  source: string | undefined,
  mode: "statements" | "expression",
  env: ReadonlyMap<string, SymbolInfo>,
  model: string,
  field: string,
  extraFunctions: readonly BuiltinFunction[] = [],
): CheckedSnippet | null {
  if (source === undefined || source.trim() === "") return null;
  return checkSnippet(source, {
    mode,
    environment: env,
    extraFunctions,
    ...(mode === "expression" ? { expectedType: "bool" as const } : {}),
    context: { model, field },
  });
}
