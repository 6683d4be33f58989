/** Variable storage of a group: initial values (constant, arrays, random draws) and batch layout. */
import { NetworkValidationError } from "./errors";
import type { CustomUpdateAccess, CustomUpdateVarSpec, VarSpec } from "./models/types";
import type { InitialValue } from "./network";
import type { PlannedVar } from "./plan-types";
import { seededRandom } from "./rng";

/** Turns an initial value into the stored form, validating its length. */
export function plannedVar(
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

export function plannedVars(
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
