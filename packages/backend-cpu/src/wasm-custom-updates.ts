/**
 * A custom update compiled to a WebAssembly function with the loops and semantics of the
 * generated JavaScript (codegen.ts): over batch elements (when batched) and elements, each
 * variable and reference loaded before the update code and stored after it when written.
 * Returns null (the update stays in JavaScript) for reductions and code wasm-snippet.ts does not
 * compile bit-identically. Random numbers count the update's runs where kernels count steps.
 */
import type { Binding, KernelPlan, ScalarType } from "@snn/core";
import { bindingKey, customUpdateSlot, wasm, type CustomUpdateSite } from "@snn/core/internal";
import type { DynamicParams, NetworkStorage } from "./storage";
import { siteVar } from "./stored-vars";
import { ElementKernel } from "./wasm-element-kernel";
import { NotCompilable, SnippetCompiler, type ResolvedBinding } from "./wasm-snippet";
import {
  elementLoops,
  LANES,
  type ElementKernelDefinition,
  VectorSnippetCompiler,
} from "./wasm-vector-snippet";
import { RandomSite, type RandomCounter } from "./wasm-random";
import { StorageLocals } from "./wasm-neurons";

const { op, forLoop } = wasm;
const { get, set, i32 } = op;
type Code = wasm.Code;

/**
 * The WebAssembly version of a custom update's site of the step program (core's
 * custom-update-site.ts), `name(trialStep: i32)`, or null.
 */
export function customUpdateWasm(
  plan: KernelPlan,
  storage: NetworkStorage,
  /** The module's `philox` function index (wasm-random.ts). */
  philox: number,
  cu: CustomUpdateSite,
  name: string,
  /** The update's dynamic params (in the state memory), or null. */
  dynamic: DynamicParams | null = null,
): ElementKernelDefinition | null {
  try {
    return compileCustomUpdate(plan, storage, philox, cu, name, dynamic);
  } catch (error) {
    if (error instanceof NotCompilable) return null;
    throw error;
  }
}

function compileCustomUpdate(
  plan: KernelPlan,
  storage: NetworkStorage,
  philox: number,
  cu: CustomUpdateSite,
  name: string,
  dynamic: DynamicParams | null,
): ElementKernelDefinition {
  const update = plan.customUpdates[cu.update]!;
  const { usage } = cu;
  const kernel = new ElementKernel(plan.dt);
  const { locals, batch: b, element: e } = kernel;
  const be = locals.local("i32"); // b * size + e
  const size = update.size;
  /** The update of element e (`lanes` 1) or of the four elements e .. e+3 (`lanes` 4, SIMD). */
  const elementCode = (lanes: 1 | 4): Code => {
    const vector = lanes === LANES;
    const site = new StorageLocals(locals, lanes);
    const resolve = (binding: Binding, type: ScalarType): ResolvedBinding => {
      const param = vector
        ? kernel.vectorParam(binding, type, update.params, update.derivedParams, dynamic)
        : kernel.param(binding, type, update.params, update.derivedParams, dynamic);
      if (param) return param;
      switch (binding.kind) {
        case "var":
        case "varRef": {
          if (customUpdateSlot(cu, binding).reduction !== null)
            throw new NotCompilable("reductions");
          const { stored, written } = siteVar(storage, cu.storage, binding);
          const index = stored.planned.batched ? be : e;
          return site.bind(
            bindingKey(binding),
            type,
            () => [get(index), i32.const(2), i32.shl, i32.const(stored.array.byteOffset), i32.add],
            written,
          );
        }
        case "builtin":
          return vector ? kernel.vectorBuiltin(binding) : kernel.builtin(binding);
        default:
          throw new Error(`internal error: custom update code cannot refer to ${binding.kind}`);
      }
    };
    // Random numbers: counter (element, batch element, runs of the update so far, ...), as the JavaScript's.
    const counter: RandomCounter = {
      element: (lane) => (lane === 0 ? get(e) : [get(e), i32.const(lane), i32.add]),
      batch: get(b),
      step: get(kernel.globalStep),
      philox,
    };
    const randomSite = usage.random
      ? new RandomSite(locals, counter, cu.rngStream, cu.code.field, vector)
      : null;
    const draw = randomSite
      ? (kind: "uniform" | "normal", mask: number | null) => randomSite.call(kind, mask)
      : null;
    const code = vector
      ? new VectorSnippetCompiler(
          locals,
          resolve,
          null,
          (lanes) => kernel.vectorConstant(lanes),
          draw,
        ).statements(cu.code.snippet)
      : new SnippetCompiler(locals, resolve, null, draw).statements(cu.code.snippet);
    return [
      [get(b), i32.const(size), i32.mul, get(e), i32.add, set(be)],
      randomSite?.reset(cu.code.field) ?? [],
      site.wrap(code),
    ];
  };
  const { loops, simd } = elementLoops(e, size, elementCode);
  const body: Code = [
    kernel.computeTime(),
    forLoop(b, i32.const(0), i32.const(update.batched ? plan.batchSize : 1), 1, loops),
  ];
  return { ...kernel.definition(name, body), simd };
}
