/// <reference types="webgpu" />
/**
 * The initial state of a network on the device: the fill kernel (shaders.ts, `FILL_WGSL`) sets
 * every variable whose initial value is a constant, arrays of initial values are uploaded, and
 * the connectivity tables of sparse projections are written once, when the runtime is created.
 */
import type { KernelPlan, PlannedVar } from "@snn/core";
import { allocateVarArray, fillInitialValues, storedLength } from "@snn/core/internal";
import type { VarArray } from "@snn/core";
import { sparseTables } from "../codegen/generate";
import { WORKGROUP_SIZE } from "../codegen/kernel-builder";
import type { Allocation } from "../codegen/layout";
import { type PlannedVarStorage, plannedVariables, type StorageRef } from "../codegen/storage";
import { BufferUsage } from "./gpu";
import { gridFor } from "./instances";

/** The buffers of the state arenas, by arena and chunk. */
export interface StateArenas {
  readonly f32: readonly GPUBuffer[];
  readonly u32: readonly GPUBuffer[];
}

/** One dispatch of the fill kernel: its uniform block (offset, count, value) and buffer. */
interface FillOp {
  readonly bindGroup: GPUBindGroup;
  readonly workgroups: [number, number, number];
}

/** Sets the variables of a network to their initial values (at creation and on `resetState`). */
export class VariableInitialiser {
  /** Every planned variable; `op` is its fill dispatch, or null where its initial values are an array. */
  private readonly ops: readonly (PlannedVarStorage & { op: FillOp | null })[];

  constructor(
    device: GPUDevice,
    private readonly plan: KernelPlan,
    /** The compiled fill kernel (`compileFill`). */
    private readonly pipeline: GPUComputePipeline,
    allocation: (ref: StorageRef) => Allocation,
    arenas: StateArenas,
  ) {
    const B = plan.batchSize;
    const maxPerDimension = device.limits.maxComputeWorkgroupsPerDimension;
    const fillLayout = pipeline.getBindGroupLayout(0);
    this.ops = plannedVariables(plan).map(({ variable, ref }) => {
      if (typeof variable.initial !== "number") return { variable, ref, op: null };
      const a = allocation(ref);
      const count = storedLength(variable, B);
      const value = wordOf(variable.type, variable.initial);
      const uniform = device.createBuffer({
        label: `fill: ${a.label}`,
        size: 16,
        usage: BufferUsage.UNIFORM | BufferUsage.COPY_DST,
      });
      device.queue.writeBuffer(uniform, 0, new Uint32Array([a.offset, count, value, 0]));
      const bindGroup = device.createBindGroup({
        layout: fillLayout,
        entries: [
          { binding: 0, resource: { buffer: uniform } },
          { binding: 1, resource: { buffer: arenas[a.arena][a.chunk]! } },
        ],
      });
      return {
        variable,
        ref,
        op: {
          bindGroup,
          workgroups: gridFor(Math.ceil(count / WORKGROUP_SIZE), maxPerDimension, 1),
        },
      };
    });
  }

  /** Encodes the fill kernel over every variable whose initial value is a constant. */
  encodeFills(encoder: GPUCommandEncoder): void {
    const pass = encoder.beginComputePass();
    pass.setPipeline(this.pipeline);
    for (const { op } of this.ops) {
      if (!op) continue;
      pass.setBindGroup(0, op.bindGroup);
      pass.dispatchWorkgroups(...op.workgroups);
    }
    pass.end();
  }

  /** The variables whose initial values are arrays, each with its values as stored (one at a time). */
  *arrayValues(): Generator<{ readonly ref: StorageRef; readonly data: VarArray }> {
    const B = this.plan.batchSize;
    for (const { variable, ref, op } of this.ops) {
      if (op) continue;
      const data = allocateVarArray(variable.type, storedLength(variable, B));
      fillInitialValues(data, variable, B);
      yield { ref, data };
    }
  }
}

/** Writes the constant connectivity tables of the plan's sparse projections into the u32 arena. */
export function writeSparseTables(
  device: GPUDevice,
  plan: KernelPlan,
  allocation: (ref: StorageRef) => Allocation,
  u32: readonly GPUBuffer[],
): void {
  plan.projections.forEach((p) => {
    const tables = sparseTables(p, plan.populations[p.post]!.size);
    if (!tables) return;
    const write = (
      part: "rowStart" | "colStart" | "colSynapse" | "colPre",
      data: Uint32Array,
    ): void => {
      if (data.length === 0) return;
      const a = allocation({ kind: "sparse", projection: p.index, part });
      device.queue.writeBuffer(
        u32[a.chunk]!,
        a.offset * 4,
        data.buffer as ArrayBuffer,
        data.byteOffset,
        data.byteLength,
      );
    };
    write("rowStart", tables.rowStart);
    write("colStart", tables.colStart);
    write("colSynapse", tables.colSynapse);
    write("colPre", tables.colPre);
  });
}

/** The 32-bit word that stores a value of a scalar type. */
function wordOf(type: PlannedVar["type"], value: number): number {
  switch (type) {
    case "float":
      return new Uint32Array(new Float32Array([value]).buffer)[0]!;
    case "int":
      return (value | 0) >>> 0;
    case "uint":
      return value >>> 0;
    case "bool":
      return value !== 0 ? 1 : 0;
  }
}
