import { cpuBackend } from "@snn/backend-cpu";
import {
  ALIF,
  ExpCurr,
  LeakyIntegrator,
  LIF,
  Network,
  planNetwork,
  RuntimeUsageError,
  SpikeSourceArray,
  StaticPulse,
  type CustomUpdateModel,
  type KernelPlan,
  type NeuronModel,
  type Runtime,
  type WeightUpdateModel,
} from "@snn/core";
import { describe, expect, it } from "vitest";
import { generateKernels } from "../codegen/generate";
import { BufferLimitError } from "../errors";
import { testGpu } from "../../test-support/gpu";

const gpu = await testGpu();
/** A small binding limit so that the kitchen-sink network's state is split over several buffers. */
const SMALL_BINDING = 20_000;
const split = await testGpu({ maxBufferBindingBytes: SMALL_BINDING });

// Models that use every feature of the snippet language and the plan.
const Adapt: NeuronModel = {
  kind: "neuron",
  name: "Adapt",
  params: { Decay: { default: 0.9 } },
  vars: { V: {}, count: { type: "int" }, flag: { type: "bool" }, u: { type: "uint", init: 3 } },
  additionalInputs: { Iextra: {} },
  sim: "V = V * Decay + Isyn + Iextra + 0.1 * normal();\nif (V > 1.0) { count += 1; }\nu = u + uint(count % 3);",
  threshold: "V > 1.5 && uniform() < 0.9",
  reset: "V = (uniform() > 0.5) ? 0.0 : 0.1 * uniform();\nflag = !flag;",
};
const Plastic: WeightUpdateModel = {
  kind: "weightUpdate",
  name: "Plastic",
  params: { Eta: { default: 0.01 } },
  vars: { g: { init: 0.3 } },
  preVars: { xpre: {} },
  postVars: { xpost: {} },
  preSpike: "addToPost(g);\ng += Eta * xpost;",
  synapseDynamics:
    "g *= 0.999;\naddToPre(0.01 * g * V_post);\nif (uniform() < 0.01) { addToPost(0.5); }",
  preSpikeCode: "xpre += 1.0;",
  preDynamics: "xpre *= 0.9;",
  postSpikeCode: "xpost += 1.0;",
  postDynamics: "xpost *= 0.8 + 0.0 * V_post;",
  postSpike: "g -= Eta * (xpre + 0.5) * xpost;",
};
const PlasticNoPre: WeightUpdateModel = {
  ...Plastic,
  name: "PlasticNoPre",
  synapseDynamics: "g *= 0.999;\nif (uniform() < 0.01) { addToPost(0.5); }",
};
const Shared: WeightUpdateModel = {
  kind: "weightUpdate",
  name: "Shared",
  vars: { w: { access: "readOnly", init: 0.2 }, acc: { access: "readOnly" } },
  preSpike: "addToPost(w);",
};
const SumG: CustomUpdateModel = {
  kind: "customUpdate",
  name: "SumG",
  varRefs: { g: { access: "readOnly" }, gsum: { access: "reduceBatchSum" } },
  update: "gsum = g * 2.0;",
};
const MaxV: CustomUpdateModel = {
  kind: "customUpdate",
  name: "MaxV",
  vars: { vmax: { access: "reduceNeuronMax" }, vs: { access: "reduceNeuronSum" } },
  varRefs: { V: { access: "readOnly" } },
  update: "vmax = V;\nvs = V + uniform();",
};
const Scale: CustomUpdateModel = {
  kind: "customUpdate",
  name: "Scale",
  params: { F: { default: 0.5 } },
  varRefs: { g: {} },
  update: "g *= F;",
};

function kitchenSink(batchSize: number): KernelPlan {
  const net = new Network({ batchSize, seed: 11 });
  net.addPopulation("in", { model: SpikeSourceArray, size: 40 });
  net.addPopulation("a", { model: Adapt, size: 37, recordSpikes: true });
  net.addPopulation("b", { model: ALIF, size: 33, recordSpikes: true, params: { Beta: 0.1 } });
  net.addPopulation("out", { model: LeakyIntegrator, size: 5 });
  net.addPopulation("l", { model: LIF, size: 33, recordSpikes: true, params: { Ioffset: 1.1 } });
  net.addProjection("in_a", {
    pre: "in",
    post: "a",
    model: PlasticNoPre,
    connectivity: { kind: "fixedProbability", probability: 0.3, seed: 2 },
    delaySteps: 0,
    postsynaptic: ExpCurr,
  });
  net.addProjection("a_a", {
    pre: "a",
    post: "a",
    model: Plastic,
    connectivity: { kind: "dense" },
    preTarget: "Iextra",
  });
  net.addProjection("a_a2", {
    pre: "a",
    post: "a",
    model: Shared,
    connectivity: { kind: "dense" },
    init: { w: 0.01 },
  });
  net.addProjection("a_b", {
    pre: "a",
    post: "b",
    model: Shared,
    connectivity: { kind: "dense" },
    init: { w: { kind: "normal", mean: 0.2, sd: 0.1, seed: 4 } },
  });
  net.addProjection("b_l", {
    pre: "b",
    post: "l",
    model: StaticPulse,
    connectivity: { kind: "oneToOne" },
    init: { g: 2 },
  });
  net.addProjection("l_b", {
    pre: "l",
    post: "b",
    model: PlasticNoPre,
    connectivity: { kind: "oneToOne" },
    params: { Eta: 0.02 },
  });
  net.addProjection("l_a", {
    pre: "l",
    post: "a",
    model: StaticPulse,
    connectivity: { kind: "dense" },
    init: { g: 0.05 },
    postTarget: "Iextra",
  });
  net.addProjection("b_out", {
    pre: "b",
    post: "out",
    model: StaticPulse,
    connectivity: { kind: "dense" },
    init: { g: 0.5 },
  });
  net.addCustomUpdate("sumg", {
    group: "reduce",
    model: SumG,
    varRefs: { g: { owner: "a_a", var: "g" }, gsum: { owner: "a_a2", var: "acc" } },
  });
  net.addCustomUpdate("maxv", {
    group: "reduce",
    model: MaxV,
    varRefs: { V: { owner: "a", var: "V" } },
  });
  net.addCustomUpdate("scale", {
    group: "scale",
    model: Scale,
    varRefs: { g: { owner: "a_a", var: "g" } },
  });
  return planNetwork(net);
}

async function maxDifference(a: Runtime, b: Runtime, owner: string, name: string): Promise<number> {
  const x = await a.readVar(owner, name);
  const y = await b.readVar(owner, name);
  expect(x.length, `${owner}.${name} length`).toBe(y.length);
  expect(x.constructor).toBe(y.constructor);
  let worst = 0;
  for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i]! - y[i]!));
  return worst;
}

function lifNetwork(options: { batchSize?: number; size?: number } = {}): Network {
  const net = new Network({ batchSize: options.batchSize ?? 2 });
  net.addPopulation("in", { model: SpikeSourceArray, size: 4 });
  net.addPopulation("n", {
    model: LIF,
    size: options.size ?? 8,
    params: { Ioffset: 1.5 },
    recordSpikes: true,
    init: { V: Array.from({ length: options.size ?? 8 }, (_, i) => -70 + (i % 8) * 2.4) },
  });
  net.addProjection("in_n", {
    pre: "in",
    post: "n",
    model: StaticPulse,
    connectivity: { kind: "dense" },
    init: { g: 3 },
  });
  return net;
}

describe.skipIf(gpu.skipReason !== null)("WebGpuRuntime", () => {
  describe("agrees with the CPU backend on a network using every feature", () => {
    for (const batchSize of [1, 3]) {
      it(`batch ${batchSize}: variables, spikes, custom updates and reductions, over buffers split at ${SMALL_BINDING} bytes`, async () => {
        const plan = kitchenSink(batchSize);
        expect(
          generateKernels(plan, { maxBindingBytes: SMALL_BINDING }).layout.chunks.f32.length,
        ).toBeGreaterThan(2);
        const gpuRuntime = await split.backend.compile(plan, { recordingSteps: 8 });
        expect(gpuRuntime.capabilities.maxBufferBytes).toBe(SMALL_BINDING);
        const cpuRuntime = await cpuBackend().compile(plan);
        const events = Array.from({ length: batchSize }, (_, b) => ({
          steps: Int32Array.from([0, 0, 3, 7, 7, 20, 41]),
          units: Int32Array.from([1, 2 + b, 5, 0, 39, 10, 11]),
        }));
        for (const runtime of [gpuRuntime, cpuRuntime]) {
          runtime.setSpikeEvents("in", events);
          await runtime.step(30);
          await runtime.runCustomUpdate("reduce");
          await runtime.step(15);
          await runtime.runCustomUpdate("scale");
          await runtime.runCustomUpdate("reduce");
          runtime.startTrial();
          await runtime.step(12);
        }
        const exact: [string, string][] = [
          ["a", "V"],
          ["a", "count"],
          ["a", "flag"],
          ["a", "u"],
          ["b", "V"],
          ["b", "A"],
          ["out", "Y"],
          ["l", "V"],
          ["a_a", "g"],
          ["a_a", "xpre"],
          ["a_a", "xpost"],
          ["in_a", "g"],
          ["l_b", "g"],
          ["l_b", "xpost"],
          ["in_a", "X"],
          ["a_a2", "acc"],
          ["a_b", "w"],
          ["maxv", "vmax"],
        ];
        for (const [owner, name] of exact)
          expect(
            await maxDifference(gpuRuntime, cpuRuntime, owner, name),
            `${owner}.${name}`,
          ).toBeLessThanOrEqual(1e-5);
        // A neuron sum is reduced as a tree on the GPU and sequentially on the CPU: equal to rounding.
        expect(await maxDifference(gpuRuntime, cpuRuntime, "maxv", "vs")).toBeLessThan(1e-3);
        for (const population of ["a", "b", "l"]) {
          const g = await gpuRuntime.readSpikes(population);
          const c = await cpuRuntime.readSpikes(population);
          expect(g.numSteps).toBe(12);
          expect(g.steps.length, `${population} spike count`).toBeGreaterThan(0);
          expect(Array.from(g.steps)).toEqual(Array.from(c.steps));
          expect(Array.from(g.neurons)).toEqual(Array.from(c.neurons));
          expect(Array.from(g.batches)).toEqual(Array.from(c.batches));
        }
        gpuRuntime.dispose();
      });
    }
  });

  it("reads and writes variables of every type, batched and shared, with broadcasting", async () => {
    const runtime = await gpu.backend.compile(kitchenSink(2));
    expect(Array.from(await runtime.readVar("a", "u"))).toEqual(new Array(74).fill(3));
    await runtime.writeVar(
      "a",
      "count",
      Array.from({ length: 37 }, (_, i) => i - 18),
    );
    const count = await runtime.readVar("a", "count");
    expect(count).toBeInstanceOf(Int32Array);
    expect(Array.from(count.subarray(37))).toEqual(Array.from({ length: 37 }, (_, i) => i - 18));
    await runtime.writeVar(
      "a",
      "flag",
      Array.from({ length: 74 }, (_, i) => i % 2),
    );
    expect(Array.from(await runtime.readVar("a", "flag")).slice(0, 4)).toEqual([0, 1, 0, 1]);
    await runtime.writeVar("a_b", "w", new Float32Array(37 * 33).fill(0.25));
    expect((await runtime.readVar("a_b", "w")).every((x) => x === 0.25)).toBe(true);
    await expect(runtime.writeVar("a", "V", [1, 2, 3])).rejects.toThrow(
      /got 3 values, expected 74 \(batch 2 x 37\) or 37/,
    );
    await expect(runtime.readVar("a", "nope")).rejects.toThrow(
      /'a' has no variable 'nope'. Its variables: V, count, flag, u/,
    );
    await expect(runtime.readVar("zzz", "V")).rejects.toThrow(RuntimeUsageError);
    runtime.dispose();
  });

  it("resetState restores initial values and startTrial restarts the trial clock and recordings", async () => {
    const plan = planNetwork(lifNetwork());
    const runtime = await gpu.backend.compile(plan);
    const initial = await runtime.readVar("n", "V");
    await runtime.step(20);
    expect(runtime.trialStep).toBe(20);
    const first = await runtime.readSpikes("n");
    expect(first.numSteps).toBe(20);
    expect(first.steps.length).toBeGreaterThan(0);
    expect(Array.from(await runtime.readVar("n", "V"))).not.toEqual(Array.from(initial));
    await runtime.resetState();
    expect(Array.from(await runtime.readVar("n", "V"))).toEqual(Array.from(initial));
    runtime.startTrial();
    expect(runtime.trialStep).toBe(0);
    const cleared = await runtime.readSpikes("n");
    expect(cleared.steps.length).toBe(0);
    expect(cleared.numSteps).toBe(0);
    // After the reset the network repeats its first trial exactly.
    await runtime.step(20);
    const again = await runtime.readSpikes("n");
    expect(Array.from(again.steps)).toEqual(Array.from(first.steps));
    expect(Array.from(again.neurons)).toEqual(Array.from(first.neurons));
    runtime.dispose();
  });

  it("grows the spike recording beyond recordingSteps without reading back, and agrees with the CPU", async () => {
    const plan = planNetwork(lifNetwork({ batchSize: 3, size: 40 }));
    const runtime = await gpu.backend.compile(plan, { recordingSteps: 4 });
    const reference = await cpuBackend().compile(plan);
    for (const r of [runtime, reference]) {
      r.setSpikeEvents(
        "in",
        [0, 1, 2].map((b) => ({
          steps: Int32Array.from([2, 10 + b, 30]),
          units: Int32Array.from([0, b, 3]),
        })),
      );
      for (const count of [3, 1, 40, 6]) await r.step(count);
    }
    const g = await runtime.readSpikes("n");
    const c = await reference.readSpikes("n");
    expect(g.numSteps).toBe(50);
    expect(g.steps.length).toBeGreaterThan(10);
    expect([Array.from(g.steps), Array.from(g.neurons), Array.from(g.batches)]).toEqual([
      Array.from(c.steps),
      Array.from(c.neurons),
      Array.from(c.batches),
    ]);
    runtime.dispose();
  });

  it("refuses a trial longer than a recording buffer can hold, saying how many steps fit", async () => {
    const backend = (await testGpu({ maxBufferBindingBytes: 4096 })).backend;
    const runtime = await backend.compile(planNetwork(lifNetwork({ batchSize: 1, size: 8 })), {
      recordingSteps: 100,
    });
    await runtime.step(1000);
    await expect(runtime.step(100)).rejects.toThrow(BufferLimitError);
    await expect(runtime.step(100)).rejects.toThrow(
      /spike recording of population 'n' \(1100 steps x batch 1 x 8 neurons as bits\).*Record at most 1024 steps per trial/,
    );
    runtime.dispose();
  });

  it("reports capabilities: backend, device, buffer bytes by owner", async () => {
    const runtime = await gpu.backend.compile(kitchenSink(2));
    const caps = runtime.capabilities;
    expect(caps.backend).toBe("webgpu");
    expect(caps.batchSize).toBe(2);
    expect(caps.device).toBe(await gpu.backend.describe());
    expect(Object.keys(caps.bufferBytes.byOwner)).toEqual(
      expect.arrayContaining(["a", "b", "a_a", "in_a", "maxv"]),
    );
    // a_a: 37 x 37 synapses x batch 2 of g, the addToPre values of the same size, pre and post vars and inSyn (37 x batch 2 each).
    expect(caps.bufferBytes.byOwner.a_a).toBe(4 * (37 * 37 * 2 * 2 + 37 * 2 * 3));
    expect(caps.bufferBytes.total).toBe(
      Object.values(caps.bufferBytes.byOwner).reduce((s, x) => s + x, 0),
    );
    runtime.dispose();
  });

  it("gives clear errors for bad calls and after dispose", async () => {
    const runtime = await gpu.backend.compile(planNetwork(lifNetwork()));
    expect(() => runtime.setSpikeEvents("n", [])).toThrow(
      /'n' is not a spike source array \(model 'LIF'\). Spike source arrays: in/,
    );
    expect(() =>
      runtime.setSpikeEvents("in", [
        { steps: Int32Array.from([0]), units: Int32Array.from([9]) },
        { steps: new Int32Array(0), units: new Int32Array(0) },
      ]),
    ).toThrow(/unit 9, outside 0..3/);
    await expect(runtime.readSpikes("in")).rejects.toThrow(
      /does not record spikes; add it with recordSpikes: true/,
    );
    await expect(runtime.runCustomUpdate("nope")).rejects.toThrow(/no custom update group 'nope'/);
    await expect(runtime.runCustomUpdate("toString")).rejects.toThrow(
      /no custom update group 'toString'/,
    );
    await expect(runtime.step(-1)).rejects.toThrow(/non-negative integer/);
    for (const bad of [0, -1, 1.5, Number.NaN]) {
      const backend = (await testGpu({ stepsPerCommandBuffer: bad })).backend;
      await expect(backend.compile(planNetwork(lifNetwork())), String(bad)).rejects.toThrow(
        /stepsPerCommandBuffer must be a positive integer number of steps/,
      );
    }
    runtime.dispose();
    await expect(runtime.step(1)).rejects.toThrow(/disposed/);
    expect(() => runtime.startTrial()).toThrow(RuntimeUsageError);
  });
});
