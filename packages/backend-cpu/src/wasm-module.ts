/**
 * The WebAssembly module of a compiled network: its kernels (delivery, neuron updates) over the
 * network's state memory, with the `Math` functions they call imported from the engine.
 */
import { wasm } from "@snn/core/internal";
import { mathImports, MATH_IMPORTS } from "./wasm-snippet";

export type KernelExports = Record<string, (...args: number[]) => void>;

/** Assembles and instantiates `definitions` over `memory`; their exports by name. */
export function instantiateKernels(
  definitions: readonly wasm.FunctionDefinition[],
  memory: WebAssembly.Memory,
): KernelExports {
  const bytes = wasm.assembleModule(definitions, {
    importMemory: true,
    importFunctions: mathImports(),
  });
  const math = Object.fromEntries(MATH_IMPORTS.map((name) => [name, Math[name]]));
  const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), {
    env: { memory },
    Math: math,
  });
  return instance.exports as unknown as KernelExports;
}
