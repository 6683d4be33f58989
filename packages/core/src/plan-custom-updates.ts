/** Custom updates: variable references resolved to their owners, storage, checked code, and one writer per variable and group. */
import { ModelDefinitionError, NetworkValidationError } from "./errors";
import type { Network } from "./network";
import { resolveParams } from "./plan-params";
import { builtinSymbols, check, environment, paramSymbols, symbol } from "./plan-symbols";
import type {
  PlannedCustomUpdate,
  PlannedPopulation,
  PlannedProjection,
  PlannedVar,
  PlannedVarRef,
} from "./plan-types";
import { assertModel, checkUnknownInit, listOrNone } from "./plan-validation";
import { plannedVar } from "./plan-vars";
import type { SymbolInfo } from "./snippet/environment";

function varsOf(
  owner: PlannedVarRef["owner"],
  role: PlannedVarRef["role"],
  populations: readonly PlannedPopulation[],
  projections: readonly PlannedProjection[],
  customUpdates: readonly PlannedCustomUpdate[],
): readonly PlannedVar[] {
  if (owner.kind === "population") return populations[owner.index]!.vars;
  if (owner.kind === "customUpdate") return customUpdates[owner.index]!.vars;
  const projection = projections[owner.index]!;
  if (role === "pre") return projection.preVars;
  if (role === "post") return projection.postVars;
  if (role === "postsynaptic") return projection.postsynaptic?.vars ?? [];
  return projection.vars;
}

/** Plans the custom updates; each may reference the variables of the groups before it. Random streams count on from `firstStream`. */
export function planCustomUpdates(
  network: Network,
  populations: readonly PlannedPopulation[],
  projections: readonly PlannedProjection[],
  firstStream: number,
): PlannedCustomUpdate[] {
  const planned: PlannedCustomUpdate[] = [];
  network.customUpdates.forEach((description, index) => {
    const where = `Custom update '${description.name}'`;
    assertModel(description.model, "customUpdate", where);
    const model = description.model;
    if (typeof description.group !== "string" || description.group === "") {
      throw new NetworkValidationError(
        `${where}: give it a group name (the name runCustomUpdate takes).`,
      );
    }
    const { params, derivedParams } = resolveParams(model, description.params, network.dt, where);
    const refs: PlannedVarRef[] = [];
    let size: number | undefined;
    for (const [refName, refSpec] of Object.entries(model.varRefs ?? {})) {
      const reference = description.varRefs?.[refName];
      if (!reference) {
        throw new NetworkValidationError(
          `${where}: model '${model.name}' needs the variable reference '${refName}'; give it in varRefs as { owner, var }.`,
        );
      }
      const resolved = resolveReference(
        reference.owner,
        reference.var,
        populations,
        projections,
        planned,
        where,
        refName,
      );
      if (size !== undefined && resolved.target.size !== size) {
        throw new NetworkValidationError(
          `${where}: variable reference '${refName}' (${reference.owner}.${reference.var}) has ${resolved.target.size} elements but the earlier references have ${size}; all references of one custom update must have the same size.`,
        );
      }
      size = resolved.target.size;
      const access = refSpec.access ?? "readWrite";
      const type = refSpec.type ?? "float";
      if (resolved.target.type !== type) {
        throw new NetworkValidationError(
          `${where}: reference '${refName}' is declared ${type} but ${reference.owner}.${reference.var} is ${resolved.target.type}.`,
        );
      }
      if ((access === "reduceBatchSum" || access === "reduceBatchMax") && resolved.target.batched) {
        throw new NetworkValidationError(
          `${where}: reference '${refName}' reduces over the batch into ${reference.owner}.${reference.var}, which has one copy per batch element; the target of a batch reduction must be shared (access readOnly).`,
        );
      }
      if (access === "reduceNeuronSum" || access === "reduceNeuronMax") {
        throw new NetworkValidationError(
          `${where}: reference '${refName}': neuron reductions go into a variable of the custom update itself, not into a reference.`,
        );
      }
      refs.push({
        name: refName,
        type,
        access,
        owner: resolved.owner,
        role: resolved.role,
        var: reference.var,
        batched: resolved.target.batched,
      });
    }
    for (const refName of Object.keys(description.varRefs ?? {})) {
      if (!(refName in (model.varRefs ?? {}))) {
        throw new NetworkValidationError(
          `${where}: model '${model.name}' has no variable reference '${refName}'. Its references: ${listOrNone(Object.keys(model.varRefs ?? {}))}.`,
        );
      }
    }
    if (size === undefined) {
      throw new NetworkValidationError(
        `${where}: model '${model.name}' has no variable references; a custom update runs over the elements of the variables it references, so it needs at least one.`,
      );
    }
    // Batch-reduction targets are shared (checked above), so any batched reference makes the update run per batch element.
    const batched = refs.some((r) => r.batched);
    const elementCount = size;
    checkUnknownInit(description.init, Object.keys(model.vars ?? {}), where);
    const vars = Object.entries(model.vars ?? {}).map(([name, spec]) => {
      const access = spec.access ?? "readWrite";
      if (access === "reduceNeuronSum" || access === "reduceNeuronMax") {
        return plannedVar(
          name,
          spec,
          1,
          batched,
          network.batchSize,
          description.init?.[name],
          where,
        );
      }
      const ownBatched =
        access !== "readOnly" &&
        access !== "reduceBatchSum" &&
        access !== "reduceBatchMax" &&
        batched;
      return plannedVar(
        name,
        spec,
        elementCount,
        ownBatched,
        network.batchSize,
        description.init?.[name],
        where,
      );
    });
    const env = environment(model.name, [
      paramSymbols(model),
      Object.entries(model.vars ?? {}).map(([name, spec]): [string, SymbolInfo] => [
        name,
        symbol(
          spec.type ?? "float",
          { kind: "var", name },
          spec.access !== "readOnly" && spec.access !== "readOnlyDuplicate",
        ),
      ]),
      refs.map((r): [string, SymbolInfo] => [
        r.name,
        symbol(
          r.type,
          { kind: "varRef", name: r.name },
          r.access !== "readOnly" && r.access !== "readOnlyDuplicate",
        ),
      ]),
      builtinSymbols(),
    ]);
    const update = check(model.update, "statements", env, model.name, "update");
    if (!update)
      throw new ModelDefinitionError(`Custom update model '${model.name}' has no update code.`);
    planned.push({
      name: description.name,
      index,
      model,
      group: description.group,
      size: elementCount,
      batched,
      vars,
      varRefs: refs,
      update,
      params,
      derivedParams,
      rngStream: firstStream + index,
    });
  });
  return planned;
}

function resolveReference(
  ownerName: string,
  varName: string,
  populations: readonly PlannedPopulation[],
  projections: readonly PlannedProjection[],
  customUpdates: readonly PlannedCustomUpdate[],
  where: string,
  refName: string,
): { owner: PlannedVarRef["owner"]; role: PlannedVarRef["role"]; target: PlannedVar } {
  const population = populations.find((p) => p.name === ownerName);
  const projection = projections.find((p) => p.name === ownerName);
  const customUpdate = customUpdates.find((c) => c.name === ownerName);
  const candidates: {
    owner: PlannedVarRef["owner"];
    role: PlannedVarRef["role"];
    vars: readonly PlannedVar[];
  }[] = [];
  if (population)
    candidates.push({
      owner: { kind: "population", index: population.index },
      role: "neuron",
      vars: population.vars,
    });
  if (projection) {
    const owner = { kind: "projection" as const, index: projection.index };
    candidates.push(
      { owner, role: "synapse", vars: projection.vars },
      { owner, role: "pre", vars: projection.preVars },
      { owner, role: "post", vars: projection.postVars },
      { owner, role: "postsynaptic", vars: projection.postsynaptic?.vars ?? [] },
    );
  }
  if (customUpdate)
    candidates.push({
      owner: { kind: "customUpdate", index: customUpdate.index },
      role: "customUpdate",
      vars: customUpdate.vars,
    });
  if (candidates.length === 0) {
    throw new NetworkValidationError(
      `${where}: reference '${refName}' points at '${ownerName}', which is no population, projection or earlier custom update of this network.`,
    );
  }
  for (const candidate of candidates) {
    const target = candidate.vars.find((v) => v.name === varName);
    if (target) return { owner: candidate.owner, role: candidate.role, target };
  }
  const available = candidates.flatMap((c) => c.vars.map((v) => v.name));
  throw new NetworkValidationError(
    `${where}: reference '${refName}' points at '${ownerName}.${varName}', but '${ownerName}' has no variable '${varName}'. Its variables: ${listOrNone(available)}.`,
  );
}

/** The custom updates of each group name, by index, in the order they run. */
export function customUpdateGroups(
  customUpdates: readonly PlannedCustomUpdate[],
): Record<string, number[]> {
  const groups: Record<string, number[]> = {};
  for (const update of customUpdates) (groups[update.group] ??= []).push(update.index);
  return groups;
}

/** A variable may be written by at most one custom update of a group (they may run concurrently on a GPU). */
export function checkGroupWrites(
  customUpdates: readonly PlannedCustomUpdate[],
  groups: Readonly<Record<string, readonly number[]>>,
  populations: readonly PlannedPopulation[],
  projections: readonly PlannedProjection[],
): void {
  for (const [group, members] of Object.entries(groups)) {
    const writers = new Map<string, string>();
    for (const index of members) {
      const update = customUpdates[index]!;
      for (const ref of update.varRefs) {
        if (ref.access === "readOnly" || ref.access === "readOnlyDuplicate") continue;
        const vars = varsOf(ref.owner, ref.role, populations, projections, customUpdates);
        const key = `${ref.owner.kind}:${ref.owner.index}:${ref.role}:${ref.var}`;
        const previous = writers.get(key);
        if (previous !== undefined && vars.length > 0) {
          throw new NetworkValidationError(
            `Custom updates '${previous}' and '${update.name}' of group '${group}' both write variable '${ref.var}'; a variable may be written by one custom update per group. Put one of them in another group.`,
          );
        }
        writers.set(key, update.name);
      }
    }
  }
}
