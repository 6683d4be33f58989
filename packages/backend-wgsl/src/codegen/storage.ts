import type { KernelPlan, PlannedVar, PlannedVarRef } from "@snn/core";
import type {
  AdditionalInputRef,
  PostsynapticInputRef,
  VarStorageRef as SiteVarRef,
} from "@snn/core/internal";

/** The tables of a sparse projection: CSR by pre (rows), and by post (columns). */
export type SparsePart = "rowStart" | "colStart" | "colSynapse" | "colPre";

/**
 * The storage of a planned variable: its group, the part of the group's model, and its name.
 * Core's typed reference of the step program (step-program.ts) without the type and batching,
 * which a region does not need; the kernels pass the step program's references as they are.
 */
export type VarStorageRef = Pick<SiteVarRef, "kind" | "owner" | "role" | "name">;

/**
 * A region of the state buffers, named by what it holds. The code generator requests and
 * addresses regions by these references and the runtime finds them with the same ones: no part
 * of the backend builds or parses storage names.
 */
export type StorageRef =
  | VarStorageRef
  /** Spike bits of a population, two steps (`global_step & 1`). */
  | { readonly kind: "spikes"; readonly population: number }
  /** An additional input variable of a population, written by projections targeting it (core's type). */
  | AdditionalInputRef
  /** The input (inSyn) of a projection with a postsynaptic model (core's type). */
  | PostsynapticInputRef
  /** The per-synapse addToPre values of a projection, summed per presynaptic neuron. */
  | { readonly kind: "preScratch"; readonly projection: number }
  /** A connectivity table of a sparse projection. */
  | { readonly kind: "sparse"; readonly projection: number; readonly part: SparsePart }
  /** Partial results of a custom update's reduction into one of its variables or references. */
  | { readonly kind: "reduction"; readonly update: number; readonly target: string };

/** Constructors of {@link StorageRef}s. */
export const StorageRef = {
  variable: (
    owner: PlannedVarRef["owner"],
    role: PlannedVarRef["role"],
    name: string,
  ): VarStorageRef => ({ kind: "var", owner, role, name }),
  spikes: (population: number): StorageRef => ({ kind: "spikes", population }),
  additionalInput: (population: number, name: string): StorageRef => ({
    kind: "additionalInput",
    population,
    name,
  }),
  inSyn: (projection: number): StorageRef => ({ kind: "inSyn", projection }),
  preScratch: (projection: number): StorageRef => ({ kind: "preScratch", projection }),
  sparse: (projection: number, part: SparsePart): StorageRef => ({
    kind: "sparse",
    projection,
    part,
  }),
  reduction: (update: number, target: string): StorageRef => ({
    kind: "reduction",
    update,
    target,
  }),
} as const;

/**
 * The map key of a region: equal for equal references, distinct otherwise. The one place a
 * reference becomes a string; nothing reads the string back.
 */
export function storageKey(ref: StorageRef): string {
  switch (ref.kind) {
    case "var":
      return `var:${ref.owner.kind}:${ref.owner.index}:${ref.role}:${ref.name}`;
    case "spikes":
      return `spikes:${ref.population}`;
    case "additionalInput":
      return `addin:${ref.population}:${ref.name}`;
    case "inSyn":
      return `insyn:${ref.projection}`;
    case "preScratch":
      return `prescratch:${ref.projection}`;
    case "sparse":
      return `sparse:${ref.projection}:${ref.part}`;
    case "reduction":
      return `reduce:${ref.update}:${ref.target}`;
  }
}

/** The name of the population, projection or custom update a region belongs to. */
export function storageOwner(plan: KernelPlan, ref: StorageRef): string {
  switch (ref.kind) {
    case "var": {
      const { kind, index } = ref.owner;
      if (kind === "population") return plan.populations[index]!.name;
      if (kind === "projection") return plan.projections[index]!.name;
      return plan.customUpdates[index]!.name;
    }
    case "spikes":
    case "additionalInput":
      return plan.populations[ref.population]!.name;
    case "inSyn":
    case "preScratch":
    case "sparse":
      return plan.projections[ref.projection]!.name;
    case "reduction":
      return plan.customUpdates[ref.update]!.name;
  }
}

/** Whether a region holds values in flight between steps (zeroed when the state is reset). */
export function holdsInputInFlight(ref: StorageRef): boolean {
  return ref.kind === "inSyn" || ref.kind === "additionalInput" || ref.kind === "preScratch";
}

/** A planned variable with the storage it lives in. */
export interface PlannedVarStorage {
  readonly variable: PlannedVar;
  readonly ref: VarStorageRef;
}

/** Every variable of the plan with its storage, in plan order. */
export function plannedVariables(plan: KernelPlan): PlannedVarStorage[] {
  const out: PlannedVarStorage[] = [];
  const add = (
    owner: PlannedVarRef["owner"],
    role: PlannedVarRef["role"],
    vars: readonly PlannedVar[],
  ): void => {
    for (const v of vars) out.push({ variable: v, ref: StorageRef.variable(owner, role, v.name) });
  };
  plan.populations.forEach((p) => add({ kind: "population", index: p.index }, "neuron", p.vars));
  plan.projections.forEach((p) => {
    const owner = { kind: "projection" as const, index: p.index };
    add(owner, "synapse", p.vars);
    add(owner, "pre", p.preVars);
    add(owner, "post", p.postVars);
    add(owner, "postsynaptic", p.postsynaptic?.vars ?? []);
  });
  plan.customUpdates.forEach((c) =>
    add({ kind: "customUpdate", index: c.index }, "customUpdate", c.vars),
  );
  return out;
}
