/**
 * The WGSL kernels of a custom update's site of the step program (core's custom-update-site.ts):
 * one thread per element (and batch element where the update is batched) runs the update, then
 * a kernel per reduction target reduces the partial results over the batch or over the elements.
 * What is WGSL's own: the threads, the locals (`c_`, `r_`), how storage is addressed in the
 * arenas, and the reduction kernels with their partial-result buffers.
 */
import type { PlannedCustomUpdate, PlannedVar } from "@snn/core";
import type { CustomUpdateSite, CustomUpdateSlot } from "@snn/core/internal";
import { WgslPrinter, wgslType } from "../wgsl/printer";
import { WORKGROUP_SIZE } from "./kernel-builder";
import { entry, type Generator, index, threadIdFunction } from "./generator";
import { StorageRef } from "./storage";
import { builtinName, scope } from "./wgsl-names";

/** The instances of one custom update, in order, and where its run counter lives. */
export interface CustomUpdateSequence {
  readonly update: number;
  readonly instances: readonly number[];
  /** Instance whose uniform block holds `run_count`, and the byte offset of that field; null when the update draws no random numbers. */
  readonly runCount: { readonly instance: number; readonly byteOffset: number } | null;
}

/** The kernels of a custom update: the update, then the reductions of its targets. */
export function customUpdateKernels(g: Generator, site: CustomUpdateSite): CustomUpdateSequence {
  const plan = g.plan;
  const c = site.update;
  const cu = plan.customUpdates[c]!;
  const k = g.builder("customUpdate");
  const out = k.body;
  const B = cu.batched ? plan.batchSize : 1;
  const size = k.field("size", "u32", cu.size);
  const clock = k.clock();
  const targets = reductionTargets(site);
  let runCountField: string | null = null;

  entry(out);
  out.indent(() => {
    out.line("let id = thread_id(wg, groups, lane);");
    out.line(`if (id >= ${size}) {`);
    out.line("  return;");
    out.line("}");
    out.line(cu.batched ? "let batch = wg.z;" : "let batch = 0u;");
    out.line(`let trial_step = ${clock}.trial_step;`);
    out.line("let t = f32(trial_step) * DT;");
    // Own variables and references: load (reduction targets start at the identity).
    const slots = site.slots.map((slot) => ({ ...slot, local: localName(slot) }));
    for (const slot of slots) {
      const reduction = targets.find((t) => t.local === slot.local);
      if (reduction) {
        out.line(
          `var ${slot.local}: ${wgslType(slot.type)} = ${identity(slot.type, reduction.op)};`,
        );
        continue;
      }
      if (!slot.used) continue;
      const a = g.alloc(slot.ref);
      const lvalue = k.element(
        a,
        k.offset(`o_${slot.local}`, a),
        index(slot.ref.batched, size, "id"),
      );
      out.line(
        `${slot.written ? "var" : "let"} ${slot.local}: ${wgslType(slot.type)} = ${k.load(slot.type, lvalue)};`,
      );
    }
    const param = g.paramNames(cu.params, cu.derivedParams, k, "p_", cu.name);
    let rng: { rng?: string } = {};
    if (site.usage.random) {
      runCountField = "run_count";
      const count = k.field(runCountField, "u32", 0);
      const stream = k.field("rng", "u32", site.rngStream);
      out.line(`var rng = Rng(id, batch, ${count}, ${stream}, ${site.code.field}u, 0u);`);
      rng = { rng: "rng" };
    }
    out.line(`// update (model ${cu.model.name})`);
    out.block("", () =>
      new WgslPrinter(
        out,
        scope(
          site.code.snippet,
          cu.model.name,
          site.code.hook,
          {
            builtin: (name) => builtinName(name, "id"),
            param,
            derivedParam: param,
            var: (x) => `c_${x}`,
            varRef: (x) => `r_${x}`,
          },
          rng,
        ),
      ).statements(site.code.snippet),
    );
    // Store: written state; reduction targets to their partial-result buffers (or directly when nothing is left to reduce).
    for (const slot of slots) {
      const reduction = targets.find((t) => t.local === slot.local);
      if (reduction) {
        if (reduction.reduction === "batch" && !cu.batched) {
          const a = g.alloc(slot.ref);
          out.line(
            k.store(slot.type, k.element(a, k.offset(`o_${slot.local}`, a), "id"), slot.local),
          );
        } else {
          const a = g.alloc(StorageRef.reduction(c, reduction.name));
          out.line(
            k.store(
              slot.type,
              k.element(a, k.offset(`partial_${slot.local}`, a), index(cu.batched, size, "id")),
              slot.local,
            ),
          );
        }
        continue;
      }
      if (!slot.written) continue;
      const a = g.alloc(slot.ref);
      const store = k.store(
        slot.type,
        k.element(a, k.offset(`o_${slot.local}`, a), index(slot.ref.batched, size, "id")),
        slot.local,
      );
      if (cu.batched && !slot.ref.batched) {
        // A shared variable written by every batch element: the last one wins, as in a sequential loop.
        out.block("if (batch == BATCH - 1u)", () => out.line(store));
      } else {
        out.line(store);
      }
    }
  });
  out.line("}");
  out.line("");
  threadIdFunction(out);
  const instances = [
    g.finish(k, `Custom update: model ${cu.model.name}`, cu.name, `custom update '${cu.name}'`, {
      kind: "elements",
      elements: cu.size,
      batches: B,
    }),
  ];
  for (const target of targets) {
    if (target.reduction === "batch" && cu.batched)
      instances.push(batchReduceKernel(g, cu, target));
    if (target.reduction === "neuron") instances.push(neuronReduceKernel(g, cu, target));
  }
  let runCount: CustomUpdateSequence["runCount"] = null;
  if (runCountField) {
    const fields = g.instances[instances[0]!]!.uniforms;
    runCount = {
      instance: instances[0]!,
      byteOffset: fields.findIndex((f) => f.name === runCountField) * 4,
    };
  }
  return { update: c, instances, runCount };
}

/** Reduces the per-batch partial results of one target over the batch into the shared variable. */
function batchReduceKernel(g: Generator, cu: PlannedCustomUpdate, target: ReductionTarget): number {
  const k = g.builder("batchReduction");
  const out = k.body;
  const size = k.field("size", "u32", cu.size);
  const partial = g.alloc(StorageRef.reduction(cu.index, target.name));
  const dest = g.alloc(target.ref);
  const po = k.offset("partial", partial);
  entry(out);
  out.indent(() => {
    out.line("let id = thread_id(wg, groups, lane);");
    out.line(`if (id >= ${size}) {`);
    out.line("  return;");
    out.line("}");
    out.line(`var value: ${wgslType(target.type)} = ${identity(target.type, target.op)};`);
    out.block("for (var b = 0u; b < BATCH; b++)", () => {
      const v = k.load(target.type, k.element(partial, po, `b * ${size} + id`));
      out.line(target.op === "sum" ? `value += ${v};` : `value = max(value, ${v});`);
    });
    out.line(k.store(target.type, k.element(dest, k.offset("dest", dest), "id"), "value"));
  });
  out.line("}");
  out.line("");
  threadIdFunction(out);
  return g.finish(
    k,
    `Batch reduction (${target.op}) of a custom update`,
    `${cu.name}.${target.name}`,
    `batch ${target.op} of '${cu.name}.${target.name}'`,
    {
      kind: "elements",
      elements: cu.size,
      batches: 1,
    },
  );
}

/** Reduces one target over the elements, per batch element: one workgroup per batch element, a tree in workgroup memory. */
function neuronReduceKernel(
  g: Generator,
  cu: PlannedCustomUpdate,
  target: ReductionTarget,
): number {
  const k = g.builder("neuronReduction");
  const out = k.body;
  const size = k.field("size", "u32", cu.size);
  const partial = g.alloc(StorageRef.reduction(cu.index, target.name));
  const dest = g.alloc(target.ref);
  const po = k.offset("partial", partial);
  const type = wgslType(target.type);
  const combine = (a: string, b: string): string =>
    target.op === "sum" ? `${a} + ${b}` : `max(${a}, ${b})`;
  out.line(`var<workgroup> lanes: array<${type}, ${WORKGROUP_SIZE}>;`);
  out.line("");
  out.line(`@compute @workgroup_size(${WORKGROUP_SIZE})`);
  out.line(
    "fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lane: u32) {",
  );
  out.indent(() => {
    out.line("let batch = wg.z;");
    out.line(
      "// Each lane reduces a contiguous run of elements, then the lanes are combined pairwise.",
    );
    out.line(`let per_lane = (${size} + ${WORKGROUP_SIZE - 1}u) / ${WORKGROUP_SIZE}u;`);
    out.line(`let first = min(lane * per_lane, ${size});`);
    out.line(`let last = min(first + per_lane, ${size});`);
    out.line(`var value: ${type} = ${identity(target.type, target.op)};`);
    out.block("for (var i = first; i < last; i++)", () => {
      out.line(
        `value = ${combine("value", k.load(target.type, k.element(partial, po, `batch * ${size} + i`)))};`,
      );
    });
    out.line("lanes[lane] = value;");
    out.line("workgroupBarrier();");
    out.block(
      `for (var stride = ${WORKGROUP_SIZE / 2}u; stride > 0u; stride = stride / 2u)`,
      () => {
        out.block("if (lane < stride)", () =>
          out.line(`lanes[lane] = ${combine("lanes[lane]", "lanes[lane + stride]")};`),
        );
        out.line("workgroupBarrier();");
      },
    );
    out.block("if (lane == 0u)", () =>
      out.line(
        k.store(
          target.type,
          k.element(dest, k.offset("dest", dest), index(target.batched, "1u", "0u")),
          "lanes[0]",
        ),
      ),
    );
  });
  out.line("}");
  return g.finish(
    k,
    `Neuron reduction (${target.op}) of a custom update`,
    `${cu.name}.${target.name}`,
    `neuron ${target.op} of '${cu.name}.${target.name}'`,
    {
      kind: "workgroupPerBatch",
      batches: cu.batched ? g.plan.batchSize : 1,
    },
  );
}

interface ReductionTarget {
  readonly name: string;
  readonly local: string;
  readonly reduction: "batch" | "neuron";
  readonly op: "sum" | "max";
  readonly type: PlannedVar["type"];
  /** Storage of the reduced result. */
  readonly ref: StorageRef;
  readonly batched: boolean;
}

/** The local a variable (`c_`) or reference (`r_`) of a custom update is held in. */
function localName(slot: CustomUpdateSlot): string {
  return `${slot.binding.kind === "var" ? "c" : "r"}_${slot.binding.name}`;
}

/** The variables and references a custom update reduces, with how (the site's slots with a reduction). */
export function reductionTargets(site: CustomUpdateSite): ReductionTarget[] {
  const out: ReductionTarget[] = [];
  for (const slot of site.slots) {
    if (slot.reduction === null) continue;
    out.push({
      name: slot.binding.name,
      local: localName(slot),
      reduction: slot.reduction.over,
      op: slot.reduction.op,
      type: slot.type,
      ref: slot.ref,
      batched: slot.ref.batched,
    });
  }
  return out;
}

/** The identity of a reduction. */
function identity(type: PlannedVar["type"], op: "sum" | "max"): string {
  if (op === "sum") return type === "float" ? "0.0f" : type === "int" ? "0i" : "0u";
  return type === "float" ? "f32_neg_infinity()" : type === "int" ? "i32(-2147483647 - 1)" : "0u";
}
