// The same network on either backend: the code that builds and runs it takes a Backend.
import { cpuBackend } from "@snn/backend-cpu";
import { webgpuBackend } from "@snn/backend-wgsl";
import { BackendRegistry, type Backend } from "@snn/core";

/** "cpu", "webgpu", or "auto": WebGPU where an adapter exists, else the CPU. */
export async function pickBackend(choice: "cpu" | "webgpu" | "auto"): Promise<Backend> {
  return new BackendRegistry([webgpuBackend(), cpuBackend()]).select(choice);
}
