/** The order of work in one timestep. */
import { NetworkValidationError } from "./errors";
import type { PlannedPopulation, PlannedProjection, ScheduleEntry } from "./plan-types";

/** Orders populations so that 0-delay projections run after their source; each population's incoming synapses run right before it. */
export function planSchedule(
  populations: readonly PlannedPopulation[],
  projections: readonly PlannedProjection[],
): ScheduleEntry[] {
  const waitingFor = populations.map(() => 0);
  for (const projection of projections) {
    if (projection.delaySteps === 0 && projection.pre !== projection.post)
      waitingFor[projection.post]!++;
    if (projection.delaySteps === 0 && projection.pre === projection.post) {
      throw new NetworkValidationError(
        `Projection '${projection.name}' connects population '${populations[projection.pre]!.name}' to itself with delaySteps 0; a population's own spikes can only arrive in the next step (delaySteps 1).`,
      );
    }
  }
  const done = populations.map(() => false);
  const schedule: ScheduleEntry[] = [];
  for (let placed = 0; placed < populations.length; placed++) {
    const next = populations.findIndex((_, i) => !done[i] && waitingFor[i] === 0);
    if (next < 0) {
      const cycle = populations.filter((_, i) => !done[i]).map((p) => p.name);
      throw new NetworkValidationError(
        `Projections with delaySteps 0 form a cycle through populations ${cycle.join(", ")}; give one projection of the cycle delaySteps 1.`,
      );
    }
    done[next] = true;
    const population = populations[next]!;
    for (const projection of population.incoming) schedule.push({ op: "synapses", projection });
    schedule.push({ op: "neurons", population: next });
    for (const projection of projections) {
      if (projection.pre === next && projection.delaySteps === 0 && projection.post !== next)
        waitingFor[projection.post]!--;
    }
  }
  return schedule;
}
