// Which backend an example runs on: WebGPU where the browser has an adapter, else the CPU.
import { cpuBackend } from "@snn/backend-cpu";
import { webgpuBackend, type WebGpuBackend } from "@snn/backend-wgsl";
import { BackendRegistry, type Backend } from "@snn/core";

export type BackendChoice = "auto" | "webgpu" | "cpu";

let webgpu: WebGpuBackend | undefined;
let cpu: Backend | undefined;

/** One backend of each kind per page (or worker), so that WebGPU keeps one device. */
function backends(): Backend[] {
  webgpu ??= webgpuBackend();
  cpu ??= cpuBackend();
  return [webgpu, cpu];
}

/** The chosen backend; `auto` is WebGPU when an adapter exists, else the CPU. An explicit choice that cannot run is an error. */
export async function selectBackend(choice: BackendChoice): Promise<Backend> {
  return new BackendRegistry(backends()).select(choice);
}

/** A line saying what ran: the backend and, for WebGPU, the adapter. */
export async function describeBackend(backend: Backend): Promise<string> {
  if (backend.name === "webgpu" && webgpu) return `WebGPU (${await webgpu.describe()})`;
  if (backend.name === "cpu") return "CPU (@snn/backend-cpu: generated JavaScript and WebAssembly)";
  return backend.name;
}

/** Whether WebGPU can run here (the browser has navigator.gpu and gives an adapter and device). */
export async function webgpuAvailable(): Promise<boolean> {
  return backends()[0]!.isAvailable();
}
