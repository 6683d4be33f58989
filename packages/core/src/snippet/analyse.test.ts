import { describe, expect, it } from "vitest";
import { analyseSnippet, analyseStorage, bindingKey, drawsRandom } from "./analyse";
import { checkSnippet } from "./checker";
import { expressionOptions, statementOptions } from "./test-helpers";

describe("analyseSnippet", () => {
  it("lists reads, writes and calls of a weight-update snippet, deduplicated in order", () => {
    const checked = checkSnippet(
      [
        "addToPost(g);",
        "let d = V_post - V_pre;",
        "if (uniform() < 0.5) {",
        "  trace += exp(-d) * g;",
        "} else {",
        "  g = g * 0.5 + float(n) + abs(V_post);",
        "}",
      ].join("\n"),
      statementOptions({
        extraFunctions: ["addToPost"],
        context: { model: "STDP", field: "preSpike" },
      }),
    );
    const analysis = analyseSnippet(checked);
    expect(analysis.reads).toEqual([
      { kind: "var", name: "g" },
      { kind: "neuronVarRef", side: "post", name: "V" },
      { kind: "neuronVarRef", side: "pre", name: "V" },
      { kind: "preVar", name: "trace" },
      { kind: "local", name: "d", id: 0 },
      { kind: "var", name: "n" },
    ]);
    expect(analysis.writes).toEqual([
      { kind: "local", name: "d", id: 0 },
      { kind: "preVar", name: "trace" },
      { kind: "var", name: "g" },
    ]);
    expect(analysis.calls).toEqual(["addToPost", "uniform", "exp", "abs"]);
    expect(analysis.random).toBe(true);
    expect(
      analysis.bindings.map(({ binding, type }) => [binding.kind, binding.name, type]),
    ).toEqual([
      ["var", "g", "float"],
      ["neuronVarRef", "V", "float"],
      ["neuronVarRef", "V", "float"],
      ["local", "d", "float"],
      ["preVar", "trace", "float"],
      ["var", "n", "int"],
    ]);
  });

  it("counts a plain assignment target as written but not read", () => {
    const analysis = analyseSnippet(checkSnippet("V = tau; RefracTime -= dt;", statementOptions()));
    expect(analysis.reads).toEqual([
      { kind: "param", name: "tau" },
      { kind: "var", name: "RefracTime" },
      { kind: "builtin", name: "dt" },
    ]);
    expect(analysis.writes).toEqual([
      { kind: "var", name: "V" },
      { kind: "var", name: "RefracTime" },
    ]);
    expect(analysis.calls).toEqual([]);
    expect(analysis.random).toBe(false);
    // an assignment's target is named before its value
    expect(analysis.bindings).toEqual([
      { binding: { kind: "var", name: "V" }, type: "float" },
      { binding: { kind: "param", name: "tau" }, type: "float" },
      { binding: { kind: "var", name: "RefracTime" }, type: "float" },
      { binding: { kind: "builtin", name: "dt" }, type: "float" },
    ]);
  });

  it("finds nothing in no code", () => {
    expect(analyseSnippet(null)).toEqual({
      reads: [],
      writes: [],
      calls: [],
      bindings: [],
      random: false,
    });
  });

  it("keeps locals of the same name in different blocks apart", () => {
    const analysis = analyseSnippet(
      checkSnippet("{ let a = 1.0; V = a; } { let a = 2.0; V = a; }", statementOptions()),
    );
    expect(analysis.writes).toEqual([
      { kind: "local", name: "a", id: 0 },
      { kind: "var", name: "V" },
      { kind: "local", name: "a", id: 1 },
    ]);
    expect(analysis.reads).toEqual([
      { kind: "local", name: "a", id: 0 },
      { kind: "local", name: "a", id: 1 },
    ]);
  });

  it("analyses expression snippets", () => {
    const analysis = analyseSnippet(
      checkSnippet("V >= tau && normal() > 0.0 || spiked", expressionOptions()),
    );
    expect(analysis.reads).toEqual([
      { kind: "var", name: "V" },
      { kind: "param", name: "tau" },
      { kind: "var", name: "spiked" },
    ]);
    expect(analysis.writes).toEqual([]);
    expect(analysis.calls).toEqual(["normal"]);
  });
});

describe("drawsRandom", () => {
  const expression = (source: string) => {
    const checked = checkSnippet(source, expressionOptions());
    if (checked.kind !== "expression") throw new Error("expected an expression");
    return checked.body;
  };
  it("finds uniform()/normal() anywhere in an expression, and nothing else", () => {
    expect(drawsRandom(expression("V > 0.5 && uniform() < 0.1"))).toBe(true);
    expect(drawsRandom(expression("(V > 0.5 ? normal() : 0.0) > 1.0"))).toBe(true);
    expect(drawsRandom(expression("-exp(float(int(uniform() * 3.0))) < V"))).toBe(true);
    expect(drawsRandom(expression("V > 0.5 && exp(V) < tau"))).toBe(false);
  });
});

describe("bindingKey", () => {
  it("is equal for the same name and different for different ones", () => {
    expect(bindingKey({ kind: "var", name: "V" })).toBe("var:V");
    expect(bindingKey({ kind: "neuronVarRef", side: "post", name: "V" })).toBe(
      "neuronVarRef:post:V",
    );
    expect(bindingKey({ kind: "local", name: "a", id: 1 })).toBe("local:1:a");
    const keys = [
      bindingKey({ kind: "var", name: "V" }),
      bindingKey({ kind: "preVar", name: "V" }),
      bindingKey({ kind: "neuronVarRef", side: "pre", name: "V" }),
      bindingKey({ kind: "neuronVarRef", side: "post", name: "V" }),
      bindingKey({ kind: "local", name: "V", id: 0 }),
      bindingKey({ kind: "local", name: "V", id: 1 }),
    ];
    expect(new Set(keys).size).toBe(keys.length);
  });
});

describe("analyseStorage", () => {
  const options = statementOptions();
  const entries = (list: readonly { binding: { kind: string; name: string }; type: string }[]) =>
    list.map(({ binding, type }) => `${binding.kind} ${binding.name} ${type}`);

  it("merges the snippets of one site: loads by first appearance, stores by first assignment, no locals", () => {
    const use = analyseStorage([
      checkSnippet("let a = V * tau; if (a > 0.0) { RefracTime = a; }", options),
      null,
      checkSnippet("V = RefracTime + dt; spiked = uniform() < 0.5;", options),
    ]);
    expect(entries(use.loads)).toEqual([
      "var V float",
      "param tau float",
      "var RefracTime float",
      "builtin dt float",
      "var spiked bool",
    ]);
    expect(entries(use.stores)).toEqual(["var RefracTime float", "var V float", "var spiked bool"]);
    expect([...use.stored]).toEqual(["var:RefracTime", "var:V", "var:spiked"]);
    expect(use.calls).toEqual(["uniform"]);
    expect(use.random).toBe(true);
  });

  it("finds nothing in no code", () => {
    const use = analyseStorage([null]);
    expect(use.loads).toEqual([]);
    expect(use.stores).toEqual([]);
    expect(use.stored.size).toBe(0);
    expect(use.random).toBe(false);
  });
});
