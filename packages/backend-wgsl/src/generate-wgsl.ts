import type { KernelPlan } from "@snn/core";
import { generateKernels } from "./codegen/generate";

/** One generated WGSL module and the groups it runs for. */
export interface GeneratedShader {
  /** Kernel kind and model, with the names of the groups merged into it, e.g. "Neuron update: model LIF (hid, out)". */
  readonly label: string;
  readonly code: string;
  /** Labels of the kernel instances (one per group) that run this shader. */
  readonly groups: readonly string[];
}

/**
 * The WGSL the WebGPU backend generates for a plan, without a device: one module per merged
 * group and phase. For reading and reviewing shaders (e.g. `snn codegen`); `compile` uses the same.
 *
 * @param maxBufferBindingBytes storage buffer binding limit to plan buffers for (default 128 MiB,
 *   WebGPU's usual `maxStorageBufferBindingSize`).
 */
export function generateWgsl(
  plan: KernelPlan,
  maxBufferBindingBytes = 128 * 1024 * 1024,
): GeneratedShader[] {
  const kernels = generateKernels(plan, { maxBindingBytes: maxBufferBindingBytes });
  return kernels.shaders.map((s) => ({
    label: s.label,
    code: s.code,
    groups: s.instances.map((i) => kernels.instances[i]!.label),
  }));
}
