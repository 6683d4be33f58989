import type { ScalarType } from "@snn/core";
import type { SnippetOrigin } from "../errors";
import { CodeWriter } from "../wgsl/code-writer";
import { wgslFloat } from "../wgsl/printer";
import type { Allocation, Arena } from "./layout";

/** A buffer a kernel binds (besides its own uniform block at binding 0). */
export type BindingRef =
  | { readonly kind: "arena"; readonly arena: Arena; readonly chunk: number }
  | { readonly kind: "clock" }
  /** Spike recording bit field of a population. */
  | { readonly kind: "recording"; readonly population: number }
  /** Spike events bit field of a spike source array population. */
  | { readonly kind: "spikeEvents"; readonly population: number };

export type BindingAccess = "read-only-storage" | "storage";

/** The map key of a binding: equal for equal references (the one place a binding becomes a string). */
function bindingKey(ref: BindingRef): string {
  switch (ref.kind) {
    case "arena":
      return `arena:${ref.arena}:${ref.chunk}`;
    case "clock":
      return "clock";
    case "recording":
      return `recording:${ref.population}`;
    case "spikeEvents":
      return `events:${ref.population}`;
  }
}

/** A field of a kernel's uniform block. */
export interface UniformField {
  readonly name: string;
  readonly type: "u32" | "f32";
  readonly value: number;
  /** A group's param (or derived param) held in this field, which `Runtime.setParam` rewrites. */
  readonly param?: { readonly owner: string; readonly name: string };
}

/** How many threads a kernel runs. */
export type DispatchShape =
  /** One thread per element, one grid layer per batch element. */
  | { readonly kind: "elements"; readonly elements: number; readonly batches: number }
  /** One workgroup per batch element (workgroup reductions). */
  | { readonly kind: "workgroupPerBatch"; readonly batches: number };

/** One kernel to dispatch: its code (shared with others of a merged group) and its own data. */
export interface KernelInstance {
  /** What this instance computes, e.g. "neurons 'hid'". */
  readonly label: string;
  /** Index into `GeneratedKernels.shaders`. */
  readonly shader: number;
  readonly uniforms: readonly UniformField[];
  readonly bindings: readonly BindingRef[];
  readonly dispatch: DispatchShape;
}

/** One WGSL module (one compute pipeline), used by one or more kernel instances. */
export interface Shader {
  /** Kernel kind and model, plus the groups merged into it, e.g. "neurons LIF (hid, out)". */
  label: string;
  readonly kind: string;
  readonly code: string;
  /** For each line of `code`, the model code it came from. */
  readonly origins: readonly (SnippetOrigin | null)[];
  /** Access of bindings 1..n (binding 0 is the uniform block). */
  readonly access: readonly BindingAccess[];
  readonly instances: number[];
}

export const WORKGROUP_SIZE = 64;

/**
 * Builds one kernel: collects the uniform fields and buffer bindings its body uses and
 * assembles the WGSL module. The body refers to per-instance data only through uniform
 * fields, so kernels of groups with equal models print to the same text and are merged.
 */
export class KernelBuilder {
  readonly body = new CodeWriter();
  private readonly fields: UniformField[] = [];
  private readonly bindingNames: string[] = [];
  private readonly bindingDecls: string[] = [];
  private readonly bindingRefs: BindingRef[] = [];
  private readonly bindingAccess: BindingAccess[] = [];
  private readonly bindingByKey = new Map<string, string>();

  constructor(
    readonly kind: string,
    readonly constants: { readonly dt: number; readonly batchSize: number; readonly seed: number },
  ) {}

  /**
   * A uniform field; returns its WGSL expression. The same name must always carry the same value.
   * `param`: the group param it holds (for `Runtime.setParam`).
   */
  field(
    name: string,
    type: "u32" | "f32",
    value: number,
    param?: { readonly owner: string; readonly name: string },
  ): string {
    const existing = this.fields.find((f) => f.name === name);
    if (existing) {
      if (existing.value !== value || existing.type !== type)
        throw new Error(`internal: uniform field '${name}' given two values`);
    } else {
      if (type === "u32" && !(Number.isInteger(value) && value >= 0 && value <= 0xffffffff)) {
        throw new Error(`internal: uniform field '${name}' = ${value} is no u32`);
      }
      this.fields.push({ name, type, value, ...(param ? { param } : {}) });
    }
    return `u.${name}`;
  }

  /** A u32 field holding an allocation's offset. */
  offset(name: string, allocation: Allocation): string {
    return this.field(name, "u32", allocation.offset);
  }

  /** The WGSL name of an arena buffer, binding it on first use. */
  arena(arena: Arena, chunk: number): string {
    return this.bind(
      { kind: "arena", arena, chunk },
      `${arena === "f32" ? "fbuf" : "ubuf"}${chunk}`,
      `array<${arena}>`,
      "storage",
    );
  }

  clock(writable = false): string {
    return this.bind(
      { kind: "clock" },
      "clock",
      "Clock",
      writable ? "storage" : "read-only-storage",
    );
  }

  recording(population: number): string {
    return this.bind({ kind: "recording", population }, "recording", "array<u32>", "storage");
  }

  spikeEvents(population: number): string {
    return this.bind(
      { kind: "spikeEvents", population },
      "spike_events",
      "array<u32>",
      "read-only-storage",
    );
  }

  private bind(ref: BindingRef, name: string, type: string, access: BindingAccess): string {
    const key = bindingKey(ref);
    const known = this.bindingByKey.get(key);
    if (known) return known;
    const binding = this.bindingRefs.length + 1;
    const space = access === "storage" ? "storage, read_write" : "storage, read";
    this.bindingDecls.push(`@group(0) @binding(${binding}) var<${space}> ${name}: ${type};`);
    this.bindingNames.push(name);
    this.bindingRefs.push(ref);
    this.bindingAccess.push(access);
    this.bindingByKey.set(key, name);
    return name;
  }

  /** Element `index` of an allocation, as a WGSL lvalue of its arena's type. */
  element(allocation: Allocation, offsetExpr: string, index: string): string {
    return `${this.arena(allocation.arena, allocation.chunk)}[${offsetExpr} + ${index}]`;
  }

  /** Reads an element as a value of a snippet type (ints and bools live in the u32 arena). */
  load(type: ScalarType, lvalue: string): string {
    switch (type) {
      case "float":
      case "uint":
        return lvalue;
      case "int":
        return `bitcast<i32>(${lvalue})`;
      case "bool":
        return `(${lvalue} != 0u)`;
    }
  }

  /** Statement storing a value of a snippet type into an element. */
  store(type: ScalarType, lvalue: string, value: string): string {
    switch (type) {
      case "float":
      case "uint":
        return `${lvalue} = ${value};`;
      case "int":
        return `${lvalue} = bitcast<u32>(${value});`;
      case "bool":
        return `${lvalue} = select(0u, 1u, ${value});`;
    }
  }

  /** Assembles the module: header comment, uniform struct, bindings, constants, helpers, body. */
  assemble(
    title: string,
    helperSources: { rng: string; philox: string; math: string; special: string },
  ): {
    code: string;
    origins: (SnippetOrigin | null)[];
    uniforms: UniformField[];
    bindings: BindingRef[];
    access: BindingAccess[];
  } {
    const out = new CodeWriter();
    out.line(`// ${title}`);
    out.line(
      "// Generated by @snn/backend-wgsl. Per-group data (offsets into the state buffers, sizes, params) is in `u`.",
    );
    out.line("");
    out.line("struct Params {");
    out.indent(() => {
      for (const f of this.fields) out.line(`${f.name}: ${f.type},`);
      if (this.fields.length === 0) out.line("unused: u32,");
    });
    out.line("}");
    if (this.bindingRefs.some((ref) => ref.kind === "clock")) {
      out.line("");
      out.line("struct Clock {");
      out.indent(() => {
        out.line("trial_step: u32,");
        out.line("global_step: u32,");
      });
      out.line("}");
    }
    out.line("");
    out.line("@group(0) @binding(0) var<uniform> u: Params;");
    for (const decl of this.bindingDecls) out.line(decl);
    out.line("");
    out.line(`const DT: f32 = ${wgslFloat(Math.fround(this.constants.dt))};`);
    out.line(`const BATCH: u32 = ${this.constants.batchSize}u;`);
    const body = this.body.code;
    const usesRandom = body.includes("Rng(");
    const usesMath = /\bsnn_(pow|tanh)\(/.test(body);
    if (usesRandom) out.line(`const RNG_SEED: u32 = ${this.constants.seed >>> 0}u;`);
    if (usesRandom) {
      out.line("");
      out.text(helperSources.philox);
      out.line("");
      out.text(helperSources.rng);
    }
    if (usesMath) {
      out.line("");
      out.text(helperSources.math);
    }
    if (usesMath || /\bf32_(infinity|neg_infinity|nan)\(/.test(body)) {
      out.line("");
      out.text(helperSources.special);
    }
    out.line("");
    const code = out.code + body;
    const origins = [...out.lineOrigins, ...this.body.lineOrigins];
    return {
      code,
      origins,
      uniforms: [...this.fields],
      bindings: [...this.bindingRefs],
      access: [...this.bindingAccess],
    };
  }
}
