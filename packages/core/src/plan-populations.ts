/** Populations: their params, storage and checked neuron code, and the merged groups of populations sharing a model. */
import { ModelDefinitionError } from "./errors";
import type { NeuronModel } from "./models/types";
import type { PopulationDescription } from "./network";
import { resolveParams } from "./plan-params";
import {
  builtinSymbols,
  check,
  environment,
  paramSymbols,
  symbol,
  varSymbols,
} from "./plan-symbols";
import type { MergedPopulationGroup, PlannedPopulation } from "./plan-types";
import { assertModel, assertSize, checkUnknownInit } from "./plan-validation";
import { plannedVars } from "./plan-vars";
import type { SymbolInfo } from "./snippet/environment";

/**
 * Groups populations by model (the same object): one merged group per model, numbered in the order
 * the models first appear, and the merged group of each population.
 */
export function mergePopulations(models: readonly NeuronModel[]): {
  groups: MergedPopulationGroup[];
  groupOf: number[];
} {
  const distinct = models.filter((model, i) => models.indexOf(model) === i);
  const groups = distinct.map((model) => ({
    model,
    populations: models.flatMap((m, index) => (m === model ? [index] : [])),
  }));
  return { groups, groupOf: models.map((model) => distinct.indexOf(model)) };
}

/**
 * Plans one population with no projections linked yet (`incoming` and `outgoing` empty): resolved
 * params, variable storage and checked sim, threshold and reset code.
 */
export function planPopulation(
  description: PopulationDescription,
  index: number,
  mergedGroup: number,
  rngStream: number,
  dt: number,
  batchSize: number,
): PlannedPopulation {
  const where = `Population '${description.name}'`;
  assertModel(description.model, "neuron", where);
  assertSize(description.size, where);
  const model = description.model;
  const { params, derivedParams } = resolveParams(model, description.params, dt, where);
  checkUnknownInit(description.init, Object.keys(model.vars ?? {}), where);
  const vars = plannedVars(model.vars, description.size, batchSize, description.init, where);
  const env = environment(model.name, [
    paramSymbols(model),
    varSymbols(model.vars, "var", true),
    Object.keys(model.additionalInputs ?? {}).map((name): [string, SymbolInfo] => [
      name,
      symbol("float", { kind: "additionalInput", name }, false),
    ]),
    [["Isyn", symbol("float", { kind: "input", name: "Isyn" }, false)]],
    builtinSymbols(),
  ]);
  const spikeSource = model.source === "spikeSourceArray";
  if (spikeSource && (model.sim || model.threshold || model.reset)) {
    throw new ModelDefinitionError(
      `Neuron model '${model.name}' is a spike source array and cannot have sim, threshold or reset code.`,
    );
  }
  if (!spikeSource && model.reset && !model.threshold) {
    throw new ModelDefinitionError(
      `Neuron model '${model.name}' has reset code but no threshold condition; add a threshold or remove the reset.`,
    );
  }
  return {
    name: description.name,
    index,
    model,
    size: description.size,
    params,
    derivedParams,
    vars,
    additionalInputs: Object.keys(model.additionalInputs ?? {}),
    recordSpikes: description.recordSpikes ?? false,
    spikeSource,
    code: {
      sim: check(model.sim, "statements", env, model.name, "sim"),
      threshold: check(model.threshold, "expression", env, model.name, "threshold"),
      reset: check(model.reset, "statements", env, model.name, "reset"),
    },
    incoming: [],
    outgoing: [],
    mergedGroup,
    rngStream,
  };
}
