/**
 * What the state buffers of a plan hold: every variable, spike bits, inputs, connectivity tables
 * and reduction scratch space, requested from the layout (layout.ts) by typed reference.
 */
import type { KernelPlan, PlannedProjection, PlannedVar } from "@snn/core";
import type { StepProgram } from "@snn/core/internal";
import { reductionTargets } from "./custom-update-kernel";
import type { Arena, StorageRequest } from "./layout";
import { plannedVariables, StorageRef, type VarStorageRef } from "./storage";

/** The arena a scalar type is stored in. */
export function arenaOf(type: PlannedVar["type"]): Arena {
  return type === "float" ? "f32" : "u32";
}

/** Sparse connectivity tables: CSR by pre (rows), and by post (columns) for post-parallel delivery. */
export interface SparseTables {
  readonly rowStart: Uint32Array;
  readonly colStart: Uint32Array;
  /** Synapse indices sorted by post, then pre. */
  readonly colSynapse: Uint32Array;
  /** The presynaptic neuron of each entry of `colSynapse`. */
  readonly colPre: Uint32Array;
}

export function sparseTables(projection: PlannedProjection, nPost: number): SparseTables | null {
  const c = projection.connectivity;
  if (c.kind !== "sparse") return null;
  const colStart = new Uint32Array(nPost + 1);
  for (let s = 0; s < c.postIndex.length; s++) colStart[c.postIndex[s]! + 1]!++;
  for (let j = 0; j < nPost; j++) colStart[j + 1]! += colStart[j]!;
  const fill = colStart.slice(0, nPost);
  const colSynapse = new Uint32Array(c.postIndex.length);
  for (let s = 0; s < c.postIndex.length; s++) colSynapse[fill[c.postIndex[s]!]!++] = s;
  const colPre = colSynapse.map((synapse) => c.preIndex[synapse]!);
  return { rowStart: Uint32Array.from(c.rowStart), colStart, colSynapse, colPre };
}

/** The regions of the state buffers a plan's kernels use, with their labels and sizes. */
export function storageRequests(plan: KernelPlan, program: StepProgram): StorageRequest[] {
  const B = plan.batchSize;
  const requests: StorageRequest[] = [];
  const describeOwner = ({ owner, role }: VarStorageRef): string => {
    const i = owner.index;
    if (owner.kind === "population") return `population '${plan.populations[i]!.name}'`;
    if (owner.kind === "customUpdate") return `custom update '${plan.customUpdates[i]!.name}'`;
    const what =
      role === "synapse"
        ? ""
        : role === "postsynaptic"
          ? "postsynaptic model of "
          : `${role}synaptic variables of `;
    return `${what}projection '${plan.projections[i]!.name}'`;
  };
  for (const { variable, ref } of plannedVariables(plan)) {
    const copies = variable.batched ? B : 1;
    requests.push({
      ref,
      label: `Variable '${variable.name}' of ${describeOwner(ref)} (${copies > 1 ? `batch ${copies} x ` : ""}${variable.size} elements)`,
      arena: arenaOf(variable.type),
      length: variable.size * copies,
      batchCopies: copies,
    });
  }
  plan.populations.forEach((p) => {
    requests.push({
      ref: StorageRef.spikes(p.index),
      label: `The spike bits of population '${p.name}' (2 steps x batch ${B} x ${p.size} neurons)`,
      arena: "u32",
      length: 2 * B * Math.ceil(p.size / 32),
      batchCopies: B,
    });
    for (const name of p.additionalInputs) {
      requests.push({
        ref: StorageRef.additionalInput(p.index, name),
        label: `Additional input '${name}' of population '${p.name}' (batch ${B} x ${p.size})`,
        arena: "f32",
        length: B * p.size,
        batchCopies: B,
      });
    }
  });
  plan.projections.forEach((p) => {
    const nPre = plan.populations[p.pre]!.size;
    const nPost = plan.populations[p.post]!.size;
    if (p.postsynaptic) {
      requests.push({
        ref: StorageRef.inSyn(p.index),
        label: `The input (inSyn) of projection '${p.name}' (batch ${B} x ${nPost})`,
        arena: "f32",
        length: B * nPost,
        batchCopies: B,
      });
    }
    if (program.synapses[p.index]!.synapseDynamics?.usage.calls.includes("addToPre")) {
      requests.push({
        ref: StorageRef.preScratch(p.index),
        label: `The addToPre values of projection '${p.name}' (batch ${B} x ${p.numSynapses} synapses)`,
        arena: "f32",
        length: B * p.numSynapses,
        batchCopies: B,
      });
    }
    if (p.connectivity.kind === "sparse") {
      const n = p.numSynapses;
      requests.push(
        {
          ref: StorageRef.sparse(p.index, "rowStart"),
          label: `Row starts of projection '${p.name}'`,
          arena: "u32",
          length: nPre + 1,
          batchCopies: 1,
        },
        {
          ref: StorageRef.sparse(p.index, "colStart"),
          label: `Column starts of projection '${p.name}'`,
          arena: "u32",
          length: nPost + 1,
          batchCopies: 1,
        },
        {
          ref: StorageRef.sparse(p.index, "colSynapse"),
          label: `Synapses by post of projection '${p.name}' (${n} synapses)`,
          arena: "u32",
          length: n,
          batchCopies: 1,
        },
        {
          ref: StorageRef.sparse(p.index, "colPre"),
          label: `Pre indices by post of projection '${p.name}' (${n} synapses)`,
          arena: "u32",
          length: n,
          batchCopies: 1,
        },
      );
    }
  });
  plan.customUpdates.forEach((c) => {
    const copies = c.batched ? B : 1;
    for (const target of reductionTargets(program.customUpdates[c.index]!)) {
      if (target.reduction === "batch" && !c.batched) continue;
      requests.push({
        ref: StorageRef.reduction(c.index, target.name),
        label: `Partial results of the ${target.reduction} reduction into '${target.name}' of custom update '${c.name}' (batch ${copies} x ${c.size})`,
        arena: arenaOf(target.type),
        length: copies * c.size,
        batchCopies: copies,
      });
    }
  });
  return requests;
}
