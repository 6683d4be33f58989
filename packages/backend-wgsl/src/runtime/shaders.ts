/// <reference types="webgpu" />
import type { CompileOptions, DeviceKernel } from "@snn/core";
import { type Shader, WORKGROUP_SIZE } from "../codegen/kernel-builder";
import { type WgslDiagnostic, WgslCompileError } from "../errors";
import type { WebGpuTypes } from "./device-access";
import { ShaderStage } from "./gpu";

/** Shader compilation for the runtime's kernels and for kernels added through `DeviceAccess`. */

export const FILL_WGSL = `// Initialisation: sets count 32-bit words from offset to value.
struct Fill {
  offset: u32,
  count: u32,
  value: u32,
}

@group(0) @binding(0) var<uniform> fill: Fill;
@group(0) @binding(1) var<storage, read_write> data: array<u32>;

@compute @workgroup_size(${WORKGROUP_SIZE})
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>, @builtin(local_invocation_index) lane: u32) {
  let i = (wg.y * groups.x + wg.x) * ${WORKGROUP_SIZE}u + lane;
  if (i < fill.count) {
    data[fill.offset + i] = fill.value;
  }
}
`;

/** Passes every shader to `printCode` (a function), or prints it (true). */
export function printShaders(shaders: readonly Shader[], print: CompileOptions["printCode"]): void {
  if (!print) return;
  for (const shader of shaders) {
    if (typeof print === "function") print(shader.label, shader.code);
    else console.log(`// ---- ${shader.label}\n${shader.code}`);
  }
}

/** A bind group layout with buffers of the given types at bindings 0..n-1, visible to compute. */
function bindGroupLayout(
  device: GPUDevice,
  label: string,
  bindings: readonly GPUBufferBindingType[],
): GPUBindGroupLayout {
  return device.createBindGroupLayout({
    label,
    entries: bindings.map((type, binding) => ({
      binding,
      visibility: ShaderStage.COMPUTE,
      buffer: { type },
    })),
  });
}

/**
 * Compiles WGSL with entry point `main` whose bind group 0 holds buffers of the given types at
 * bindings 0..n-1. Throws {@link WgslCompileError} when it does not compile.
 */
export async function compileKernel(
  device: GPUDevice,
  shader: Pick<Shader, "label" | "code" | "origins">,
  bindings: readonly GPUBufferBindingType[],
): Promise<DeviceKernel<WebGpuTypes>> {
  const layout = bindGroupLayout(device, shader.label, bindings);
  const module = await compileModule(device, shader.label, shader.code, shader.origins);
  const pipeline = await createPipeline(device, shader, module, layout);
  return { pipeline, layout };
}

/** Compiles the generated shaders: binding 0 their uniform block, then their storage buffers. */
export function compileShaders(
  device: GPUDevice,
  shaders: readonly Shader[],
): Promise<DeviceKernel<WebGpuTypes>[]> {
  return Promise.all(
    shaders.map((shader) => compileKernel(device, shader, ["uniform", ...shader.access])),
  );
}

/** The pipeline of {@link FILL_WGSL}. */
export async function compileFill(device: GPUDevice): Promise<GPUComputePipeline> {
  const shader = { label: "initialisation", code: FILL_WGSL, origins: [] };
  const module = await compileModule(device, shader.label, shader.code, shader.origins);
  return createPipeline(device, shader, module, "auto");
}

/** Compiles WGSL, turning compiler messages into a {@link WgslCompileError} that points at the generated line and the model code. */
export async function compileModule(
  device: GPUDevice,
  label: string,
  code: string,
  origins: readonly WgslDiagnostic["origin"][],
): Promise<GPUShaderModule> {
  // Push, create and pop without awaiting in between: error scopes are a stack shared by concurrent compilations.
  device.pushErrorScope("validation");
  const module = device.createShaderModule({ label, code });
  const popped = device.popErrorScope();
  const [info, scopeError] = await Promise.all([module.getCompilationInfo(), popped]);
  const errors = info.messages.filter((m) => m.type === "error");
  if (errors.length > 0 || scopeError) {
    const lines = code.split("\n");
    const diagnostics: WgslDiagnostic[] = errors.map((m) => ({
      type: "error",
      message: m.message,
      line: m.lineNum,
      column: m.linePos,
      generatedLine: lines[m.lineNum - 1] ?? "",
      origin: origins[m.lineNum - 1] ?? null,
    }));
    if (diagnostics.length === 0) {
      diagnostics.push({
        type: "error",
        message: scopeError!.message,
        line: 0,
        column: 0,
        generatedLine: "",
        origin: null,
      });
    }
    throw new WgslCompileError(label, diagnostics, code);
  }
  return module;
}

async function createPipeline(
  device: GPUDevice,
  shader: Pick<Shader, "label" | "code" | "origins">,
  module: GPUShaderModule,
  layout: GPUBindGroupLayout | "auto",
): Promise<GPUComputePipeline> {
  device.pushErrorScope("validation");
  const pipeline = device.createComputePipeline({
    label: shader.label,
    layout:
      layout === "auto" ? "auto" : device.createPipelineLayout({ bindGroupLayouts: [layout] }),
    compute: { module, entryPoint: "main" },
  });
  const error = await device.popErrorScope(); // pushed and popped with no await in between
  if (error) {
    throw new WgslCompileError(
      shader.label,
      [
        {
          type: "error",
          message: error.message,
          line: 0,
          column: 0,
          generatedLine: "",
          origin: null,
        },
      ],
      shader.code,
    );
  }
  return pipeline;
}
