import { describe, expect, it } from "vitest";
import { ExpCurr, SpikeSourceArray, StaticPulse, STDP } from "./models/builtin";
import type { CustomUpdateModel, NeuronModel, WeightUpdateModel } from "./models/types";
import { Network } from "./network";
import { planNetwork } from "./plan";
import { RANDOM_FIELD } from "./rng";
import { customUpdateSlot } from "./custom-update-site";
import {
  compileStepProgram,
  type NeuronModelSite,
  type NeuronSideSite,
  type NeuronStep,
  type SynapseStep,
} from "./step-program";

/** A neuron model with an additional input and random numbers in sim and reset. */
const Noisy: NeuronModel = {
  kind: "neuron",
  name: "Noisy",
  params: { Decay: { default: 0.9 } },
  vars: { V: {}, n: { type: "int" } },
  additionalInputs: { Iextra: {} },
  sim: "V = V * Decay + Isyn + Iextra + 0.1 * normal();",
  threshold: "V > float(n)",
  reset: "V = uniform();",
};

/** Feeds `addToPre` and has dynamics on both sides. */
const Feedback: WeightUpdateModel = {
  kind: "weightUpdate",
  name: "Feedback",
  vars: { g: { init: 0.3 } },
  preVars: { x: {} },
  postVars: { y: {} },
  preSpike: "addToPost(g);",
  synapseDynamics: "addToPre(0.01 * g * V_post);",
  preDynamics: "x *= 0.9;",
  postSpikeCode: "y += V_post;",
  postDynamics: "y *= 0.8;",
};

function network(): Network {
  const net = new Network({ batchSize: 2, seed: 5 });
  net.addPopulation("in", { model: SpikeSourceArray, size: 6 });
  net.addPopulation("a", { model: Noisy, size: 6 });
  net.addPopulation("b", { model: Noisy, size: 3 });
  // into a: one without a postsynaptic model first, so the apply site's slot is 1
  net.addProjection("in_a", {
    pre: "in",
    post: "a",
    model: StaticPulse,
    connectivity: { kind: "dense" },
    postTarget: "Iextra",
    delaySteps: 0,
  });
  net.addProjection("in_a2", {
    pre: "in",
    post: "a",
    model: StaticPulse,
    connectivity: { kind: "oneToOne" },
    postsynaptic: ExpCurr,
    delaySteps: 1,
  });
  net.addProjection("a_b", { pre: "a", post: "b", model: STDP, connectivity: { kind: "dense" } });
  net.addProjection("b_a", {
    pre: "b",
    post: "a",
    model: Feedback,
    connectivity: { kind: "dense" },
    preTarget: "Iextra",
  });
  net.addCustomUpdate("peak", {
    group: "measure",
    model: Peak,
    varRefs: { V: { owner: "a", var: "V" }, gSum: { owner: "in_a2", var: "g" } },
  });
  net.addCustomUpdate("scale", {
    group: "learn",
    model: Scale,
    varRefs: { g: { owner: "in_a2", var: "g" }, top: { owner: "peak", var: "spare" } },
  });
  return net;
}

/** A neuron max into its own variable, a batch sum into a shared weight, an unused own variable and random numbers. */
const Peak: CustomUpdateModel = {
  kind: "customUpdate",
  name: "Peak",
  vars: { vmax: { access: "reduceNeuronMax" }, spare: {} },
  varRefs: { V: { access: "readOnly" }, gSum: { access: "reduceBatchSum" } },
  update: "vmax = V;\ngSum = V * uniform();",
};

/** Writes a reference, and reads one to another custom update's variable. */
const Scale: CustomUpdateModel = {
  kind: "customUpdate",
  name: "Scale",
  params: { F: { default: 0.5 } },
  varRefs: { g: {}, top: { access: "readOnly" } },
  update: "g *= F + 0.0 * top;",
};

describe("the step program", () => {
  const plan = planNetwork(network());
  const program = compileStepProgram(plan);
  const index = (name: string): number => plan.populations.findIndex((p) => p.name === name);
  const neurons = (name: string): NeuronStep => program.neurons[index(name)]!;

  it("has one entry per schedule entry, in schedule order, and the steps by group", () => {
    expect(
      program.entries.map((e) => [e.op, e.op === "neurons" ? e.population : e.projection]),
    ).toEqual(plan.schedule.map((e) => [e.op, e.op === "neurons" ? e.population : e.projection]));
    program.neurons.forEach((step, p) => expect(step.population).toBe(p));
    program.synapses.forEach((step, p) => expect(step.projection).toBe(p));
    for (const entry of program.entries)
      expect(entry).toBe(
        entry.op === "neurons"
          ? program.neurons[entry.population]
          : program.synapses[entry.projection],
      );
  });

  it("orders a neuron entry's sites: inputs, the model, zeroing, then pre and post code", () => {
    const step = neurons("a");
    const owner = { kind: "population", index: index("a") };
    expect(
      step.sites.map((s) => (s.kind === "neuronSide" ? `${s.kind}:${s.side}` : s.kind)),
    ).toEqual([
      "apply", // in_a2 (ExpCurr)
      "apply", // b_a (DeltaCurr)
      "neuron",
      "zeroInputs",
      "neuronSide:pre", // a_b (STDP)
      "neuronSide:post", // b_a (Feedback)
    ]);
    // in_a feeds an additional input (no postsynaptic model): the slots count it
    expect(step.sites.flatMap((s) => (s.kind === "apply" ? [[s.projection, s.slot]] : []))).toEqual(
      [
        [1, 1],
        [3, 2],
      ],
    );
    expect(step.vars).toEqual([
      { kind: "var", owner, role: "neuron", name: "V", type: "float", batched: true },
      { kind: "var", owner, role: "neuron", name: "n", type: "int", batched: true },
    ]);
    const zero = step.sites[3]!;
    expect(zero.kind === "zeroInputs" && zero.inputs).toEqual([
      { kind: "additionalInput", population: index("a"), name: "Iextra" },
    ]);
  });

  it("gives each snippet its random-number field from core's one table", () => {
    const site = neurons("a").sites[2] as NeuronModelSite;
    expect([site.sim, site.threshold, site.reset].map((s) => [s?.hook, s?.field])).toEqual([
      ["sim", RANDOM_FIELD.neuron],
      ["threshold", RANDOM_FIELD.neuron],
      ["reset", RANDOM_FIELD.neuron],
    ]);
    expect(site.usage.random).toBe(true);
    expect(site.rngStream).toBe(plan.populations[index("a")]!.rngStream);
    const pre = neurons("a").sites[4] as NeuronSideSite;
    expect([pre.spikeCode?.field, pre.dynamics?.field]).toEqual([
      RANDOM_FIELD.preSpikeCode,
      RANDOM_FIELD.preDynamics,
    ]);
    const post = neurons("a").sites[5] as NeuronSideSite;
    expect(post.spikeCode?.field).toBe(RANDOM_FIELD.postSpikeCode);
    expect(post.snippets.map((s) => s.hook)).toEqual(["postSpikeCode", "postDynamics"]);
    const synapses = program.synapses[3]!;
    expect([synapses.preSpike?.code.field, synapses.synapseDynamics?.code.field]).toEqual([
      RANDOM_FIELD.preSpike,
      RANDOM_FIELD.synapseDynamics,
    ]);
  });

  it("types the storage of every binding a site names, with whether it writes it", () => {
    const a = index("a");
    const site = neurons("a").sites[2] as NeuronModelSite;
    const owner = { kind: "population", index: a };
    expect(Object.fromEntries(site.storage)).toEqual({
      "var:V": {
        binding: { kind: "var", name: "V" },
        type: "float",
        written: true,
        ref: { kind: "var", owner, role: "neuron", name: "V", type: "float", batched: true },
      },
      "additionalInput:Iextra": {
        binding: { kind: "additionalInput", name: "Iextra" },
        type: "float",
        written: false,
        ref: { kind: "additionalInput", population: a, name: "Iextra" },
      },
      "var:n": {
        binding: { kind: "var", name: "n" },
        type: "int",
        written: false,
        ref: { kind: "var", owner, role: "neuron", name: "n", type: "int", batched: true },
      },
    });
    // params, built-ins and Isyn are not storage
    expect(site.usage.loads.map((l) => l.binding.kind)).toContain("param");
    const post = neurons("a").sites[5] as NeuronSideSite;
    expect(post.storage.get("postVar:y")?.ref).toMatchObject({
      owner: { kind: "projection", index: 3 },
      role: "post",
    });
    expect(post.storage.get("neuronVarRef:post:V")?.ref).toMatchObject({ owner, role: "neuron" });
    const dynamics = program.synapses[3]!.synapseDynamics!;
    expect(dynamics.usage.calls).toContain("addToPre");
    expect(dynamics.storage.get("neuronVarRef:post:V")?.ref).toMatchObject({ owner });
    expect(dynamics.storage.get("var:g")?.ref).toMatchObject({
      owner: { kind: "projection", index: 3 },
      role: "synapse",
    });
  });

  it("types what addToPost and addToPre add to: a postsynaptic input or an additional input", () => {
    expect(program.synapses[0]!.preSpike?.addToPost).toEqual({
      kind: "additionalInput",
      population: index("a"),
      name: "Iextra",
    });
    expect(program.synapses[1]!.preSpike?.addToPost).toEqual({ kind: "inSyn", projection: 1 });
    expect(program.synapses[0]!.preSpike?.addToPre).toBeNull();
    const feedback = program.synapses[3]!;
    expect(feedback.synapseDynamics?.addToPre).toEqual({
      kind: "additionalInput",
      population: index("b"),
      name: "Iextra",
    });
    expect(feedback.preSpike?.addToPre).toEqual(feedback.synapseDynamics?.addToPre);
    // the postSpike pass has the same targets as the projection's other sites
    expect(neurons("b").postSpike[0]!.addToPost).toEqual({ kind: "inSyn", projection: 2 });
  });

  it("gives a spike source array its spike site, and the delay and postSpike passes", () => {
    expect(neurons("in").sites.map((s) => s.kind)).toEqual(["spikeSource", "zeroInputs"]);
    const delayed = program.synapses[1] as SynapseStep;
    expect(delayed.preSpike?.delayed).toBe(true);
    expect(program.synapses[0]!.preSpike?.delayed).toBe(false);
    expect(program.synapses[0]!.synapseDynamics).toBeNull();
    // STDP's postSpike code runs after b's update; a's incoming projections have none
    expect(neurons("b").postSpike.map((s) => [s.projection, s.code.hook])).toEqual([
      [2, "postSpike"],
    ]);
    expect(neurons("a").postSpike).toEqual([]);
  });

  it("has a site per custom update: its code, random field, slots, reductions and typed storage", () => {
    expect(program.customUpdates.map((c) => c.update)).toEqual([0, 1]);
    const peak = program.customUpdates[0]!;
    expect(peak.kind).toBe("customUpdate");
    expect([peak.code.hook, peak.code.field]).toEqual(["update", RANDOM_FIELD.customUpdate]);
    expect(peak.usage.random).toBe(true);
    expect(peak.rngStream).toBe(plan.customUpdates[0]!.rngStream);
    const a = { kind: "population", index: index("a") };
    // own variables, then references, each with where it lives and what the code does with it
    expect(
      peak.slots.map((s) => [s.binding.kind, s.binding.name, s.reduction, s.used, s.written]),
    ).toEqual([
      ["var", "vmax", { over: "neuron", op: "max" }, true, true],
      ["var", "spare", null, false, false],
      ["varRef", "V", null, true, false],
      ["varRef", "gSum", { over: "batch", op: "sum" }, true, true],
    ]);
    expect(peak.slots.map((s) => s.ref)).toEqual([
      {
        kind: "var",
        owner: { kind: "customUpdate", index: 0 },
        role: "customUpdate",
        name: "vmax",
        type: "float",
        batched: true,
      },
      {
        kind: "var",
        owner: { kind: "customUpdate", index: 0 },
        role: "customUpdate",
        name: "spare",
        type: "float",
        batched: true,
      },
      { kind: "var", owner: a, role: "neuron", name: "V", type: "float", batched: true },
      {
        kind: "var",
        owner: { kind: "projection", index: 1 },
        role: "synapse",
        name: "g",
        type: "float",
        batched: false,
      },
    ]);
    // the storage map holds what the code names, as the other sites' do
    expect([...peak.storage.keys()]).toEqual(["var:vmax", "varRef:V", "varRef:gSum"]);
    expect(peak.storage.get("varRef:V")?.ref).toBe(
      customUpdateSlot(peak, { kind: "varRef", name: "V" }).ref,
    );
    const scale = program.customUpdates[1]!;
    expect(scale.usage.random).toBe(false);
    expect(customUpdateSlot(scale, { kind: "varRef", name: "g" })).toMatchObject({
      written: true,
      reduction: null,
      ref: { owner: { kind: "projection", index: 1 }, role: "synapse", name: "g" },
    });
    expect(customUpdateSlot(scale, { kind: "varRef", name: "top" }).ref).toMatchObject({
      owner: { kind: "customUpdate", index: 0 },
      role: "customUpdate",
      name: "spare",
    });
    expect(() => customUpdateSlot(scale, { kind: "var", name: "none" })).toThrow(/no var 'none'/);
  });
});
