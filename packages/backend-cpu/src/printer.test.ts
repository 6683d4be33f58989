import {
  checkSnippet,
  philox4x32,
  RNG_KEY_HI,
  type Binding,
  type ScalarType,
  type SymbolInfo,
} from "@snn/core";
import { describe, expect, it } from "vitest";
import { PRINTER_HELPERS, printSnippet, type PrintScope } from "./printer";
import { philoxSource } from "./rng-source";

const TYPES: Record<string, ScalarType> = {
  x: "float",
  y: "float",
  i: "int",
  k: "int",
  u: "uint",
  w: "uint",
  flag: "bool",
};

const environment = new Map<string, SymbolInfo>(
  Object.entries(TYPES).map(([name, type]) => [
    name,
    { type, binding: { kind: "var", name } as Binding, writable: true },
  ]),
);

const scope: PrintScope = {
  name: (binding) => `env.${(binding as { name: string }).name}`,
  random: () => "0.5",
  effect: (kind, value) => `env.effects.push(["${kind}", ${value}]);`,
};

/** Runs statements over a fresh environment (x = 0, ...) and returns it. */
function run(
  source: string,
  initial: Partial<Record<string, number | boolean>> = {},
): Record<string, number | boolean> {
  const snippet = checkSnippet(source, {
    mode: "statements",
    environment,
    context: { model: "Test", field: "sim" },
  });
  const code = printSnippet(snippet, scope);
  const env: Record<string, number | boolean> = {
    x: 0,
    y: 0,
    i: 0,
    k: 0,
    u: 0,
    w: 0,
    flag: false,
    ...initial,
  };
  // eslint-disable-next-line no-new-func -- runs the printed code, as the backend does
  new Function("env", `${PRINTER_HELPERS}${code}`)(env);
  return env;
}

describe("printed integer arithmetic", () => {
  it("truncates int division toward zero and gives the dividend for division by zero", () => {
    expect(run("i = 7 / 2;").i).toBe(3);
    expect(run("i = -7 / 2;").i).toBe(-3);
    expect(run("i = 7 / k;", { k: 0 }).i).toBe(7);
    expect(run("i = -7 % 3;").i).toBe(-1);
  });

  it("wraps int and uint overflow like 32-bit hardware", () => {
    expect(run("i = 2147483647 + k;", { k: 1 }).i).toBe(-2147483648);
    expect(run("i = 65536 * k;", { k: 65536 }).i).toBe(0);
    expect(run("u = w - 1u;", { w: 0 }).u).toBe(4294967295);
    expect(run("u = w * 65536u;", { w: 65537 }).u).toBe(65536);
    expect(run("u = 7u / w;", { w: 0 }).u).toBe(7);
  });

  it("converts with truncation and saturation", () => {
    expect(run("i = int(x);", { x: 3.75 }).i).toBe(3);
    expect(run("i = int(x);", { x: -3.75 }).i).toBe(-3);
    expect(run("i = int(x);", { x: 1e20 }).i).toBe(2147483647);
    expect(run("u = uint(x);", { x: -2 }).u).toBe(0);
    expect(run("u = uint(k);", { k: -1 }).u).toBe(4294967295);
    expect(run("x = float(k);", { k: 16777217 }).x).toBe(16777216);
  });
});

describe("printed float arithmetic", () => {
  it("rounds every operation to float32", () => {
    const f = Math.fround;
    expect(run("x = 0.1 + 0.2;").x).toBe(f(f(0.1) + f(0.2)));
    expect(run("x = 1.0 / 3.0;").x).toBe(f(1 / 3));
    expect(run("x = y * y - 1.0;", { y: f(1.1) }).x).toBe(f(f(f(1.1) * f(1.1)) - 1));
    expect(run("x = exp(y);", { y: 1 }).x).toBe(f(Math.E));
    expect(run("x += 0.1;", { x: 1 }).x).toBe(f(1 + f(0.1)));
  });

  it("prints the math library, comparisons, ternaries and locals", () => {
    expect(run("x = clamp(y, 0.0, 1.0);", { y: 3 }).x).toBe(1);
    expect(run("x = min(y, -2.0) + max(y, 5.0);", { y: 3 }).x).toBe(3);
    expect(run("i = abs(k);", { k: -4 }).i).toBe(4);
    expect(run("x = abs(y);", { y: -0.5 }).x).toBe(0.5);
    expect(run("flag = y > 1.0 && !(y > 2.0);", { y: 1.5 }).flag).toBe(true);
    expect(run("x = y > 1.0 ? 2.0 : 3.0;", { y: 0 }).x).toBe(3);
    expect(run("let a = y * 2.0; if (a > 1.0) { x = a; } else { x = -a; }", { y: -1 }).x).toBe(2);
    expect(run("x = floor(y) + ceil(y);", { y: 1.5 }).x).toBe(3);
    expect(run("x = pow(y, 2.0) + sqrt(4.0);", { y: 3 }).x).toBe(11);
  });
});

describe("inlined Philox4x32-10", () => {
  it("matches core's philox4x32 word for word", () => {
    for (const seed of [0, 1, 12345, 0xffffffff]) {
      const source = `${philoxSource(seed)}return (c0, c1, c2, c3) => { const w0 = philox(c0, c1, c2, c3); return [w0, rngW1]; };`;
      // eslint-disable-next-line no-new-func -- runs the printed code, as the backend does
      const inline = new Function(source)() as (
        a: number,
        b: number,
        c: number,
        d: number,
      ) => [number, number];
      const out = new Uint32Array(4);
      for (let n = 0; n < 200; n++) {
        const counter = [
          n * 7919,
          n % 5,
          (n * 2654435761) >>> 0,
          (0xffffffff - n * 31) >>> 0,
        ] as const;
        philox4x32(counter[0], counter[1], counter[2], counter[3], seed, RNG_KEY_HI, out);
        expect(inline(...counter)).toEqual([out[0], out[1]]);
      }
    }
  });
});
