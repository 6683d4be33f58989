/** Projections: pre and post populations, connectivity, storage, checked synapse code and the postsynaptic model. */
import { ModelDefinitionError, NetworkValidationError } from "./errors";
import { DeltaCurr } from "./models/builtin";
import type { ProjectionDescription } from "./network";
import { planConnectivity } from "./plan-connectivity";
import { resolveParams } from "./plan-params";
import {
  builtinSymbols,
  check,
  environment,
  paramSymbols,
  symbol,
  varSymbols,
} from "./plan-symbols";
import type { PlannedPopulation, PlannedProjection } from "./plan-types";
import { assertModel, checkUnknownInit, listOrNone } from "./plan-validation";
import { plannedVars } from "./plan-vars";
import { analyseSnippet } from "./snippet/analyse";
import type { BuiltinFunction } from "./snippet/ast";
import type { SymbolInfo } from "./snippet/environment";

/**
 * Plans one projection between planned populations, found by name in `populationIndex`; it does
 * not link itself into their `incoming` and `outgoing`.
 */
export function planProjection(
  description: ProjectionDescription,
  index: number,
  populations: readonly PlannedPopulation[],
  populationIndex: ReadonlyMap<string, number>,
  rngStream: number,
  dt: number,
  batchSize: number,
): PlannedProjection {
  const where = `Projection '${description.name}'`;
  const preIndex = populationIndex.get(description.pre);
  const postIndex = populationIndex.get(description.post);
  if (preIndex === undefined || postIndex === undefined) {
    const missing = preIndex === undefined ? description.pre : description.post;
    throw new NetworkValidationError(
      `${where}: there is no population '${missing}'. Populations: ${listOrNone([...populationIndex.keys()])}.`,
    );
  }
  assertModel(description.model, "weightUpdate", where);
  const model = description.model;
  const pre = populations[preIndex]!;
  const post = populations[postIndex]!;
  const delaySteps = description.delaySteps ?? 1;
  if (delaySteps !== 0 && delaySteps !== 1) {
    throw new NetworkValidationError(
      `${where}: delaySteps must be 0 or 1, got ${String(delaySteps)}.`,
    );
  }
  const { planned: connectivity, numSynapses } = planConnectivity(
    description.connectivity,
    pre.size,
    post.size,
    where,
  );
  const { params, derivedParams } = resolveParams(model, description.params, dt, where);
  const namespaces = [model.vars, model.preVars, model.postVars].flatMap((v) =>
    Object.keys(v ?? {}),
  );
  const duplicate = namespaces.find((name, i) => namespaces.indexOf(name) !== i);
  if (duplicate) {
    throw new ModelDefinitionError(
      `Weight-update model '${model.name}' declares '${duplicate}' more than once among vars, preVars and postVars.`,
    );
  }
  checkUnknownInit(description.init, namespaces, where);
  const vars = plannedVars(model.vars, numSynapses, batchSize, description.init, where);
  const preVars = plannedVars(model.preVars, pre.size, batchSize, description.init, where);
  const postVars = plannedVars(model.postVars, post.size, batchSize, description.init, where);

  for (const [target, population, option] of [
    [description.postTarget, post, "postTarget"],
    [description.preTarget, pre, "preTarget"],
  ] as const) {
    if (target !== undefined && !population.additionalInputs.includes(target)) {
      throw new NetworkValidationError(
        `${where}: ${option} '${target}' is not an additional input of population '${population.name}' (model '${population.model.name}'); its additional inputs: ${listOrNone(population.additionalInputs)}.`,
      );
    }
  }
  const neuronRefs = (
    population: PlannedPopulation,
    side: "pre" | "post",
  ): [string, SymbolInfo][] =>
    Object.entries(population.model.vars ?? {}).map(([name, spec]) => [
      `${name}_${side}`,
      symbol(spec.type ?? "float", { kind: "neuronVarRef", side, name }, false),
    ]);
  const common = [paramSymbols(model)];
  const synapseEnv = environment(model.name, [
    ...common,
    varSymbols(model.vars, "var", true),
    varSymbols(model.preVars, "preVar", false),
    varSymbols(model.postVars, "postVar", false),
    neuronRefs(pre, "pre"),
    neuronRefs(post, "post"),
    builtinSymbols(["id_pre", "id_post"]),
  ]);
  const synapseFunctions: BuiltinFunction[] =
    description.preTarget !== undefined ? ["addToPost", "addToPre"] : ["addToPost"];
  const preEnv = environment(model.name, [
    ...common,
    varSymbols(model.preVars, "preVar", true),
    neuronRefs(pre, "pre"),
    builtinSymbols(),
  ]);
  const postEnv = environment(model.name, [
    ...common,
    varSymbols(model.postVars, "postVar", true),
    neuronRefs(post, "post"),
    builtinSymbols(),
  ]);
  const code = {
    preSpike: check(model.preSpike, "statements", synapseEnv, model.name, "preSpike", [
      "addToPost",
    ]),
    postSpike: check(model.postSpike, "statements", synapseEnv, model.name, "postSpike"),
    synapseDynamics: check(
      model.synapseDynamics,
      "statements",
      synapseEnv,
      model.name,
      "synapseDynamics",
      synapseFunctions,
    ),
    preSpikeCode: check(model.preSpikeCode, "statements", preEnv, model.name, "preSpikeCode"),
    postSpikeCode: check(model.postSpikeCode, "statements", postEnv, model.name, "postSpikeCode"),
    preDynamics: check(model.preDynamics, "statements", preEnv, model.name, "preDynamics"),
    postDynamics: check(model.postDynamics, "statements", postEnv, model.name, "postDynamics"),
  };
  if (analyseSnippet(code.postSpike).random) {
    throw new NetworkValidationError(
      `${where}: model '${model.name}': postSpike code cannot draw random numbers (uniform(), normal()); draw them in synapseDynamics or the neuron models.`,
    );
  }

  const postsynaptic = planPostsynaptic(description, post.size, where, dt, batchSize);
  return {
    name: description.name,
    index,
    model,
    params,
    derivedParams,
    pre: preIndex,
    post: postIndex,
    connectivity,
    numSynapses,
    delaySteps,
    vars,
    preVars,
    postVars,
    postsynaptic,
    postTarget: description.postTarget ?? null,
    preTarget: description.preTarget ?? null,
    code,
    rngStream,
  };
}

/** The postsynaptic model of a projection (`DeltaCurr` unless given), or null where it targets an additional input. */
function planPostsynaptic(
  description: ProjectionDescription,
  postSize: number,
  where: string,
  dt: number,
  batchSize: number,
): PlannedProjection["postsynaptic"] {
  if (description.postTarget !== undefined) {
    if (description.postsynaptic !== undefined) {
      throw new NetworkValidationError(
        `${where}: give either postTarget or a postsynaptic model, not both.`,
      );
    }
    return null;
  }
  const psModel = description.postsynaptic ?? DeltaCurr;
  assertModel(psModel, "postsynaptic", `${where} (postsynaptic model)`);
  const resolved = resolveParams(
    psModel,
    description.postsynapticParams,
    dt,
    `${where} (postsynaptic model)`,
  );
  checkUnknownInit(
    description.postsynapticInit,
    Object.keys(psModel.vars ?? {}),
    `${where} (postsynaptic model)`,
  );
  const psEnv = environment(psModel.name, [
    paramSymbols(psModel),
    varSymbols(psModel.vars, "var", true),
    [
      ["inSyn", symbol("float", { kind: "input", name: "inSyn" }, false)],
      ["Isyn", symbol("float", { kind: "input", name: "Isyn" }, true)],
    ],
    builtinSymbols(),
  ]);
  const apply = check(psModel.apply, "statements", psEnv, psModel.name, "apply");
  if (!apply)
    throw new ModelDefinitionError(`Postsynaptic model '${psModel.name}' has no apply code.`);
  return {
    model: psModel,
    ...resolved,
    vars: plannedVars(
      psModel.vars,
      postSize,
      batchSize,
      description.postsynapticInit,
      `${where} (postsynaptic model)`,
    ),
    apply,
  };
}
