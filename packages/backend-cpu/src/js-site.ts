/**
 * The pieces a generated function's code is printed with: how each binding appears (constants,
 * locals loaded from storage and written back), random-number counters and effects.
 */
import type { Binding, ScalarType } from "@snn/core";
import { analyseStorage, bindingKey, randomCounterBase, type StorageUse } from "@snn/core/internal";
import { floatLiteral, type PrintScope } from "./printer";
import type { ModuleBuilder } from "./js-module";
import type { DynamicParams } from "./storage";

/** How a binding appears in a piece of generated code. */
export interface Access {
  /** JS expression or local name. */
  readonly name: string;
  /** Statement declaring the local before the code runs (storage-backed bindings). */
  readonly declare?: string;
  /** Statement writing the local back after the code ran (when the code writes it). */
  readonly writeBack?: string;
}

export type Resolver = (binding: Binding, type: ScalarType) => Access;

/** A local loaded from `array[index]` and written back when assigned. */
export function storageAccess(
  name: string,
  array: string,
  index: string,
  type: ScalarType,
  written: boolean,
): Access {
  const load = type === "bool" ? `${array}[${index}] !== 0` : `${array}[${index}]`;
  return {
    name,
    declare: `${written ? "let" : "const"} ${name} = ${load};`,
    writeBack:
      type === "bool" ? `${array}[${index}] = ${name} ? 1 : 0;` : `${array}[${index}] = ${name};`,
  };
}

export function safeIdentifier(name: string): string {
  return name.replace(/[^A-Za-z0-9_]/g, "_");
}

export function functionName(prefix: string, name: string): string {
  return `${prefix}_${safeIdentifier(name)}`;
}

/** Prints code that runs in one execution context (shared locals, one random-number counter). */
export class CodeSite {
  /** What the site's code does with storage (set by `use`). */
  usage: StorageUse = analyseStorage([]);
  private readonly accesses = new Map<string, Access>();

  constructor(
    private readonly resolver: Resolver,
    /** `c0, c1, c2, c3-base` of random calls: element, batch, step expressions and the stream base. */
    private readonly rng: {
      element: string;
      batch: string;
      step: string;
      stream: number;
      field: number;
    },
    private readonly effects: {
      addToPost?: (value: string) => string;
      addToPre?: (value: string) => string;
    } = {},
  ) {}

  /** The step-program site whose code runs here (core's step-program.ts): its storage use. */
  of(site: { readonly usage: StorageUse }): this {
    this.usage = site.usage;
    return this;
  }

  private access(binding: Binding, type: ScalarType): Access {
    const key = bindingKey(binding);
    let access = this.accesses.get(key);
    if (access === undefined) {
      access = this.resolver(binding, type);
      this.accesses.set(key, access);
    }
    return access;
  }

  /** Local declarations for every storage-backed name the code uses. */
  prologue(indent: string): string {
    let out = "";
    for (const { binding, type } of this.usage.loads) {
      const access = this.access(binding, type);
      if (access.declare) out += `${indent}${access.declare}\n`;
    }
    if (this.usage.random) out += `${indent}let rk = 0;\n`;
    return out;
  }

  /** Write-backs of every written storage-backed name. */
  epilogue(indent: string): string {
    let out = "";
    for (const { binding, type } of this.usage.stores) {
      const access = this.access(binding, type);
      if (access.writeBack) out += `${indent}${access.writeBack}\n`;
    }
    return out;
  }

  /** Resets the random-number counter between executions sharing the locals. */
  resetRandom(indent: string, field: number): string {
    this.rng.field = field;
    return this.usage.random ? `${indent}rk = 0;\n` : "";
  }

  setField(field: number): void {
    this.rng.field = field;
  }

  readonly scope: PrintScope = {
    name: (binding, type) => this.access(binding, type).name,
    random: (kind) => {
      const base = randomCounterBase(this.rng.stream, this.rng.field);
      const fn = kind === "uniform" ? "rngUniform" : "rngNormal";
      return `${fn}(${this.rng.element}, ${this.rng.batch}, ${this.rng.step}, ${base} + (rk++ & 31))`;
    },
    effect: (kind, value) => {
      const effect = this.effects[kind];
      if (!effect) throw new Error(`internal error: ${kind}() has no target here`);
      return effect(value);
    },
  };
}

export function builtinValue(name: string, values: Readonly<Record<string, string>>): string {
  const value = values[name];
  if (value === undefined)
    throw new Error(`internal error: built-in '${name}' is not available here`);
  return value;
}

/**
 * A param or derived param: a constant, or where the group has dynamic params (`dynamic`, with
 * the module's reference to their array) a read of its slot. Null for other bindings.
 */
export function paramValue(
  binding: Binding,
  params: Readonly<Record<string, number>>,
  derived: Readonly<Record<string, number>>,
  dynamic: { readonly params: DynamicParams; readonly ref: string } | null = null,
): string | null {
  if (binding.kind !== "param" && binding.kind !== "derivedParam") return null;
  const slot = dynamic?.params.slots.get(binding.name);
  if (slot !== undefined) return `${dynamic!.ref}[${slot}]`;
  return floatLiteral(binding.kind === "param" ? params[binding.name]! : derived[binding.name]!);
}

export function unknownBinding(binding: Binding, where: string): never {
  throw new Error(
    `internal error: ${where} cannot refer to ${binding.kind} '${"name" in binding ? binding.name : "?"}'`,
  );
}

/** A group's dynamic params as `paramValue` reads them in a module, or null. */
export function dynamicRef(
  m: ModuleBuilder,
  params: DynamicParams | null,
): { readonly params: DynamicParams; readonly ref: string } | null {
  return params ? { params, ref: m.ref(params.values) } : null;
}
