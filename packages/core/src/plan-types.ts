import type { CheckedSnippet, ScalarType } from "./snippet/ast";
import type {
  CustomUpdateAccess,
  CustomUpdateModel,
  NeuronModel,
  PostsynapticModel,
  WeightUpdateModel,
} from "./models/types";

/** Version of the plan and backend interface; a backend rejects plans of another version. */
export const PLAN_VERSION = 1;

/** The typed array that stores a scalar type. */
export type VarArray = Float32Array | Int32Array | Uint32Array;

/** One stored variable of a population, projection or custom update. */
export interface PlannedVar {
  readonly name: string;
  readonly type: ScalarType;
  readonly access: CustomUpdateAccess;
  /** One copy per batch element (`[batch][size]`), else one shared copy (`[size]`). */
  readonly batched: boolean;
  /** Elements per copy. */
  readonly size: number;
  /**
   * Initial contents: a constant, an array of `size` values (broadcast over the batch when
   * batched), or `batch * size` values. Fill storage with `fillInitialValues`.
   */
  readonly initial: number | Float32Array;
}

interface PlannedGroupBase {
  readonly name: string;
  readonly index: number;
  /** Resolved params (defaults applied). */
  readonly params: Readonly<Record<string, number>>;
  readonly derivedParams: Readonly<Record<string, number>>;
  /** Distinguishes this group's random numbers from every other group's. */
  readonly rngStream: number;
}

export interface PlannedPopulation extends PlannedGroupBase {
  readonly model: NeuronModel;
  readonly size: number;
  readonly vars: readonly PlannedVar[];
  readonly additionalInputs: readonly string[];
  readonly recordSpikes: boolean;
  /** True for spike source arrays: spikes come from `Runtime.setSpikeEvents`. */
  readonly spikeSource: boolean;
  readonly code: {
    readonly sim: CheckedSnippet | null;
    readonly threshold: CheckedSnippet | null;
    readonly reset: CheckedSnippet | null;
  };
  /** Projections into this population, in declaration order. */
  readonly incoming: readonly number[];
  /** Projections out of this population, in declaration order. */
  readonly outgoing: readonly number[];
  /** Index into `KernelPlan.mergedPopulations`. */
  readonly mergedGroup: number;
}

export type PlannedConnectivity =
  | { readonly kind: "dense" }
  | { readonly kind: "oneToOne" }
  /** Compressed rows by presynaptic neuron: synapses of pre i are rowStart[i] .. rowStart[i+1]-1. */
  | {
      readonly kind: "sparse";
      readonly rowStart: Int32Array;
      readonly postIndex: Int32Array;
      readonly preIndex: Int32Array;
    };

export interface PlannedPostsynaptic {
  readonly model: PostsynapticModel;
  readonly params: Readonly<Record<string, number>>;
  readonly derivedParams: Readonly<Record<string, number>>;
  /** Per postsynaptic neuron and batch element. */
  readonly vars: readonly PlannedVar[];
  readonly apply: CheckedSnippet;
}

export interface PlannedProjection extends PlannedGroupBase {
  readonly model: WeightUpdateModel;
  readonly pre: number;
  readonly post: number;
  readonly connectivity: PlannedConnectivity;
  readonly numSynapses: number;
  readonly delaySteps: 0 | 1;
  /** Per-synapse vars (`size` = numSynapses), then per-neuron pre and post vars. */
  readonly vars: readonly PlannedVar[];
  readonly preVars: readonly PlannedVar[];
  readonly postVars: readonly PlannedVar[];
  /** Null when `addToPost` feeds an additional input of the post neuron (`postTarget`). */
  readonly postsynaptic: PlannedPostsynaptic | null;
  /** Additional input of the post neuron fed by `addToPost`, or null for the postsynaptic model. */
  readonly postTarget: string | null;
  /** Additional input of the pre neuron fed by `addToPre`, or null when `addToPre` is unused. */
  readonly preTarget: string | null;
  readonly code: {
    readonly preSpike: CheckedSnippet | null;
    /** Per synapse onto a postsynaptic neuron that spiked, in the post population's neuron update. */
    readonly postSpike: CheckedSnippet | null;
    readonly synapseDynamics: CheckedSnippet | null;
    readonly preSpikeCode: CheckedSnippet | null;
    readonly postSpikeCode: CheckedSnippet | null;
    readonly preDynamics: CheckedSnippet | null;
    readonly postDynamics: CheckedSnippet | null;
  };
}

/** Where a custom update's variable reference points. */
export interface PlannedVarRef {
  readonly name: string;
  readonly type: ScalarType;
  readonly access: CustomUpdateAccess;
  readonly owner: {
    readonly kind: "population" | "projection" | "customUpdate";
    readonly index: number;
  };
  /** Which namespace of a projection: synapse vars, pre/post vars, or postsynaptic-model vars. */
  readonly role: "neuron" | "synapse" | "pre" | "post" | "postsynaptic" | "customUpdate";
  /** Name of the referenced variable. */
  readonly var: string;
  /** Whether the referenced variable has one copy per batch element. */
  readonly batched: boolean;
}

export interface PlannedCustomUpdate extends PlannedGroupBase {
  readonly model: CustomUpdateModel;
  readonly group: string;
  /** Elements the update runs over (neurons or synapses of its targets). */
  readonly size: number;
  /** Runs once per batch element (some referenced variable is batched). */
  readonly batched: boolean;
  readonly vars: readonly PlannedVar[];
  readonly varRefs: readonly PlannedVarRef[];
  readonly update: CheckedSnippet;
}

/** One entry of the per-step schedule. */
export type ScheduleEntry =
  /** Deliver the projection's spikes (by its delay) through `preSpike`, then run `synapseDynamics`. */
  | { readonly op: "synapses"; readonly projection: number }
  /**
   * Update the population: postsynaptic models, `sim`, `threshold`, `reset`, spike recording;
   * then pre/post spike code and dynamics of its outgoing/incoming projections.
   */
  | { readonly op: "neurons"; readonly population: number };

/** Groups of populations that share one model (and so one piece of generated code). */
export interface MergedPopulationGroup {
  readonly model: NeuronModel;
  readonly populations: readonly number[];
}

/**
 * What a backend compiles: every group with resolved params, checked code and storage,
 * and the order of work in one timestep.
 */
export interface KernelPlan {
  readonly version: typeof PLAN_VERSION;
  readonly name: string;
  /** ms */
  readonly dt: number;
  readonly batchSize: number;
  readonly seed: number;
  readonly populations: readonly PlannedPopulation[];
  readonly projections: readonly PlannedProjection[];
  readonly customUpdates: readonly PlannedCustomUpdate[];
  /** Custom update groups by name, each the indices of its custom updates in run order. */
  readonly customUpdateGroups: Readonly<Record<string, readonly number[]>>;
  readonly mergedPopulations: readonly MergedPopulationGroup[];
  /** The work of one timestep, in order. */
  readonly schedule: readonly ScheduleEntry[];
}
