import { NetworkValidationError } from "./errors";
import type {
  CustomUpdateModel,
  NeuronModel,
  PostsynapticModel,
  WeightUpdateModel,
} from "./models/types";

/**
 * An initial value: one number for every element, an array with one value per element
 * (per batch element too when the variable is batched: `[batch][n]` or `[n]` broadcast),
 * or a seeded random distribution (drawn on the host, reproducibly).
 */
export type InitialValue =
  | number
  | ArrayLike<number>
  | { readonly kind: "normal"; readonly mean: number; readonly sd: number; readonly seed: number }
  | { readonly kind: "uniform"; readonly min: number; readonly max: number; readonly seed: number };

/** Which synapses a projection has. */
export type Connectivity =
  /** Every presynaptic neuron to every postsynaptic neuron; synapse index `pre * nPost + post`. */
  | { readonly kind: "dense" }
  /** Pre i to post i; both populations must have the same size. */
  | { readonly kind: "oneToOne" }
  /** Explicit synapse list; synapses are stored sorted by (pre, post), duplicates are an error. */
  | { readonly kind: "sparse"; readonly pre: ArrayLike<number>; readonly post: ArrayLike<number> }
  /** Each (pre, post) pair independently with `probability`, drawn on the host from `seed`. */
  | {
      readonly kind: "fixedProbability";
      readonly probability: number;
      readonly seed: number;
      readonly allowSelfConnections?: boolean;
    };

export interface PopulationOptions {
  readonly model: NeuronModel;
  /** Number of neurons. */
  readonly size: number;
  readonly params?: Readonly<Record<string, number>>;
  readonly init?: Readonly<Record<string, InitialValue>>;
  /** Record spikes for the whole trial (read with `Runtime.readSpikes`). Default false. */
  readonly recordSpikes?: boolean;
}

export interface ProjectionOptions {
  /** Presynaptic population name. */
  readonly pre: string;
  /** Postsynaptic population name. */
  readonly post: string;
  readonly model: WeightUpdateModel;
  readonly params?: Readonly<Record<string, number>>;
  /** Initial values of synapse vars, preVars and postVars (one namespace). */
  readonly init?: Readonly<Record<string, InitialValue>>;
  readonly connectivity: Connectivity;
  /** Default `DeltaCurr` (chosen by the plan). */
  readonly postsynaptic?: PostsynapticModel;
  readonly postsynapticParams?: Readonly<Record<string, number>>;
  readonly postsynapticInit?: Readonly<Record<string, InitialValue>>;
  /**
   * Steps between a presynaptic spike and its delivery: 1 (default) delivers last step's
   * spikes; 0 delivers this step's spikes, so the presynaptic population updates first in
   * each step (the plan orders populations; a cycle of 0-delay projections is an error).
   */
  readonly delaySteps?: 0 | 1;
  /** Where `addToPost` goes: the postsynaptic model (default) or an additional input of the post neuron. */
  readonly postTarget?: string;
  /** Where `addToPre` goes: an additional input of the presynaptic neuron model. */
  readonly preTarget?: string;
}

/** A reference to a variable of a population, projection or custom update, by owner and name. */
export interface VarReference {
  readonly owner: string;
  readonly var: string;
}

export interface CustomUpdateOptions {
  /** The group it runs in: `Runtime.runCustomUpdate(group)` runs every custom update of the group, in order. */
  readonly group: string;
  readonly model: CustomUpdateModel;
  readonly params?: Readonly<Record<string, number>>;
  readonly init?: Readonly<Record<string, InitialValue>>;
  readonly varRefs?: Readonly<Record<string, VarReference>>;
}

export interface NetworkOptions {
  /** Timestep in ms. Default 1. */
  readonly dt?: number;
  /** Batch size: independent copies of the per-batch-element state. Default 1. */
  readonly batchSize?: number;
  /** Seed of the counter-based random number generator (`uniform()`, `normal()`). Default 0. */
  readonly seed?: number;
  readonly name?: string;
}

export interface PopulationDescription extends PopulationOptions {
  readonly name: string;
}
export interface ProjectionDescription extends ProjectionOptions {
  readonly name: string;
}
export interface CustomUpdateDescription extends CustomUpdateOptions {
  readonly name: string;
}

const NAME_PATTERN = /^[A-Za-z][A-Za-z0-9_]*$/;

/**
 * A network description: populations, projections and custom updates. It is plain data;
 * `planNetwork` validates it and turns it into the kernel plan a backend compiles.
 *
 * ```ts
 * const net = new Network({ dt: 1, batchSize: 4 });
 * net.addPopulation("in", { model: SpikeSourceArray, size: 100 });
 * net.addPopulation("hid", { model: LIF, size: 50, recordSpikes: true });
 * net.addProjection("in_hid", { pre: "in", post: "hid", model: StaticPulse,
 *   connectivity: { kind: "dense" }, init: { g: 0.5 } });
 * ```
 */
export class Network {
  readonly dt: number;
  readonly batchSize: number;
  readonly seed: number;
  readonly name: string;
  readonly populations: PopulationDescription[] = [];
  readonly projections: ProjectionDescription[] = [];
  readonly customUpdates: CustomUpdateDescription[] = [];

  constructor(options: NetworkOptions = {}) {
    this.dt = options.dt ?? 1;
    this.batchSize = options.batchSize ?? 1;
    this.seed = options.seed ?? 0;
    this.name = options.name ?? "network";
    if (!(this.dt > 0) || !Number.isFinite(this.dt)) {
      throw new NetworkValidationError(
        `Network dt must be a positive number of ms, got ${options.dt}.`,
      );
    }
    if (!Number.isInteger(this.batchSize) || this.batchSize < 1) {
      throw new NetworkValidationError(
        `Network batchSize must be a positive integer, got ${options.batchSize}.`,
      );
    }
    if (!Number.isInteger(this.seed) || this.seed < 0 || this.seed > 0xffffffff) {
      throw new NetworkValidationError(
        `Network seed must be an integer in 0..4294967295, got ${options.seed}.`,
      );
    }
  }

  /** Adds a population of `size` neurons of one neuron model. Returns its name. */
  addPopulation(name: string, options: PopulationOptions): string {
    this.claimName(name, "population");
    this.populations.push({ name, ...options });
    return name;
  }

  /** Adds a projection (synapses from `pre` to `post`). Returns its name. */
  addProjection(name: string, options: ProjectionOptions): string {
    this.claimName(name, "projection");
    this.projections.push({ name, ...options });
    return name;
  }

  /** Adds a custom update, run on demand with its group. Returns its name. */
  addCustomUpdate(name: string, options: CustomUpdateOptions): string {
    this.claimName(name, "custom update");
    this.customUpdates.push({ name, ...options });
    return name;
  }

  private claimName(name: string, what: string): void {
    if (typeof name !== "string" || !NAME_PATTERN.test(name)) {
      throw new NetworkValidationError(
        `Invalid ${what} name ${JSON.stringify(name)}: use a letter followed by letters, digits or '_'.`,
      );
    }
    const taken =
      this.populations.some((p) => p.name === name) ||
      this.projections.some((p) => p.name === name) ||
      this.customUpdates.some((c) => c.name === name);
    if (taken) {
      throw new NetworkValidationError(
        `The name '${name}' is already used in this network; populations, projections and custom updates need distinct names.`,
      );
    }
  }
}
