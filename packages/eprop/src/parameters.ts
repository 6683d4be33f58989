import { seededRandom } from "@snn/core";
import type { EpropNetworkDescription } from "./description";
import { parametersOf, type ParameterInfo } from "./projections";
import { EpropConfigError } from "./errors";

/** Parameters by name, in the spec layout: weights `[post][pre]` row-major, bias `[n]`, feedback `[hidden][readout]`. */
export type ParameterSet = Record<string, Float32Array>;

function elementCount(info: ParameterInfo): number {
  return info.shape.reduce((a, b) => a * b, 1);
}

/**
 * Initial parameters (docs/equations.md section 3): every weight normal with mean 0 and standard
 * deviation 1/sqrt(n_pre), recurrent self-connections 0, readout bias 0; random feedback
 * matrices normal with standard deviation 1/sqrt(n_hidden) (the scale of the readout weights
 * that symmetric feedback uses). Drawn in a fixed order from the description's seed.
 */
export function initialParameters(description: EpropNetworkDescription): ParameterSet {
  const random = seededRandom(description.seed);
  const out: ParameterSet = {};
  for (const info of parametersOf(description)) {
    const values = new Float32Array(elementCount(info));
    if (info.kind === "weight") {
      const [nPost, nPre] = info.shape as [number, number];
      const sd = 1 / Math.sqrt(nPre);
      for (let i = 0; i < values.length; i++) values[i] = sd * random.normal();
      if (info.pre === info.post) for (let j = 0; j < nPost; j++) values[j * nPre + j] = 0;
    } else if (info.kind === "feedback") {
      const [nHidden] = info.shape as [number, number];
      const sd = 1 / Math.sqrt(nHidden);
      for (let i = 0; i < values.length; i++) values[i] = sd * random.normal();
    }
    out[info.name] = values;
  }
  return out;
}

/**
 * Checks a parameter set against a description: every name known, every length right, values
 * finite, recurrent diagonals 0. Missing parameters are an error unless `partial`.
 */
export function checkParameters(
  description: EpropNetworkDescription,
  values: Readonly<Record<string, ArrayLike<number>>>,
  partial = false,
): void {
  if (typeof values !== "object" || values === null)
    throw new EpropConfigError("Parameters must be an object of arrays by parameter name.");
  const infos = parametersOf(description);
  for (const name of Object.keys(values)) {
    if (!infos.some((i) => i.name === name)) {
      throw new EpropConfigError(
        `Unknown parameter '${name}'. This network's parameters: ${infos.map((i) => i.name).join(", ")}.`,
      );
    }
  }
  for (const info of infos) {
    const given = values[info.name];
    if (given === undefined) {
      if (partial) continue;
      throw new EpropConfigError(
        `Parameter '${info.name}' is missing; give ${info.shape.join(" x ")} values.`,
      );
    }
    const expected = elementCount(info);
    if (typeof given !== "object" || given === null || typeof given.length !== "number") {
      throw new EpropConfigError(
        `Parameter '${info.name}' must be an array of ${expected} numbers.`,
      );
    }
    if (given.length !== expected) {
      throw new EpropConfigError(
        `Parameter '${info.name}' has ${given.length} values but its shape is [${info.shape.join(", ")}] (${expected} values${info.kind === "weight" ? ", row-major [post][pre]" : ""}).`,
      );
    }
    for (let i = 0; i < given.length; i++) {
      if (!Number.isFinite(given[i]))
        throw new EpropConfigError(
          `Parameter '${info.name}' value ${i} is ${String(given[i])}; all must be finite.`,
        );
    }
    if (info.kind === "weight" && info.pre === info.post) {
      const n = info.shape[0]!;
      for (let j = 0; j < n; j++) {
        if (given[j * n + j] !== 0) {
          throw new EpropConfigError(
            `Parameter '${info.name}': recurrent self-connection ${j} -> ${j} is ${String(given[j * n + j])}; e-prop networks have none, set the diagonal to 0.`,
          );
        }
      }
    }
  }
}

/** `[post][pre]` -> `[pre][post]` (or back, with the shape swapped). */
export function transpose(values: ArrayLike<number>, rows: number, columns: number): Float32Array {
  const out = new Float32Array(rows * columns);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < columns; c++) out[c * rows + r] = values[r * columns + c]!;
  }
  return out;
}

/** Parameters in the layout the core network stores (dense `[pre][post]`), by parameter name. */
export function toCoreLayout(
  description: EpropNetworkDescription,
  values: Readonly<Record<string, ArrayLike<number>>>,
): Map<string, Float32Array> {
  checkParameters(description, values);
  const out = new Map<string, Float32Array>();
  for (const info of parametersOf(description)) {
    const given = values[info.name]!;
    if (info.kind === "weight") {
      const [nPost, nPre] = info.shape as [number, number];
      out.set(info.name, transpose(given, nPost, nPre));
    } else {
      out.set(info.name, Float32Array.from(given));
    }
  }
  return out;
}
