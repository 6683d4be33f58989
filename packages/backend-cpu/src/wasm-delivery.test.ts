import {
  LIF,
  Network,
  planNetwork,
  Poisson,
  StaticPulse,
  type SpikeRecording,
  type WeightUpdateModel,
} from "@snn/core";
import { wasm } from "@snn/core/internal";
import { describe, expect, it } from "vitest";
import { compileCpu } from "./index";
import { accumulatedWeight } from "./wasm-delivery";

/** The checked preSpike code of a weight-update model with vars g, h (float) and n (int). */
function checkedPreSpike(preSpike: string) {
  const model: WeightUpdateModel = {
    kind: "weightUpdate",
    name: "Test",
    params: { scale: {} },
    vars: { g: {}, h: {}, n: { type: "int" } },
    preSpike,
  } as WeightUpdateModel;
  const net = new Network({ dt: 1 });
  net.addPopulation("a", { model: Poisson, size: 2, params: { Rate: 10 } });
  net.addPopulation("b", { model: LIF, size: 2 });
  net.addProjection("ab", {
    pre: "a",
    post: "b",
    model,
    connectivity: { kind: "dense" },
    params: { scale: 2 },
  });
  return planNetwork(net).projections[0]!.code.preSpike;
}

/**
 * A network with several dense StaticPulse projections whose postsynaptic sizes exercise the
 * kernel's 32-float blocks, 4-float vectors and scalar tail (7, 39, 303 neurons), delays 0
 * and 1, postsynaptic input and an additional-input target, and a sparse projection (left to
 * JavaScript).
 */
function testNetwork(batchSize: number): Network {
  const net = new Network({ dt: 1, batchSize, seed: 11 });
  net.addPopulation("poisson", { model: Poisson, size: 50, params: { Rate: 80 } });
  const sizes = [7, 39, 303];
  for (const size of sizes) {
    net.addPopulation(`lif${size}`, {
      model: LIF,
      size,
      recordSpikes: true,
      params: { Ioffset: 0.9 },
    });
    const g = Float32Array.from({ length: 50 * size }, (_, k) => 0.3 * Math.sin(k * 0.7) + 0.05);
    net.addProjection(`poisson_lif${size}`, {
      pre: "poisson",
      post: `lif${size}`,
      model: StaticPulse,
      connectivity: { kind: "dense" },
      init: { g },
    });
  }
  // delay 1 between the LIF layers, and a recurrent projection
  net.addProjection("lif39_lif303", {
    pre: "lif39",
    post: "lif303",
    model: StaticPulse,
    connectivity: { kind: "dense" },
    delaySteps: 1,
    init: { g: Float32Array.from({ length: 39 * 303 }, (_, k) => 0.2 * Math.cos(k)) },
  });
  net.addProjection("lif303_lif303", {
    pre: "lif303",
    post: "lif303",
    model: StaticPulse,
    connectivity: { kind: "dense" },
    delaySteps: 1,
    init: { g: Float32Array.from({ length: 303 * 303 }, (_, k) => 0.01 * Math.cos(k * 1.3)) },
  });
  net.addProjection("lif7_lif39_sparse", {
    pre: "lif7",
    post: "lif39",
    model: StaticPulse,
    connectivity: { kind: "sparse", pre: [0, 1, 6], post: [1, 3, 38] },
    init: { g: 0.7 },
  });
  // a larger sparse projection with varied weights: about 20 % of the pairs, each row in its own order
  const pre: number[] = [];
  const post: number[] = [];
  for (let i = 0; i < 50; i++)
    for (let j = 0; j < 303; j++)
      if ((i * 7919 + j * 104729) % 5 === 0) {
        pre.push(i);
        post.push(j);
      }
  net.addProjection("poisson_lif303_sparse", {
    pre: "poisson",
    post: "lif303",
    model: StaticPulse,
    connectivity: { kind: "sparse", pre, post },
    init: { g: Float32Array.from({ length: pre.length }, (_, k) => 0.04 * Math.sin(k * 1.7)) },
  });
  return net;
}

async function simulate(
  webAssembly: boolean,
  batchSize: number,
): Promise<{ code: string; voltages: Float32Array[]; spikes: SpikeRecording[] }> {
  let code = "";
  const runtime = compileCpu(
    planNetwork(testNetwork(batchSize)),
    { printCode: (label, source) => (code += `// ${label}\n${source}`) },
    { webAssembly },
  );
  runtime.stepSync(300);
  const voltages = await Promise.all(
    ["lif7", "lif39", "lif303"].map(async (p) => (await runtime.readVar(p, "V")) as Float32Array),
  );
  const spikes = await Promise.all(["lif7", "lif39", "lif303"].map((p) => runtime.readSpikes(p)));
  runtime.dispose();
  return { code, voltages, spikes };
}

describe("WebAssembly spike delivery", () => {
  it("recognises exactly addToPost of a float per-synapse variable", () => {
    expect(accumulatedWeight(checkedPreSpike("addToPost(g);"))).toBe("g");
    expect(accumulatedWeight(checkedPreSpike("addToPost(h);"))).toBe("h");
    expect(accumulatedWeight(checkedPreSpike("addToPost(g * scale);"))).toBeNull();
    expect(accumulatedWeight(checkedPreSpike("addToPost(g); h += 1.0;"))).toBeNull();
    expect(accumulatedWeight(checkedPreSpike("addToPost(float(n));"))).toBeNull();
    expect(accumulatedWeight(checkedPreSpike("addToPost(n);"))).toBeNull();
    expect(accumulatedWeight(null)).toBeNull();
  });

  it.runIf(wasm.wasmSimdSupported())(
    "is bit-identical to the generated JavaScript (dense and sparse rows) and is the one used by default",
    async () => {
      for (const batchSize of [1, 3]) {
        const js = await simulate(false, batchSize);
        const simd = await simulate(true, batchSize);
        expect(js.code).not.toContain("WebAssembly SIMD");
        // the five dense StaticPulse projections go through the SIMD kernel, the two sparse ones through the sparse kernel
        expect(simd.code.match(/WebAssembly SIMD: \+= g dense rows/g)?.length).toBe(5);
        expect(simd.code.match(/WebAssembly: \+= g sparse rows/g)?.length).toBe(2);
        const counts = js.spikes.map((s) => s.neurons.length);
        for (const count of counts) expect(count).toBeGreaterThan(20 * batchSize); // the network is active, so the comparison means something
        expect(simd.spikes).toEqual(js.spikes);
        for (let p = 0; p < 3; p++)
          expect(Array.from(simd.voltages[p]!)).toEqual(Array.from(js.voltages[p]!));
      }
    },
  );
});
