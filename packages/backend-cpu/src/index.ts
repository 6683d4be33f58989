/**
 * @snn/backend-cpu: the reference backend of @snn. It compiles a kernel plan into JavaScript
 * functions printed from the typed snippet AST, over struct-of-arrays typed arrays, and runs
 * them on the CPU. It is the oracle the other backends are tested against and the fast path
 * on machines without a GPU.
 */
import {
  BACKEND_INTERFACE_VERSION,
  PLAN_VERSION,
  SnnError,
  type Backend,
  type CompileOptions,
  type KernelPlan,
  type Runtime,
} from "@snn/core";
import { CpuRuntime } from "./runtime";

export { CpuRuntime } from "./runtime";

/**
 * The CPU backend. `compile(plan)` generates one JavaScript function per schedule entry
 * (neuron update of a population, synapse update of a projection) and per custom update,
 * and returns a {@link CpuRuntime}.
 *
 * Arithmetic: `float` is float32 (stored in `Float32Array`, every operation rounded with
 * `Math.fround`; math functions computed in double and rounded once), `int`/`uint` are
 * 32-bit with wrap-around, integer division truncates (division by zero gives the dividend,
 * as in WGSL). Random numbers are core's Philox4x32-10 with the documented counters.
 *
 * ```ts
 * import { Network, LIF, planNetwork } from "@snn/core";
 * import { cpuBackend } from "@snn/backend-cpu";
 *
 * const net = new Network({ dt: 1 });
 * net.addPopulation("n", { model: LIF, size: 10, params: { Ioffset: 1.5 }, recordSpikes: true });
 * const runtime = await cpuBackend().compile(planNetwork(net));
 * await runtime.step(100);
 * const spikes = await runtime.readSpikes("n");
 * ```
 */
export function cpuBackend(engine: CpuEngineOptions = {}): Backend {
  return {
    name: "cpu",
    interfaceVersion: BACKEND_INTERFACE_VERSION,
    isAvailable: async () => true,
    compile: async (plan: KernelPlan, options: CompileOptions = {}): Promise<Runtime> =>
      compileCpu(plan, options, engine),
    // The same backend in a worker thread: this module's cpuBackend with the same engine options.
    worker: {
      module: import.meta.url,
      factory: "cpuBackend",
      options: { ...(engine.webAssembly !== undefined ? { webAssembly: engine.webAssembly } : {}) },
    },
  };
}

/** How the CPU backend runs a network. */
export interface CpuEngineOptions {
  /**
   * Keep the state in one WebAssembly memory and run what compiles to WebAssembly there (neuron
   * updates, custom updates without reductions, spike delivery, weight-update code, random
   * numbers; docs/decisions/0002), bit-identical to the generated JavaScript and several times
   * faster (default true; used only where the engine has WebAssembly SIMD). `false` runs
   * generated JavaScript only.
   */
  readonly webAssembly?: boolean;
}

/** Compiles synchronously (what `cpuBackend().compile` does), returning the runtime with its synchronous `stepSync`. */
export function compileCpu(
  plan: KernelPlan,
  options: CompileOptions = {},
  engine: CpuEngineOptions = {},
): CpuRuntime {
  if (typeof plan !== "object" || plan === null || !Array.isArray((plan as KernelPlan).schedule)) {
    throw new SnnError(
      "cpuBackend().compile(plan): expected a kernel plan; make one with planNetwork(network) from @snn/core.",
    );
  }
  if (plan.version !== PLAN_VERSION) {
    throw new SnnError(
      `cpuBackend().compile: the plan has version ${String(plan.version)}, but this backend reads version ${PLAN_VERSION}; install matching versions of @snn/core and @snn/backend-cpu.`,
    );
  }
  if (
    options.recordingSteps !== undefined &&
    (!Number.isInteger(options.recordingSteps) || options.recordingSteps < 0)
  ) {
    throw new SnnError(
      `cpuBackend().compile: recordingSteps must be a non-negative integer, got ${String(options.recordingSteps)}.`,
    );
  }
  return new CpuRuntime(plan, options, engine);
}
