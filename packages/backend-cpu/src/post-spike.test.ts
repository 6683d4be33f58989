import {
  LIF,
  Network,
  planNetwork,
  SpikeSourceArray,
  StaticPulse,
  STDP,
  type SpikeEvents,
} from "@snn/core";
import { describe, expect, it } from "vitest";
import { compileCpu } from "./index";

// Three presynaptic and three postsynaptic neurons with their own spike times; the postsynaptic
// ones fire when kicked. The same STDP synapses wired densely, sparsely (every pair, listed out
// of order) and one-to-one must learn the same weights: postSpike code reaches every synapse of
// a neuron that spiked, whatever the connectivity.
const events = (times: number[][]): SpikeEvents[] => {
  const steps: number[] = [];
  const units: number[] = [];
  const all = times
    .flatMap((ts, unit) => ts.map((t) => [t, unit] as const))
    .sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  for (const [t, unit] of all) {
    steps.push(t);
    units.push(unit);
  }
  return [{ steps: Int32Array.from(steps), units: Int32Array.from(units) }];
};

async function learn(
  connectivity: "dense" | "sparse" | "oneToOne",
  webAssembly: boolean,
): Promise<Map<string, number>> {
  const net = new Network({ dt: 1, seed: 2 });
  net.addPopulation("pre", { model: SpikeSourceArray, size: 3 });
  net.addPopulation("kick", { model: SpikeSourceArray, size: 3 });
  net.addPopulation("post", { model: LIF, size: 3 });
  net.addProjection("kick_post", {
    pre: "kick",
    post: "post",
    model: StaticPulse,
    connectivity: { kind: "oneToOne" },
    init: { g: 100 },
  });
  const pairs =
    connectivity === "oneToOne"
      ? [
          [0, 0],
          [1, 1],
          [2, 2],
        ]
      : [
          [2, 1],
          [0, 0],
          [1, 2],
          [0, 2],
          [2, 0],
          [1, 0],
          [0, 1],
          [2, 2],
          [1, 1],
        ];
  net.addProjection("stdp", {
    pre: "pre",
    post: "post",
    model: STDP,
    connectivity:
      connectivity === "sparse"
        ? { kind: "sparse", pre: pairs.map((p) => p[0]!), post: pairs.map((p) => p[1]!) }
        : { kind: connectivity },
  });
  let code = "";
  const runtime = compileCpu(
    planNetwork(net),
    { printCode: (label, source) => (code += `// ---- ${label}\n${source}\n`) },
    { webAssembly },
  );
  // the neuron update of 'post' runs as WebAssembly where it can, its learning pass after it
  const postKernel = code.slice(code.indexOf("// ---- neurons post"));
  expect(postKernel.includes("Runs as WebAssembly"), "post's update in WebAssembly").toBe(
    webAssembly,
  );
  expect(postKernel).toMatch(/postSpike/);
  runtime.setSpikeEvents("pre", events([[5, 30], [12], [20, 41]]));
  runtime.setSpikeEvents(
    "kick",
    events([
      [8, 33],
      [9, 25],
      [16, 38],
    ]),
  );
  runtime.stepSync(60);
  const g = await runtime.readVar("stdp", "g");
  const plan = runtime.plan.projections.find((p) => p.name === "stdp")!;
  const weights = new Map<string, number>();
  if (plan.connectivity.kind === "sparse") {
    for (let syn = 0; syn < plan.numSynapses; syn++)
      weights.set(
        `${plan.connectivity.preIndex[syn]}->${plan.connectivity.postIndex[syn]}`,
        g[syn]!,
      );
  } else if (plan.connectivity.kind === "dense") {
    for (let i = 0; i < 3; i++)
      for (let j = 0; j < 3; j++) weights.set(`${i}->${j}`, g[i * 3 + j]!);
  } else {
    for (let i = 0; i < 3; i++) weights.set(`${i}->${i}`, g[i]!);
  }
  runtime.dispose();
  return weights;
}

describe("postSpike code (per-synapse learning at postsynaptic spikes) on the CPU backend", () => {
  it("reaches every synapse of a spiking neuron in dense, sparse and one-to-one wiring alike, JavaScript or WebAssembly", async () => {
    const dense = await learn("dense", true);
    expect(await learn("dense", false)).toEqual(dense);
    const sparse = await learn("sparse", true);
    expect(sparse).toEqual(dense);
    const oneToOne = await learn("oneToOne", true);
    for (const [pair, w] of oneToOne) expect(w, pair).toBe(dense.get(pair));
    // learning happened both ways
    const values = [...dense.values()];
    expect(values.some((w) => w > 0.5)).toBe(true);
    expect(values.some((w) => w < 0.5)).toBe(true);
  });

  it("runs after the whole population has updated: a recurrent projection sees every neuron's new pre trace, in JavaScript and WebAssembly alike", async () => {
    const run = async (webAssembly: boolean, steps = 30) => {
      const net = new Network({ dt: 1, seed: 4, batchSize: 2 });
      net.addPopulation("kick", { model: SpikeSourceArray, size: 4 });
      net.addPopulation("n", { model: LIF, size: 4 });
      net.addProjection("kick_n", {
        pre: "kick",
        post: "n",
        model: StaticPulse,
        connectivity: { kind: "oneToOne" },
        init: { g: 100 },
      });
      // potentiation only, by the pre trace: neurons kicked in the same step pair with each other
      net.addProjection("rec", {
        pre: "n",
        post: "n",
        model: STDP,
        connectivity: { kind: "dense" },
        params: { Aminus: 0 },
        init: { g: 0.01 },
      });
      const runtime = compileCpu(planNetwork(net), {}, { webAssembly });
      // neurons 0 and 3 fire together at step 10 (delay 1: the kick arrives the step after it is sent)
      runtime.setSpikeEvents("kick", [
        events([[9], [], [], [9]])[0]!,
        events([[], [19], [19], []])[0]!,
      ]);
      runtime.stepSync(steps);
      const g = Array.from(await runtime.readVar("rec", "g"));
      runtime.dispose();
      return g;
    };
    const g = await run(true);
    expect(await run(false)).toEqual(g);
    const w = (b: number, i: number, j: number) => g[b * 16 + i * 4 + j]!;
    // batch 0: 0 and 3 spiked together; the later neuron (3) sees 0's new trace and so does 0 see 3's
    expect(w(0, 3, 0)).toBeGreaterThan(0.01 + 0.009);
    expect(w(0, 0, 3)).toBeGreaterThan(0.01 + 0.009);
    expect(w(0, 1, 0)).toBe(Math.fround(0.01)); // 1 never fired
    expect(w(1, 1, 2)).toBeGreaterThan(0.01 + 0.009);
    expect(w(1, 2, 1)).toBeGreaterThan(0.01 + 0.009);
    expect(w(1, 0, 3)).toBe(Math.fround(0.01));
    // within the step of the spikes (step 10), not one step later
    for (const webAssembly of [true, false]) {
      const early = await run(webAssembly, 11);
      expect(early[3 * 4 + 0]!, "learned in the spike's own step").toBeGreaterThan(0.01 + 0.009);
      expect(early[0 * 4 + 3]!).toBeGreaterThan(0.01 + 0.009);
    }
  });

  it("may not draw random numbers", () => {
    const net = new Network({ dt: 1, seed: 2 });
    net.addPopulation("a", { model: LIF, size: 1 });
    net.addPopulation("b", { model: LIF, size: 1 });
    net.addProjection("ab", {
      pre: "a",
      post: "b",
      model: { ...STDP, name: "NoisySTDP", postSpike: "g += uniform() * 0.01;" },
      connectivity: { kind: "dense" },
    });
    expect(() => planNetwork(net)).toThrow(/postSpike code cannot draw random numbers/);
  });
});
