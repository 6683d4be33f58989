/**
 * Validation of a layer-level e-prop network: {@link defineEpropNetwork} checks the options
 * a user gives and fills in the defaults of docs/equations.md section 3, and
 * {@link parseEpropNetworkDescription} checks a description read from JSON (a checkpoint) the
 * same way.
 */
import type {
  EpropNetworkDescription,
  EpropNetworkOptions,
  HiddenLayerDescription,
  InputLayerOptions,
  ReadoutLayerOptions,
} from "./description";
import { EpropConfigError } from "./errors";

const NAME_PATTERN = /^[A-Za-z][A-Za-z0-9_]*$/;
const RESERVED_NAMES = new Set(["eprop_mask"]);

/**
 * Adaptation strength beta of an ALIF neuron in the spec, the default of an ALIF layer's `beta`:
 * 1.7 (1 - rho) / (1 - alpha), with alpha = exp(-dt/tau_m) and rho = exp(-dt/tau_a).
 */
export function specAlifBeta(dtMs: number, tauMemMs: number, tauAdaptMs: number): number {
  const alpha = Math.exp(-dtMs / tauMemMs);
  const rho = Math.exp(-dtMs / tauAdaptMs);
  return (1.7 * (1 - rho)) / (1 - alpha);
}

function positiveNumber(value: unknown, what: string): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) {
    throw new EpropConfigError(`${what} must be a positive number, got ${String(value)}.`);
  }
  return value;
}

function finiteNumber(value: unknown, what: string): number {
  if (typeof value !== "number" || !Number.isFinite(value)) {
    throw new EpropConfigError(`${what} must be a finite number, got ${String(value)}.`);
  }
  return value;
}

function positiveInteger(value: unknown, what: string): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1) {
    throw new EpropConfigError(`${what} must be a positive integer, got ${String(value)}.`);
  }
  return value;
}

function layerName(value: unknown, what: string): string {
  if (
    typeof value !== "string" ||
    !NAME_PATTERN.test(value) ||
    RESERVED_NAMES.has(value) ||
    value.includes("__")
  ) {
    throw new EpropConfigError(
      `${what} must be a letter followed by letters, digits or '_' (no '__', not ${[...RESERVED_NAMES].join(", ")}), got ${JSON.stringify(value)}.`,
    );
  }
  return value;
}

/**
 * Validates a layer-level e-prop network and fills in the defaults of docs/equations.md section 3.
 * Throws {@link EpropConfigError} naming what is wrong.
 *
 * ```ts
 * const description = defineEpropNetwork({
 *   input: { size: 700 },
 *   hidden: [{ name: "hidden", size: 256, neuron: "ALIF" }],
 *   readout: { size: 20 },
 * });
 * ```
 */
export function defineEpropNetwork(options: EpropNetworkOptions): EpropNetworkDescription {
  if (typeof options !== "object" || options === null) {
    throw new EpropConfigError(
      "defineEpropNetwork: give an options object with input, hidden and readout.",
    );
  }
  const dt = options.dt === undefined ? 1 : positiveNumber(options.dt, "dt (ms)");
  if (typeof options.input !== "object" || options.input === null) {
    throw new EpropConfigError(
      "The network needs an input layer: input: { size: <number of channels> }.",
    );
  }
  const input = {
    name: layerName(options.input.name ?? "input", "input.name"),
    size: positiveInteger(options.input.size, "input.size"),
  };
  if (!Array.isArray(options.hidden) || options.hidden.length === 0) {
    throw new EpropConfigError(
      "The network needs at least one hidden layer: hidden: [{ name, size, neuron: 'LIF' | 'ALIF' }].",
    );
  }
  const names = new Set<string>([input.name]);
  const hidden: HiddenLayerDescription[] = [];
  options.hidden.forEach((layer, index) => {
    const where = `hidden[${index}]`;
    if (typeof layer !== "object" || layer === null)
      throw new EpropConfigError(`${where} must be an object { name, size, neuron }.`);
    const name = layerName(layer.name, `${where}.name`);
    if (names.has(name))
      throw new EpropConfigError(
        `Layer name '${name}' is used twice; every layer needs its own name.`,
      );
    const size = positiveInteger(layer.size, `hidden layer '${name}': size`);
    const neuron = layer.neuron;
    if (neuron !== "LIF" && neuron !== "ALIF") {
      throw new EpropConfigError(
        `Hidden layer '${name}': unknown neuron type ${JSON.stringify(neuron)}; e-prop supports 'LIF' and 'ALIF'.`,
      );
    }
    const inputs = layer.inputs ?? [index === 0 ? input.name : hidden[index - 1]!.name];
    if (!Array.isArray(inputs))
      throw new EpropConfigError(`Hidden layer '${name}': inputs must be an array of layer names.`);
    for (const source of inputs) {
      if (source === name) {
        throw new EpropConfigError(
          `Hidden layer '${name}' lists itself in inputs; use recurrent: true for connections within a layer.`,
        );
      }
      if (!names.has(source)) {
        throw new EpropConfigError(
          `Hidden layer '${name}': input '${String(source)}' is not the input layer or an earlier hidden layer (known: ${[...names].join(", ")}). Feedforward inputs must come before the layer.`,
        );
      }
    }
    if (new Set(inputs).size !== inputs.length)
      throw new EpropConfigError(`Hidden layer '${name}': inputs lists a layer twice.`);
    const recurrent = layer.recurrent ?? true;
    if (inputs.length === 0) {
      throw new EpropConfigError(
        `Hidden layer '${name}' has no feedforward inputs, so it would never receive input; list the input or an earlier hidden layer in inputs.`,
      );
    }
    const tauMemMs = positiveNumber(layer.tauMemMs ?? 20, `hidden layer '${name}': tauMemMs`);
    const tauAdaptMs = positiveNumber(
      layer.tauAdaptMs ?? 2000,
      `hidden layer '${name}': tauAdaptMs`,
    );
    const vThresh = positiveNumber(layer.vThresh ?? 0.6, `hidden layer '${name}': vThresh`);
    const gamma = finiteNumber(layer.gamma ?? 0.3, `hidden layer '${name}': gamma`);
    const refractorySteps = layer.refractorySteps ?? Math.round(5 / dt);
    if (!Number.isInteger(refractorySteps) || refractorySteps < 0) {
      throw new EpropConfigError(
        `Hidden layer '${name}': refractorySteps must be a non-negative integer, got ${String(refractorySteps)}.`,
      );
    }
    let beta: number[];
    if (neuron === "LIF") {
      const given = layer.beta;
      const nonZero =
        given !== undefined &&
        (typeof given === "number" ? given !== 0 : Array.from(given).some((b) => b !== 0));
      if (nonZero) {
        throw new EpropConfigError(
          `Hidden layer '${name}' is LIF, which has no threshold adaptation; remove beta or use neuron: 'ALIF'.`,
        );
      }
      beta = new Array<number>(size).fill(0);
    } else {
      const given = layer.beta ?? specAlifBeta(dt, tauMemMs, tauAdaptMs);
      if (typeof given === "number") {
        beta = new Array<number>(size).fill(finiteNumber(given, `hidden layer '${name}': beta`));
      } else {
        const list = given as ArrayLike<number>;
        if (!Array.isArray(given) && !ArrayBuffer.isView(given)) {
          throw new EpropConfigError(
            `Hidden layer '${name}': beta must be a number or one number per neuron.`,
          );
        }
        if (list.length !== size) {
          throw new EpropConfigError(
            `Hidden layer '${name}': beta has ${list.length} values but the layer has ${size} neurons; give one per neuron or a single number.`,
          );
        }
        beta = Array.from(list, (b, i) => finiteNumber(b, `hidden layer '${name}': beta[${i}]`));
      }
      if (beta.some((b) => b < 0))
        throw new EpropConfigError(`Hidden layer '${name}': beta must not be negative.`);
    }
    names.add(name);
    hidden.push({
      name,
      size,
      neuron,
      inputs: [...inputs],
      recurrent,
      tauMemMs,
      tauAdaptMs,
      vThresh,
      beta,
      gamma,
      refractorySteps,
    });
  });

  if (typeof options.readout !== "object" || options.readout === null) {
    throw new EpropConfigError(
      "The network needs a readout: readout: { size: <number of classes> }.",
    );
  }
  const readoutName = layerName(options.readout.name ?? "output", "readout.name");
  if (names.has(readoutName))
    throw new EpropConfigError(
      `Layer name '${readoutName}' is used twice; every layer needs its own name.`,
    );
  const readoutInputs = options.readout.inputs ?? [hidden[hidden.length - 1]!.name];
  if (!Array.isArray(readoutInputs) || readoutInputs.length === 0) {
    throw new EpropConfigError(
      `Readout '${readoutName}' has no hidden input; list at least one hidden layer in readout.inputs.`,
    );
  }
  for (const source of readoutInputs) {
    if (!hidden.some((h) => h.name === source)) {
      throw new EpropConfigError(
        `Readout '${readoutName}': input '${String(source)}' is not a hidden layer (hidden layers: ${hidden.map((h) => h.name).join(", ")}); the readout reads hidden spikes only.`,
      );
    }
  }
  if (new Set(readoutInputs).size !== readoutInputs.length)
    throw new EpropConfigError(`Readout '${readoutName}': inputs lists a layer twice.`);
  const readout = {
    name: readoutName,
    size: positiveInteger(options.readout.size, `readout '${readoutName}': size`),
    tauOutMs: positiveNumber(options.readout.tauOutMs ?? 20, `readout '${readoutName}': tauOutMs`),
    inputs: [...readoutInputs],
  };
  const feedback = options.feedback ?? "symmetric";
  if (feedback !== "symmetric" && feedback !== "random") {
    throw new EpropConfigError(
      `feedback must be 'symmetric' or 'random', got ${JSON.stringify(feedback)}.`,
    );
  }
  if (feedback === "symmetric") {
    const unreached = hidden.filter((h) => !readout.inputs.includes(h.name));
    if (unreached.length > 0) {
      throw new EpropConfigError(
        `With symmetric feedback the learning signal reaches a hidden layer through its readout weights, but ${unreached.map((h) => `'${h.name}'`).join(", ")} ${unreached.length === 1 ? "is" : "are"} not connected to the readout. Add ${unreached.length === 1 ? "it" : "them"} to readout.inputs or use feedback: 'random'.`,
      );
    }
  }
  let regularisation: EpropNetworkDescription["regularisation"] = null;
  if (options.regularisation !== false) {
    const r = options.regularisation ?? {};
    if (typeof r !== "object" || r === null)
      throw new EpropConfigError("regularisation must be an options object or false.");
    regularisation = {
      strength: finiteNumber(r.strength ?? 0.001, "regularisation.strength"),
      targetRateHz: finiteNumber(r.targetRateHz ?? 10, "regularisation.targetRateHz"),
      tauMs: positiveNumber(r.tauMs ?? 500, "regularisation.tauMs"),
    };
    if (regularisation.strength === 0) regularisation = null;
  }
  const seed = options.seed ?? 0;
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new EpropConfigError(`seed must be an integer in 0..4294967295, got ${String(seed)}.`);
  }
  return {
    format: "snn-eprop-network",
    version: 1,
    dt,
    input,
    hidden,
    readout,
    feedback,
    regularisation,
    seed,
  };
}

/** Checks a value read from JSON (e.g. a checkpoint) and returns it as a description. */
export function parseEpropNetworkDescription(value: unknown): EpropNetworkDescription {
  const d = value as Partial<EpropNetworkDescription> | null;
  if (typeof d !== "object" || d === null || d.format !== "snn-eprop-network") {
    throw new EpropConfigError(
      "Not an e-prop network description (expected format 'snn-eprop-network').",
    );
  }
  if (d.version !== 1)
    throw new EpropConfigError(
      `Unsupported e-prop network description version ${String(d.version)}; this @snn/eprop reads version 1.`,
    );
  const hidden = (d.hidden ?? []).map((h) => ({ ...h }));
  const normalised = defineEpropNetwork({
    dt: d.dt as number,
    input: d.input as InputLayerOptions,
    hidden,
    readout: d.readout as ReadoutLayerOptions,
    feedback: d.feedback as "symmetric" | "random",
    regularisation: d.regularisation ?? false,
    seed: d.seed as number,
  });
  return normalised;
}
