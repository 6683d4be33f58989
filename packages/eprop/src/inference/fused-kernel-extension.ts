/**
 * The places where a variant of the fused kernel (fused-kernel.ts) adds code: the training
 * variant (fused-training-kernel.ts) adds the pseudo-derivative, the host step's outputs and the
 * per-step outputs the host's chunk evaluation reads.
 */
import type { wasm } from "@snn/core/internal";

type Code = wasm.Code;

/**
 * What a variant of the kernel adds (fused-training-kernel.ts): parameters after
 * `first, count, batchSize`, and code at fixed places of the step, given the kernel's registers.
 */
export interface KernelExtension {
  readonly params: readonly string[];
  build(r: KernelRegisters): ExtensionCode;
}

/** The kernel's locals (indices) and parameters an extension's code may use. */
export interface KernelRegisters {
  readonly frame: wasm.Frame;
  /** Parameter indices by name: the kernel's and the extension's. */
  readonly params: Readonly<Record<string, number>>;
  /** Element, step, the element's state address, the block's byte offset, the appended neuron, the step's spikes so far. */
  readonly b: number;
  readonly s: number;
  readonly st: number;
  readonly blk: number;
  readonly e: number;
  readonly cur: number;
  /** A vector's V after the update, refractory lanes (before the count-down) and spike lanes. */
  readonly v: number;
  readonly refr: number;
  readonly spk: number;
  readonly vth: Code;
  readonly one: Code;
}

/** An extension's code (see {@link KernelExtension}). */
export interface ExtensionCode {
  /** Where the threshold Thr = v_th + beta A of a vector is kept (a v128 local), or null. */
  readonly thr: number | null;
  /** Once per call, before the elements. */
  readonly start: Code;
  /** At the start of each step of an element. */
  readonly stepStart: Code;
  /** After vector `k` of a block is updated. */
  vector(k: number): Code;
  /** As neuron `e` joins the step's spike list (before `cur` counts it). */
  readonly append: Code;
  /** At the end of each step, after the readout. */
  readonly stepEnd: Code;
}
