import { NetworkValidationError, RuntimeUsageError } from "./errors";
import type { Network } from "./network";
import { checkGroupWrites, customUpdateGroups, planCustomUpdates } from "./plan-custom-updates";
import { mergePopulations, planPopulation } from "./plan-populations";
import { planProjection } from "./plan-projections";
import { planSchedule } from "./plan-schedule";
import {
  PLAN_VERSION,
  type KernelPlan,
  type PlannedCustomUpdate,
  type PlannedPopulation,
  type PlannedProjection,
} from "./plan-types";

/**
 * Validates a network and turns it into a kernel plan: resolved params, checked code,
 * variable storage with batch layout, connectivity, merged groups and the per-step schedule.
 * Throws `NetworkValidationError`, `ModelDefinitionError` or `SnippetError` with a message
 * that names the group, the model and what to change.
 */
export function planNetwork(network: Network): KernelPlan {
  if (typeof network !== "object" || network === null || !Array.isArray(network.populations)) {
    throw new NetworkValidationError(
      `planNetwork needs a Network (new Network({ dt, batchSize }) with populations added), got ${network === null ? "null" : typeof network}.`,
    );
  }
  const { dt, batchSize } = network;
  const populationIndex = new Map(network.populations.map((p, i) => [p.name, i]));
  if (network.populations.length === 0) {
    throw new NetworkValidationError("The network has no populations; add one with addPopulation.");
  }
  // Random streams: 1, 2, ... for the populations, then the projections, then the custom updates.
  const merged = mergePopulations(network.populations.map((p) => p.model));
  const unlinked = network.populations.map((description, index) =>
    planPopulation(description, index, merged.groupOf[index]!, 1 + index, dt, batchSize),
  );
  const projectionStreams = 1 + unlinked.length;
  const projections = network.projections.map((description, index) =>
    planProjection(
      description,
      index,
      unlinked,
      populationIndex,
      projectionStreams + index,
      dt,
      batchSize,
    ),
  );
  const populations = linkProjections(unlinked, projections);
  const customUpdates = planCustomUpdates(
    network,
    populations,
    projections,
    projectionStreams + projections.length,
  );
  const groups = customUpdateGroups(customUpdates);
  checkGroupWrites(customUpdates, groups, populations, projections);

  return {
    version: PLAN_VERSION,
    name: network.name,
    dt,
    batchSize,
    seed: network.seed,
    populations,
    projections,
    customUpdates,
    customUpdateGroups: groups,
    mergedPopulations: merged.groups,
    schedule: planSchedule(populations, projections),
  };
}

/** The populations with the projections into them (`incoming`) and out of them (`outgoing`), in projection order. */
function linkProjections(
  populations: readonly PlannedPopulation[],
  projections: readonly PlannedProjection[],
): PlannedPopulation[] {
  return populations.map((population) => ({
    ...population,
    incoming: projections.filter((p) => p.post === population.index).map((p) => p.index),
    outgoing: projections.filter((p) => p.pre === population.index).map((p) => p.index),
  }));
}

/**
 * The population, projection or custom update named `owner`, for runtime calls that take an
 * owner; throws {@link RuntimeUsageError} listing the owners where there is none.
 */
export function findGroup(
  plan: KernelPlan,
  owner: string,
  call: string,
): PlannedPopulation | PlannedProjection | PlannedCustomUpdate {
  const groups = [...plan.populations, ...plan.projections, ...plan.customUpdates];
  const group = groups.find((g) => g.name === owner);
  if (!group)
    throw new RuntimeUsageError(
      `${call}: there is no population, projection or custom update '${owner}'. Owners: ${groups.map((g) => g.name).join(", ")}.`,
    );
  return group;
}
