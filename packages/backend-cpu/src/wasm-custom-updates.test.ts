import { LIF, Network, planNetwork, StaticPulse, type CustomUpdateModel } from "@snn/core";
import { wasm } from "@snn/core/internal";
import { describe, expect, it } from "vitest";
import { compileCpu } from "./index";

/** An Adam-like optimiser on shared weights, with its own batched and int state. */
const Optimiser: CustomUpdateModel = {
  kind: "customUpdate",
  name: "Optimiser",
  params: { Rate: { default: 0.01 }, Beta: { default: 0.9 } },
  derivedParams: { OneMinusBeta: { compute: (p) => 1 - p.Beta! } },
  vars: { M: { init: 0 }, Count: { type: "int", init: 0 } },
  varRefs: { Weight: { access: "readWrite" } },
  update: `
    Count += 1;
    M = Beta * M + OneMinusBeta * sin(Weight * 3.0 + float(id)) + 1e-4 * normal();
    let corrected = M / (1.0 - pow(Beta, float(Count)));
    Weight -= Rate * corrected / (sqrt(abs(corrected)) + 1e-8) + float(id % 3u) * 1e-4 + t * 0.0 + dt * 0.0;
  `,
};

/** Per batch element: V += batch * 0.1 + id, on a batched neuron variable. */
const Kick: CustomUpdateModel = {
  kind: "customUpdate",
  name: "Kick",
  varRefs: { V: {} },
  update:
    "V += float(batch) * 0.1 + float(id) * 0.01 + float(step) * 0.001 + t * 0.0005 + dt * 0.01 + (uniform() < 0.5 ? 0.02 * uniform() : 0.0);",
};

/** A batch-sum reduction: stays in JavaScript. */
const SumV: CustomUpdateModel = {
  kind: "customUpdate",
  name: "SumV",
  vars: { Total: { access: "reduceBatchSum" } },
  varRefs: { V: { access: "readOnly" } },
  update: "Total = V;",
};

function network(): Network {
  const net = new Network({ dt: 0.5, batchSize: 3, seed: 2 });
  net.addPopulation("a", { model: LIF, size: 5, params: { Ioffset: 1.1 } });
  net.addPopulation("b", { model: LIF, size: 7, params: { Ioffset: 0.9 } });
  net.addProjection("ab", {
    pre: "a",
    post: "b",
    model: StaticPulse,
    connectivity: { kind: "dense" },
    init: { g: Float32Array.from({ length: 35 }, (_, k) => Math.cos(k)) },
  });
  net.addCustomUpdate("opt", {
    group: "learn",
    model: Optimiser,
    varRefs: { Weight: { owner: "ab", var: "g" } },
  });
  net.addCustomUpdate("kick", {
    group: "learn",
    model: Kick,
    varRefs: { V: { owner: "b", var: "V" } },
  });
  net.addCustomUpdate("sum", {
    group: "measure",
    model: SumV,
    varRefs: { V: { owner: "b", var: "V" } },
  });
  return net;
}

async function run(webAssembly: boolean) {
  let code = "";
  const runtime = compileCpu(
    planNetwork(network()),
    { printCode: (label, source) => (code += `// ---- ${label}\n${source}`) },
    { webAssembly },
  );
  const out: number[][] = [];
  for (let k = 0; k < 6; k++) {
    runtime.stepSync(7);
    await runtime.runCustomUpdate("learn");
    await runtime.runCustomUpdate("measure");
    out.push(
      Array.from(await runtime.readVar("ab", "g")),
      Array.from(await runtime.readVar("opt", "M")),
      Array.from(await runtime.readVar("opt", "Count")),
    );
    out.push(
      Array.from(await runtime.readVar("b", "V")),
      Array.from(await runtime.readVar("sum", "Total")),
    );
  }
  runtime.dispose();
  return { code, out };
}

describe.runIf(wasm.wasmSimdSupported())("custom updates compiled to WebAssembly", () => {
  it("are bit-identical to the generated JavaScript; reductions stay in JavaScript", async () => {
    const js = await run(false);
    const compiled = await run(true);
    // four elements at a time (SIMD), the rest (35 = 8 x 4 + 3 weights, 7 neurons) one by one
    expect(compiled.code).toMatch(
      /\/\/ ---- custom update opt \(group learn\)\n\/\/ Runs as WebAssembly \(SIMD, four elements at a time\)/,
    );
    expect(compiled.code).toMatch(
      /\/\/ ---- custom update kick \(group learn\)\n\/\/ Runs as WebAssembly \(SIMD, four elements at a time\)/,
    );
    expect(compiled.code).not.toMatch(
      /\/\/ ---- custom update sum \(group measure\)\n\/\/ Runs as WebAssembly/,
    );
    expect(compiled.out).toEqual(js.out);
    expect(js.out[0]).not.toEqual(js.out[15]); // the weights moved
  });
});
