/**
 * What every WGSL kernel of a plan is generated with: the storage layout, the kernel builder of
 * one shader, merging a shader with an earlier one of identical code (merged groups), loading and
 * storing variables around printed code, params as uniform fields, and the entry point and thread
 * index every element-parallel kernel shares.
 */
import type { Binding, KernelPlan, PlannedVar } from "@snn/core";
import { bindingKey, type CodeSiteBase } from "@snn/core/internal";
import { MATH_WGSL, PHILOX_WGSL, RNG_WGSL, SPECIAL_FLOATS_WGSL } from "../wgsl/philox";
import { wgslType } from "../wgsl/printer";
import type { CodeWriter } from "../wgsl/code-writer";
import {
  type BindingRef,
  type DispatchShape,
  type KernelInstance,
  KernelBuilder,
  type Shader,
  WORKGROUP_SIZE,
} from "./kernel-builder";
import type { Allocation, StorageLayout } from "./layout";
import type { StorageRef } from "./storage";

/** The shaders and kernel instances of a plan, as they are generated. */
export class Generator {
  readonly shaders: Shader[] = [];
  readonly instances: KernelInstance[] = [];
  private readonly shaderByCode = new Map<string, number>();

  constructor(
    readonly plan: KernelPlan,
    readonly layout: StorageLayout,
  ) {}

  alloc(ref: StorageRef): Allocation {
    return this.layout.allocation(ref);
  }

  /**
   * The storage the step program gives a binding a site names (core's typed reference, from
   * `site.storage`); an internal error where the site does not store it.
   */
  siteRef(site: CodeSiteBase, binding: Binding): StorageRef {
    const entry = site.storage.get(bindingKey(binding));
    if (entry === undefined)
      throw new Error(`internal: no storage for ${bindingKey(binding)} at this code site`);
    return entry.ref;
  }

  builder(kind: string): KernelBuilder {
    return new KernelBuilder(kind, {
      dt: this.plan.dt,
      batchSize: this.plan.batchSize,
      seed: this.plan.seed,
    });
  }

  /** Assembles a kernel and merges it with an earlier one of identical code. */
  finish(
    k: KernelBuilder,
    title: string,
    groupName: string,
    label: string,
    dispatch: DispatchShape,
  ): number {
    const assembled = k.assemble(title, {
      rng: RNG_WGSL,
      philox: PHILOX_WGSL,
      math: MATH_WGSL,
      special: SPECIAL_FLOATS_WGSL,
    });
    let shader = this.shaderByCode.get(assembled.code);
    if (shader === undefined) {
      shader = this.shaders.length;
      this.shaderByCode.set(assembled.code, shader);
      this.shaders.push({
        label: `${title} (${groupName})`,
        kind: k.kind,
        code: assembled.code,
        origins: assembled.origins,
        access: assembled.access,
        instances: [],
      });
    } else {
      const s = this.shaders[shader]!;
      s.label = s.label.replace(/\)$/, `, ${groupName})`);
    }
    const instance = this.instances.length;
    this.shaders[shader]!.instances.push(instance);
    this.instances.push({
      label,
      shader,
      uniforms: assembled.uniforms,
      bindings: assembled.bindings as BindingRef[],
      dispatch,
    });
    return instance;
  }

  /** Loads variables into locals (`var` when written, else `let`). */
  loadVars(
    k: KernelBuilder,
    vars: readonly PlannedVar[],
    names: readonly string[],
    written: ReadonlySet<string>,
    local: (name: string) => string,
    field: (name: string) => string,
    refOf: (name: string) => StorageRef,
    element: string,
    size: string,
  ): void {
    for (const name of names) {
      const v = vars.find((x) => x.name === name);
      if (!v) throw new Error(`internal: unknown variable ${name}`);
      const a = this.alloc(refOf(name));
      const lvalue = k.element(a, k.offset(field(name), a), index(v.batched, size, element));
      k.body.line(
        `${written.has(name) ? "var" : "let"} ${local(name)}: ${wgslType(v.type)} = ${k.load(v.type, lvalue)};`,
      );
    }
  }

  storeVars(
    k: KernelBuilder,
    vars: readonly PlannedVar[],
    written: ReadonlySet<string>,
    local: (name: string) => string,
    field: (name: string) => string,
    refOf: (name: string) => StorageRef,
    element: string,
    size: string,
  ): void {
    for (const v of vars) {
      if (!written.has(v.name)) continue;
      const a = this.alloc(refOf(v.name));
      k.body.line(
        k.store(
          v.type,
          k.element(a, k.offset(field(v.name), a), index(v.batched, size, element)),
          local(v.name),
        ),
      );
    }
  }

  /** Params as uniform fields; `owner`: the group whose model they belong to (their fields are rewritten by `setParam`). */
  paramNames(
    params: Readonly<Record<string, number>>,
    derived: Readonly<Record<string, number>>,
    k: KernelBuilder,
    prefix: string,
    owner?: string,
  ): (name: string) => string {
    return (name) => {
      const value = name in params ? params[name]! : derived[name];
      if (value === undefined) throw new Error(`internal: unknown param ${name}`);
      return k.field(
        `${prefix}${name}`,
        "f32",
        Math.fround(value),
        owner === undefined ? undefined : { owner, name },
      );
    };
  }

  /** Declares `var rng` for one execution when its code draws random numbers; returns the printer option. */
  rngInit(
    k: KernelBuilder,
    random: boolean,
    element: string,
    streamField: string,
    stream: number,
    field: number,
    step = "global_step",
    batch = "batch",
  ): { rng?: string } {
    if (!random) return {};
    const s = k.field(streamField, "u32", stream);
    k.body.line(`var rng = Rng(${element}, ${batch}, ${step}, ${s}, ${field}u, 0u);`);
    return { rng: "rng" };
  }

  clockKernel(): number {
    const k = this.builder("clock");
    const clock = k.clock(true);
    k.body.line("@compute @workgroup_size(1)");
    k.body.block("fn main()", () => {
      k.body.line(`${clock}.trial_step += 1u;`);
      k.body.line(`${clock}.global_step += 1u;`);
    });
    return this.finish(k, "Clock: advance the step counters", "step", "clock", {
      kind: "elements",
      elements: 1,
      batches: 1,
    });
  }
}

/** The element index of a variable with one copy per batch element (`batched`) or one shared copy. */
export function index(batched: boolean, size: string, element: string): string {
  if (batched && size === "1u" && element === "0u") return "batch";
  return batched ? `batch * ${size} + ${element}` : element;
}

/** The entry point of an element-parallel kernel. */
export function entry(out: CodeWriter): void {
  out.line(`@compute @workgroup_size(${WORKGROUP_SIZE})`);
  out.line(
    "fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>, @builtin(local_invocation_index) lane: u32) {",
  );
}

/** The `thread_id` function the entry point calls. */
export function threadIdFunction(out: CodeWriter): void {
  out.line("// Element index from a 2-D grid of workgroups (x, y); z is the batch element.");
  out.block("fn thread_id(wg: vec3<u32>, groups: vec3<u32>, lane: u32) -> u32", () =>
    out.line(`return (wg.y * groups.x + wg.x) * ${WORKGROUP_SIZE}u + lane;`),
  );
}
