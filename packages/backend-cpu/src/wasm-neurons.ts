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
import type { Binding, CheckedSnippet, KernelPlan, PlannedPopulation, ScalarType } from "@snn/core";
import { analyseStorage, bindingKey, RANDOM_FIELD, wasm } from "@snn/core/internal";
import type { DynamicParams, NetworkStorage, StoredVar } from "./storage";
import {
  ElementKernel,
  NotCompilable,
  SnippetCompiler,
  valueType,
  type ResolvedBinding,
} from "./wasm-snippet";
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

/** The WebAssembly version of a population's neuron kernel: `name(trialStep: i32)`, or null. */
export function neuronKernelWasm(
  plan: KernelPlan,
  storage: NetworkStorage,
  population: PlannedPopulation,
  name: string,
  random: number | null,
): ElementKernelDefinition | null {
  if (population.spikeSource || storage.memory === null) return null;
  try {
    return compileNeuronKernel(plan, storage, population, name, random);
  } catch (error) {
    if (error instanceof NotCompilable) return null;
    throw error;
  }
}

/** `random`: the module's `philox` function index (wasm-random.ts), or null: code drawing random numbers stays in JavaScript. */
function compileNeuronKernel(
  plan: KernelPlan,
  storage: NetworkStorage,
  population: PlannedPopulation,
  name: string,
  random: number | null,
): ElementKernelDefinition {
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
  const lookup = (map: Map<string, StoredVar>, varName: string): StoredVar => {
    const stored = map.get(varName);
    if (!stored) throw new Error(`internal error: no variable '${varName}'`);
    return stored;
  };
  /** What the snippets write, and whether they draw random numbers. */
  const usageOf = (
    ...snippets: (CheckedSnippet | null)[]
  ): { writes: ReadonlySet<string>; random: boolean } => {
    const usage = analyseStorage(snippets);
    if (usage.random && random === null) throw new NotCompilable("random numbers");
    return { writes: usage.stored, random: usage.random };
  };
  const code = population.code;
  const neuronUsage = usageOf(code.sim, code.threshold, code.reset);
  const neuronWrites = neuronUsage.writes;

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
    const randomSiteFor = (uses: boolean, stream: number, field: number): RandomSite | null => {
      if (!uses) return null;
      const counter: RandomCounter = {
        element: (lane) => (lane === 0 ? get(j) : [get(j), i32.const(lane), i32.add]),
        batch: get(b),
        step: get(kernel.globalStep),
        philox: random!,
      };
      return new RandomSite(locals, counter, stream, field, vector);
    };
    const zero: Code = vector ? splatFloat(0) : f32.const(0);
    const load: Code = vector ? op.v128.load() : f32.load();
    const store: Code = vector ? op.v128.store() : f32.store();

    // Postsynaptic models of incoming projections: Isyn += their output.
    const apply: Code[] = [];
    for (const projectionIndex of population.incoming) {
      const projection = plan.projections[projectionIndex]!;
      const ps = projection.postsynaptic;
      if (!ps) continue;
      const psStorage = storage.projections[projectionIndex]!;
      const { writes, random: applyRandom } = usageOf(ps.apply);
      const inSyn = locals.local(vector ? "v128" : "f32");
      const site = new StorageLocals(locals, lanes);
      const applySite = randomSiteFor(applyRandom, projection.rngStream, RANDOM_FIELD.apply);
      const compiler = compilerFor(
        ps.params,
        ps.derivedParams,
        (binding, type) => {
          switch (binding.kind) {
            case "var": {
              const stored = lookup(psStorage.postsynapticVars, binding.name);
              return site.bind(
                bindingKey(binding),
                type,
                varAddress(stored),
                writes.has(bindingKey(binding)),
              );
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
      apply.push([
        address(),
        load,
        set(inSyn),
        address(),
        zero,
        store,
        applySite?.reset(RANDOM_FIELD.apply) ?? [],
        site.wrap(compiler.statements(ps.apply)),
      ]);
    }

    // The neuron model.
    const site = new StorageLocals(locals, lanes);
    const neuronSite = randomSiteFor(neuronUsage.random, population.rngStream, RANDOM_FIELD.neuron);
    const compiler = compilerFor(
      population.params,
      population.derivedParams,
      (binding, type) => {
        switch (binding.kind) {
          case "var":
            return site.bind(
              bindingKey(binding),
              type,
              varAddress(lookup(popStorage.vars, binding.name)),
              neuronWrites.has(bindingKey(binding)),
            );
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
    const sim = compiler.statements(code.sim);
    const threshold = code.threshold
      ? compiler.condition(code.threshold)
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
    const neuron: Code = site.wrap([
      neuronSite?.reset(RANDOM_FIELD.neuron) ?? [],
      sim,
      threshold,
      set(spiked),
      compiler.onSpike(code.reset),
      spikeList,
    ]);
    const zeroInputs: Code = [...popStorage.additionalInputs.values()].map((input) => [
      element(input, ni)(),
      zero,
      store,
    ]);

    // Pre- and postsynaptic spike code and dynamics of connected projections.
    const sides: Code[] = [];
    for (const [projections, side] of [
      [population.outgoing, "pre"],
      [population.incoming, "post"],
    ] as const) {
      for (const projectionIndex of projections) {
        const projection = plan.projections[projectionIndex]!;
        const spikeCode =
          side === "pre" ? projection.code.preSpikeCode : projection.code.postSpikeCode;
        const dynamics =
          side === "pre" ? projection.code.preDynamics : projection.code.postDynamics;
        if (!spikeCode && !dynamics) continue;
        const projectionStorage = storage.projections[projectionIndex]!;
        const vars = side === "pre" ? projectionStorage.preVars : projectionStorage.postVars;
        const kind = side === "pre" ? "preVar" : "postVar";
        const { writes: sideWrites, random: sideRandom } = usageOf(spikeCode, dynamics);
        const sideSite = new StorageLocals(locals, lanes);
        const spikeField = side === "pre" ? RANDOM_FIELD.preSpikeCode : RANDOM_FIELD.postSpikeCode;
        const dynamicsField = side === "pre" ? RANDOM_FIELD.preDynamics : RANDOM_FIELD.postDynamics;
        const sideRandomSite = randomSiteFor(sideRandom, projection.rngStream, spikeField);
        const sideCompiler = compilerFor(
          projection.params,
          projection.derivedParams,
          (binding, type) => {
            if (binding.kind === kind)
              return sideSite.bind(
                bindingKey(binding),
                type,
                varAddress(lookup(vars, binding.name)),
                sideWrites.has(bindingKey(binding)),
              );
            if (binding.kind === "neuronVarRef")
              return sideSite.bind(
                bindingKey(binding),
                type,
                varAddress(lookup(popStorage.vars, binding.name)),
                false,
              );
            throw new Error(`internal error: ${side} code cannot refer to ${binding.kind}`);
          },
          sideRandomSite,
          projectionStorage.params,
        );
        // In this order (the calls' counter field follows the resets), as the JavaScript's site does.
        const body: Code = [
          sideRandomSite?.reset(spikeField) ?? [],
          spikeCode ? sideCompiler.onSpike(spikeCode) : [],
          dynamics ? (sideRandomSite?.reset(dynamicsField) ?? []) : [],
          sideCompiler.statements(dynamics),
        ];
        sides.push(sideSite.wrap(body));
      }
    }
    return [
      [get(b), i32.const(size), i32.mul, get(j), i32.add, set(ni)],
      zero,
      set(isyn),
      apply,
      neuron,
      zeroInputs,
      sides,
    ];
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
