/** Lookups of the stored variables that generated code reads and writes. */
import type { Binding, PlannedVarRef } from "@snn/core";
import {
  bindingKey,
  type AdditionalInputRef,
  type PostsynapticInputRef,
  type SiteStorage,
} from "@snn/core/internal";
import type { NetworkStorage, StoredVar } from "./storage";

/** The index of a variable's element: `batchedIndex` where it has one copy per batch element, else `sharedIndex`. */
export function varIndex(stored: StoredVar, batchedIndex: string, sharedIndex: string): string {
  return stored.planned.batched ? batchedIndex : sharedIndex;
}

/** The stored variable `name` of a group; an internal error where there is none. */
function lookupVar(map: Map<string, StoredVar>, name: string, where: string): StoredVar {
  const stored = map.get(name);
  if (!stored) throw new Error(`internal error: ${where} has no variable '${name}'`);
  return stored;
}

/** The stored variables of one part (`role`) of a group's model. */
function varsOf(
  storage: NetworkStorage,
  owner: PlannedVarRef["owner"],
  role: PlannedVarRef["role"],
): Map<string, StoredVar> {
  if (owner.kind === "population") return storage.populations[owner.index]!.vars;
  if (owner.kind === "customUpdate") return storage.customUpdates[owner.index]!.vars;
  const projection = storage.projections[owner.index]!;
  return role === "pre"
    ? projection.preVars
    : role === "post"
      ? projection.postVars
      : role === "postsynaptic"
        ? projection.postsynapticVars
        : projection.vars;
}

/**
 * The storage a step-program site gives `binding` (core's step-program.ts), and the stored
 * variable behind it; an internal error where the site does not store it in a variable.
 */
export function siteVar(
  storage: NetworkStorage,
  sites: ReadonlyMap<string, SiteStorage>,
  binding: Binding,
): { readonly stored: StoredVar; readonly written: boolean } {
  const entry = sites.get(bindingKey(binding));
  if (entry === undefined || entry.ref.kind !== "var")
    throw new Error(`internal error: no variable for ${bindingKey(binding)} at this code site`);
  const { owner, role, name } = entry.ref;
  return {
    stored: lookupVar(varsOf(storage, owner, role), name, `${owner.kind} ${owner.index}`),
    written: entry.written,
  };
}

/**
 * The array an `addToPost` or `addToPre` of a step-program site adds to (`SynapseSite.addToPost`,
 * `addToPre`): a projection's input or a population's additional input.
 */
export function effectTarget(
  storage: NetworkStorage,
  ref: PostsynapticInputRef | AdditionalInputRef,
): Float32Array {
  const target =
    ref.kind === "inSyn"
      ? storage.projections[ref.projection]!.inSyn
      : storage.populations[ref.population]!.additionalInputs.get(ref.name);
  if (!target) throw new Error(`internal error: no storage for the ${ref.kind} target`);
  return target;
}
