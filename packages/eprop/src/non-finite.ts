/**
 * Detection of non-finite state (NaN or infinite voltages, adaptation, readouts or losses) in
 * training: checked once per trial, after it ran (a few small reads, not one per step). When
 * something went non-finite, the trial is run again with a check after every step to name the
 * first step; that costs a trial, but only on the way to the error.
 */
import { SnnError } from "@snn/core";
import type { EpropRuntime, TrialOutputs } from "./eprop-runtime";
import type { PreparedTrial } from "./trial";

/** Where state went non-finite. `step` is 0-based within the trial; absent when it could not be found. */
export interface NonFiniteLocation {
  readonly population: string;
  readonly variable: string;
  readonly value: number;
  readonly step?: number;
}

/**
 * Training produced NaN or infinite state: the message names the population, variable and step,
 * and what usually causes it (a learning rate far too large, neuron parameters such as a
 * vanishing capacitance or time constant).
 */
export class NonFiniteStateError extends SnnError {
  constructor(
    message: string,
    readonly location: NonFiniteLocation,
  ) {
    super(message);
  }
}

/** The batched state variables checked: membrane potential and adaptation of hidden layers, readout y. */
function checkedVariables(session: EpropRuntime): { population: string; variable: string }[] {
  const list: { population: string; variable: string }[] = [];
  for (const layer of session.description.hidden) {
    list.push({ population: layer.name, variable: "V" });
    if (layer.neuron === "ALIF") list.push({ population: layer.name, variable: "A" });
  }
  list.push({ population: session.description.readout.name, variable: "Y" });
  return list;
}

async function firstNonFinite(session: EpropRuntime): Promise<NonFiniteLocation | undefined> {
  for (const { population, variable } of checkedVariables(session)) {
    const values = await session.runtime.readVar(population, variable);
    for (let i = 0; i < values.length; i++) {
      if (!Number.isFinite(values[i]!)) return { population, variable, value: values[i]! };
    }
  }
  return undefined;
}

/** Thrown from `afterStep` to stop the re-run at the first non-finite step. */
class Found {
  constructor(readonly location: NonFiniteLocation) {}
}

/**
 * Checks the state a trial left and its losses; on NaN or infinity runs the trial again to
 * find the first step and throws {@link NonFiniteStateError}. `where` describes the trial
 * ("epoch 0, batch 3").
 */
export async function checkFiniteTrial(
  session: EpropRuntime,
  trial: PreparedTrial,
  outputs: TrialOutputs,
  where: string,
): Promise<void> {
  let found = await firstNonFinite(session);
  if (found === undefined) {
    const b = Array.from(outputs.loss.subarray(0, outputs.count)).findIndex(
      (l) => !Number.isFinite(l),
    );
    if (b < 0) return;
    found = {
      population: session.description.readout.name,
      variable: "loss",
      value: outputs.loss[b]!,
    };
  }
  let located: NonFiniteLocation = found;
  try {
    await session.runTrial(trial, {
      afterStep: async (step) => {
        const at = await firstNonFinite(session);
        if (at !== undefined) throw new Found({ ...at, step });
      },
    });
  } catch (error) {
    if (!(error instanceof Found)) throw error;
    located = error.location;
  }
  const when =
    located.step !== undefined ? `at step ${located.step} of the trial` : "by the end of the trial";
  throw new NonFiniteStateError(
    `Training diverged in ${where}: variable '${located.variable}' of population '${located.population}' became ${String(located.value)} ${when}. Lower the learning rate, or check the neuron parameters (time constants, thresholds) and the inputs.`,
    located,
  );
}
