/**
 * The buffers a chunked e-prop kernel binds, as data: one list per kernel from which both its
 * WGSL declarations (`@group(0) @binding(n) var<...> name: type;`) and its bind-group layout
 * (the buffer binding type of each binding) are made, so the two cannot disagree.
 *
 * It is not backend-wgsl's `CodeWriter`: @snn/eprop may not depend on @snn/backend-wgsl at run
 * time (a CPU-only install would pull in WebGPU's Dawn; decision 0008), and it reaches the
 * device only through core's `DeviceAccess` (decision 0011), which takes WGSL text and the
 * binding types, which this module makes.
 */

/** How a kernel reaches one buffer: a uniform block, or storage it only reads or also writes. */
export type BindingAccess = "uniform" | "read" | "read_write";

/** One buffer binding of a kernel; its number is its place in the kernel's list. */
export interface KernelBinding {
  /** The WGSL variable's name. */
  readonly name: string;
  readonly access: BindingAccess;
  /** The WGSL type: a struct's name for a uniform block, `array<f32>`, `array<u32>`, ... */
  readonly type: string;
}

/** WebGPU's buffer binding type for a layout entry (the values of `GPUBufferBindingType` used here). */
export type BufferBindingType = "uniform" | "read-only-storage" | "storage";

/** A kernel's WGSL and the layout of its bindings 0..n-1, both from one {@link KernelBinding} list. */
export interface WgslKernel {
  readonly code: string;
  /** The buffer binding type of each binding, in binding order. */
  readonly bindings: readonly BufferBindingType[];
}

/** A uniform block of struct type `type`. */
export const uniform = (name: string, type: string): KernelBinding => ({
  name,
  access: "uniform",
  type,
});
/** A storage buffer the kernel only reads (`array<f32>` unless told). */
export const read = (name: string, type = "array<f32>"): KernelBinding => ({
  name,
  access: "read",
  type,
});
/** A storage buffer the kernel writes (`array<f32>` unless told). */
export const readWrite = (name: string, type = "array<f32>"): KernelBinding => ({
  name,
  access: "read_write",
  type,
});

const LAYOUT: Record<BindingAccess, BufferBindingType> = {
  uniform: "uniform",
  read: "read-only-storage",
  read_write: "storage",
};

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The WGSL declaration of binding `index` of group 0. */
function declaration(binding: KernelBinding, index: number): string {
  const space = binding.access === "uniform" ? "uniform" : `storage, ${binding.access}`;
  return `@group(0) @binding(${index}) var<${space}> ${binding.name}: ${binding.type};`;
}

/**
 * A kernel from its parts: `preamble` (struct declarations the bindings name), the bindings'
 * declarations in order (binding 0 first), then `body` (constants, helpers and the entry point).
 */
export function wgslKernel(parts: {
  readonly preamble?: string;
  readonly bindings: readonly KernelBinding[];
  readonly body: string;
}): WgslKernel {
  const names = new Set<string>();
  for (const binding of parts.bindings) {
    if (!IDENTIFIER.test(binding.name) || names.has(binding.name))
      throw new Error(
        `internal: binding name '${binding.name}' of a chunked e-prop kernel is not a fresh WGSL identifier`,
      );
    names.add(binding.name);
  }
  const lines = parts.bindings.map(declaration);
  if (parts.preamble !== undefined) lines.unshift(parts.preamble);
  lines.push(parts.body);
  return { code: lines.join("\n"), bindings: parts.bindings.map((b) => LAYOUT[b.access]) };
}
