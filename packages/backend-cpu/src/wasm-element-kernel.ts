import type { Binding, ScalarType } from "@snn/core";
import { wasm } from "@snn/core/internal";

import type { DynamicParams } from "./storage";
import { NotCompilable, type ResolvedBinding } from "./wasm-snippet";

const { op } = wasm;
const { get, set, i32, f32 } = op;
type Code = wasm.Code;

/**
 * What every element-wise kernel (neuron update, custom update) has: the trial step as its
 * parameter, locals for the batch element, the element and the time, and the built-ins and
 * params resolved the way the generated JavaScript resolves them.
 */
export class ElementKernel {
  readonly locals: wasm.Frame = new wasm.Frame(2);
  /** Parameter 0: the trial step. */
  readonly step = 0;
  /** Parameter 1: the global step (its u32 bits), the step word of random numbers' counters. */
  readonly globalStep = 1;
  readonly batch: number;
  readonly element: number;
  readonly time: number;

  constructor(private readonly dt: number) {
    this.batch = this.locals.local("i32");
    this.element = this.locals.local("i32");
    this.time = this.locals.local("f32");
  }

  /** t = fround(step * dt), computed in double as the JavaScript does. */
  computeTime(): Code {
    return [
      get(this.step),
      op.f64.convertI32U,
      op.f64.const(Math.fround(this.dt)),
      op.f64.mul,
      op.f32.demoteF64,
      set(this.time),
    ];
  }

  /** `dt`, `t`, `step`, `batch` and `id` (the element); other built-ins are not compiled. */
  builtin(binding: Binding & { kind: "builtin" }): ResolvedBinding {
    switch (binding.name) {
      case "dt":
        return { value: f32.const(Math.fround(this.dt)) };
      case "t":
        return { local: this.time };
      case "step":
        return { local: this.step };
      case "batch":
        return { local: this.batch };
      case "id":
        return { local: this.element };
      default:
        throw new NotCompilable(`built-in ${binding.name}`);
    }
  }

  /** {@link builtin} for a vector of four consecutive elements from `element` (`id` is element + lane). */
  vectorBuiltin(binding: Binding & { kind: "builtin" }): { readonly value: Code } {
    switch (binding.name) {
      case "dt":
        return { value: [f32.const(Math.fround(this.dt)), op.f32x4.splat] };
      case "t":
        return { value: [get(this.time), op.f32x4.splat] };
      case "step":
        return { value: [get(this.step), op.i32x4.splat] };
      case "batch":
        return { value: [get(this.batch), op.i32x4.splat] };
      case "id":
        return {
          value: [get(this.element), op.i32x4.splat, op.v128.constI32([0, 1, 2, 3]), op.i32x4.add],
        };
      default:
        throw new NotCompilable(`built-in ${binding.name}`);
    }
  }

  /**
   * A param or derived param as a constant of its type, or, where the group reads it from memory
   * (`dynamic`: its dynamic params, in the state memory), a load of its slot; null for other bindings.
   */
  param(
    binding: Binding,
    type: ScalarType,
    params: Readonly<Record<string, number>>,
    derived: Readonly<Record<string, number>>,
    dynamic: DynamicParams | null = null,
  ): ResolvedBinding | null {
    const value =
      binding.kind === "param"
        ? params[binding.name]
        : binding.kind === "derivedParam"
          ? derived[binding.name]
          : undefined;
    if (value === undefined) return null;
    const slot = dynamic?.slots.get(binding.name);
    if (slot !== undefined) {
      if (type !== "float") throw new NotCompilable(`a dynamic param used as ${type}`);
      return { value: [i32.const(dynamic!.values.byteOffset + 4 * slot), f32.load()] };
    }
    return { value: type === "float" ? f32.const(Math.fround(value)) : i32.const(value | 0) };
  }

  /** {@link param} as a vector of four copies. */
  vectorParam(
    binding: Binding,
    type: ScalarType,
    params: Readonly<Record<string, number>>,
    derived: Readonly<Record<string, number>>,
    dynamic: DynamicParams | null = null,
  ): { readonly value: Code } | null {
    const value =
      binding.kind === "param"
        ? params[binding.name]
        : binding.kind === "derivedParam"
          ? derived[binding.name]
          : undefined;
    if (value === undefined) return null;
    const loaded = dynamic?.slots.has(binding.name)
      ? this.param(binding, type, params, derived, dynamic)
      : null;
    if (loaded !== null && "value" in loaded) return { value: [loaded.value, op.f32x4.splat] };
    const bits =
      type === "float" ? new Int32Array(new Float32Array([value]).buffer)[0]! : value | 0;
    return { value: this.vectorConstant([bits, bits, bits, bits]) };
  }

  /** v128 locals holding constant vectors, set once at the function's start (by lane bits). */
  private readonly vectorConstants = new Map<string, number>();
  private readonly constantInits: Code[] = [];

  /** Code pushing a constant vector (four 32-bit lanes, as bits), from a local set once at the start. */
  vectorConstant(lanes: readonly [number, number, number, number]): Code {
    const key = lanes.join(",");
    let local = this.vectorConstants.get(key);
    if (local === undefined) {
      local = this.locals.local("v128");
      this.vectorConstants.set(key, local);
      this.constantInits.push([op.v128.constI32(lanes), set(local)]);
    }
    return get(local);
  }

  definition(name: string, body: Code): wasm.FunctionDefinition {
    return {
      name,
      params: ["i32", "i32"],
      locals: this.locals.declared,
      body: [this.constantInits, body],
    };
  }
}
