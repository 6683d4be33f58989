/**
 * @snn/backend-wgsl: WGSL code generation and a WebGPU runtime for @snn networks, in Node
 * (Dawn, through the `webgpu` package) and in browsers (`navigator.gpu`).
 */
export { webgpuBackend } from "./backend";
export type { WebGpuBackend, WebGpuBackendOptions } from "./backend";
export { createNodeDevice, createBrowserDevice, requestDeviceWithAdapterLimits } from "./device";
export type { NodeDevice, NodeDeviceOptions } from "./device";
export { WebGpuRuntime } from "./runtime/runtime";
export type { WebGpuRuntimeOptions } from "./runtime/limits";
export type { WebGpuDeviceAccess, WebGpuTypes } from "./runtime/device-access";
export { generateWgsl } from "./generate-wgsl";
export type { GeneratedShader } from "./generate-wgsl";
export {
  BufferLimitError,
  DeviceLostError,
  WebGpuUnavailableError,
  WgslCompileError,
} from "./errors";
export type { SnippetOrigin, WgslDiagnostic } from "./errors";
