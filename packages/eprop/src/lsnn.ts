/**
 * The LSNN of the sMNIST-style experiments (the `snn train` command and the accuracy benchmark):
 * input -> one hidden layer of LIF, ALIF or mixed neurons -> leaky readout, described in one place
 * so that every caller builds the same network from the same settings.
 */
import { defineEpropNetwork, specAlifBeta } from "./define-network";
import type { EpropNetworkDescription } from "./description";

/** Settings of {@link lsnnNetwork}. */
export interface LsnnOptions {
  /** Time step (ms). */
  readonly dt: number;
  /** Input channels. */
  readonly numInputs: number;
  /** Hidden neurons. */
  readonly numHidden: number;
  /** Readout neurons (classes). */
  readonly numClasses: number;
  /**
   * `"lif"`, `"alif"`, or `"mixed"`: the first floor(n/2) hidden neurons LIF (beta 0), the
   * rest ALIF.
   */
  readonly neuron: "lif" | "alif" | "mixed";
  /** Recurrent hidden weights (default true). */
  readonly recurrent?: boolean;
  /** Membrane time constant of the hidden neurons (ms). */
  readonly tauMemMs: number;
  /** Adaptation time constant of the ALIF neurons (ms). */
  readonly tauAdaptMs: number;
  /** Membrane time constant of the readout (ms). */
  readonly tauOutMs: number;
  /** beta of every ALIF neuron; absent or `null` for {@link specAlifBeta}. Ignored for `"lif"`. */
  readonly beta?: number | null;
  /** Learning-signal feedback. */
  readonly feedback: "symmetric" | "random";
  /** Firing-rate regularisation (a strength of 0 or less turns it off), or `false` for none. */
  readonly regularisation: { readonly strength: number; readonly targetRateHz: number } | false;
  /** Seed of the initial weights (and random feedback). */
  readonly seed: number;
}

/** Name of the hidden layer of {@link lsnnNetwork}'s networks. */
export const LSNN_HIDDEN_LAYER = "hidden";

/**
 * The e-prop description of the one-hidden-layer LSNN with these settings. Its hidden layer is
 * named {@link LSNN_HIDDEN_LAYER}. Invalid settings throw `EpropConfigError`, as
 * {@link defineEpropNetwork} does.
 */
export function lsnnNetwork(options: LsnnOptions): EpropNetworkDescription {
  const { neuron, numHidden } = options;
  const alifBeta = options.beta ?? specAlifBeta(options.dt, options.tauMemMs, options.tauAdaptMs);
  const beta =
    neuron === "mixed"
      ? Array.from({ length: numHidden }, (_, j) => (j < Math.floor(numHidden / 2) ? 0 : alifBeta))
      : neuron === "alif"
        ? alifBeta
        : undefined;
  return defineEpropNetwork({
    dt: options.dt,
    input: { size: options.numInputs },
    hidden: [
      {
        name: LSNN_HIDDEN_LAYER,
        size: numHidden,
        neuron: neuron === "lif" ? "LIF" : "ALIF",
        recurrent: options.recurrent ?? true,
        tauMemMs: options.tauMemMs,
        tauAdaptMs: options.tauAdaptMs,
        ...(beta !== undefined ? { beta } : {}),
      },
    ],
    readout: { size: options.numClasses, tauOutMs: options.tauOutMs },
    feedback: options.feedback,
    regularisation:
      options.regularisation !== false && options.regularisation.strength > 0
        ? {
            strength: options.regularisation.strength,
            targetRateHz: options.regularisation.targetRateHz,
          }
        : false,
    seed: options.seed,
  });
}
