import { EpropConfigError } from "./errors";

/** Hidden neuron types: leaky integrate-and-fire, and adaptive LIF (threshold adaptation). */
export type HiddenNeuronType = "LIF" | "ALIF";

/** The input population: a spike source with one neuron per input channel. */
export interface InputLayerOptions {
  /** Default `"input"`. A letter followed by letters, digits or `_`. */
  readonly name?: string;
  /** Number of input channels. */
  readonly size: number;
}

/**
 * A hidden population of LIF or ALIF neurons (docs/equations.md section 1). Voltages are
 * dimensionless; every time constant is in ms.
 */
export interface HiddenLayerOptions {
  /** A letter followed by letters, digits or `_`. */
  readonly name: string;
  readonly size: number;
  readonly neuron: HiddenNeuronType;
  /**
   * Populations feeding this layer feedforward (no delay: x(t) affects v(t)): the input or
   * earlier hidden layers. Default: the previous hidden layer, or the input for the first.
   */
  readonly inputs?: readonly string[];
  /** Recurrent connections within the layer (one step delay, no self-connections). Default true. */
  readonly recurrent?: boolean;
  /** Membrane time constant, ms. Default 20. */
  readonly tauMemMs?: number;
  /** Threshold adaptation time constant, ms (ALIF). Default 2000. */
  readonly tauAdaptMs?: number;
  /** Baseline threshold v_th. Default 0.6. */
  readonly vThresh?: number;
  /**
   * Adaptation strength beta, one value or one per neuron (ALIF; LIF layers have beta 0).
   * Default `1.7 (1 - rho) / (1 - alpha)` (0.0174 with the default time constants).
   */
  readonly beta?: number | readonly number[];
  /** Pseudo-derivative dampening gamma. Default 0.3. */
  readonly gamma?: number;
  /**
   * Refractory period n_ref in steps: after a spike at t no spike at t+1 .. t+n_ref-1.
   * Default `round(5 ms / dt)`.
   */
  readonly refractorySteps?: number;
}

/** The leaky-integrator readout with bias: y(t) = kappa y(t-1) + W z(t) + b. */
export interface ReadoutLayerOptions {
  /** Default `"output"`. */
  readonly name?: string;
  /** Number of classes. */
  readonly size: number;
  /** Output time constant, ms. Default 20. */
  readonly tauOutMs?: number;
  /** Hidden layers feeding the readout. Default: the last hidden layer. */
  readonly inputs?: readonly string[];
}

/** Online firing-rate regularisation (docs/equations.md section 2). */
export interface RegularisationOptions {
  /** c_reg. Default 0.001. */
  readonly strength?: number;
  /** f_target in Hz. Default 10. */
  readonly targetRateHz?: number;
  /** tau_reg in ms. Default 500. */
  readonly tauMs?: number;
}

/** A layer-level LSNN description for e-prop; see {@link defineEpropNetwork}. */
export interface EpropNetworkOptions {
  /** Timestep in ms. Default 1. */
  readonly dt?: number;
  readonly input: InputLayerOptions;
  /** One or more hidden layers, in feedforward order. */
  readonly hidden: readonly HiddenLayerOptions[];
  readonly readout: ReadoutLayerOptions;
  /**
   * How the readout error reaches hidden neurons: `symmetric` (B = current readout weights,
   * only for layers connected to the readout) or `random` (fixed random B). Default `symmetric`.
   */
  readonly feedback?: "symmetric" | "random";
  /** Firing-rate regularisation; `false` turns it off. Default on with the spec's values. */
  readonly regularisation?: RegularisationOptions | false;
  /** Seed of the initial weights and of the random feedback matrices. Default 0. */
  readonly seed?: number;
}

/** A hidden layer with every default filled in. */
export interface HiddenLayerDescription {
  readonly name: string;
  readonly size: number;
  readonly neuron: HiddenNeuronType;
  readonly inputs: readonly string[];
  readonly recurrent: boolean;
  readonly tauMemMs: number;
  readonly tauAdaptMs: number;
  readonly vThresh: number;
  /** One value per neuron. */
  readonly beta: readonly number[];
  readonly gamma: number;
  readonly refractorySteps: number;
}

/**
 * A validated e-prop network with every default filled in. Plain JSON data: it is what a
 * checkpoint stores to describe the network.
 */
export interface EpropNetworkDescription {
  readonly format: "snn-eprop-network";
  readonly version: 1;
  readonly dt: number;
  readonly input: { readonly name: string; readonly size: number };
  readonly hidden: readonly HiddenLayerDescription[];
  readonly readout: {
    readonly name: string;
    readonly size: number;
    readonly tauOutMs: number;
    readonly inputs: readonly string[];
  };
  readonly feedback: "symmetric" | "random";
  readonly regularisation: {
    readonly strength: number;
    readonly targetRateHz: number;
    readonly tauMs: number;
  } | null;
  readonly seed: number;
}

/** A trainable or fixed parameter tensor of an e-prop network. */
export interface ParameterInfo {
  /** e.g. `"input->hidden"`, `"hidden->hidden"`, `"output.bias"`, `"output->hidden.feedback"`. */
  readonly name: string;
  /** `[post][pre]` for weights (spec convention), `[n]` for the bias, `[hidden][readout]` for feedback. */
  readonly shape: readonly number[];
  readonly kind: "weight" | "bias" | "feedback";
  readonly trainable: boolean;
  /** For weights and feedback: the presynaptic and postsynaptic layer. */
  readonly pre?: string;
  readonly post?: string;
}

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

/** Whether a hidden layer has threshold adaptation (any beta other than 0). */
export function isAdaptive(layer: HiddenLayerDescription): boolean {
  return layer.beta.some((b) => b !== 0);
}

/** The projections of a network: feedforward, recurrent and readout weights, in a fixed order. */
export interface ProjectionInfo {
  /** Parameter name, `"pre->post"`. */
  readonly name: string;
  /** Name of the core projection. */
  readonly coreName: string;
  readonly pre: string;
  readonly post: string;
  readonly nPre: number;
  readonly nPost: number;
  readonly kind: "feedforward" | "recurrent" | "readout";
}

/** Lists the weight projections of a description in a fixed order. */
export function projectionsOf(description: EpropNetworkDescription): ProjectionInfo[] {
  const size = new Map<string, number>([[description.input.name, description.input.size]]);
  for (const h of description.hidden) size.set(h.name, h.size);
  const out: ProjectionInfo[] = [];
  for (const h of description.hidden) {
    for (const source of h.inputs) {
      out.push({
        name: `${source}->${h.name}`,
        coreName: `${source}__${h.name}`,
        pre: source,
        post: h.name,
        nPre: size.get(source)!,
        nPost: h.size,
        kind: "feedforward",
      });
    }
    if (h.recurrent) {
      out.push({
        name: `${h.name}->${h.name}`,
        coreName: `${h.name}__${h.name}`,
        pre: h.name,
        post: h.name,
        nPre: h.size,
        nPost: h.size,
        kind: "recurrent",
      });
    }
  }
  const r = description.readout;
  for (const source of r.inputs) {
    out.push({
      name: `${source}->${r.name}`,
      coreName: `${source}__${r.name}`,
      pre: source,
      post: r.name,
      nPre: size.get(source)!,
      nPost: r.size,
      kind: "readout",
    });
  }
  return out;
}

/** Every parameter tensor of a network (weights, readout bias, random feedback matrices). */
export function parametersOf(description: EpropNetworkDescription): ParameterInfo[] {
  const out: ParameterInfo[] = projectionsOf(description).map((p) => ({
    name: p.name,
    shape: [p.nPost, p.nPre],
    kind: "weight" as const,
    trainable: true,
    pre: p.pre,
    post: p.post,
  }));
  const r = description.readout;
  out.push({ name: `${r.name}.bias`, shape: [r.size], kind: "bias", trainable: true });
  if (description.feedback === "random") {
    for (const h of description.hidden) {
      out.push({
        name: `${r.name}->${h.name}.feedback`,
        shape: [h.size, r.size],
        kind: "feedback",
        trainable: false,
        pre: r.name,
        post: h.name,
      });
    }
  }
  return out;
}
