/**
 * The layer-level description of an e-prop network: the options a user gives
 * ({@link EpropNetworkOptions}) and the validated description with every default filled in
 * ({@link EpropNetworkDescription}), which checkpoints store. defineEpropNetwork
 * (define-network.ts) turns the one into the other; projections.ts lists a description's
 * projections and parameter tensors.
 */

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

/** Whether a hidden layer has threshold adaptation (any beta other than 0). */
export function isAdaptive(layer: HiddenLayerDescription): boolean {
  return layer.beta.some((b) => b !== 0);
}
