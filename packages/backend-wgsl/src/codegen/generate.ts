/**
 * Generates the WGSL kernels of a plan from its step program (core's step-program.ts): a neuron
 * kernel per population (neuron-kernel.ts), a synapse kernel per projection and a postSpike
 * kernel per learning projection (synapse-kernel.ts), the custom updates'
 * (custom-update-kernel.ts) and the clock, over the storage layout of storage-requests.ts.
 */
import type { KernelPlan } from "@snn/core";
import { compileStepProgram } from "@snn/core/internal";
import { customUpdateKernels, type CustomUpdateSequence } from "./custom-update-kernel";
import { Generator } from "./generator";
import type { KernelInstance, Shader } from "./kernel-builder";
import { planStorage, type StorageLayout } from "./layout";
import { neuronKernel } from "./neuron-kernel";
import { storageRequests } from "./storage-requests";
import { preReduceKernel, synapseKernel } from "./synapse-kernel";

export type { CustomUpdateSequence } from "./custom-update-kernel";
export { sparseTables, type SparseTables } from "./storage-requests";

/** Everything a runtime needs: storage layout, shaders, kernel instances and the order to run them. */
export interface GeneratedKernels {
  readonly layout: StorageLayout;
  readonly shaders: readonly Shader[];
  readonly instances: readonly KernelInstance[];
  /** Instances run in every timestep, in order (the clock update last). */
  readonly stepSequence: readonly number[];
  /** Per custom update group: for each update, its instances in order and where its run counter lives. */
  readonly customUpdates: Readonly<Record<string, readonly CustomUpdateSequence[]>>;
  /** Words per (step, batch element) of each population's spike bit fields: ceil(size / 32). */
  readonly spikeWords: readonly number[];
}

export interface GenerateOptions {
  /** Largest storage buffer binding, bytes (the device's maxStorageBufferBindingSize). */
  readonly maxBindingBytes: number;
}

/**
 * Generates every kernel of a plan: one per population (neuron update with its postsynaptic
 * inputs and pre/post code), per projection (spike delivery and synapse dynamics; addToPre
 * reduction), per custom update (with batch and neuron reductions), and the clock. Kernels
 * whose code is identical share one shader (merged groups).
 */
export function generateKernels(plan: KernelPlan, options: GenerateOptions): GeneratedKernels {
  const program = compileStepProgram(plan);
  const layout = planStorage(storageRequests(plan, program), options.maxBindingBytes);
  const g = new Generator(plan, layout);
  const stepSequence: number[] = [];
  for (const step of program.entries) {
    if (step.op === "synapses") {
      const synapses = synapseKernel(g, step);
      if (synapses !== null) stepSequence.push(synapses);
      const preReduce = preReduceKernel(g, step);
      if (preReduce !== null) stepSequence.push(preReduce);
    } else {
      stepSequence.push(neuronKernel(g, step));
      // learning at this population's spikes, after its update (and its per-neuron spike code)
      for (const postSpike of step.postSpike) {
        const instance = synapseKernel(g, { postSpike });
        if (instance !== null) stepSequence.push(instance);
      }
    }
  }
  stepSequence.push(g.clockKernel());
  const customUpdates: Record<string, CustomUpdateSequence[]> = {};
  for (const [group, members] of Object.entries(plan.customUpdateGroups)) {
    customUpdates[group] = members.map((c) => customUpdateKernels(g, program.customUpdates[c]!));
  }
  return {
    layout,
    shaders: g.shaders,
    instances: g.instances,
    stepSequence,
    customUpdates,
    spikeWords: plan.populations.map((p) => Math.ceil(p.size / 32)),
  };
}
