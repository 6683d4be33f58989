import {
  checkSnippet,
  type Binding,
  type CheckedSnippet,
  type ScalarType,
  type SymbolInfo,
} from "@snn/core";
import { describe, expect, it } from "vitest";
import { CodeWriter } from "./code-writer";
import { wgslFloat, wgslLiteral, WgslPrinter, type PrintScope } from "./printer";

const symbols: Record<string, [ScalarType, Binding, boolean]> = {
  V: ["float", { kind: "var", name: "V" }, true],
  count: ["int", { kind: "var", name: "count" }, true],
  n: ["uint", { kind: "var", name: "n" }, true],
  flag: ["bool", { kind: "var", name: "flag" }, true],
  Tau: ["float", { kind: "param", name: "Tau" }, false],
  Isyn: ["float", { kind: "input", name: "Isyn" }, false],
  dt: ["float", { kind: "builtin", name: "dt" }, false],
  id: ["uint", { kind: "builtin", name: "id" }, false],
};
const environment = new Map<string, SymbolInfo>(
  Object.entries(symbols).map(([name, [type, binding, writable]]) => [
    name,
    { type, binding, writable },
  ]),
);

function check(source: string, mode: "statements" | "expression" = "statements"): CheckedSnippet {
  return checkSnippet(source, {
    mode,
    environment,
    extraFunctions: ["addToPost"],
    ...(mode === "expression" ? { expectedType: "bool" as const } : {}),
    context: { model: "Test", field: mode === "expression" ? "threshold" : "sim" },
  });
}

function scope(snippet: CheckedSnippet): PrintScope {
  return {
    model: "Test",
    field: "sim",
    source: snippet.source,
    rng: "rng",
    name: (b) =>
      b.kind === "local"
        ? `l_${b.name}`
        : b.kind === "param"
          ? `u.p_${b.name}`
          : b.kind === "builtin"
            ? b.name === "dt"
              ? "DT"
              : b.name
            : b.kind === "input"
              ? "Isyn"
              : `n_${b.name}`,
    effect: (callee, argument) =>
      `${callee === "addToPost" ? "add_post" : "add_pre"} += ${argument};`,
  };
}

function print(source: string): string[] {
  const snippet = check(source);
  const out = new CodeWriter();
  new WgslPrinter(out, scope(snippet)).statements(snippet);
  return out.code.trimEnd().split("\n");
}

describe("WGSL literals", () => {
  it("prints floats with an f suffix and integral floats with .0", () => {
    expect(wgslFloat(1)).toBe("1.0f");
    expect(wgslFloat(0.1)).toBe("0.1f");
    expect(wgslFloat(-2.5)).toBe("-2.5f");
    expect(wgslFloat(1e-7)).toBe("1e-7f");
    expect(wgslFloat(1e21)).toBe("1e+21f");
    expect(wgslFloat(-0)).toBe("-0.0f");
  });

  it("makes non-finite floats at run time (WGSL constants must be finite)", () => {
    expect(wgslFloat(Infinity)).toBe("f32_infinity()");
    expect(wgslFloat(-Infinity)).toBe("f32_neg_infinity()");
    expect(wgslFloat(NaN)).toBe("f32_nan()");
  });

  it("prints ints, uints and bools with their WGSL types", () => {
    expect(wgslLiteral("int", 3)).toBe("3i");
    expect(wgslLiteral("uint", 7)).toBe("7u");
    expect(wgslLiteral("bool", 1)).toBe("true");
    expect(wgslLiteral("bool", 0)).toBe("false");
  });
});

describe("WgslPrinter", () => {
  it("prints lets, assignments and compound assignments with the scope's names", () => {
    expect(print("let x = V * Tau + 1.0;\nV += x / dt;")).toEqual([
      "var l_x: f32 = (n_V * u.p_Tau) + 1.0f;",
      "n_V += l_x / DT;",
    ]);
  });

  it("makes the checker's implicit conversions explicit WGSL conversions", () => {
    expect(print("V = count + V * n;")).toEqual(["n_V = f32(n_count) + (n_V * f32(n_n));"]);
    expect(print("count = int(V) % 3;\nn = n + 1;")).toEqual([
      "n_count = i32(n_V) % 3i;",
      "n_n = n_n + 1u;",
    ]);
  });

  it("prints if/else and nested blocks", () => {
    expect(print("if (V > Tau) { V = 0.0; } else { flag = !flag; }")).toEqual([
      "if (n_V > u.p_Tau) {",
      "  n_V = 0.0f;",
      "} else {",
      "  n_flag = !n_flag;",
      "}",
    ]);
  });

  it("prints a ternary without random draws as select()", () => {
    expect(print("V = V > 0.0 ? V : -V;")).toEqual(["n_V = select(-n_V, n_V, n_V > 0.0f);"]);
  });

  it("maps pow and tanh to helpers with JavaScript's semantics, others to WGSL builtins", () => {
    expect(
      print("V = pow(V, 2.0) + tanh(V) + exp(-V) + clamp(V, 0.0, 1.0) + max(V, Tau);"),
    ).toEqual([
      "n_V = (((snn_pow(n_V, 2.0f) + snn_tanh(n_V)) + exp(-n_V)) + clamp(n_V, 0.0f, 1.0f)) + max(n_V, u.p_Tau);",
    ]);
  });

  it("hoists random draws in evaluation order before the statement", () => {
    expect(print("V = uniform() * 2.0 + normal();")).toEqual([
      "let rnd0 = rng_uniform(&rng);",
      "let rnd1 = rng_normal(&rng);",
      "n_V = (rnd0 * 2.0f) + rnd1;",
    ]);
  });

  it("draws in a ternary branch only when that branch is taken (as the CPU backend does)", () => {
    expect(print("V = uniform() + (V > 0.0 ? normal() : 0.0);")).toEqual([
      "let rnd0 = rng_uniform(&rng);",
      "var tmp1: f32;",
      "if (n_V > 0.0f) {",
      "  let rnd2 = rng_normal(&rng);",
      "  tmp1 = rnd2;",
      "} else {",
      "  tmp1 = 0.0f;",
      "}",
      "n_V = rnd0 + tmp1;",
    ]);
  });

  it("keeps && and || short-circuiting when the right side draws random numbers", () => {
    const snippet = check("V > Tau && uniform() < 0.5", "expression");
    const out = new CodeWriter();
    const condition = new WgslPrinter(out, scope(snippet)).expression(snippet);
    expect(out.code.trimEnd().split("\n")).toEqual([
      "var tmp0: bool = n_V > u.p_Tau;",
      "if (tmp0) {",
      "  let rnd1 = rng_uniform(&rng);",
      "  tmp0 = rnd1 < 0.5f;",
      "}",
    ]);
    expect(condition).toBe("tmp0");
  });

  it("prints addToPost through the scope's effect", () => {
    const snippet = checkSnippet("addToPost(V * 2.0);", {
      mode: "statements",
      environment,
      extraFunctions: ["addToPost"],
      context: { model: "Test", field: "preSpike" },
    });
    const out = new CodeWriter();
    new WgslPrinter(out, scope(snippet)).statements(snippet);
    expect(out.code.trim()).toBe("add_post += n_V * 2.0f;");
  });

  it("records the model line each generated line came from", () => {
    const snippet = check("let x = 1.0;\nif (V > x) {\n  V = uniform();\n}");
    const out = new CodeWriter();
    out.line("// header");
    new WgslPrinter(out, scope(snippet)).statements(snippet);
    const origins = out.lineOrigins;
    expect(origins[0]).toBeNull();
    expect(origins[1]).toMatchObject({
      model: "Test",
      field: "sim",
      line: 1,
      sourceLine: "let x = 1.0;",
    });
    expect(origins[2]).toMatchObject({ line: 2, sourceLine: "if (V > x) {" });
    // The hoisted draw and the assignment both come from line 3.
    expect(out.code.split("\n")[3]).toContain("rng_uniform");
    expect(origins[3]).toMatchObject({ line: 3, sourceLine: "  V = uniform();" });
    expect(origins[4]).toMatchObject({ line: 3 });
  });
});
