import {
  BACKEND_INTERFACE_VERSION,
  LIF,
  Network,
  planNetwork,
  Poisson,
  RuntimeUsageError,
  SnnError,
  SpikeSourceArray,
  UnsupportedFeatureError,
  StaticPulse,
  uniformFromBlock,
  normalFromBlock,
  philox4x32,
  RNG_KEY_HI,
  streamWord,
  type CustomUpdateModel,
  type NeuronModel,
  type WeightUpdateModel,
} from "@snn/core";
import { describe, expect, it } from "vitest";
import { compileCpu, cpuBackend } from "./index";

function smallNetwork(batchSize = 1): Network {
  const net = new Network({ dt: 1, batchSize, seed: 3 });
  net.addPopulation("input", { model: SpikeSourceArray, size: 4 });
  net.addPopulation("hidden", {
    model: LIF,
    size: 3,
    recordSpikes: true,
    params: { Ioffset: 1.2 },
  });
  net.addProjection("input_hidden", {
    pre: "input",
    post: "hidden",
    model: StaticPulse,
    connectivity: { kind: "dense" },
    init: { g: 0.5 },
  });
  return net;
}

describe("cpuBackend", () => {
  it("describes itself and compiles a plan", async () => {
    const backend = cpuBackend();
    expect(backend.name).toBe("cpu");
    expect(backend.interfaceVersion).toBe(BACKEND_INTERFACE_VERSION);
    expect(await backend.isAvailable()).toBe(true);
    const runtime = await backend.compile(planNetwork(smallNetwork(2)));
    expect(runtime.capabilities.backend).toBe("cpu");
    expect(runtime.capabilities.batchSize).toBe(2);
    // hidden: V and RefracTime (2 x 3 floats each), spike lists (2 x 2 x 3 ints) and counts (2 x 2 ints).
    expect(runtime.capabilities.bufferBytes.byOwner.hidden).toBe(2 * 6 * 4 + 12 * 4 + 4 * 4);
    // input_hidden: g (12 floats) and inSyn (2 x 3 floats).
    expect(runtime.capabilities.bufferBytes.byOwner.input_hidden).toBe(12 * 4 + 6 * 4);
    const owners = Object.values(runtime.capabilities.bufferBytes.byOwner);
    expect(runtime.capabilities.bufferBytes.total).toBe(owners.reduce((a, b) => a + b, 0));
  });

  it("rejects a plan of another version with a clear error", async () => {
    const plan = { ...planNetwork(smallNetwork()), version: 99 } as unknown as ReturnType<
      typeof planNetwork
    >;
    await expect(cpuBackend().compile(plan)).rejects.toThrow(/version 99/);
    await expect(cpuBackend().compile(null as never)).rejects.toThrow(SnnError);
  });

  it("prints generated code through printCode, one function per schedule entry and custom update", async () => {
    const labels: string[] = [];
    const net = smallNetwork();
    const reset: CustomUpdateModel = {
      kind: "customUpdate",
      name: "Reset",
      varRefs: { V: {} },
      update: "V = -70.0;",
    };
    net.addCustomUpdate("reset", {
      group: "reset",
      model: reset,
      varRefs: { V: { owner: "hidden", var: "V" } },
    });
    await cpuBackend().compile(planNetwork(net), {
      printCode: (label, code) => {
        labels.push(label);
        expect(code).toContain("return function");
      },
    });
    expect(labels).toEqual([
      "neurons input",
      "synapses input_hidden",
      "neurons hidden",
      "custom update reset (group reset)",
    ]);
  });
});

describe("runtime calls", () => {
  it("reads, writes and broadcasts variables and resets them", async () => {
    const runtime = await cpuBackend().compile(planNetwork(smallNetwork(2)));
    expect(Array.from(await runtime.readVar("hidden", "V"))).toEqual(new Array(6).fill(-70));
    await runtime.writeVar("hidden", "V", [1, 2, 3]);
    expect(Array.from(await runtime.readVar("hidden", "V"))).toEqual([1, 2, 3, 1, 2, 3]);
    await runtime.writeVar("input_hidden", "g", new Array(12).fill(0.25));
    expect(Array.from(await runtime.readVar("input_hidden", "g"))).toEqual(
      new Array(12).fill(0.25),
    );
    const copy = await runtime.readVar("hidden", "V");
    copy[0] = 99;
    expect((await runtime.readVar("hidden", "V"))[0]).toBe(1);
    await runtime.resetState();
    expect(Array.from(await runtime.readVar("hidden", "V"))).toEqual(new Array(6).fill(-70));
    expect(Array.from(await runtime.readVar("input_hidden", "g"))).toEqual(new Array(12).fill(0.5));
  });

  it("copies a variable into a caller's array with readVarInto, checking its layout", async () => {
    const runtime = await cpuBackend().compile(planNetwork(smallNetwork(2)));
    await runtime.writeVar("hidden", "V", [1, 2, 3, 4, 5, 6]);
    const out = new Float32Array(6);
    runtime.readVarInto!("hidden", "V", out);
    expect(Array.from(out)).toEqual([1, 2, 3, 4, 5, 6]);
    await runtime.writeVar("hidden", "V", [7, 8, 9]);
    runtime.readVarInto!("hidden", "V", out); // a second read (through the cached lookup) sees the new values
    expect(Array.from(out)).toEqual([7, 8, 9, 7, 8, 9]);
    expect(() => runtime.readVarInto!("hidden", "V", new Float32Array(3))).toThrow(
      /Float32Array of length 6/,
    );
    expect(() => runtime.readVarInto!("hidden", "V", new Int32Array(6))).toThrow(
      /got Int32Array\(6\)/,
    );
    expect(() => runtime.readVarInto!("hidden", "W", out)).toThrow(/'hidden' has no variable 'W'/);
    expect(() => runtime.readVarInto!("hidden", "V", undefined as never)).toThrow(
      /out must be a Float32Array of length 6 .*got undefined/,
    );
  });

  it("says which variable is over the 4 GiB of one array, and the batch that fits, before allocating", async () => {
    const huge = new Network({ batchSize: 1 });
    huge.addPopulation("a", { model: LIF, size: 70_000 });
    huge.addProjection("aa", {
      pre: "a",
      post: "a",
      model: StaticPulse,
      connectivity: { kind: "dense" },
    });
    await expect(cpuBackend().compile(planNetwork(huge))).rejects.toBeInstanceOf(
      UnsupportedFeatureError,
    );
    await expect(cpuBackend().compile(planNetwork(huge))).rejects.toThrow(
      /variable 'g' of projection 'aa' needs 19600000000 bytes \(4900000000 elements\); use fewer neurons or synapses/,
    );
    const wide = new Network({ batchSize: 40_000 });
    wide.addPopulation("a", { model: LIF, size: 30_000 });
    await expect(cpuBackend().compile(planNetwork(wide))).rejects.toThrow(
      /variable 'V' of population 'a' needs 4800000000 bytes \(30000 elements x batch 40000\); a batch of at most 35791 fits/,
    );
  });

  it("names unknown owners, variables, populations and groups in its errors", async () => {
    const runtime = await cpuBackend().compile(planNetwork(smallNetwork()));
    await expect(runtime.readVar("nope", "V")).rejects.toThrow(
      /no population, projection or custom update 'nope'.*hidden/,
    );
    await expect(runtime.readVar("hidden", "W")).rejects.toThrow(
      /'hidden' has no variable 'W'.*V, RefracTime/,
    );
    await expect(runtime.writeVar("hidden", "V", [1, 2])).rejects.toThrow(
      /got 2 values, expected 3/,
    );
    await expect(runtime.readSpikes("input")).rejects.toThrow(
      /does not record spikes; add it with recordSpikes: true/,
    );
    await expect(runtime.readSpikes("nope")).rejects.toThrow(/no population 'nope'/);
    await expect(runtime.runCustomUpdate("nope")).rejects.toThrow(/no custom update group 'nope'/);
    await expect(runtime.runCustomUpdate("toString")).rejects.toThrow(
      /no custom update group 'toString'/,
    );
    expect(() =>
      runtime.setSpikeEvents("hidden", [{ steps: new Int32Array(0), units: new Int32Array(0) }]),
    ).toThrow(/not a spike source array.*input/);
    expect(() => runtime.setSpikeEvents("input", [])).toThrow(RuntimeUsageError);
    await expect(runtime.step(-1)).rejects.toThrow(/non-negative integer/);
    await expect(runtime.step(1.5)).rejects.toThrow(RuntimeUsageError);
  });

  it("throws on every call after dispose", async () => {
    const runtime = await cpuBackend().compile(planNetwork(smallNetwork()));
    runtime.dispose();
    await expect(runtime.step()).rejects.toThrow(/disposed/);
    await expect(runtime.readVar("hidden", "V")).rejects.toThrow(RuntimeUsageError);
    await expect(runtime.writeVar("hidden", "V", [0, 0, 0])).rejects.toThrow(RuntimeUsageError);
    await expect(runtime.readSpikes("hidden")).rejects.toThrow(RuntimeUsageError);
    await expect(runtime.resetState()).rejects.toThrow(RuntimeUsageError);
    await expect(runtime.runCustomUpdate("x")).rejects.toThrow(RuntimeUsageError);
    await expect(runtime.finish()).rejects.toThrow(RuntimeUsageError);
    expect(() => runtime.startTrial()).toThrow(RuntimeUsageError);
    expect(() => runtime.setSpikeEvents("input", [])).toThrow(RuntimeUsageError);
  });

  it("delivers spike-source spikes one step later through a delay-1 projection and restarts trials", async () => {
    const runtime = compileCpu(planNetwork(smallNetwork()));
    await runtime.writeVar("input_hidden", "g", new Array(12).fill(30));
    // Input neuron 2 fires at step 3 (given twice and out of order with neuron 0: duplicates collapse).
    runtime.setSpikeEvents("input", [
      { steps: new Int32Array([3, 3, 3]), units: new Int32Array([2, 0, 2]) },
    ]);
    await runtime.writeVar("hidden", "V", [-70, -70, -70]);
    runtime.stepSync(6);
    const spikes = await runtime.readSpikes("hidden");
    // Two input spikes of weight 30 reach each hidden neuron at step 4: Vinf = -70 + 20 * 61.2 crosses -50 at once.
    expect(Array.from(spikes.steps)).toEqual([4, 4, 4]);
    expect(Array.from(spikes.neurons)).toEqual([0, 1, 2]);
    expect(spikes.numSteps).toBe(6);
    runtime.startTrial();
    expect(runtime.trialStep).toBe(0);
    expect((await runtime.readSpikes("hidden")).steps.length).toBe(0);
    runtime.stepSync(6);
    expect(Array.from((await runtime.readSpikes("hidden")).steps)).toEqual([4, 4, 4]);
  });
});

describe("generated random numbers", () => {
  it("draws Poisson spikes from the documented Philox counters", async () => {
    const net = new Network({ dt: 1, batchSize: 2, seed: 77 });
    net.addPopulation("p", { model: Poisson, size: 50, params: { Rate: 200 }, recordSpikes: true });
    const plan = planNetwork(net);
    const runtime = compileCpu(plan);
    runtime.stepSync(3);
    runtime.startTrial();
    runtime.stepSync(5);
    const spikes = await runtime.readSpikes("p");
    const expected: string[] = [];
    const out = new Uint32Array(4);
    const stream = plan.populations[0]!.rngStream;
    for (let s = 0; s < 5; s++) {
      for (let b = 0; b < 2; b++) {
        for (let j = 0; j < 50; j++) {
          // The global step (3 steps of the first trial + s) is the third counter word.
          philox4x32(j, b, 3 + s, streamWord(stream, 0), 77, RNG_KEY_HI, out);
          if (uniformFromBlock(out[0]!) < Math.fround(0.2)) expected.push(`${s}:${b}:${j}`);
        }
      }
    }
    const got = Array.from(
      spikes.steps,
      (s, k) => `${s}:${spikes.batches[k]}:${spikes.neurons[k]}`,
    );
    expect(got).toEqual(expected);
    expect(got.length).toBeGreaterThan(50);
  });
});

describe("weight-update and neuron code paths", () => {
  it("runs synapse dynamics, pre/post spike code, addToPre and additional inputs", async () => {
    const Neuron: NeuronModel = {
      kind: "neuron",
      name: "Counter",
      vars: { V: {}, Extra: {}, Fired: { type: "int" } },
      additionalInputs: { Iback: {} },
      sim: "V += Isyn; Extra = Iback;",
      threshold: "V >= 1.0",
      reset: "V = 0.0; Fired += 1;",
    };
    const Plastic: WeightUpdateModel = {
      kind: "weightUpdate",
      name: "Plastic",
      vars: { g: {}, calls: { type: "uint" } },
      preVars: { preCount: {} },
      postVars: { postTrace: {} },
      preSpike: "addToPost(g);",
      synapseDynamics: "calls += 1u; addToPre(0.5);",
      preSpikeCode: "preCount += 1.0;",
      postDynamics: "postTrace = V_post;",
    };
    const net = new Network({ dt: 1 });
    net.addPopulation("a", { model: Neuron, size: 2, init: { V: [1, 0] } });
    net.addPopulation("c", { model: Neuron, size: 3 });
    net.addProjection("ac", {
      pre: "a",
      post: "c",
      model: Plastic,
      connectivity: { kind: "sparse", pre: [0, 0, 1], post: [0, 2, 1] },
      init: { g: 0.75 },
      preTarget: "Iback",
    });
    const runtime = compileCpu(planNetwork(net));
    runtime.stepSync(1);
    // Step 0: a0 (V = 1) spikes; synapses see no spikes yet (delay 1); synapse dynamics ran once per synapse.
    expect(Array.from(await runtime.readVar("ac", "calls"))).toEqual([1, 1, 1]);
    expect(Array.from(await runtime.readVar("ac", "preCount"))).toEqual([1, 0]);
    // addToPre arrives after 'a' updated this step: two synapses of a0, one of a1.
    runtime.stepSync(1);
    expect(Array.from(await runtime.readVar("a", "Extra"))).toEqual([1, 0.5]);
    // Step 1: a0's spike reached c0 and c2 with weight 0.75; postTrace copies V of c.
    expect(Array.from(await runtime.readVar("c", "V"))).toEqual([0.75, 0, 0.75]);
    expect(Array.from(await runtime.readVar("ac", "postTrace"))).toEqual([0.75, 0, 0.75]);
    expect(Array.from(await runtime.readVar("a", "Fired"))).toEqual([1, 0]);
  });
});

describe("random numbers in custom updates and synapse code", () => {
  it("uses [element, batch, run count, stream << 8 | field << 5 | k] counters", async () => {
    const Holder: NeuronModel = {
      kind: "neuron",
      name: "Holder",
      vars: { X: {}, Y: {}, Flag: { type: "bool" }, T: {} },
      sim: "Flag = X > 0.0; T = t;",
    };
    const Draw: CustomUpdateModel = {
      kind: "customUpdate",
      name: "Draw",
      varRefs: { X: {}, Y: {} },
      update: "X = normal(); Y = uniform();",
    };
    const Noisy: WeightUpdateModel = {
      kind: "weightUpdate",
      name: "Noisy",
      synapseDynamics: "if (uniform() < 0.5) { addToPost(1.0); }",
    };
    const net = new Network({ dt: 0.5, batchSize: 2, seed: 9 });
    net.addPopulation("h", { model: Holder, size: 3 });
    const Sink: NeuronModel = {
      kind: "neuron",
      name: "Sink",
      vars: { Acc: {} },
      sim: "Acc = Isyn;",
    };
    net.addPopulation("c", { model: Sink, size: 2 });
    net.addProjection("hc", { pre: "h", post: "c", model: Noisy, connectivity: { kind: "dense" } });
    net.addCustomUpdate("draw", {
      group: "draw",
      model: Draw,
      varRefs: { X: { owner: "h", var: "X" }, Y: { owner: "h", var: "Y" } },
    });
    const plan = planNetwork(net);
    const runtime = compileCpu(plan);
    const out = new Uint32Array(4);
    const stream = plan.customUpdates[0]!.rngStream;
    for (const run of [0, 1]) {
      await runtime.runCustomUpdate("draw");
      const x = await runtime.readVar("h", "X");
      const y = await runtime.readVar("h", "Y");
      for (let b = 0; b < 2; b++) {
        for (let e = 0; e < 3; e++) {
          philox4x32(e, b, run, streamWord(stream, 0), 9, RNG_KEY_HI, out);
          expect(x[b * 3 + e]).toBe(Math.fround(normalFromBlock(out[0]!, out[1]!)));
          philox4x32(e, b, run, streamWord(stream, 1), 9, RNG_KEY_HI, out);
          expect(y[b * 3 + e]).toBe(uniformFromBlock(out[0]!));
        }
      }
    }
    runtime.stepSync(3);
    // Bool vars are stored as 0/1; t = step * dt.
    const x = await runtime.readVar("h", "X");
    expect(Array.from(await runtime.readVar("h", "Flag"))).toEqual(
      Array.from(x, (v) => (v > 0 ? 1 : 0)),
    );
    expect(Array.from(await runtime.readVar("h", "T"))).toEqual(new Array(6).fill(1));
    // Synapse dynamics of step 2 (global step 2): field 3, element = synapse index pre * 2 + post.
    const projectionStream = plan.projections[0]!.rngStream;
    const acc = await runtime.readVar("c", "Acc");
    const expected: number[] = [];
    for (let b = 0; b < 2; b++) {
      for (let j = 0; j < 2; j++) {
        let sum = 0;
        for (let i = 0; i < 3; i++) {
          philox4x32(i * 2 + j, b, 2, streamWord(projectionStream, 3 << 5), 9, RNG_KEY_HI, out);
          if (uniformFromBlock(out[0]!) < 0.5) sum += 1;
        }
        expected.push(sum);
      }
    }
    expect(Array.from(acc)).toEqual(expected);
  });
});
