import { ModelDefinitionError, NetworkValidationError, RuntimeUsageError } from "./errors";
import { builtinModels, DeltaCurr } from "./models/builtin";
import type {
  AnyModel,
  CustomUpdateAccess,
  CustomUpdateVarSpec,
  DerivedParamSpec,
  ParamSpec,
  VarSpec,
} from "./models/types";
import type { Connectivity, InitialValue, Network } from "./network";
import { seededRandom } from "./rng";
import type { Binding, BuiltinFunction, CheckedSnippet, ScalarType } from "./snippet/ast";
import type { SymbolInfo } from "./snippet/environment";
import { analyseSnippet } from "./snippet/analyse";
import { checkSnippet } from "./snippet/index";
import {
  PLAN_VERSION,
  type KernelPlan,
  type MergedPopulationGroup,
  type PlannedConnectivity,
  type PlannedCustomUpdate,
  type PlannedPopulation,
  type PlannedProjection,
  type PlannedVar,
  type PlannedVarRef,
  type ScheduleEntry,
} from "./plan-types";

/** Environment entries shared by every snippet: `dt`, `t`, `step`, `batch`, `id`. */
function builtinSymbols(extra: readonly ("id_pre" | "id_post")[] = []): [string, SymbolInfo][] {
  const entries: [string, ScalarType][] = [
    ["dt", "float"],
    ["t", "float"],
    ["step", "uint"],
    ["batch", "uint"],
    ["id", "uint"],
    ...extra.map((name): [string, ScalarType] => [name, "uint"]),
  ];
  return entries.map(([name, type]) => [
    name,
    { type, binding: { kind: "builtin", name } as Binding, writable: false },
  ]);
}

function symbol(type: ScalarType, binding: Binding, writable: boolean): SymbolInfo {
  return { type, binding, writable };
}

/** Resolves params (applying defaults) and derived params; reports missing and unknown names. */
function resolveParams(
  model: {
    name: string;
    params?: Readonly<Record<string, ParamSpec>>;
    derivedParams?: Readonly<Record<string, DerivedParamSpec>>;
  },
  given: Readonly<Record<string, number>> | undefined,
  dt: number,
  where: string,
): { params: Record<string, number>; derivedParams: Record<string, number> } {
  const specs = model.params ?? {};
  const params: Record<string, number> = {};
  for (const name of Object.keys(given ?? {})) {
    if (!(name in specs)) {
      throw new NetworkValidationError(
        `${where}: model '${model.name}' has no param '${name}'. Its params are: ${listOrNone(Object.keys(specs))}.`,
      );
    }
  }
  for (const [name, spec] of Object.entries(specs)) {
    const value = given?.[name] ?? spec.default;
    if (value === undefined) {
      throw new NetworkValidationError(
        `${where}: param '${name}' of model '${model.name}' has no value and no default; give it in params${spec.doc ? ` (${spec.doc})` : ""}.`,
      );
    }
    if (typeof value !== "number" || !Number.isFinite(Math.fround(value))) {
      throw new NetworkValidationError(
        `${where}: param '${name}' must be a finite number within float32's range (about ±3.4e38), in which the kernels compute, got ${String(value)}.`,
      );
    }
    params[name] = value;
  }
  const derivedParams: Record<string, number> = {};
  for (const [name, spec] of Object.entries(model.derivedParams ?? {})) {
    if (name in specs) {
      throw new ModelDefinitionError(
        `Model '${model.name}' declares '${name}' both as a param and as a derived param.`,
      );
    }
    const value = spec.compute(params, dt);
    if (typeof value !== "number" || !Number.isFinite(value)) {
      throw new NetworkValidationError(
        `${where}: derived param '${name}' of model '${model.name}' computed to ${String(value)}; check the params it depends on.`,
      );
    }
    // Computed here in float64, used by the kernels in float32, where it would be infinite.
    if (!Number.isFinite(Math.fround(value))) {
      throw new NetworkValidationError(
        `${where}: derived param '${name}' of model '${model.name}' computed to ${String(value)}, beyond float32's range (about ±3.4e38), in which the kernels compute; check the params it depends on (${Object.entries(
          params,
        )
          .map(([n, v]) => `${n}: ${v}`)
          .join(", ")}).`,
      );
    }
    derivedParams[name] = value;
  }
  return { params, derivedParams };
}

function listOrNone(names: readonly string[]): string {
  return names.length > 0 ? names.join(", ") : "(none)";
}

function paramSymbols(model: AnyModel): [string, SymbolInfo][] {
  return [
    ...Object.keys(model.params ?? {}).map((name): [string, SymbolInfo] => [
      name,
      symbol("float", { kind: "param", name }, false),
    ]),
    ...Object.keys(model.derivedParams ?? {}).map((name): [string, SymbolInfo] => [
      name,
      symbol("float", { kind: "derivedParam", name }, false),
    ]),
  ];
}

function varSymbols(
  vars: Readonly<Record<string, VarSpec | CustomUpdateVarSpec>> | undefined,
  kind: "var" | "preVar" | "postVar",
  writableInThisCode: boolean,
): [string, SymbolInfo][] {
  return Object.entries(vars ?? {}).map(([name, spec]) => [
    name,
    symbol(
      spec.type ?? "float",
      { kind, name },
      writableInThisCode &&
        (spec.access ?? "readWrite") !== "readOnly" &&
        spec.access !== "readOnlyDuplicate",
    ),
  ]);
}

/** Builds an environment, rejecting a name declared twice by one model. */
function environment(modelName: string, groups: [string, SymbolInfo][][]): Map<string, SymbolInfo> {
  const map = new Map<string, SymbolInfo>();
  for (const group of groups) {
    for (const [name, info] of group) {
      if (map.has(name)) {
        throw new ModelDefinitionError(
          `Model '${modelName}' uses the name '${name}' twice (params, derived params, vars, inputs and built-ins share one namespace); rename one of them.`,
        );
      }
      map.set(name, info);
    }
  }
  return map;
}

function check(
  source: string | undefined,
  mode: "statements" | "expression",
  env: ReadonlyMap<string, SymbolInfo>,
  model: string,
  field: string,
  extraFunctions: readonly BuiltinFunction[] = [],
): CheckedSnippet | null {
  if (source === undefined || source.trim() === "") return null;
  return checkSnippet(source, {
    mode,
    environment: env,
    extraFunctions,
    ...(mode === "expression" ? { expectedType: "bool" as const } : {}),
    context: { model, field },
  });
}

/** Turns an initial value into the stored form, validating its length. */
function plannedVar(
  name: string,
  spec: VarSpec | CustomUpdateVarSpec,
  size: number,
  batched: boolean,
  batchSize: number,
  given: InitialValue | undefined,
  where: string,
): PlannedVar {
  const type = spec.type ?? "float";
  const access: CustomUpdateAccess = spec.access ?? "readWrite";
  let initial: number | Float32Array;
  const value = given ?? spec.init ?? 0;
  if (typeof value === "number") {
    if (!Number.isFinite(value))
      throw new NetworkValidationError(
        `${where}: initial value of '${name}' must be finite, got ${value}.`,
      );
    initial = value;
  } else if (typeof value !== "object" || value === null) {
    throw new NetworkValidationError(
      `${where}: initial value of '${name}' must be a number, an array of numbers, { kind: "normal", mean, sd, seed } or { kind: "uniform", min, max, seed }; got ${JSON.stringify(value) ?? String(value)}.`,
    );
  } else if ("kind" in value && !("length" in value)) {
    const draw = value as unknown as Record<string, unknown>;
    const fields =
      value.kind === "normal"
        ? ["mean", "sd", "seed"]
        : value.kind === "uniform"
          ? ["min", "max", "seed"]
          : null;
    if (fields === null) {
      throw new NetworkValidationError(
        `${where}: initial value of '${name}' has kind '${String(draw["kind"])}'; random initial values are { kind: "normal", mean, sd, seed } or { kind: "uniform", min, max, seed }.`,
      );
    }
    for (const field of fields) {
      if (typeof draw[field] !== "number" || !Number.isFinite(draw[field])) {
        throw new NetworkValidationError(
          `${where}: initial value of '${name}' ({ kind: "${value.kind}" }) needs a finite number '${field}' (it takes ${fields.join(", ")}), got ${String(draw[field])}.`,
        );
      }
    }
    const random = seededRandom(value.seed);
    const values = new Float32Array(size);
    for (let i = 0; i < size; i++) {
      values[i] =
        value.kind === "normal"
          ? value.mean + value.sd * random.normal()
          : value.min + (value.max - value.min) * random.uniform();
    }
    initial = values;
  } else {
    const array = value as ArrayLike<number>;
    const allowed = batched && batchSize > 1 ? [size, size * batchSize] : [size];
    if (!allowed.includes(array.length)) {
      throw new NetworkValidationError(
        `${where}: initial values of '${name}' have length ${array.length}, expected ${allowed.join(" or ")} (${size} elements${batched ? ` x batch ${batchSize}` : ""}).`,
      );
    }
    initial = Float32Array.from(array);
    for (let i = 0; i < initial.length; i++) {
      if (!Number.isFinite(initial[i]!)) {
        throw new NetworkValidationError(
          `${where}: initial value ${i} of '${name}' is ${array[i]}; all must be finite.`,
        );
      }
    }
  }
  return { name, type, access, batched, size, initial };
}

function plannedVars(
  specs: Readonly<Record<string, VarSpec | CustomUpdateVarSpec>> | undefined,
  size: number,
  batchSize: number,
  init: Readonly<Record<string, InitialValue>> | undefined,
  where: string,
  batchedFor: (spec: VarSpec | CustomUpdateVarSpec) => boolean = (s) =>
    (s.access ?? "readWrite") !== "readOnly",
): PlannedVar[] {
  return Object.entries(specs ?? {}).map(([name, spec]) =>
    plannedVar(name, spec, size, batchedFor(spec), batchSize, init?.[name], where),
  );
}

function checkUnknownInit(
  init: Readonly<Record<string, InitialValue>> | undefined,
  known: readonly string[],
  where: string,
): void {
  for (const name of Object.keys(init ?? {})) {
    if (!known.includes(name)) {
      throw new NetworkValidationError(
        `${where}: there is no variable '${name}' to initialise. Variables: ${listOrNone(known)}.`,
      );
    }
  }
}

function assertModel(model: unknown, kind: AnyModel["kind"], where: string): void {
  const builtinNames = Object.values(builtinModels)
    .filter((m) => m.kind === kind)
    .map((m) => m.name);
  if (typeof model === "string") {
    throw new NetworkValidationError(
      `${where}: model must be a model object, got the string '${model}'. ${builtinNames.includes(model) ? `Import it: \`import { ${model} } from "@snn/core"\`.` : `Built-in ${kind} models: ${builtinNames.join(", ")}.`}`,
    );
  }
  if (typeof model !== "object" || model === null || (model as AnyModel).kind !== kind) {
    throw new NetworkValidationError(
      `${where}: expected a ${kind} model (an object with kind '${kind}'), got ${model === null ? "null" : typeof model === "object" ? `kind '${String((model as { kind?: unknown }).kind)}'` : typeof model}. Built-in ${kind} models: ${listOrNone(builtinNames)}.`,
    );
  }
  if (typeof (model as AnyModel).name !== "string" || (model as AnyModel).name === "") {
    throw new ModelDefinitionError(
      `${where}: the ${kind} model has no name; give it a unique name.`,
    );
  }
}

function assertSize(size: unknown, where: string): asserts size is number {
  if (typeof size !== "number" || !Number.isInteger(size) || size < 1) {
    throw new NetworkValidationError(
      `${where}: size must be a positive integer, got ${String(size)}.`,
    );
  }
}

function planConnectivity(
  connectivity: Connectivity,
  nPre: number,
  nPost: number,
  where: string,
): { planned: PlannedConnectivity; numSynapses: number } {
  switch (connectivity?.kind) {
    case "dense":
      return { planned: { kind: "dense" }, numSynapses: nPre * nPost };
    case "oneToOne":
      if (nPre !== nPost) {
        throw new NetworkValidationError(
          `${where}: one-to-one connectivity needs populations of equal size, got ${nPre} and ${nPost}.`,
        );
      }
      return { planned: { kind: "oneToOne" }, numSynapses: nPre };
    case "sparse": {
      const { pre, post } = connectivity;
      if (typeof pre?.length !== "number" || typeof post?.length !== "number") {
        throw new NetworkValidationError(
          `${where}: sparse connectivity needs 'pre' and 'post' arrays of synapse indices ({ kind: "sparse", pre: [...], post: [...] }).`,
        );
      }
      if (pre.length !== post.length) {
        throw new NetworkValidationError(
          `${where}: sparse connectivity has ${pre.length} pre indices but ${post.length} post indices; they must pair up.`,
        );
      }
      const pairs: number[] = [];
      for (let s = 0; s < pre.length; s++) {
        const i = pre[s]!;
        const j = post[s]!;
        if (!Number.isInteger(i) || i < 0 || i >= nPre)
          throw new NetworkValidationError(
            `${where}: synapse ${s} has pre index ${i}, outside 0..${nPre - 1}.`,
          );
        if (!Number.isInteger(j) || j < 0 || j >= nPost)
          throw new NetworkValidationError(
            `${where}: synapse ${s} has post index ${j}, outside 0..${nPost - 1}.`,
          );
        pairs.push(i * nPost + j);
      }
      return sparseFromKeys(pairs, nPre, nPost, where);
    }
    case "fixedProbability": {
      const { probability, seed } = connectivity;
      if (!(probability >= 0 && probability <= 1)) {
        throw new NetworkValidationError(
          `${where}: connection probability must be in [0, 1], got ${probability}.`,
        );
      }
      const random = seededRandom(seed);
      const keys: number[] = [];
      for (let i = 0; i < nPre; i++) {
        for (let j = 0; j < nPost; j++) {
          if (
            random.uniform() < probability &&
            (connectivity.allowSelfConnections !== false || i !== j)
          )
            keys.push(i * nPost + j);
        }
      }
      return sparseFromKeys(keys, nPre, nPost, where);
    }
    default:
      throw new NetworkValidationError(
        `${where}: unknown connectivity ${JSON.stringify((connectivity as { kind?: unknown })?.kind)}; use dense, oneToOne, sparse or fixedProbability.`,
      );
  }
}

function sparseFromKeys(
  keys: number[],
  nPre: number,
  nPost: number,
  where: string,
): { planned: PlannedConnectivity; numSynapses: number } {
  keys.sort((a, b) => a - b);
  const rowStart = new Int32Array(nPre + 1);
  const postIndex = new Int32Array(keys.length);
  const preIndex = new Int32Array(keys.length);
  for (let s = 0; s < keys.length; s++) {
    const key = keys[s]!;
    if (s > 0 && keys[s - 1] === key) {
      throw new NetworkValidationError(
        `${where}: the synapse ${Math.floor(key / nPost)} -> ${key % nPost} is listed twice.`,
      );
    }
    preIndex[s] = Math.floor(key / nPost);
    postIndex[s] = key % nPost;
    rowStart[preIndex[s]! + 1]!++;
  }
  for (let i = 0; i < nPre; i++) rowStart[i + 1]! += rowStart[i]!;
  return { planned: { kind: "sparse", rowStart, postIndex, preIndex }, numSynapses: keys.length };
}

/**
 * Validates a network and turns it into a kernel plan: resolved params, checked code,
 * variable storage with batch layout, connectivity, merged groups and the per-step schedule.
 * Throws `NetworkValidationError`, `ModelDefinitionError` or `SnippetError` with a message
 * that names the group, the model and what to change.
 */
/**
 * The params and derived params of a group after `Runtime.setParam(owner, name, value)`, from its
 * current params (backends keep them). Throws {@link RuntimeUsageError} saying what is wrong: a
 * name the model does not have, a param that is not `dynamic`, a value that is not a finite
 * number, or derived params that come out non-finite.
 */
export function changeDynamicParam(
  group: PlannedPopulation | PlannedProjection | PlannedCustomUpdate,
  current: Readonly<Record<string, number>>,
  name: string,
  value: number,
  dt: number,
): { readonly params: Record<string, number>; readonly derivedParams: Record<string, number> } {
  const model = group.model;
  const specs = model.params ?? {};
  const call = `setParam(${group.name}, ${name})`;
  const spec = specs[name];
  if (spec === undefined) {
    throw new RuntimeUsageError(
      `${call}: model '${model.name}' has no param '${name}'. Its params are: ${listOrNone(Object.keys(specs))}.`,
    );
  }
  if (spec.dynamic !== true) {
    const dynamic = Object.entries(specs)
      .filter(([, s]) => s.dynamic === true)
      .map(([n]) => n);
    throw new RuntimeUsageError(
      `${call}: param '${name}' of model '${model.name}' is fixed when the network is compiled; declare it with dynamic: true to change it afterwards${dynamic.length > 0 ? ` (its dynamic params: ${dynamic.join(", ")})` : ""}.`,
    );
  }
  if (typeof value !== "number" || !Number.isFinite(value))
    throw new RuntimeUsageError(
      `${call}: the value must be a finite number, got ${String(value)}.`,
    );
  try {
    return resolveParams(model, { ...current, [name]: value }, dt, call);
  } catch (error) {
    if (error instanceof NetworkValidationError) throw new RuntimeUsageError(error.message);
    throw error;
  }
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

/** Names of a model's dynamic params (`ParamSpec.dynamic`). */
export function dynamicParamNames(model: {
  readonly params?: Readonly<Record<string, ParamSpec>>;
}): string[] {
  return Object.entries(model.params ?? {})
    .filter(([, spec]) => spec.dynamic === true)
    .map(([name]) => name);
}

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
  let rngStream = 1;

  const populations: PlannedPopulation[] = [];
  const mergedPopulations: { model: MergedPopulationGroup["model"]; populations: number[] }[] = [];
  network.populations.forEach((description, index) => {
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
    let merged = mergedPopulations.findIndex((g) => g.model === model);
    if (merged < 0) {
      merged = mergedPopulations.length;
      mergedPopulations.push({ model, populations: [] });
    }
    mergedPopulations[merged]!.populations.push(index);
    populations.push({
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
      mergedGroup: merged,
      rngStream: rngStream++,
    });
  });

  const projections: PlannedProjection[] = network.projections.map((description, index) => {
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

    let postsynaptic: PlannedProjection["postsynaptic"] = null;
    if (description.postTarget === undefined) {
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
      postsynaptic = {
        model: psModel,
        ...resolved,
        vars: plannedVars(
          psModel.vars,
          post.size,
          batchSize,
          description.postsynapticInit,
          `${where} (postsynaptic model)`,
        ),
        apply,
      };
    } else if (description.postsynaptic !== undefined) {
      throw new NetworkValidationError(
        `${where}: give either postTarget or a postsynaptic model, not both.`,
      );
    }
    (post.incoming as number[]).push(index);
    (pre.outgoing as number[]).push(index);
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
      rngStream: rngStream++,
    };
  });

  const customUpdates = planCustomUpdates(network, populations, projections, () => rngStream++);
  const customUpdateGroups: Record<string, number[]> = {};
  for (const update of customUpdates) (customUpdateGroups[update.group] ??= []).push(update.index);
  checkGroupWrites(customUpdates, customUpdateGroups, populations, projections);

  return {
    version: PLAN_VERSION,
    name: network.name,
    dt,
    batchSize,
    seed: network.seed,
    populations,
    projections,
    customUpdates,
    customUpdateGroups,
    mergedPopulations,
    schedule: planSchedule(populations, projections),
  };
}

/** Orders populations so that 0-delay projections run after their source; each population's incoming synapses run right before it. */
function planSchedule(
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

function planCustomUpdates(
  network: Network,
  populations: readonly PlannedPopulation[],
  projections: readonly PlannedProjection[],
  nextStream: () => number,
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
      rngStream: nextStream(),
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

/** A variable may be written by at most one custom update of a group (they may run concurrently on a GPU). */
function checkGroupWrites(
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
