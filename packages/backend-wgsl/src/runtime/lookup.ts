/**
 * The groups and variables of a WebGPU runtime found by the names a user gives, with errors that
 * list what the network has.
 */
import { RuntimeUsageError, type KernelPlan } from "@snn/core";
import { type PlannedVarStorage, plannedVariables } from "../codegen/storage";

/** The index of population `name`; `call` names the runtime call in the error. */
export function populationIndex(plan: KernelPlan, name: string, call: string): number {
  const index = plan.populations.findIndex((p) => p.name === name);
  if (index < 0) {
    throw new RuntimeUsageError(
      `${call}(${name}): there is no population '${name}'. Populations: ${plan.populations.map((p) => p.name).join(", ")}.`,
    );
  }
  return index;
}

/**
 * The variable `name` of group `owner`: a population's, a projection's (synapse, pre, post,
 * postsynaptic model, in that order) or a custom update's.
 */
export function findVar(
  plan: KernelPlan,
  owner: string,
  name: string,
  call: string,
): PlannedVarStorage {
  const { populations, projections, customUpdates } = plan;
  const owners = [
    { kind: "population", index: populations.findIndex((p) => p.name === owner) },
    { kind: "projection", index: projections.findIndex((p) => p.name === owner) },
    { kind: "customUpdate", index: customUpdates.findIndex((c) => c.name === owner) },
  ].filter((o) => o.index >= 0);
  if (owners.length === 0) {
    const names = [...populations, ...projections, ...customUpdates].map((g) => g.name);
    throw new RuntimeUsageError(
      `${call}(${owner}, ${name}): there is no population, projection or custom update '${owner}'. Owners: ${names.join(", ")}.`,
    );
  }
  const owned = plannedVariables(plan).filter(({ ref }) =>
    owners.some((o) => o.kind === ref.owner.kind && o.index === ref.owner.index),
  );
  const found = owned.find((v) => v.ref.name === name);
  if (found) return found;
  const names = owned.map((v) => v.variable.name);
  throw new RuntimeUsageError(
    `${call}(${owner}, ${name}): '${owner}' has no variable '${name}'. Its variables: ${names.length > 0 ? names.join(", ") : "(none)"}.`,
  );
}
