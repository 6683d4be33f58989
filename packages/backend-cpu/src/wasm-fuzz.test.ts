// Random neuron models (seeded) through both snippet compilers: the generated JavaScript, and the
// WebAssembly kernel that updates four neurons at a time with masked branches (the rest one by
// one). Each model mixes float, int, uint and bool state, nested if/else, lets, conditionals,
// conversions, integer division, every math function and random numbers (anywhere: in branches
// and in operands JavaScript may skip); both runs must agree to the bit.
import {
  Network,
  planNetwork,
  seededRandom,
  StaticPulse,
  Poisson,
  type NeuronModel,
} from "@snn/core";
import { wasm } from "@snn/core/internal";
import { describe, expect, it } from "vitest";
import { compileCpu } from "./index";

type Type = "float" | "int" | "uint" | "bool";

/** Writes a random, well-typed neuron model. */
function randomModel(seed: number): NeuronModel {
  const random = seededRandom(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random.uniform() * items.length)]!;
  const chance = (p: number): boolean => random.uniform() < p;
  const vars: Record<Type, string[]> = {
    float: ["F0", "F1", "F2"],
    int: ["I0", "I1"],
    uint: ["U0"],
    bool: ["B0", "B1"],
  };
  /** Names readable in the current block: vars, then the block's lets. */
  let scope: Record<Type, string[]> = {
    float: [...vars.float, "Isyn"],
    int: [...vars.int],
    uint: [...vars.uint],
    bool: [...vars.bool],
  };
  let lets = 0;
  const floatLiteral = (): string => pick(["0.0", "1.0", "-0.5", "0.37", "2.5", "1e-3", "-7.25"]);

  function expression(type: Type, depth: number): string {
    const leaf = depth <= 0 || chance(0.3);
    if (leaf) {
      if (chance(0.6)) return pick(scope[type]);
      if (type === "float")
        return pick([floatLiteral(), "t", "dt", "Scale", "uniform()", "normal()"]);
      if (type === "int") return pick(["3", "-2", "0", "int(id)", "int(Shift)"]);
      if (type === "uint") return pick(["5u", "0u", "id", "step", "batch"]);
      return pick(["true", "false"]);
    }
    const e = (t: Type) => expression(t, depth - 1);
    switch (type) {
      case "float":
        return pick([
          () => `(${e("float")} ${pick(["+", "-", "*", "/"])} ${e("float")})`,
          () => `-(${e("float")})`,
          () => `${pick(["min", "max"])}(${e("float")}, ${e("float")})`,
          () => `${pick(["abs", "floor", "ceil", "tanh", "sin", "cos"])}(${e("float")})`,
          () => `sqrt(abs(${e("float")}))`,
          () => `exp(${e("float")} * 0.01)`,
          () => `log(abs(${e("float")}) + 1.0)`,
          () => `pow(abs(${e("float")}), 0.7)`,
          () => `clamp(${e("float")}, -1.0, 1.0)`,
          () => `float(${e(pick(["int", "uint", "bool"] as const))})`,
          () => `(${e("bool")} ? ${e("float")} : ${e("float")})`,
        ] as const)();
      case "int":
        return pick([
          () => `(${e("int")} ${pick(["+", "-", "*", "/", "%"])} ${e("int")})`,
          () => `-(${e("int")})`,
          () => `${pick(["min", "max"])}(${e("int")}, ${e("int")})`,
          () => `abs(${e("int")})`,
          () => `clamp(${e("int")}, -5, 5)`,
          () => `int(${e(pick(["float", "uint", "bool"] as const))})`,
          () => `(${e("bool")} ? ${e("int")} : ${e("int")})`,
        ] as const)();
      case "uint":
        return pick([
          () => `(${e("uint")} ${pick(["+", "-", "*", "/", "%"])} ${e("uint")})`,
          () => `${pick(["min", "max"])}(${e("uint")}, ${e("uint")})`,
          () => `uint(${e(pick(["float", "int", "bool"] as const))})`,
          () => `(${e("bool")} ? ${e("uint")} : ${e("uint")})`,
        ] as const)();
      case "bool":
        return pick([
          () => `(${e("float")} ${pick(["<", "<=", ">", ">=", "==", "!="])} ${e("float")})`,
          () => `(${e("int")} ${pick(["<", ">=", "==", "!="])} ${e("int")})`,
          () => `(${e("uint")} ${pick(["<", ">", "!="])} ${e("uint")})`,
          () => `(${e("bool")} ${pick(["&&", "||", "==", "!="])} ${e("bool")})`,
          () => `!${e("bool")}`,
          () => `bool(${e(pick(["float", "int", "uint"] as const))})`,
        ] as const)();
    }
  }

  function statements(count: number, depth: number): string {
    const saved = scope;
    scope = {
      float: [...scope.float],
      int: [...scope.int],
      uint: [...scope.uint],
      bool: [...scope.bool],
    };
    const lines: string[] = [];
    for (let k = 0; k < count; k++) {
      const roll = random.uniform();
      if (roll < 0.15) {
        const type = pick(["float", "int", "bool"] as const);
        const name = `l${lets++}`;
        lines.push(`let ${name}: ${type} = ${expression(type, 2)};`);
        scope[type].push(name);
      } else if (roll < 0.35 && depth > 0) {
        const otherwise = chance(0.6) ? ` else {\n${statements(2, depth - 1)}\n}` : "";
        lines.push(`if (${expression("bool", 2)}) {\n${statements(2, depth - 1)}\n}${otherwise}`);
      } else {
        const type = pick(["float", "float", "int", "uint", "bool"] as const);
        const target = pick(vars[type]);
        const operator =
          type === "bool"
            ? "="
            : type === "uint"
              ? pick(["=", "+="])
              : pick(["=", "+=", "-=", "*="]);
        lines.push(`${target} ${operator} ${expression(type, 3)};`);
      }
    }
    scope = saved;
    return lines.join("\n");
  }

  const sim = `${statements(10, 2)}\nF0 = clamp(F0 * 0.9 + Isyn, -100.0, 100.0);`;
  const reset = statements(3, 1);
  return {
    kind: "neuron",
    name: `Fuzz${seed}`,
    params: { Scale: { default: 0.75 }, Shift: { default: 3 } },
    vars: {
      F0: { init: 0.1 },
      F1: { init: -0.3 },
      F2: { init: 2 },
      I0: { type: "int", init: 7 },
      I1: { type: "int", init: -3 },
      U0: { type: "uint", init: 11 },
      B0: { type: "bool", init: 1 },
      B1: { type: "bool", init: 0 },
    },
    sim,
    threshold: `F0 > 0.4 && ${expression("bool", 1)}`,
    reset,
  } as NeuronModel;
}

async function run(model: NeuronModel, webAssembly: boolean) {
  const net = new Network({ dt: 0.5, batchSize: 2, seed: 3 });
  net.addPopulation("drive", { model: Poisson, size: 5, params: { Rate: 400 } });
  net.addPopulation("fuzz", { model, size: 11, recordSpikes: true });
  net.addProjection("drive_fuzz", {
    pre: "drive",
    post: "fuzz",
    model: StaticPulse,
    connectivity: { kind: "dense" },
    init: { g: Float32Array.from({ length: 55 }, (_, k) => 0.2 * Math.cos(k)) },
  });
  let code = "";
  const runtime = compileCpu(
    planNetwork(net),
    { printCode: (label, source) => (code += `// ---- ${label}\n${source}`) },
    { webAssembly },
  );
  runtime.stepSync(40);
  const state: Record<string, string[]> = {};
  for (const name of Object.keys(model.vars!)) {
    state[name] = Array.from(await runtime.readVar("fuzz", name)).map((v) =>
      Number.isNaN(v) ? "NaN" : Object.is(v, -0) ? "-0" : String(v),
    );
  }
  const spikes = await runtime.readSpikes("fuzz");
  runtime.dispose();
  return { code, state, spikes };
}

describe.runIf(wasm.wasmSimdSupported())(
  "random neuron models compiled to SIMD WebAssembly",
  () => {
    it("agree with the generated JavaScript to the bit (24 seeded models with random numbers, 11 neurons: two vectors of four and three one by one, batch 2)", async () => {
      let changed = 0;
      let drawing = 0;
      for (let seed = 1; seed <= 24; seed++) {
        const model = randomModel(seed);
        if (/uniform\(\)|normal\(\)/.test(`${model.sim}${model.threshold}${model.reset}`))
          drawing++;
        const js = await run(model, false);
        const compiled = await run(model, true);
        expect(compiled.code, `model ${seed}:\n${model.sim}`).toMatch(
          /\/\/ ---- neurons fuzz\n\/\/ Runs as WebAssembly \(SIMD, four elements at a time\)/,
        );
        expect(compiled.state, `model ${seed}:\n${model.sim}\nreset:\n${model.reset}`).toEqual(
          js.state,
        );
        expect(compiled.spikes, `model ${seed}`).toEqual(js.spikes);
        // the state moved (the comparison is not between two untouched initial states)
        if (js.state.F1!.some((v) => v !== String(Math.fround(-0.3)))) changed++;
      }
      expect(changed).toBeGreaterThan(12);
      expect(drawing, "models that draw random numbers").toBeGreaterThan(12);
    });
  },
);
