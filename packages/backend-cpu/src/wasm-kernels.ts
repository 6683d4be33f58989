/**
 * What runs as WebAssembly: the one module of every kernel that compiles to it (neuron updates,
 * synapse updates, spike delivery, custom updates), over the state memory where the state lives
 * in one and the engine has WebAssembly SIMD, and the generated JavaScript kernels those
 * functions replace.
 */
import type { KernelPlan, PlannedProjection } from "@snn/core";
import { wasm, type StepProgram } from "@snn/core/internal";
import type { GeneratedKernel, ModuleBuilder } from "./js-module";
import type { NetworkStorage } from "./storage";
import { effectTarget } from "./stored-vars";
import { customUpdateWasm } from "./wasm-custom-updates";
import { accumulateDenseKernel, accumulatedWeight, accumulateSparseKernel } from "./wasm-delivery";
import { instantiateKernels, type KernelExports } from "./wasm-module";
import { neuronKernelWasm } from "./wasm-neurons";
import { philoxFunction } from "./wasm-random";
import { MATH_IMPORTS } from "./wasm-snippet";
import { synapseKernelWasm } from "./wasm-synapses";
import type { ElementKernelDefinition } from "./wasm-vector-snippet";

export const neuronKernelName = (population: number): string => `neurons${population}`;
export const synapseKernelName = (projection: number): string => `synapses${projection}`;
export const customUpdateKernelName = (update: number): string => `customUpdate${update}`;

/** The WebAssembly kernels of a plan over its storage, and which generated kernels they replace. */
export class WasmKernels {
  /** WebAssembly kernels over the state memory, when the state lives in one (set by `compile`). */
  private kernels: KernelExports | null = null;
  /** Names of the WebAssembly element kernels that update four elements at a time (SIMD). */
  private readonly simdKernels = new Set<string>();
  /** The functions of the WebAssembly module, in module order (empty until compiled). */
  private definitions: readonly wasm.FunctionDefinition[] = [];

  constructor(
    private readonly plan: KernelPlan,
    private readonly storage: NetworkStorage,
    /** The plan's step program (core's step-program.ts). */
    private readonly program: StepProgram,
  ) {}

  /** The WebAssembly module of every kernel that compiles to it, instantiated once. */
  compile(): void {
    const memory = this.storage.memory;
    if (this.kernels !== null || memory === null || !wasm.wasmSimdSupported()) return;
    const definitions: wasm.FunctionDefinition[] = [
      accumulateDenseKernel(),
      accumulateSparseKernel(),
      philoxFunction(this.plan.seed, "philox"),
    ];
    /** The function index of `philox` (after the imports). */
    const philox = MATH_IMPORTS.length + 2;
    const add = (definition: ElementKernelDefinition | null): void => {
      if (!definition) return;
      definitions.push(definition);
      if (definition.simd) this.simdKernels.add(definition.name);
    };
    for (const step of this.program.neurons) {
      add(
        neuronKernelWasm(this.plan, this.storage, step, neuronKernelName(step.population), philox),
      );
    }
    for (const step of this.program.synapses) {
      add(
        synapseKernelWasm(
          this.plan,
          this.storage,
          step,
          synapseKernelName(step.projection),
          this.delivery(this.plan.projections[step.projection]!) !== null,
          philox,
        ),
      );
    }
    for (const site of this.program.customUpdates) {
      add(
        customUpdateWasm(
          this.plan,
          this.storage,
          philox,
          site,
          customUpdateKernelName(site.update),
          this.storage.customUpdates[site.update]!.params,
        ),
      );
    }
    this.definitions = definitions;
    this.kernels = instantiateKernels(definitions, memory);
  }

  /**
   * The functions of the WebAssembly module the kernels run in, in module order after the
   * `Math` imports; empty where the kernels are not compiled to WebAssembly (no state memory or
   * no SIMD) or before `scheduleKernels`/`customUpdateKernels`.
   */
  get functions(): readonly wasm.FunctionDefinition[] {
    return this.definitions;
  }

  /**
   * The kernel, run as its WebAssembly version `name` when there is one: called with the trial
   * step and the step word of random numbers' counters (`randomStep`: the global step by default).
   */
  run(kernel: GeneratedKernel, name: string, randomStep?: () => number): GeneratedKernel {
    const compiled = this.kernels?.[name];
    if (compiled === undefined) return kernel;
    const clock = this.storage.clock;
    return {
      label: kernel.label,
      source: this.note(name, kernel.source),
      run: randomStep
        ? () => compiled(clock[0]!, randomStep())
        : () => compiled(clock[0]!, clock[1]!),
    };
  }

  /**
   * The WebAssembly kernel that does this projection's spike delivery (`addToPost(g)` over dense
   * or sparse rows, see wasm-delivery.ts) and its arguments, or null when other code does it.
   * Meaningful where the WebAssembly kernels are compiled (a state memory and SIMD).
   */
  private delivery(projection: PlannedProjection): {
    readonly kernel: "accumulateDense" | "accumulateSparse";
    readonly args: readonly number[];
    readonly weight: string;
  } | null {
    const weight = accumulatedWeight(projection.code.preSpike);
    const storage = this.storage.projections[projection.index]!;
    const kind = projection.connectivity.kind;
    if (
      weight === null ||
      this.storage.memory === null ||
      !(kind === "dense" || (kind === "sparse" && storage.rows))
    )
      return null;
    const preStorage = this.storage.populations[projection.pre]!;
    const preSpike = this.program.synapses[projection.index]!.preSpike;
    const target = preSpike && effectTarget(this.storage, preSpike.addToPost);
    const stored = storage.vars.get(weight);
    if (!target || !stored) return null;
    const spikes = projection.delaySteps === 0 ? preStorage.spikes : preStorage.previousSpikes;
    const counts =
      projection.delaySteps === 0 ? preStorage.spikeCount : preStorage.previousSpikeCount;
    const nPost = this.plan.populations[projection.post]!.size;
    const nPre = this.plan.populations[projection.pre]!.size;
    const weightBatchBytes = stored.planned.batched ? projection.numSynapses * 4 : 0;
    const args = [
      spikes.byteOffset,
      counts.byteOffset,
      stored.array.byteOffset,
      weightBatchBytes,
      target.byteOffset,
      this.plan.batchSize,
      nPre * 4,
      nPost * 4,
    ];
    if (kind === "sparse")
      args.push(storage.rows!.rowStart.byteOffset, storage.rows!.postIndex.byteOffset);
    return { kernel: kind === "dense" ? "accumulateDense" : "accumulateSparse", args, weight };
  }

  /** The generated JavaScript's call of the delivery kernel, or null when the JavaScript delivers. */
  deliveryCall(m: ModuleBuilder, projection: PlannedProjection): string | null {
    const delivery = this.delivery(projection);
    const kernel = delivery ? this.kernels?.[delivery.kernel] : undefined;
    if (!delivery || kernel === undefined) return null;
    const kind = projection.connectivity.kind;
    return `${m.ref(kernel)}(${delivery.args.join(", ")}); // WebAssembly${kind === "dense" ? " SIMD" : ""}: += ${delivery.weight} ${kind} rows of this step's spikes`;
  }

  /**
   * The synapse kernel, run as its WebAssembly version (after the delivery kernel, if any) when
   * its weight-update code compiled (wasm-synapses.ts).
   */
  synapses(kernel: GeneratedKernel, projection: PlannedProjection): GeneratedKernel {
    const name = synapseKernelName(projection.index);
    const compiled = this.kernels?.[name];
    if (compiled === undefined) return kernel;
    const delivery = this.delivery(projection);
    const deliver = delivery ? this.kernels![delivery.kernel]! : null;
    const args = delivery?.args ?? [];
    const clock = this.storage.clock;
    return {
      label: kernel.label,
      source: this.note(name, kernel.source),
      run: deliver
        ? () => {
            deliver(...args);
            compiled(clock[0]!, clock[1]!);
          }
        : () => compiled(clock[0]!, clock[1]!),
    };
  }

  /** The JavaScript source of a kernel that runs as the WebAssembly function `name`, with a note saying so. */
  private note(name: string, source: string): string {
    const simd = this.simdKernels.has(name) ? " (SIMD, four elements at a time)" : "";
    return `// Runs as WebAssembly${simd} compiled from the same snippets, bit-identical to this JavaScript (which runs with cpuBackend({ webAssembly: false })).\n${source}`;
  }
}
