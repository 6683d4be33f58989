/**
 * Backend selection for the CLI: `cpu`, `webgpu` (Dawn in Node) or `auto` (WebGPU when an
 * adapter exists, else CPU). An explicit choice that cannot run here is a `UsageError` with
 * the backend's own advice; it never silently switches. The WebGPU backend (@snn/backend-wgsl,
 * which brings Dawn) is an optional package of the CLI, loaded only when asked for: without it
 * `--backend webgpu` says what to install and `auto` runs on the CPU.
 */
import type { Backend } from "@snn/core";
import { cpuBackend } from "@snn/backend-cpu";
import { quietDawnBackend } from "./dawn-noise";
import { UsageError } from "./errors";
import { importOptional, WGSL_BACKEND } from "./optional-package";

/** A chosen backend and a description of the device it runs on. */
export interface SelectedBackend {
  readonly backend: Backend;
  readonly name: string;
  readonly device: string;
}

function cpuDescription(): string {
  return `CPU (Node ${process.version})`;
}

/**
 * The optional @snn/backend-wgsl module; a `UsageError` saying what to install when it is
 * missing. `needed` names what asked for it (e.g. "--backend webgpu"), `command` whose usage to print.
 */
export async function loadWgslBackend(
  needed = "--backend webgpu",
  command?: string,
): Promise<typeof import("@snn/backend-wgsl")> {
  return importOptional(WGSL_BACKEND, () => import("@snn/backend-wgsl"), needed, command);
}

async function webgpu(command?: string): Promise<Backend & { describe(): Promise<string> }> {
  const { webgpuBackend } = await loadWgslBackend("--backend webgpu", command);
  return webgpuBackend({ node: quietDawnBackend() });
}

/** Selects a backend by name; `command` names the command whose usage to print on error. */
export async function selectBackend(choice: string, command?: string): Promise<SelectedBackend> {
  switch (choice) {
    case "cpu":
      return { backend: cpuBackend(), name: "cpu", device: cpuDescription() };
    case "webgpu": {
      const backend = await webgpu(command);
      try {
        return { backend, name: "webgpu", device: await backend.describe() };
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        throw new UsageError(`--backend webgpu cannot run here: ${reason.split("\n")[0]}`, command);
      }
    }
    case "auto": {
      try {
        const backend = await webgpu();
        return { backend, name: "webgpu", device: await backend.describe() };
      } catch {
        return { backend: cpuBackend(), name: "cpu", device: cpuDescription() };
      }
    }
    default:
      throw new UsageError(`unknown backend '${choice}'; choose cpu, webgpu or auto.`, command);
  }
}
