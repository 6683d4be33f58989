/**
 * A custom update compiled to a WebAssembly function with the loops and semantics of the
 * generated JavaScript (codegen.ts): over batch elements (when batched) and elements, each
 * variable and reference loaded before the update code and stored after it when written.
 * Returns null (the update stays in JavaScript) for reductions and code wasm-snippet.ts does not
 * compile bit-identically. Random numbers count the update's runs where kernels count steps.
 */
import type { Binding, KernelPlan, PlannedCustomUpdate, ScalarType } from "@snn/core";
import { analyseStorage, bindingKey, RANDOM_FIELD, wasm } from "@snn/core/internal";
import type { DynamicParams, StoredVar } from "./storage";
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
 * The WebAssembly version of a custom update, `name(trialStep: i32)`, or null.
 * `target(update, binding)` gives the storage of a variable (`var`) or reference (`varRef`).
 */
export function customUpdateWasm(
  plan: KernelPlan,
  /** The module's `philox` function index (wasm-random.ts). */
  philox: number,
  update: PlannedCustomUpdate,
  target: (binding: Binding & { kind: "var" | "varRef" }) => StoredVar,
  name: string,
  /** The update's dynamic params (in the state memory), or null. */
  dynamic: DynamicParams | null = null,
): ElementKernelDefinition | null {
  try {
    return compileCustomUpdate(plan, philox, update, target, name, dynamic);
  } catch (error) {
    if (error instanceof NotCompilable) return null;
    throw error;
  }
}

function compileCustomUpdate(
  plan: KernelPlan,
  philox: number,
  update: PlannedCustomUpdate,
  target: (binding: Binding & { kind: "var" | "varRef" }) => StoredVar,
  name: string,
  dynamic: DynamicParams | null,
): ElementKernelDefinition {
  const usage = analyseStorage([update.update]);
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
          const access =
            binding.kind === "varRef"
              ? update.varRefs.find((r) => r.name === binding.name)!.access
              : update.vars.find((v) => v.name === binding.name)!.access;
          if (access.startsWith("reduce")) throw new NotCompilable("reductions");
          const stored = target(binding);
          const index = stored.planned.batched ? be : e;
          const key = bindingKey(binding);
          return site.bind(
            key,
            type,
            () => [get(index), i32.const(2), i32.shl, i32.const(stored.array.byteOffset), i32.add],
            usage.stored.has(key),
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
      ? new RandomSite(locals, counter, update.rngStream, RANDOM_FIELD.customUpdate, vector)
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
        ).statements(update.update)
      : new SnippetCompiler(locals, resolve, null, draw).statements(update.update);
    return [
      [get(b), i32.const(size), i32.mul, get(e), i32.add, set(be)],
      randomSite?.reset(RANDOM_FIELD.customUpdate) ?? [],
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
