/**
 * Divergence of training: a non-finite loss or weight. `snn train` stops, marks the run failed
 * (not resumable: resuming would repeat it) and never checkpoints non-finite weights.
 */
import type { ParameterSet } from "@snn/eprop";
import { CommandError } from "../errors";

/** Training diverged; the message names what went non-finite, and where. Exit status 1. */
export class DivergedError extends CommandError {
  constructor(what: string) {
    super(`training diverged: ${what} (the learning rate is probably too high)`);
  }
}

/** Throws a {@link DivergedError} naming the first parameter (and element) that is NaN or infinite. */
export function checkFiniteParameters(parameters: ParameterSet, where: string): void {
  for (const [name, values] of Object.entries(parameters)) {
    for (let i = 0; i < values.length; i++) {
      const value = values[i]!;
      if (!Number.isFinite(value))
        throw new DivergedError(`weight ${name}[${i}] is ${value} ${where}`);
    }
  }
}
