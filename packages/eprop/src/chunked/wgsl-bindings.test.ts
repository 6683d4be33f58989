import { describe, expect, it } from "vitest";
import { read, readWrite, uniform, wgslKernel } from "./wgsl-bindings";

describe("wgslKernel", () => {
  it("declares each binding in order and lays out the same list", () => {
    const kernel = wgslKernel({
      preamble: "struct S { x: u32 }",
      bindings: [uniform("s", "S"), read("a"), read("bits", "array<u32>"), readWrite("out")],
      body: "const N = 1u;",
    });
    expect(kernel.code).toBe(
      [
        "struct S { x: u32 }",
        "@group(0) @binding(0) var<uniform> s: S;",
        "@group(0) @binding(1) var<storage, read> a: array<f32>;",
        "@group(0) @binding(2) var<storage, read> bits: array<u32>;",
        "@group(0) @binding(3) var<storage, read_write> out: array<f32>;",
        "const N = 1u;",
      ].join("\n"),
    );
    expect(kernel.bindings).toEqual([
      "uniform",
      "read-only-storage",
      "read-only-storage",
      "storage",
    ]);
  });

  it("starts with the declarations when there is no preamble", () => {
    const kernel = wgslKernel({ bindings: [readWrite("x")], body: "fn f() {}" });
    expect(kernel.code).toBe(
      "@group(0) @binding(0) var<storage, read_write> x: array<f32>;\nfn f() {}",
    );
    expect(kernel.bindings).toEqual(["storage"]);
  });

  it("refuses a name used twice or one that is not a WGSL identifier", () => {
    expect(() => wgslKernel({ bindings: [read("a"), readWrite("a")], body: "" })).toThrow(
      /binding name 'a'.*not a fresh WGSL identifier/,
    );
    expect(() => wgslKernel({ bindings: [read("a b")], body: "" })).toThrow(/'a b'/);
  });
});
