/**
 * The custom updates of the step program: one site per custom update, with its checked code,
 * core's analysis of it, its random-number field ({@link RANDOM_FIELD}`.customUpdate`) and the
 * typed storage of each of its variables and references, with the reduction each one takes.
 *
 * A custom update is not part of the timestep: it runs when the user asks (`runCustomUpdate`),
 * over the elements of the variables it references (and the batch elements where one of them is
 * batched), and the step word of its random numbers counts its runs. What a backend keeps of its
 * own is the same as for the timestep's sites (docs/decisions/0012): how it prints the code, how
 * it addresses storage, its loops or threads, and how it carries out a reduction.
 */
import type { CustomUpdateAccess } from "./models/types";
import type { PlannedCustomUpdate, PlannedVarRef } from "./plan-types";
import { bindingKey } from "./snippet/analyse";
import type { ScalarType } from "./snippet/ast";
import type { CodeSiteBase, SiteSnippet, VarStorageRef } from "./step-program";
import { codeSite, siteSnippet, varRef } from "./step-program-sites";

/** How a custom update's variable or reference is reduced: over the batch or over the elements, by sum or max. */
export interface Reduction {
  readonly over: "batch" | "neuron";
  readonly op: "sum" | "max";
}

/**
 * A variable of the custom update's own (`var`) or the variable one of its references points at
 * (`varRef`), as its code names it.
 */
export interface CustomUpdateSlot {
  readonly binding: { readonly kind: "var" | "varRef"; readonly name: string };
  /** Its type in the code. */
  readonly type: ScalarType;
  readonly access: CustomUpdateAccess;
  /** The reduction its value goes through, or null where the code's value is stored as it is. */
  readonly reduction: Reduction | null;
  /** Where it lives: the custom update's variable, or the referenced variable. */
  readonly ref: VarStorageRef;
  /** Whether the code names it. */
  readonly used: boolean;
  /** Whether the code assigns it. */
  readonly written: boolean;
}

/** A custom update: its code, run once per element (and batch element where it is batched). */
export interface CustomUpdateSite extends CodeSiteBase {
  readonly kind: "customUpdate";
  /** Index of the custom update in the plan. */
  readonly update: number;
  readonly code: SiteSnippet;
  /** Its own variables in model order, then its references in model order, used or not. */
  readonly slots: readonly CustomUpdateSlot[];
}

/** The site of one custom update (the entry for it in the step program's `customUpdates`). */
export function customUpdateSite(update: PlannedCustomUpdate): CustomUpdateSite {
  const code = siteSnippet("update", update.update, "customUpdate")!;
  const owner = { kind: "customUpdate", index: update.index } as const;
  const own = (name: string): VarStorageRef => varRef(owner, "customUpdate", update.vars, name);
  const references = new Map(update.varRefs.map((r) => [r.name, referenced(r)]));
  const base = codeSite([code], update.rngStream, (binding) => {
    if (binding.kind === "var") return own(binding.name);
    if (binding.kind === "varRef") return reference(update, references, binding.name);
    return null;
  });
  const slot = (
    binding: CustomUpdateSlot["binding"],
    type: ScalarType,
    access: CustomUpdateAccess,
    ref: VarStorageRef,
  ): CustomUpdateSlot => {
    const key = bindingKey(binding);
    return {
      binding,
      type,
      access,
      reduction: reductionOf(access),
      ref,
      used: base.storage.has(key),
      written: base.usage.stored.has(key),
    };
  };
  return {
    kind: "customUpdate",
    update: update.index,
    code,
    ...base,
    slots: [
      ...update.vars.map((v) => slot({ kind: "var", name: v.name }, v.type, v.access, own(v.name))),
      ...update.varRefs.map((r) =>
        slot({ kind: "varRef", name: r.name }, r.type, r.access, references.get(r.name)!),
      ),
    ],
  };
}

/** The reduction an access asks for, or null. */
function reductionOf(access: CustomUpdateAccess): Reduction | null {
  switch (access) {
    case "reduceBatchSum":
      return { over: "batch", op: "sum" };
    case "reduceBatchMax":
      return { over: "batch", op: "max" };
    case "reduceNeuronSum":
      return { over: "neuron", op: "sum" };
    case "reduceNeuronMax":
      return { over: "neuron", op: "max" };
    default:
      return null;
  }
}

/** The storage a reference points at. */
function referenced(r: PlannedVarRef): VarStorageRef {
  return {
    kind: "var",
    owner: r.owner,
    role: r.role,
    name: r.var,
    type: r.type,
    batched: r.batched,
  };
}

function reference(
  update: PlannedCustomUpdate,
  references: ReadonlyMap<string, VarStorageRef>,
  name: string,
): VarStorageRef {
  const ref = references.get(name);
  if (ref === undefined)
    throw new Error(`internal error: custom update '${update.name}' has no reference '${name}'`);
  return ref;
}

/** The slot of a variable or reference the custom update's code names; an internal error where there is none. */
export function customUpdateSlot(
  site: CustomUpdateSite,
  binding: CustomUpdateSlot["binding"],
): CustomUpdateSlot {
  const key = bindingKey(binding);
  const slot = site.slots.find((s) => bindingKey(s.binding) === key);
  if (slot === undefined)
    throw new Error(
      `internal error: custom update ${site.update} has no ${binding.kind} '${binding.name}'`,
    );
  return slot;
}
