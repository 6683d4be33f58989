/** Params: defaults, derived params and their float32 range checks, and dynamic params changed at run time. */
import { ModelDefinitionError, NetworkValidationError, RuntimeUsageError } from "./errors";
import type { DerivedParamSpec, ParamSpec } from "./models/types";
import type { PlannedCustomUpdate, PlannedPopulation, PlannedProjection } from "./plan-types";
import { listOrNone } from "./plan-validation";

/** Resolves params (applying defaults) and derived params; reports missing and unknown names. */
export function resolveParams(
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

/** Names of a model's dynamic params (`ParamSpec.dynamic`). */
export function dynamicParamNames(model: {
  readonly params?: Readonly<Record<string, ParamSpec>>;
}): string[] {
  return Object.entries(model.params ?? {})
    .filter(([, spec]) => spec.dynamic === true)
    .map(([name]) => name);
}
