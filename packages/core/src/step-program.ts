/**
 * The step program: what one timestep runs, compiled once from the plan for every backend.
 *
 * For each schedule entry it lists the code sites in the order they run, and for each site the
 * checked snippets, what they read and write (core's one analysis, snippet/analyse.ts), the
 * random-number counter field of each snippet ({@link RANDOM_FIELD}) and the storage each named
 * binding lives in, as a typed {@link SiteStorageRef}. A backend walks these lists and keeps only
 * what is really its own: how it prints a snippet, how it addresses storage, and the loops,
 * SIMD lanes or workgroups around the sites (docs/decisions/0012).
 *
 * Neuron entry, per neuron (`sites`): the postsynaptic model of each incoming projection
 * (`apply`: `Isyn += ...`, then its input is zeroed), the neuron model (`sim`, `threshold`,
 * `reset` and the spike it emits; or a spike source array's spike), zeroing the additional
 * inputs, then the presynaptic code of each outgoing projection and the postsynaptic code of each
 * incoming one (spike code where the neuron spiked, then dynamics). After the whole population
 * has updated, `postSpike` runs each incoming projection's postSpike code on the synapses onto
 * the neurons that spiked. Synapse entry: `preSpike` on the synapses of the presynaptic neurons
 * that spiked (this step's spikes, or with `delayed` the previous step's), then
 * `synapseDynamics` on every synapse; each per-synapse site also names what `addToPost` and
 * `addToPre` add to.
 *
 * Beside the timestep, `customUpdates` gives the site of each custom update
 * (custom-update-site.ts), which runs when the user asks.
 */
import { customUpdateSite, type CustomUpdateSite } from "./custom-update-site";
import type { KernelPlan, PlannedPopulation, PlannedProjection } from "./plan-types";
import type { SnippetAnalysis, StorageUse } from "./snippet/analyse";
import type { Binding, CheckedSnippet, ScalarType } from "./snippet/ast";
import {
  additionalInput,
  codeSite,
  projectionOwner,
  siteSnippet,
  varRef,
} from "./step-program-sites";

export type { CustomUpdateSite, CustomUpdateSlot, Reduction } from "./custom-update-site";

/** The group a variable belongs to. */
export interface StorageOwner {
  readonly kind: "population" | "projection" | "customUpdate";
  readonly index: number;
}

/** A stored variable: its group, the part of the group's model it belongs to, and its name. */
export interface VarStorageRef {
  readonly kind: "var";
  readonly owner: StorageOwner;
  /**
   * `neuron` (a population's), a projection's `synapse`, `pre`, `post` or `postsynaptic` vars,
   * or `customUpdate` (a custom update's own).
   */
  readonly role: "neuron" | "synapse" | "pre" | "post" | "postsynaptic" | "customUpdate";
  readonly name: string;
  readonly type: ScalarType;
  /** One copy per batch element. */
  readonly batched: boolean;
}

/** An additional input of a population (one float per neuron and batch element). */
export interface AdditionalInputRef {
  readonly kind: "additionalInput";
  readonly population: number;
  readonly name: string;
}

/** Where a binding a site names is stored. */
export type SiteStorageRef = VarStorageRef | AdditionalInputRef;

/** The input of a projection's postsynaptic model (`inSyn`: one float per postsynaptic neuron and batch element). */
export interface PostsynapticInputRef {
  readonly kind: "inSyn";
  readonly projection: number;
}

/** A binding of a site that lives in storage, with what the site does with it. */
export interface SiteStorage {
  readonly binding: Binding;
  /** Its type in the snippets. */
  readonly type: ScalarType;
  /** Whether the site assigns it (so stores it back after the code). */
  readonly written: boolean;
  readonly ref: SiteStorageRef;
}

/** The model hooks, each a snippet of some site. */
export type Hook =
  | "apply"
  | "sim"
  | "threshold"
  | "reset"
  | "preSpikeCode"
  | "postSpikeCode"
  | "preDynamics"
  | "postDynamics"
  | "preSpike"
  | "synapseDynamics"
  | "postSpike"
  /** A custom update's code. */
  | "update";

/** One snippet of a site. */
export interface SiteSnippet {
  readonly hook: Hook;
  readonly snippet: CheckedSnippet;
  /** What it reads, writes and calls. */
  readonly analysis: SnippetAnalysis;
  /**
   * The counter field of its random numbers ({@link RANDOM_FIELD}); the call count restarts at
   * a snippet whose field differs from the one before it in the site.
   */
  readonly field: number;
}

/** What every site with code has. */
export interface CodeSiteBase {
  /** The snippets, in the order they run (the site's hooks without code are left out). */
  readonly snippets: readonly SiteSnippet[];
  /** What they do with storage, together (they share what they load). */
  readonly usage: StorageUse;
  /** The stream of the group whose model the code belongs to. */
  readonly rngStream: number;
  /** The storage of every binding in `usage.loads` that lives in storage, by {@link bindingKey}. */
  readonly storage: ReadonlyMap<string, SiteStorage>;
}

/** The postsynaptic model of an incoming projection: `Isyn += f(inSyn)`; the input is then zeroed. */
export interface ApplySite extends CodeSiteBase {
  readonly kind: "apply";
  readonly projection: number;
  /** Index of the projection in the population's `incoming`. */
  readonly slot: number;
  readonly apply: SiteSnippet;
}

/** The neuron model: `sim`, `threshold`, `reset` where the neuron spiked, and the spike. One random execution. */
export interface NeuronModelSite extends CodeSiteBase {
  readonly kind: "neuron";
  readonly sim: SiteSnippet | null;
  readonly threshold: SiteSnippet | null;
  readonly reset: SiteSnippet | null;
}

/** A spike source array: the neuron spikes when this step's events name it. */
export interface SpikeSourceSite {
  readonly kind: "spikeSource";
}

/** The population's additional inputs are zeroed (their senders add to them during the next step). */
export interface ZeroInputsSite {
  readonly kind: "zeroInputs";
  readonly inputs: readonly AdditionalInputRef[];
}

/** A projection's per-neuron code: spike code where the neuron spiked, then dynamics. */
export interface NeuronSideSite extends CodeSiteBase {
  readonly kind: "neuronSide";
  /** `pre`: code of an outgoing projection; `post`: of an incoming one. */
  readonly side: "pre" | "post";
  readonly projection: number;
  /** Index of the projection in the population's `outgoing` (pre) or `incoming` (post). */
  readonly slot: number;
  readonly spikeCode: SiteSnippet | null;
  readonly dynamics: SiteSnippet | null;
}

/** A site of a neuron entry's per-neuron code. */
export type NeuronStepSite =
  ApplySite | NeuronModelSite | SpikeSourceSite | ZeroInputsSite | NeuronSideSite;

/** A projection's per-synapse code: `preSpike`, `synapseDynamics` or `postSpike`. */
export interface SynapseSite extends CodeSiteBase {
  readonly kind: "synapse";
  readonly projection: number;
  readonly code: SiteSnippet;
  /**
   * What the projection's `addToPost` adds to: its postsynaptic model's input, or the additional
   * input of the postsynaptic population that `postTarget` names (whether or not this site's
   * code calls it; `usage.calls` says).
   */
  readonly addToPost: PostsynapticInputRef | AdditionalInputRef;
  /** What `addToPre` adds to: the presynaptic population's additional input `preTarget`, or null. */
  readonly addToPre: AdditionalInputRef | null;
}

/** The postSpike code of an incoming projection, on the synapses onto each neuron that spiked. */
export type PostSpikeSite = SynapseSite;

/** The preSpike code of a projection, on the synapses of each presynaptic neuron that spiked. */
export interface PreSpikeSite extends SynapseSite {
  /** Whether the spikes are the previous step's (delay 1) rather than this step's. */
  readonly delayed: boolean;
}

/** A population's update. */
export interface NeuronStep {
  readonly op: "neurons";
  readonly population: number;
  /**
   * The population's variables, in plan order: for a backend that loads the whole state of a
   * neuron around all of its sites (the WGSL kernel does) rather than per site.
   */
  readonly vars: readonly VarStorageRef[];
  /** Per neuron, in this order. */
  readonly sites: readonly NeuronStepSite[];
  /** After the whole population has updated, in the order of `incoming`. */
  readonly postSpike: readonly PostSpikeSite[];
}

/** A projection's spike delivery and synapse dynamics. */
export interface SynapseStep {
  readonly op: "synapses";
  readonly projection: number;
  /** Delivery of the presynaptic spikes, or null when the model has no `preSpike` code. */
  readonly preSpike: PreSpikeSite | null;
  /** Dynamics of every synapse, or null. */
  readonly synapseDynamics: SynapseSite | null;
}

/** One schedule entry. */
export type StepEntry = NeuronStep | SynapseStep;

/** The step program of a plan: one entry per schedule entry, in schedule order. */
export interface StepProgram {
  readonly entries: readonly StepEntry[];
  /** The entries by group: the neuron step of each population, by population index. */
  readonly neurons: readonly NeuronStep[];
  /** The synapse step of each projection, by projection index. */
  readonly synapses: readonly SynapseStep[];
  /**
   * The site of each custom update, by index. Not part of the timestep: a custom update runs
   * when the user asks (`runCustomUpdate`), and its random numbers count its runs, not steps.
   */
  readonly customUpdates: readonly CustomUpdateSite[];
}

/** Compiles the plan's schedule into its step program. */
export function compileStepProgram(plan: KernelPlan): StepProgram {
  const neurons = plan.populations.map((population) => neuronStep(plan, population.index));
  const synapses = plan.projections.map((projection) => synapseStep(plan, projection.index));
  return {
    entries: plan.schedule.map((entry) =>
      entry.op === "neurons" ? neurons[entry.population]! : synapses[entry.projection]!,
    ),
    neurons,
    synapses,
    customUpdates: plan.customUpdates.map((update) => customUpdateSite(update)),
  };
}

/** The neuron step of one population (the entry for `population` in {@link compileStepProgram}). */
function neuronStep(plan: KernelPlan, population: number): NeuronStep {
  const pop = plan.populations[population]!;
  const sites: NeuronStepSite[] = [];
  pop.incoming.forEach((p, slot) => {
    const projection = plan.projections[p]!;
    const ps = projection.postsynaptic;
    if (!ps) return;
    const apply = siteSnippet("apply", ps.apply, "apply")!;
    const owner = projectionOwner(p);
    sites.push({
      kind: "apply",
      projection: p,
      slot,
      apply,
      ...codeSite([apply], projection.rngStream, (binding) =>
        binding.kind === "var" ? varRef(owner, "postsynaptic", ps.vars, binding.name) : null,
      ),
    });
  });
  if (pop.spikeSource) {
    sites.push({ kind: "spikeSource" });
  } else {
    const sim = siteSnippet("sim", pop.code.sim, "neuron");
    const threshold = siteSnippet("threshold", pop.code.threshold, "neuron");
    const reset = siteSnippet("reset", pop.code.reset, "neuron");
    const owner: StorageOwner = { kind: "population", index: population };
    sites.push({
      kind: "neuron",
      sim,
      threshold,
      reset,
      ...codeSite([sim, threshold, reset], pop.rngStream, (binding) => {
        if (binding.kind === "var") return varRef(owner, "neuron", pop.vars, binding.name);
        if (binding.kind === "additionalInput") return additionalInput(pop, binding.name);
        return null;
      }),
    });
  }
  sites.push({
    kind: "zeroInputs",
    inputs: pop.additionalInputs.map((name) => additionalInput(pop, name)),
  });
  const sides = [
    [pop.outgoing, "pre"],
    [pop.incoming, "post"],
  ] as const;
  for (const [projections, side] of sides) {
    projections.forEach((p, slot) => {
      const site = neuronSideSite(plan, pop, p, side, slot);
      if (site !== null) sites.push(site);
    });
  }
  const postSpike: PostSpikeSite[] = [];
  for (const p of pop.incoming) {
    const projection = plan.projections[p]!;
    if (projection.code.postSpike !== null)
      postSpike.push(synapseSite(plan, projection, "postSpike", projection.code.postSpike));
  }
  const owner: StorageOwner = { kind: "population", index: population };
  const vars = pop.vars.map((v) => varRef(owner, "neuron", pop.vars, v.name));
  return { op: "neurons", population, vars, sites, postSpike };
}

/** The synapse step of one projection (the entry for `projection` in {@link compileStepProgram}). */
function synapseStep(plan: KernelPlan, projection: number): SynapseStep {
  const proj = plan.projections[projection]!;
  const { preSpike, synapseDynamics } = proj.code;
  return {
    op: "synapses",
    projection,
    preSpike:
      preSpike === null
        ? null
        : { ...synapseSite(plan, proj, "preSpike", preSpike), delayed: proj.delaySteps === 1 },
    synapseDynamics:
      synapseDynamics === null ? null : synapseSite(plan, proj, "synapseDynamics", synapseDynamics),
  };
}

function neuronSideSite(
  plan: KernelPlan,
  pop: PlannedPopulation,
  p: number,
  side: "pre" | "post",
  slot: number,
): NeuronSideSite | null {
  const projection = plan.projections[p]!;
  const code = projection.code;
  const spikeHook = side === "pre" ? "preSpikeCode" : "postSpikeCode";
  const dynamicsHook = side === "pre" ? "preDynamics" : "postDynamics";
  const spikeCode = siteSnippet(spikeHook, code[spikeHook], spikeHook);
  const dynamics = siteSnippet(dynamicsHook, code[dynamicsHook], dynamicsHook);
  if (spikeCode === null && dynamics === null) return null;
  const kind = side === "pre" ? "preVar" : "postVar";
  const vars = side === "pre" ? projection.preVars : projection.postVars;
  const owner = projectionOwner(p);
  const population: StorageOwner = { kind: "population", index: pop.index };
  return {
    kind: "neuronSide",
    side,
    projection: p,
    slot,
    spikeCode,
    dynamics,
    ...codeSite([spikeCode, dynamics], projection.rngStream, (binding) => {
      if (binding.kind === kind) return varRef(owner, side, vars, binding.name);
      if (binding.kind === "neuronVarRef")
        return varRef(population, "neuron", pop.vars, binding.name);
      return null;
    }),
  };
}

function synapseSite(
  plan: KernelPlan,
  projection: PlannedProjection,
  hook: "preSpike" | "synapseDynamics" | "postSpike",
  snippet: CheckedSnippet,
): SynapseSite {
  // postSpike code draws no random numbers (the planner refuses it); its field is never used.
  const code = siteSnippet(hook, snippet, hook === "postSpike" ? "neuron" : hook)!;
  const owner = projectionOwner(projection.index);
  const pre = plan.populations[projection.pre]!;
  const post = plan.populations[projection.post]!;
  return {
    kind: "synapse",
    projection: projection.index,
    code,
    addToPost: projection.postsynaptic
      ? { kind: "inSyn", projection: projection.index }
      : additionalInput(post, projection.postTarget!),
    addToPre: projection.preTarget === null ? null : additionalInput(pre, projection.preTarget),
    ...codeSite([code], projection.rngStream, (binding) => {
      switch (binding.kind) {
        case "var":
          return varRef(owner, "synapse", projection.vars, binding.name);
        case "preVar":
          return varRef(owner, "pre", projection.preVars, binding.name);
        case "postVar":
          return varRef(owner, "post", projection.postVars, binding.name);
        case "neuronVarRef": {
          const population = binding.side === "pre" ? pre : post;
          return varRef(
            { kind: "population", index: population.index },
            "neuron",
            population.vars,
            binding.name,
          );
        }
        default:
          return null;
      }
    }),
  };
}
