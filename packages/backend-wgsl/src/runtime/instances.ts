import { RuntimeUsageError } from "@snn/core";
import { type KernelInstance, WORKGROUP_SIZE } from "../codegen/kernel-builder";

/** A kernel instance's data on the device: its uniform block and its workgroup counts. */

/** The bytes of an instance's uniform block (16-byte aligned, at least 16 bytes). */
export function packUniforms(instance: KernelInstance): ArrayBuffer {
  const bytes = Math.max(16, Math.ceil((instance.uniforms.length * 4) / 16) * 16);
  const data = new ArrayBuffer(bytes);
  const view = new DataView(data);
  instance.uniforms.forEach((f, i) => {
    if (f.type === "u32") view.setUint32(i * 4, f.value, true);
    else view.setFloat32(i * 4, f.value, true);
  });
  return data;
}

/**
 * Workgroups for `groups` groups along x (then y, when more than a dimension holds), `z` deep.
 * Throws when the device cannot dispatch that many.
 */
export function gridFor(
  groups: number,
  maxPerDimension: number,
  z: number,
): [number, number, number] {
  if (groups === 0) return [0, 0, 0];
  const x = Math.min(groups, maxPerDimension);
  const y = Math.ceil(groups / x);
  if (y > maxPerDimension)
    throw new RuntimeUsageError(
      `A kernel needs ${groups} workgroups, more than this device can dispatch (${maxPerDimension}^2).`,
    );
  return [x, y, z];
}

/** The workgroups to dispatch for an instance, from its dispatch shape. */
export function workgroupCounts(
  instance: KernelInstance,
  maxPerDimension: number,
  batchSize: number,
): [number, number, number] {
  const d = instance.dispatch;
  if (d.kind === "workgroupPerBatch") return [1, 1, d.batches];
  if (d.batches > maxPerDimension)
    throw new RuntimeUsageError(
      `Batch size ${batchSize} is more than this device can dispatch (${maxPerDimension}); use a smaller batch.`,
    );
  return gridFor(Math.ceil(d.elements / WORKGROUP_SIZE), maxPerDimension, d.batches);
}
