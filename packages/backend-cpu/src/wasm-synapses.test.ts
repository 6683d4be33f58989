import {
  Network,
  planNetwork,
  Poisson,
  StaticPulse,
  type NeuronModel,
  type WeightUpdateModel,
} from "@snn/core";
import { wasm } from "@snn/core/internal";
import { describe, expect, it } from "vitest";
import { compileCpu } from "./index";

/** A neuron with an additional input fed back by the synapses' `addToPre`. */
const Leaky: NeuronModel = {
  kind: "neuron",
  name: "Leaky",
  vars: { V: { init: 0 }, BackSum: { init: 0 } },
  additionalInputs: { Back: {} },
  sim: "V = V * 0.9 + Isyn + Back * 0.001;\nBackSum += Back;",
  threshold: "V > 0.5",
  reset: "V = 0.0;",
};

/**
 * Weight-update code with every construct the synapse kernels compile: per-synapse float, int
 * and bool state (shared and batched), pre and post variables and neuron references, every
 * synapse built-in, math calls, random numbers (in branches and skippable operands too),
 * integer division by zero, if/else with `addToPost` and
 * `addToPre` on either side in `synapseDynamics`, and a conditional `addToPost` in `preSpike`
 * (not a plain `addToPost(g)`), which also updates the synapse.
 */
const Torture: WeightUpdateModel = {
  kind: "weightUpdate",
  name: "SynapseTorture",
  params: { Rate: { default: 0.001 } },
  vars: {
    g: { init: 0.2 },
    w: { access: "readWrite", init: 0.05 },
    n: { type: "int", access: "readWrite", init: 0 },
    flag: { type: "bool", access: "readWrite", init: 0 },
  },
  preVars: { Pre: { init: 0 } },
  postVars: { Post: { init: 0 } },
  preSpike: `
    addToPost(g * 0.5 + w);
    n += 1;
    if (V_post > 0.2) { w += Rate * uniform(); } else { addToPost(-0.01); }`,
  synapseDynamics: `
    let d = V_post - V_pre * 0.5 + Pre * 0.1 - Post * 0.05;
    w = w * 0.99 + d * Rate + float(id % 5u) * 1e-4 + float(id_pre) * 1e-5 - float(id_post) * 1e-5 + float(batch) * 1e-3 + t * 1e-6 + exp(-abs(d)) * 1e-4;
    flag = w > 0.06 || n % 7 > 3;
    if (flag) {
      addToPost(w * 0.1);
    } else {
      addToPre(-w * (1.0 + float(id_post) * 977.0)); // magnitudes that make the order of the sum matter
      n = n / (int(id_post) - 3) + int(step % 3u);
    }
    g = max(g - d * 1e-5, 0.0);
    if (uniform() < 0.3 && normal() > 0.0) { w += 1e-4; }
    w += flag ? 1e-5 * normal() : 0.0;`,
  preSpikeCode: "Pre += 1.0;",
  preDynamics: "Pre *= 0.9;",
  postSpikeCode: "Post += 1.0;",
  postDynamics: "Post *= 0.9;",
} as WeightUpdateModel;

function network(): Network {
  const net = new Network({ dt: 0.5, batchSize: 2, seed: 4 });
  net.addPopulation("drive", { model: Poisson, size: 12, params: { Rate: 300 } });
  net.addPopulation("pre", { model: Leaky, size: 9, recordSpikes: true });
  net.addPopulation("post", { model: Leaky, size: 7, recordSpikes: true });
  net.addProjection("drive_pre", {
    pre: "drive",
    post: "pre",
    model: StaticPulse,
    connectivity: { kind: "dense" },
    init: { g: Float32Array.from({ length: 12 * 9 }, (_, k) => 0.3 * Math.abs(Math.sin(k))) },
  });
  net.addProjection("torture", {
    pre: "pre",
    post: "post",
    model: Torture,
    connectivity: { kind: "dense" },
    preTarget: "Back",
  });
  // the same code over sparse rows and one-to-one synapses, one synapse at a time
  const sparse = { pre: [0, 0, 2, 3, 3, 3, 5, 8, 8, 1], post: [6, 1, 0, 2, 4, 5, 3, 4, 0, 6] };
  net.addProjection("torture_sparse", {
    pre: "pre",
    post: "post",
    model: Torture,
    connectivity: { kind: "sparse", ...sparse },
    preTarget: "Back",
  });
  net.addPopulation("twin", { model: Leaky, size: 9, recordSpikes: true });
  net.addProjection("torture_one", {
    pre: "pre",
    post: "twin",
    model: Torture,
    connectivity: { kind: "oneToOne" },
    preTarget: "Back",
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
  const snapshots: Record<string, number[]>[] = [];
  for (let chunk = 0; chunk < 4; chunk++) {
    runtime.stepSync(40);
    const snapshot: Record<string, number[]> = {};
    for (const projection of ["torture", "torture_sparse", "torture_one"]) {
      for (const name of ["g", "w", "n", "flag", "Pre", "Post"])
        snapshot[`${projection}.${name}`] = Array.from(await runtime.readVar(projection, name));
    }
    for (const population of ["pre", "post", "twin"])
      snapshot[`${population}.V`] = Array.from(await runtime.readVar(population, "V"));
    snapshot["pre.BackSum"] = Array.from(await runtime.readVar("pre", "BackSum"));
    snapshots.push(snapshot);
  }
  const spikes = await Promise.all(["pre", "post", "twin"].map((p) => runtime.readSpikes(p)));
  runtime.dispose();
  return { code, snapshots, spikes };
}

const bits = (values: number[]): string[] =>
  values.map((v) => (Number.isNaN(v) ? "NaN" : Object.is(v, -0) ? "-0" : String(v)));

describe.runIf(wasm.wasmSimdSupported())("weight-update code compiled to WebAssembly", () => {
  it("is bit-identical to the generated JavaScript: preSpike and synapseDynamics, dense rows four synapses at a time and the rest one by one, sparse rows and one-to-one synapses", async () => {
    const js = await run(false);
    const compiled = await run(true);
    expect(compiled.code).toMatch(
      /\/\/ ---- synapses torture\n\/\/ Runs as WebAssembly \(SIMD, four elements at a time\)/,
    );
    expect(compiled.code).toMatch(
      /\/\/ ---- synapses torture_sparse\n\/\/ Runs as WebAssembly compiled/,
    );
    expect(compiled.code).toMatch(
      /\/\/ ---- synapses torture_one\n\/\/ Runs as WebAssembly compiled/,
    );
    // the plain addToPost(g) projection keeps its delivery kernel
    expect(compiled.code).toMatch(/\/\/ ---- synapses drive_pre\n(?!\/\/ Runs as WebAssembly)/);
    for (let k = 0; k < js.snapshots.length; k++) {
      for (const [name, values] of Object.entries(js.snapshots[k]!)) {
        expect(bits(compiled.snapshots[k]![name]!), `${name} after ${(k + 1) * 40} steps`).toEqual(
          bits(values),
        );
      }
    }
    expect(compiled.spikes).toEqual(js.spikes);
    // the comparison means something: both populations spike, both branches and the feedback ran
    for (const recording of js.spikes) expect(recording.neurons.length).toBeGreaterThan(10);
    const all = (name: string): number[] => js.snapshots.flatMap((s) => s[name]!);
    for (const projection of ["torture", "torture_sparse", "torture_one"]) {
      expect(new Set(all(`${projection}.flag`)).size, projection).toBe(2);
      expect(
        all(`${projection}.n`).some((n) => n !== 0),
        projection,
      ).toBe(true);
      expect(new Set(all(`${projection}.g`)).size, projection).toBeGreaterThan(5);
    }
    expect(all("pre.BackSum").some((x) => x !== 0)).toBe(true);
  });
});
