import type { ScalarType } from "../snippet/ast";

/**
 * How a variable is stored and who may write it, as GeNN's variable access modes:
 * - `readWrite`: one copy per batch element (`[batch][n]`); model code may write it.
 * - `readOnlyDuplicate`: one copy per batch element; model code only reads it.
 * - `readOnly`: one copy shared by the whole batch (`[n]`), e.g. weights; model code only
 *   reads it, custom updates (optimisers) may write it.
 */
export type VarAccess = "readWrite" | "readOnlyDuplicate" | "readOnly";

/**
 * Access of a custom update's own variables and variable references. Reductions:
 * `reduceBatchSum`/`reduceBatchMax` reduce over batch elements into a shared (`[n]`) variable;
 * `reduceNeuronSum`/`reduceNeuronMax` reduce over the elements (neurons or synapses) into one
 * value per batch element. In each iteration the reduction target starts at the identity
 * (0 for sum, -Infinity for max); the value it holds at the end of the iteration is reduced.
 */
export type CustomUpdateAccess =
  VarAccess | "reduceBatchSum" | "reduceBatchMax" | "reduceNeuronSum" | "reduceNeuronMax";

/** A parameter: a number fixed when the network is built, or, if `dynamic`, changeable afterwards. */
export interface ParamSpec {
  /** Used when the network gives no value; without a default the param is required. */
  readonly default?: number;
  /** What it is, with units. */
  readonly doc?: string;
  /**
   * Settable after compilation with `Runtime.setParam` (a learning rate, an input rate): the
   * generated code reads it from memory instead of a constant. The model's derived params are
   * computed again when it changes.
   */
  readonly dynamic?: boolean;
}

/** A derived parameter: a pure function of the params and the timestep `dt` (ms), computed on the host. */
export interface DerivedParamSpec {
  readonly compute: (params: Readonly<Record<string, number>>, dt: number) => number;
  readonly doc?: string;
}

/** A state variable. */
export interface VarSpec {
  /** Default `float`. */
  readonly type?: ScalarType;
  /** Initial value when the network gives none. Default 0. */
  readonly init?: number;
  /** Default `readWrite`. */
  readonly access?: VarAccess;
  readonly doc?: string;
}

/** An additional input variable of a neuron model: zeroed every step, fed by `addToPost`/`addToPre`. */
export interface AdditionalInputSpec {
  readonly doc?: string;
}

interface ModelBase {
  /** A unique, human-readable name used in error messages and generated code. */
  readonly name: string;
  /** Equations and units. */
  readonly doc?: string;
  readonly params?: Readonly<Record<string, ParamSpec>>;
  readonly derivedParams?: Readonly<Record<string, DerivedParamSpec>>;
}

/**
 * A neuron model. Each step, in the population's slot of the schedule: postsynaptic models
 * apply (giving `Isyn`), then `sim`, then `threshold` (a condition; a spike when true), then
 * `reset` on a spike. Names visible to the code: params, derived params, vars, additional
 * inputs, `Isyn`, and the built-ins `dt`, `t`, `step`, `batch`, `id`.
 */
export interface NeuronModel extends ModelBase {
  readonly kind: "neuron";
  readonly vars?: Readonly<Record<string, VarSpec>>;
  readonly additionalInputs?: Readonly<Record<string, AdditionalInputSpec>>;
  readonly sim?: string;
  readonly threshold?: string;
  readonly reset?: string;
  /**
   * `spikeSourceArray`: the population emits the spikes set by `Runtime.setSpikeEvents`
   * (per batch element) instead of running code.
   */
  readonly source?: "spikeSourceArray";
}

/**
 * A postsynaptic model: turns the summed `addToPost` values of a projection (`inSyn`, this
 * step) into current. Its `apply` code runs in the postsynaptic population's slot before the
 * neuron's `sim` and adds to `Isyn`. Its vars are per postsynaptic neuron and batch element.
 */
export interface PostsynapticModel extends ModelBase {
  readonly kind: "postsynaptic";
  readonly vars?: Readonly<Record<string, VarSpec>>;
  readonly apply: string;
}

/**
 * A weight-update model. Code fields and when they run:
 * - `preSpike`: per synapse of a presynaptic neuron whose spike arrives this step (after the
 *   projection's delay), in the synapse phase; may call `addToPost(x)`.
 * - `synapseDynamics`: per synapse every step, in the synapse phase; may call `addToPost`/`addToPre`.
 * - `postSpike`: per synapse onto a postsynaptic neuron that spikes, once the whole
 *   population has updated, its `postSpikeCode` and `postDynamics` included (so it sees the
 *   `postVars` after them, and a recurrent projection every neuron's new `preVars`), neurons in
 *   ascending order: learning at postsynaptic spikes,
 *   e.g. STDP potentiation. No `addToPost`/`addToPre`, no random numbers.
 * - `preSpikeCode`/`postSpikeCode`: per pre/postsynaptic neuron when it spikes, right after
 *   that population's neuron update; writes `preVars`/`postVars`.
 * - `preDynamics`/`postDynamics`: per pre/postsynaptic neuron every step, right after that
 *   population's neuron update (and after its spike code).
 * Names visible: params, derived params, `vars` (per synapse), `preVars`, `postVars`, and the
 * neuron variables of the connected populations as `X_pre` and `X_post` (read only).
 */
export interface WeightUpdateModel extends ModelBase {
  readonly kind: "weightUpdate";
  readonly vars?: Readonly<Record<string, VarSpec>>;
  readonly preVars?: Readonly<Record<string, VarSpec>>;
  readonly postVars?: Readonly<Record<string, VarSpec>>;
  readonly preSpike?: string;
  readonly postSpike?: string;
  readonly synapseDynamics?: string;
  readonly preSpikeCode?: string;
  readonly postSpikeCode?: string;
  readonly preDynamics?: string;
  readonly postDynamics?: string;
}

/** A variable reference of a custom update. */
export interface VarRefSpec {
  /** Default `float`. */
  readonly type?: ScalarType;
  /** Default `readWrite`. */
  readonly access?: CustomUpdateAccess;
  readonly doc?: string;
}

/** A custom-update variable. */
export interface CustomUpdateVarSpec extends Omit<VarSpec, "access"> {
  readonly access?: CustomUpdateAccess;
}

/**
 * A custom update: code run on demand (`Runtime.runCustomUpdate(group)`) once per element of
 * its targets (neurons of a population or synapses of a projection), per batch element when
 * any batched variable takes part. Names visible: params, derived params, own vars, var refs.
 */
export interface CustomUpdateModel extends ModelBase {
  readonly kind: "customUpdate";
  readonly vars?: Readonly<Record<string, CustomUpdateVarSpec>>;
  readonly varRefs?: Readonly<Record<string, VarRefSpec>>;
  readonly update: string;
}

export type AnyModel = NeuronModel | PostsynapticModel | WeightUpdateModel | CustomUpdateModel;
