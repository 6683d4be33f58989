/**
 * A population's neuron update compiled to a WebAssembly function: the same loops and order
 * as the generated JavaScript of codegen.ts (postsynaptic models, neuron sim/threshold/reset,
 * the spike list, zeroing additional inputs, then the pre- and postsynaptic spike code and
 * dynamics of connected projections), over the state memory, with snippets compiled by
 * wasm-snippet.ts. Float32 arithmetic is native here, which is what makes it faster than the
 * JavaScript, whose every operation needs `Math.fround`.
 *
 * Returns null (the kernel stays in JavaScript) for spike source arrays and for code that draws
 * random numbers or uses something wasm-snippet.ts does not compile bit-identically.
 */
import { wasm, type Binding, type KernelPlan, type PlannedPopulation, type ScalarType } from "@snn/core";
import { collectUsage } from "./printer";
import type { NetworkStorage, StoredVar } from "./storage";
import { ElementKernel, NotCompilable, SnippetCompiler, valueType, type ResolvedBinding } from "./wasm-snippet";

const { op, forLoop } = wasm;
const { get, set, i32, f32 } = op;
type Code = wasm.Code;

/** Loads and stores of storage-backed bindings around a piece of code. */
export class StorageLocals {
  /** binding key -> local */
  private readonly locals = new Map<string, number>();
  private loads: Code[] = [];
  private stores: Code[] = [];

  constructor(private readonly functionLocals: wasm.Frame) {}

  /** A local loaded from `address` (pushes an i32 byte address) before the code and, when written, stored back after it. */
  bind(key: string, type: ScalarType, address: () => Code, written: boolean): ResolvedBinding {
    let local = this.locals.get(key);
    if (local === undefined) {
      local = this.functionLocals.local(valueType(type));
      this.locals.set(key, local);
      const load = type === "float" ? [address(), f32.load()] : type === "bool" ? [address(), i32.load(), i32.const(0), i32.ne] : [address(), i32.load()];
      this.loads.push([load, set(local)]);
      if (written) this.stores.push(type === "float" ? [address(), get(local), f32.store()] : [address(), get(local), i32.store()]);
    }
    return { local };
  }

  wrap(code: Code): Code {
    const out: Code = [this.loads, code, this.stores];
    this.loads = [];
    this.stores = [];
    return out;
  }
}


function bindingKey(binding: Binding): string {
  return binding.kind === "neuronVarRef" ? `neuronVarRef:${binding.side}:${binding.name}` : `${binding.kind}:${"name" in binding ? binding.name : ""}`;
}

/** The WebAssembly version of a population's neuron kernel: `name(trialStep: i32)`, or null. */
export function neuronKernelWasm(plan: KernelPlan, storage: NetworkStorage, population: PlannedPopulation, name: string): wasm.FunctionDefinition | null {
  if (population.spikeSource || storage.memory === null) return null;
  try {
    return compileNeuronKernel(plan, storage, population, name);
  } catch (error) {
    if (error instanceof NotCompilable) return null;
    throw error;
  }
}

function compileNeuronKernel(plan: KernelPlan, storage: NetworkStorage, population: PlannedPopulation, name: string): wasm.FunctionDefinition {
  const kernel = new ElementKernel(plan.dt);
  const { locals, batch: b, element: j } = kernel;
  const ni = locals.local("i32"); // b * size + j
  const count = locals.local("i32");
  const spiked = locals.local("i32");
  const isyn = locals.local("f32");
  const size = population.size;
  const popStorage = storage.populations[population.index]!;

  /** Byte address of element `index` (a local) of an array. */
  const element = (array: { byteOffset: number }, index: number) => (): Code => [get(index), i32.const(2), i32.shl, i32.const(array.byteOffset), i32.add];
  const varAddress = (stored: StoredVar) => element(stored.array, stored.planned.batched ? ni : j);
  const lookup = (map: Map<string, StoredVar>, varName: string): StoredVar => {
    const stored = map.get(varName);
    if (!stored) throw new Error(`internal error: no variable '${varName}'`);
    return stored;
  };
  const builtin = (binding: Binding & { kind: "builtin" }): ResolvedBinding => kernel.builtin(binding);
  const params = (binding: Binding, type: ScalarType, values: Readonly<Record<string, number>>, derived: Readonly<Record<string, number>>): ResolvedBinding | null =>
    kernel.param(binding, type, values, derived);
  const checkNoRandom = (...snippets: Parameters<typeof collectUsage>[0][]): Set<string> => {
    const usage = collectUsage(null);
    for (const snippet of snippets) collectUsage(snippet, usage);
    if (usage.random) throw new NotCompilable("random numbers");
    return new Set(usage.writes.keys());
  };

  // Postsynaptic models of incoming projections: Isyn += their output.
  const apply: Code[] = [];
  for (const projectionIndex of population.incoming) {
    const projection = plan.projections[projectionIndex]!;
    const ps = projection.postsynaptic;
    if (!ps) continue;
    const psStorage = storage.projections[projectionIndex]!;
    const writes = checkNoRandom(ps.apply);
    const inSyn = locals.local("f32");
    const site = new StorageLocals(locals);
    const compiler = new SnippetCompiler(locals, (binding, type) => {
      const param = params(binding, type, ps.params, ps.derivedParams);
      if (param) return param;
      switch (binding.kind) {
        case "var": {
          const stored = lookup(psStorage.postsynapticVars, binding.name);
          return site.bind(bindingKey(binding), type, varAddress(stored), writes.has(bindingKey(binding)));
        }
        case "input":
          return { local: binding.name === "Isyn" ? isyn : inSyn };
        case "builtin":
          return builtin(binding);
        default:
          throw new Error(`internal error: postsynaptic code cannot refer to ${binding.kind}`);
      }
    });
    const address = element(psStorage.inSyn!, ni);
    apply.push([address(), f32.load(), set(inSyn), address(), f32.const(0), f32.store(), site.wrap(compiler.statements(ps.apply))]);
  }

  // The neuron model.
  const code = population.code;
  const writes = checkNoRandom(code.sim, code.threshold, code.reset);
  const site = new StorageLocals(locals);
  const compiler = new SnippetCompiler(locals, (binding, type) => {
    const param = params(binding, type, population.params, population.derivedParams);
    if (param) return param;
    switch (binding.kind) {
      case "var":
        return site.bind(bindingKey(binding), type, varAddress(lookup(popStorage.vars, binding.name)), writes.has(bindingKey(binding)));
      case "additionalInput": {
        const input = popStorage.additionalInputs.get(binding.name);
        if (!input) throw new Error(`internal error: no additional input '${binding.name}'`);
        return site.bind(bindingKey(binding), "float", element(input, ni), false);
      }
      case "input":
        return { local: isyn };
      case "builtin":
        return builtin(binding);
      default:
        throw new Error(`internal error: neuron code cannot refer to ${binding.kind}`);
    }
  });
  const sim = compiler.statements(code.sim);
  const threshold = code.threshold ? compiler.condition(code.threshold) : i32.const(0);
  const reset = compiler.statements(code.reset);
  const spikeAddress: Code = [get(b), i32.const(size), i32.mul, get(count), i32.add, i32.const(2), i32.shl, i32.const(popStorage.spikes.byteOffset), i32.add];
  const neuron: Code = site.wrap([
    sim,
    threshold,
    set(spiked),
    get(spiked),
    op.if([reset, spikeAddress, get(j), i32.store(), get(count), i32.const(1), i32.add, set(count)]),
  ]);
  const zeroInputs: Code = [...popStorage.additionalInputs.values()].map((input) => [element(input, ni)(), f32.const(0), f32.store()]);

  // Pre- and postsynaptic spike code and dynamics of connected projections.
  const sides: Code[] = [];
  for (const [projections, side] of [
    [population.outgoing, "pre"],
    [population.incoming, "post"],
  ] as const) {
    for (const projectionIndex of projections) {
      const projection = plan.projections[projectionIndex]!;
      const spikeCode = side === "pre" ? projection.code.preSpikeCode : projection.code.postSpikeCode;
      const dynamics = side === "pre" ? projection.code.preDynamics : projection.code.postDynamics;
      if (!spikeCode && !dynamics) continue;
      const projectionStorage = storage.projections[projectionIndex]!;
      const vars = side === "pre" ? projectionStorage.preVars : projectionStorage.postVars;
      const kind = side === "pre" ? "preVar" : "postVar";
      const sideWrites = checkNoRandom(spikeCode, dynamics);
      const sideSite = new StorageLocals(locals);
      const sideCompiler = new SnippetCompiler(locals, (binding, type) => {
        const param = params(binding, type, projection.params, projection.derivedParams);
        if (param) return param;
        if (binding.kind === kind) return sideSite.bind(bindingKey(binding), type, varAddress(lookup(vars, binding.name)), sideWrites.has(bindingKey(binding)));
        if (binding.kind === "neuronVarRef") return sideSite.bind(bindingKey(binding), type, varAddress(lookup(popStorage.vars, binding.name)), false);
        if (binding.kind === "builtin") return builtin(binding);
        throw new Error(`internal error: ${side} code cannot refer to ${binding.kind}`);
      });
      const body: Code = [spikeCode ? [get(spiked), op.if(sideCompiler.statements(spikeCode))] : [], sideCompiler.statements(dynamics)];
      sides.push(sideSite.wrap(body));
    }
  }

  const body: Code = [
    // t = fround(step * dt), computed in double as the JavaScript does
    kernel.computeTime(),
    forLoop(b, i32.const(0), i32.const(plan.batchSize), 1,
      i32.const(0), set(count),
      forLoop(j, i32.const(0), i32.const(size), 1,
        [get(b), i32.const(size), i32.mul, get(j), i32.add, set(ni)],
        f32.const(0), set(isyn),
        i32.const(0), set(spiked),
        apply,
        neuron,
        zeroInputs,
        sides,
      ),
      [get(b), i32.const(2), i32.shl, i32.const(popStorage.spikeCount.byteOffset), i32.add, get(count), i32.store()],
    ),
  ];
  return kernel.definition(name, body);
}
