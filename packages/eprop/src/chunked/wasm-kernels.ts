/**
 * WebAssembly SIMD kernels of the chunked e-prop evaluation (docs/chunked-eprop.md),
 * vectorised over postsynaptic neurons in lanes of 4 and register-blocked in blocks of
 * {@link BLOCK_FLOATS} neurons. Layouts (all in the module's memory, rows padded to whole blocks):
 *
 * - histories psi, L, r: `[step][batch][row]` (written by the host);
 * - spike coefficients lp(t): `[batch][block][step][output][16]`, outputs g, b (and a for
 *   adaptive layers), so that the coefficients of one spike for one block are contiguous;
 * - carried-in coefficients: `[batch][block][8][16]` in the order of {@link CarriedCoefficient};
 * - per-synapse state: `[batch][block][pre][b, a][16]` (no a for non-adaptive layers);
 * - gradient: `[block][pre][16]`.
 */
import { wasm } from "@snn/core/internal";
import { applyKernel, unblockKernel } from "./wasm-apply";
import { backwardKernel } from "./wasm-backward";
import { hostStepKernel } from "./wasm-host-step";
import { readoutGradientKernel } from "./wasm-readout";
import { advanceTracesKernel, feedbackKernel, learningSignalKernel } from "./wasm-signals";
import { collectEventsKernel, sortSpikesKernel } from "./wasm-spikes";

/** Most pages a shared kernel memory may grow to (4 GiB, the wasm32 limit). */
export const SHARED_MAXIMUM_PAGES = 65536;

const compiled = new Map<string, WebAssembly.Module>();

/**
 * The compiled kernel module, built once per kind of memory it imports as `env.memory`: a
 * plain growable memory, or a shared one of {@link SHARED_MAXIMUM_PAGES} (for a worker thread).
 */
export function chunkKernelModule(memory: "plain" | "shared"): WebAssembly.Module {
  let module = compiled.get(memory);
  if (module === undefined) {
    const importMemory =
      memory === "shared" ? ({ shared: true, maximumPages: SHARED_MAXIMUM_PAGES } as const) : true;
    module = new WebAssembly.Module(
      wasm.assembleModule(
        [
          backwardKernel(),
          applyKernel(),
          feedbackKernel(),
          sortSpikesKernel(),
          advanceTracesKernel(),
          hostStepKernel(),
          learningSignalKernel(),
          unblockKernel(),
          readoutGradientKernel(),
          collectEventsKernel(),
        ],
        { importMemory },
      ),
    );
    compiled.set(memory, module);
  }
  return module;
}
