/**
 * Generates one JavaScript function per schedule entry (a population's neuron update, a
 * projection's synapse update) and per custom update, from the typed snippet AST, with the
 * loops over batch elements and neurons or synapses around the printed code.
 *
 * Each function is built by a factory made with `new Function`: the factory takes the typed
 * arrays it uses, binds them to constants and returns the step function, so that the step
 * function touches no objects other than its typed arrays and allocates nothing.
 * See docs/decisions/0001-timestep-semantics.md of the project for what each function does.
 */
import type { KernelPlan } from "@snn/core";
import { compileStepProgram, type StepProgram, type wasm } from "@snn/core/internal";
import { customUpdateKernel } from "./js-custom-updates";
import type { GeneratedKernel } from "./js-module";
import { neuronKernel, postSpikeKernel } from "./js-neurons";
import { synapseKernel } from "./js-synapses";
import type { NetworkStorage } from "./storage";
import { customUpdateKernelName, neuronKernelName, WasmKernels } from "./wasm-kernels";

/** Generates every kernel of a plan over the given storage. */
export class CodeGenerator {
  /** What runs as WebAssembly, and the module it runs in. */
  private readonly webAssembly: WasmKernels;
  /** What each schedule entry runs (core's step-program.ts). */
  private readonly program: StepProgram;

  constructor(
    private readonly plan: KernelPlan,
    private readonly storage: NetworkStorage,
  ) {
    this.program = compileStepProgram(plan);
    this.webAssembly = new WasmKernels(plan, storage, this.program);
  }

  /**
   * One kernel per schedule entry, in schedule order. Where the state lives in a WebAssembly
   * memory and the engine has WebAssembly SIMD, neuron updates that compile to WebAssembly
   * (wasm-neurons.ts) and dense `addToPost(g)` delivery (wasm-delivery.ts) run as WebAssembly;
   * the rest as generated JavaScript.
   */
  scheduleKernels(): GeneratedKernel[] {
    this.webAssembly.compile();
    const { plan, storage } = this;
    return this.program.entries.map((step) => {
      if (step.op === "synapses")
        return this.webAssembly.synapses(
          synapseKernel(plan, storage, this.webAssembly, step),
          plan.projections[step.projection]!,
        );
      const neurons = this.webAssembly.run(
        neuronKernel(plan, storage, step),
        neuronKernelName(step.population),
      );
      const learning = postSpikeKernel(plan, storage, step);
      if (learning === null) return neurons;
      return {
        label: neurons.label,
        source: `${neurons.source}\n${learning.source}`,
        run: () => (neurons.run(), learning.run()),
      };
    });
  }

  /**
   * The functions of the WebAssembly module the kernels run in, in module order after the
   * `Math` imports; empty where the kernels are not compiled to WebAssembly (no state memory or
   * no SIMD) or before `scheduleKernels`/`customUpdateKernels`.
   */
  get wasmFunctions(): readonly wasm.FunctionDefinition[] {
    return this.webAssembly.functions;
  }

  /** One kernel per custom update, by index (their random numbers count the group's runs, not steps). */
  customUpdateKernels(): GeneratedKernel[] {
    this.webAssembly.compile();
    const runs = this.storage.customUpdateRuns;
    return this.program.customUpdates.map((site) =>
      this.webAssembly.run(
        customUpdateKernel(this.plan, this.storage, site),
        customUpdateKernelName(site.update),
        () => runs[site.update]!,
      ),
    );
  }
}
