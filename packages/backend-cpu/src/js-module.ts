import { PRINTER_HELPERS } from "./printer";
import { philoxSource } from "./rng-source";

/** A generated function with its label and source text. */
export interface GeneratedKernel {
  readonly label: string;
  readonly source: string;
  readonly run: () => void;
}

/** Collects the arrays and objects a generated function uses and names them. */
export class ModuleBuilder {
  private readonly values: unknown[] = [];
  private readonly names = new Map<unknown, string>();

  constructor(private readonly seed: number) {}

  /** A constant name in the generated module for `value` (a typed array or holder object). */
  ref(value: unknown): string {
    let name = this.names.get(value);
    if (name === undefined) {
      name = `a${this.values.length}`;
      this.values.push(value);
      this.names.set(value, name);
    }
    return name;
  }

  build(label: string, functionName: string, body: string, usesRandom: boolean): GeneratedKernel {
    // The references are copied into the step function's own constants: V8 then keeps them in
    // registers instead of reloading them from the closure context at every access (~1.5x faster).
    const header = this.values.map((_, i) => `const r${i} = refs[${i}];\n`).join("");
    const locals =
      this.values.length > 0
        ? `  const ${this.values.map((_, i) => `a${i} = r${i}`).join(", ")};\n`
        : "";
    const source = `${header}${PRINTER_HELPERS}${usesRandom ? philoxSource(this.seed) : ""}return function ${functionName}() {\n${locals}${body}};\n`;
    // eslint-disable-next-line no-new-func -- code generation is the point
    const factory = new Function("refs", `"use strict";\n${source}`) as (
      refs: unknown[],
    ) => () => void;
    return { label, source, run: factory(this.values) };
  }
}
