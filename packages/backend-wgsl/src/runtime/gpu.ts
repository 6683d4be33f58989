/// <reference types="webgpu" />
/**
 * WebGPU constants (the `GPUBufferUsage`, `GPUShaderStage` and `GPUMapMode` globals exist in
 * browsers but not in Node's `webgpu` package unless its globals are installed).
 */
export const BufferUsage = {
  MAP_READ: 0x0001,
  COPY_SRC: 0x0004,
  COPY_DST: 0x0008,
  UNIFORM: 0x0040,
  STORAGE: 0x0080,
} as const;

export const ShaderStage = { COMPUTE: 0x4 } as const;

export const MapMode = { READ: 0x0001 } as const;

/** A short description of the adapter behind a device, e.g. "llvmpipe (OpenGL ES 3.2 Mesa 22.3.6)". */
export function describeDevice(device: GPUDevice): string {
  const info = (device as GPUDevice & { adapterInfo?: GPUAdapterInfo }).adapterInfo;
  if (!info) return "WebGPU device";
  const parts = [info.vendor, info.architecture, info.device].filter((s) => s && s.length > 0);
  const name = parts.length > 0 ? parts.join(" ") : "WebGPU adapter";
  return info.description ? `${name} (${info.description})` : name;
}

/** `bytes` rounded up to a multiple of 4 (buffer sizes and copies are in whole words). */
export function align4(bytes: number): number {
  return Math.ceil(bytes / 4) * 4;
}
