/**
 * Divergence of training: a non-finite loss, or a weight that is non-finite or has exploded
 * beyond {@link EXPLODED_WEIGHT}. `snn train` stops, marks the run failed (not resumable:
 * resuming would repeat it) and never checkpoints such weights.
 */
import type { ParameterSet } from "@snn/eprop";
import { CommandError } from "../errors";

/** Training diverged; the message names what went non-finite, and where. Exit status 1. */
export class DivergedError extends CommandError {
  constructor(what: string) {
    super(`training diverged: ${what} (the learning rate is probably too high)`);
  }
}

/**
 * A weight of this magnitude means training has blown up, though float32 still holds it: the
 * networks here have thresholds near 1 and weights near 0.1 (e.g. `--lr 1e30` gives 1e30 after
 * one Adam step, and a finite but meaningless network).
 */
export const EXPLODED_WEIGHT = 1e10;

/** Throws a {@link DivergedError} naming the first parameter (and element) that is NaN, infinite or exploded. */
export function checkDivergedParameters(parameters: ParameterSet, where: string): void {
  for (const [name, values] of Object.entries(parameters)) {
    for (let i = 0; i < values.length; i++) {
      const value = values[i]!;
      if (!Number.isFinite(value))
        throw new DivergedError(`weight ${name}[${i}] is ${value} ${where}`);
      if (Math.abs(value) > EXPLODED_WEIGHT)
        throw new DivergedError(
          `weight ${name}[${i}] is ${value.toExponential(2)} ${where}, beyond ±${EXPLODED_WEIGHT.toExponential(0)}`,
        );
    }
  }
}
