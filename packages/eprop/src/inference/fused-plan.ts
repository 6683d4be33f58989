/**
 * Which compiled networks the fused forward pass (fused-kernel.ts) reproduces: one hidden
 * LIF/ALIF layer, dense input, optional recurrent and readout projections with `addToPost(g)`,
 * the host-softmax readout, on the CPU backend where WebAssembly SIMD runs. In inference
 * (fused-inference.ts) the `*Infer` models; in chunked training on the host (fused-training.ts)
 * the `*Chunked` ones, whose forward pass is the same but for the hidden neuron's `PsiSpike`.
 */
import type { KernelPlan, PlannedPopulation, PlannedProjection, Runtime } from "@snn/core";
import { wasm } from "@snn/core/internal";
import type { EpropLayout } from "../compile";
import type { EpropNetworkDescription } from "../description";

/** The largest readout the kernel keeps in registers (its sums, four units per vector). */
export const MAX_OUTPUTS = 64;

/** The populations and projections of a plan the fused kernel reproduces. */
export interface FusablePlan {
  readonly input: PlannedPopulation;
  readonly hidden: PlannedPopulation;
  readonly readout: PlannedPopulation;
  readonly inputProjection: PlannedProjection;
  readonly recurrent: PlannedProjection | null;
  readonly readoutProjection: PlannedProjection;
}

/** The model names of each mode's compiled network. */
const MODELS = {
  inference: {
    hidden: /^EpropHidden(ALIF|LIF)Infer$/,
    readout: "EpropReadoutInferHost",
    synapse: /^Eprop(Readout)?Synapse\w*Infer$/,
  },
  train: {
    hidden: /^EpropHidden(ALIF|LIF)Chunked$/,
    readout: "EpropReadoutChunked",
    synapse:
      /^(EpropSynapseChunked(Recurrent)?|EpropReadoutSynapseTrain(Random|Symmetric)Chunked)$/,
  },
} as const;

/** The projection of the plan from `pre` to `post`, or null. */
function projectionBetween(
  plan: KernelPlan,
  pre: PlannedPopulation,
  post: PlannedPopulation,
): PlannedProjection | null {
  return plan.projections.find((p) => p.pre === pre.index && p.post === post.index) ?? null;
}

/** Whether a projection is one this kernel reproduces: dense `addToPost(g)` into a DeltaCurr input. */
function deliversWeights(
  projection: PlannedProjection,
  delaySteps: number,
  synapse: RegExp,
): boolean {
  return (
    projection.connectivity.kind === "dense" &&
    projection.delaySteps === delaySteps &&
    projection.postsynaptic?.model.name === "DeltaCurr" &&
    projection.postTarget === null &&
    projection.preTarget === null &&
    synapse.test(projection.model.name)
  );
}

/**
 * The plan's populations when the fused kernel reproduces it, else null (see the file's
 * comment). Training runtimes qualify with chunked eligibility (the host's chunk evaluation
 * reads what the kernel writes); inference runtimes with the softmax on the host.
 */
export function fusablePlan(
  description: EpropNetworkDescription,
  layout: EpropLayout,
  runtime: Runtime,
): FusablePlan | null {
  const plan = runtime.plan;
  const models = MODELS[layout.mode];
  if (
    runtime.capabilities.backend !== "cpu" ||
    runtime.readVarInto === undefined ||
    !wasm.wasmSimdSupported() ||
    layout.readoutSoftmax !== "host" ||
    (layout.mode === "train" && layout.eligibility !== "chunked") ||
    description.hidden.length !== 1 ||
    plan.populations.length !== 3 ||
    description.readout.size > MAX_OUTPUTS
  )
    return null;
  const byName = (name: string): PlannedPopulation | undefined =>
    plan.populations.find((p) => p.name === name);
  const input = byName(layout.inputPopulation);
  const hidden = byName(description.hidden[0]!.name);
  const readout = byName(layout.readoutPopulation);
  if (!input?.spikeSource || !hidden || !readout) return null;
  if (!models.hidden.test(hidden.model.name)) return null;
  // The kernel counts the refractory period in whole steps (RefracHold = max(n_ref - 1, 0)).
  const hold = hidden.params.RefracHold ?? hidden.derivedParams.RefracHold;
  if (typeof hold !== "number" || !Number.isInteger(hold) || hold < 0 || hold > 2 ** 24)
    return null;
  if (readout.model.name !== models.readout) return null;
  const inputProjection = projectionBetween(plan, input, hidden);
  const recurrent = projectionBetween(plan, hidden, hidden);
  const readoutProjection = projectionBetween(plan, hidden, readout);
  if (!inputProjection || !readoutProjection) return null;
  if (plan.projections.length !== (recurrent ? 3 : 2)) return null;
  if (
    !deliversWeights(inputProjection, 0, models.synapse) ||
    (recurrent && !deliversWeights(recurrent, 1, models.synapse)) ||
    !deliversWeights(readoutProjection, 0, models.synapse)
  )
    return null;
  // The schedule the kernel follows within a step.
  const expected = [
    `neurons ${input.index}`,
    `synapses ${inputProjection.index}`,
    ...(recurrent ? [`synapses ${recurrent.index}`] : []),
    `neurons ${hidden.index}`,
    `synapses ${readoutProjection.index}`,
    `neurons ${readout.index}`,
  ];
  const schedule = plan.schedule.map((entry) =>
    entry.op === "neurons" ? `neurons ${entry.population}` : `synapses ${entry.projection}`,
  );
  if (schedule.join() !== expected.join()) return null;
  return { input, hidden, readout, inputProjection, recurrent, readoutProjection };
}
