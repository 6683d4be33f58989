/** Lookups of the stored variables that generated code reads and writes. */
import type { PlannedCustomUpdate } from "@snn/core";
import type { NetworkStorage, StoredVar } from "./storage";

/** The index of a variable's element: `batchedIndex` where it has one copy per batch element, else `sharedIndex`. */
export function varIndex(stored: StoredVar, batchedIndex: string, sharedIndex: string): string {
  return stored.planned.batched ? batchedIndex : sharedIndex;
}

/** The stored variable `name` of a group; an internal error where there is none. */
export function lookupVar(map: Map<string, StoredVar>, name: string, where: string): StoredVar {
  const stored = map.get(name);
  if (!stored) throw new Error(`internal error: ${where} has no variable '${name}'`);
  return stored;
}

/** The stored variable a custom update's variable reference `refName` points at. */
export function refTarget(
  storage: NetworkStorage,
  update: PlannedCustomUpdate,
  refName: string,
): StoredVar {
  const ref = update.varRefs.find((r) => r.name === refName);
  if (!ref)
    throw new Error(`internal error: custom update '${update.name}' has no reference '${refName}'`);
  const { owner, role } = ref;
  let map: Map<string, StoredVar>;
  if (owner.kind === "population") map = storage.populations[owner.index]!.vars;
  else if (owner.kind === "customUpdate") map = storage.customUpdates[owner.index]!.vars;
  else {
    const projection = storage.projections[owner.index]!;
    map =
      role === "pre"
        ? projection.preVars
        : role === "post"
          ? projection.postVars
          : role === "postsynaptic"
            ? projection.postsynapticVars
            : projection.vars;
  }
  return lookupVar(map, ref.var, `reference '${refName}' of '${update.name}'`);
}
