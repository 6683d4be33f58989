/**
 * A population's neuron update compiled to a WebAssembly function: the sites of its neuron step
 * (core's step-program.ts: postsynaptic models, neuron sim/threshold/reset, the spike list,
 * zeroing additional inputs, then the pre- and postsynaptic spike code and dynamics of connected
 * projections) in the step's order, as the generated JavaScript of js-neurons.ts prints them,
 * over the state memory, with snippets compiled by
 * wasm-snippet.ts. Float32 arithmetic is native here, which is what makes it faster than the
 * JavaScript, whose every operation needs `Math.fround`.
 *
 * Returns null (the kernel stays in JavaScript) for spike source arrays and for code that draws
 * random numbers or uses something wasm-snippet.ts does not compile bit-identically.
 */
import type { Binding, KernelPlan, ScalarType } from "@snn/core";
import {
  bindingKey,
  wasm,
  type ApplySite,
  type NeuronModelSite,
  type NeuronSideSite,
  type NeuronStep,
  type NeuronStepSite,
} from "@snn/core/internal";
import type { DynamicParams, NetworkStorage, StoredVar } from "./storage";
import { siteVar } from "./stored-vars";
import { ElementKernel } from "./wasm-element-kernel";
import { NotCompilable, SnippetCompiler, valueType, type ResolvedBinding } from "./wasm-snippet";
import {
  elementLoops,
  LANES,
  type ElementKernelDefinition,
  loadBool,
  maskToBool,
  splatFloat,
  VectorSnippetCompiler,
} from "./wasm-vector-snippet";
import { RandomSite, type RandomCounter } from "./wasm-random";

const { op, forLoop } = wasm;
const { get, set, i32, f32 } = op;
type Code = wasm.Code;

/**
 * Loads and stores of storage-backed bindings around a piece of code, for one element (scalar
 * locals) or, with `lanes` 4, for four consecutive elements (v128 locals; bools as lane masks).
 */
export class StorageLocals {
  /** binding key -> local */
  private readonly locals = new Map<string, number>();
  private loads: Code[] = [];
  private stores: Code[] = [];

  constructor(
    private readonly functionLocals: wasm.Frame,
    private readonly lanes: 1 | 4 = 1,
  ) {}

  /** A local loaded from `address` (pushes an i32 byte address) before the code and, when written, stored back after it. */
  bind(key: string, type: ScalarType, address: () => Code, written: boolean): ResolvedBinding {
    let local = this.locals.get(key);
    if (local === undefined) {
      const vector = this.lanes === LANES;
      local = this.functionLocals.local(vector ? "v128" : valueType(type));
      this.locals.set(key, local);
      let load: Code;
      let store: Code;
      if (vector) {
        load = type === "bool" ? [address(), loadBool] : [address(), op.v128.load()];
        store =
          type === "bool"
            ? [address(), get(local), maskToBool, op.v128.store()]
            : [address(), get(local), op.v128.store()];
      } else {
        load =
          type === "float"
            ? [address(), f32.load()]
            : type === "bool"
              ? [address(), i32.load(), i32.const(0), i32.ne]
              : [address(), i32.load()];
        store =
          type === "float"
            ? [address(), get(local), f32.store()]
            : [address(), get(local), i32.store()];
      }
      this.loads.push([load, set(local)]);
      if (written) this.stores.push(store);
    }
    return { local };
  }

  /**
   * A read-only value the same for all lanes (a presynaptic neuron's, in synapse code), loaded
   * from `address` once: a scalar local, or in the vector form four copies of it.
   */
  bindUniform(key: string, type: ScalarType, address: () => Code): ResolvedBinding {
    if (this.lanes !== LANES) return this.bind(key, type, address, false);
    let local = this.locals.get(key);
    if (local === undefined) {
      local = this.functionLocals.local("v128");
      this.locals.set(key, local);
      const load =
        type === "float"
          ? [address(), f32.load(), op.f32x4.splat]
          : type === "bool"
            ? [i32.const(0), address(), i32.load(), i32.const(0), i32.ne, i32.sub, op.i32x4.splat]
            : [address(), i32.load(), op.i32x4.splat];
      this.loads.push([load, set(local)]);
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

/** The WebAssembly version of a population's neuron kernel (its step, core's step-program.ts): `name(trialStep: i32)`, or null. */
export function neuronKernelWasm(
  plan: KernelPlan,
  storage: NetworkStorage,
  step: NeuronStep,
  name: string,
  random: number | null,
): ElementKernelDefinition | null {
  const population = plan.populations[step.population]!;
  if (population.spikeSource || storage.memory === null) return null;
  try {
    return compileNeuronKernel(plan, storage, step, name, random);
  } catch (error) {
    if (error instanceof NotCompilable) return null;
    throw error;
  }
}

/** `random`: the module's `philox` function index (wasm-random.ts), or null: code drawing random numbers stays in JavaScript. */
function compileNeuronKernel(
  plan: KernelPlan,
  storage: NetworkStorage,
  step: NeuronStep,
  name: string,
  random: number | null,
): ElementKernelDefinition {
  const population = plan.populations[step.population]!;
  const kernel = new ElementKernel(plan.dt);
  const { locals, batch: b, element: j } = kernel;
  const ni = locals.local("i32"); // b * size + j
  const count = locals.local("i32");
  const size = population.size;
  const popStorage = storage.populations[population.index]!;

  /** Byte address of element `index` (a local) of an array. */
  const element = (array: { byteOffset: number }, index: number) => (): Code => [
    get(index),
    i32.const(2),
    i32.shl,
    i32.const(array.byteOffset),
    i32.add,
  ];
  const varAddress = (stored: StoredVar) => element(stored.array, stored.planned.batched ? ni : j);
  /** The address of the variable a site stores `binding` in, and whether the site writes it. */
  const variable = (
    site: CodeSiteOf<NeuronStepSite>,
    binding: Binding,
  ): { address: () => Code; written: boolean } => {
    const { stored, written } = siteVar(storage, site.storage, binding);
    return { address: varAddress(stored), written };
  };
  /** Whether a site draws random numbers (refused without the module's `philox`). */
  const drawsRandom = (site: CodeSiteOf<NeuronStepSite>): boolean => {
    if (site.usage.random && random === null) throw new NotCompilable("random numbers");
    return site.usage.random;
  };
  for (const site of step.sites) if ("usage" in site) drawsRandom(site);

  /**
   * The update of one element j (`lanes` 1) or of the four elements j .. j+3 (`lanes` 4, SIMD):
   * the same loads, code and stores in the same order; the vector form runs reset and spike code
   * on the lanes that spiked and appends their indices to the spike list in ascending order.
   */
  const elementCode = (lanes: 1 | 4): Code => {
    const vector = lanes === LANES;
    const isyn = locals.local(vector ? "v128" : "f32");
    const spiked = locals.local(vector ? "v128" : "i32");
    /** A compiler of snippets whose bindings `resolve` gives (params and built-ins resolved here). */
    const compilerFor = (
      params: Readonly<Record<string, number>>,
      derived: Readonly<Record<string, number>>,
      resolve: (binding: Binding, type: ScalarType) => ResolvedBinding,
      randomSite: RandomSite | null = null,
      dynamic: DynamicParams | null = null,
    ) => {
      const resolveAll = (binding: Binding, type: ScalarType): ResolvedBinding => {
        const param = vector
          ? kernel.vectorParam(binding, type, params, derived, dynamic)
          : kernel.param(binding, type, params, derived, dynamic);
        if (param) return param;
        if (binding.kind === "builtin")
          return vector ? kernel.vectorBuiltin(binding) : kernel.builtin(binding);
        return resolve(binding, type);
      };
      const draw = randomSite
        ? (kind: "uniform" | "normal", mask: number | null) => randomSite.call(kind, mask)
        : null;
      const scalar = new SnippetCompiler(locals, resolveAll, null, draw);
      const simd = new VectorSnippetCompiler(
        locals,
        resolveAll,
        null,
        (lanes) => kernel.vectorConstant(lanes),
        draw,
      );
      return {
        statements: (snippet: Parameters<SnippetCompiler["statements"]>[0]) =>
          vector ? simd.statements(snippet) : scalar.statements(snippet),
        /** The snippet run only where the element spiked. */
        onSpike: (snippet: Parameters<SnippetCompiler["statements"]>[0]) =>
          vector
            ? simd.statements(snippet, spiked)
            : [get(spiked), op.if(scalar.statements(snippet))],
        condition: (snippet: NonNullable<Parameters<SnippetCompiler["condition"]>[0]>) =>
          vector ? simd.condition(snippet) : scalar.condition(snippet),
      };
    };
    /** The random-number calls of one code site (the JavaScript's CodeSite), or null where it draws none. */
    const randomSiteFor = (site: CodeSiteOf<NeuronStepSite>, field: number): RandomSite | null => {
      if (!drawsRandom(site)) return null;
      const counter: RandomCounter = {
        element: (lane) => (lane === 0 ? get(j) : [get(j), i32.const(lane), i32.add]),
        batch: get(b),
        step: get(kernel.globalStep),
        philox: random!,
      };
      return new RandomSite(locals, counter, site.rngStream, field, vector);
    };
    const zero: Code = vector ? splatFloat(0) : f32.const(0);
    const load: Code = vector ? op.v128.load() : f32.load();
    const store: Code = vector ? op.v128.store() : f32.store();

    /** A postsynaptic model of an incoming projection: Isyn += its output. */
    const apply = (s: ApplySite): Code => {
      const projection = plan.projections[s.projection]!;
      const ps = projection.postsynaptic!;
      const psStorage = storage.projections[s.projection]!;
      const inSyn = locals.local(vector ? "v128" : "f32");
      const site = new StorageLocals(locals, lanes);
      const applySite = randomSiteFor(s, s.apply.field);
      const compiler = compilerFor(
        ps.params,
        ps.derivedParams,
        (binding, type) => {
          switch (binding.kind) {
            case "var": {
              const { address, written } = variable(s, binding);
              return site.bind(bindingKey(binding), type, address, written);
            }
            case "input":
              return { local: binding.name === "Isyn" ? isyn : inSyn };
            default:
              throw new Error(`internal error: postsynaptic code cannot refer to ${binding.kind}`);
          }
        },
        applySite,
      );
      const address = element(psStorage.inSyn!, ni);
      return [
        address(),
        load,
        set(inSyn),
        address(),
        zero,
        store,
        applySite?.reset(s.apply.field) ?? [],
        site.wrap(compiler.statements(s.apply.snippet)),
      ];
    };

    /** The neuron model, and the spike it emits. */
    const neuron = (s: NeuronModelSite): Code => {
      const site = new StorageLocals(locals, lanes);
      const field = s.snippets[0]?.field ?? 0;
      const neuronSite = randomSiteFor(s, field);
      const compiler = compilerFor(
        population.params,
        population.derivedParams,
        (binding, type) => {
          switch (binding.kind) {
            case "var": {
              const { address, written } = variable(s, binding);
              return site.bind(bindingKey(binding), type, address, written);
            }
            case "additionalInput": {
              const input = popStorage.additionalInputs.get(binding.name);
              if (!input) throw new Error(`internal error: no additional input '${binding.name}'`);
              return site.bind(bindingKey(binding), "float", element(input, ni), false);
            }
            case "input":
              return { local: isyn };
            default:
              throw new Error(`internal error: neuron code cannot refer to ${binding.kind}`);
          }
        },
        neuronSite,
        popStorage.params,
      );
      const sim = compiler.statements(s.sim?.snippet ?? null);
      const threshold = s.threshold
        ? compiler.condition(s.threshold.snippet)
        : vector
          ? splatFloat(0)
          : i32.const(0);
      const spikeAddress: Code = [
        get(b),
        i32.const(size),
        i32.mul,
        get(count),
        i32.add,
        i32.const(2),
        i32.shl,
        i32.const(popStorage.spikes.byteOffset),
        i32.add,
      ];
      let spikeList: Code;
      if (vector) {
        // lanes that spiked, in ascending order: lowest set bit first
        const bits = locals.local("i32");
        const lane = locals.local("i32");
        spikeList = [
          get(spiked),
          op.i32x4.bitmask,
          set(bits),
          op.block(
            op.loop(
              get(bits),
              i32.eqz,
              op.brIf(1),
              get(bits),
              op.i32.ctz,
              set(lane),
              spikeAddress,
              get(j),
              get(lane),
              i32.add,
              i32.store(),
              get(count),
              i32.const(1),
              i32.add,
              set(count),
              get(bits),
              get(bits),
              i32.const(1),
              i32.sub,
              i32.and,
              set(bits),
              op.br(0),
            ),
          ),
        ];
      } else {
        spikeList = [
          get(spiked),
          op.if([spikeAddress, get(j), i32.store(), get(count), i32.const(1), i32.add, set(count)]),
        ];
      }
      return site.wrap([
        neuronSite?.reset(field) ?? [],
        sim,
        threshold,
        set(spiked),
        compiler.onSpike(s.reset?.snippet ?? null),
        spikeList,
      ]);
    };

    /** A projection's spike code and dynamics at this neuron. */
    const neuronSide = (s: NeuronSideSite): Code => {
      const projection = plan.projections[s.projection]!;
      const kind = s.side === "pre" ? "preVar" : "postVar";
      const sideSite = new StorageLocals(locals, lanes);
      const sideRandomSite = randomSiteFor(s, s.snippets[0]!.field);
      const sideCompiler = compilerFor(
        projection.params,
        projection.derivedParams,
        (binding, type) => {
          if (binding.kind === kind) {
            const { address, written } = variable(s, binding);
            return sideSite.bind(bindingKey(binding), type, address, written);
          }
          if (binding.kind === "neuronVarRef")
            return sideSite.bind(bindingKey(binding), type, variable(s, binding).address, false);
          throw new Error(`internal error: ${s.side} code cannot refer to ${binding.kind}`);
        },
        sideRandomSite,
        storage.projections[s.projection]!.params,
      );
      // In this order (the calls' counter field follows the resets), as the JavaScript's site does.
      return sideSite.wrap([
        sideRandomSite?.reset(s.spikeCode?.field ?? s.snippets[0]!.field) ?? [],
        s.spikeCode ? sideCompiler.onSpike(s.spikeCode.snippet) : [],
        s.dynamics ? (sideRandomSite?.reset(s.dynamics.field) ?? []) : [],
        sideCompiler.statements(s.dynamics?.snippet ?? null),
      ]);
    };

    const sites = step.sites.map((site): Code => {
      switch (site.kind) {
        case "apply":
          return apply(site);
        case "neuron":
          return neuron(site);
        case "zeroInputs":
          return site.inputs.map((input) => [
            element(popStorage.additionalInputs.get(input.name)!, ni)(),
            zero,
            store,
          ]);
        case "neuronSide":
          return neuronSide(site);
        default:
          // spikeSource: a spike source array keeps its JavaScript kernel (neuronKernelWasm)
          throw new Error("internal error: a spike source array has no WebAssembly kernel");
      }
    });
    return [[get(b), i32.const(size), i32.mul, get(j), i32.add, set(ni)], zero, set(isyn), sites];
  };

  const { loops, simd } = elementLoops(j, size, elementCode);
  const body: Code = [
    // t = fround(step * dt), computed in double as the JavaScript does
    kernel.computeTime(),
    forLoop(b, i32.const(0), i32.const(plan.batchSize), 1, i32.const(0), set(count), loops, [
      get(b),
      i32.const(2),
      i32.shl,
      i32.const(popStorage.spikeCount.byteOffset),
      i32.add,
      get(count),
      i32.store(),
    ]),
  ];
  return { ...kernel.definition(name, body), simd };
}

/** The sites of a step that have code (and so storage use). */
type CodeSiteOf<T> = Extract<T, { readonly usage: unknown }>;
