/**
 * The fixture networks of the golden-file tests: backend-wgsl's golden WGSL and backend-cpu's
 * golden JavaScript and WebAssembly come from these networks. Changing one changes the golden
 * files of both backends (regenerate them on purpose and review the diff).
 */
import {
  ALIF,
  ExpCurr,
  LeakyIntegrator,
  LIF,
  Network,
  Poisson,
  SpikeSourceArray,
  StaticPulse,
  STDP,
  type CustomUpdateModel,
  type WeightUpdateModel,
} from "@snn/core";

/** Every built-in neuron model and connectivity (the golden files of both backends). */
export function builtinNetwork(): Network {
  const net = new Network({ dt: 1, batchSize: 4, seed: 1234, name: "builtins" });
  net.addPopulation("input", { model: SpikeSourceArray, size: 8 });
  net.addPopulation("noise", { model: Poisson, size: 8, params: { Rate: 20 } });
  net.addPopulation("lif", { model: LIF, size: 16, recordSpikes: true });
  net.addPopulation("alif", { model: ALIF, size: 16, recordSpikes: true });
  net.addPopulation("readout", { model: LeakyIntegrator, size: 4 });
  net.addProjection("input_lif", {
    pre: "input",
    post: "lif",
    model: StaticPulse,
    connectivity: { kind: "dense" },
    init: { g: 0.5 },
    postsynaptic: ExpCurr,
    delaySteps: 0,
  });
  net.addProjection("noise_alif", {
    pre: "noise",
    post: "alif",
    model: StaticPulse,
    connectivity: { kind: "fixedProbability", probability: 0.5, seed: 1 },
    init: { g: 0.2 },
    delaySteps: 0,
  });
  net.addProjection("lif_alif", {
    pre: "lif",
    post: "alif",
    model: StaticPulse,
    connectivity: { kind: "oneToOne" },
    init: { g: 0.3 },
  });
  net.addProjection("alif_alif", {
    pre: "alif",
    post: "alif",
    model: StaticPulse,
    connectivity: { kind: "fixedProbability", probability: 0.25, seed: 2 },
    init: { g: -0.1 },
  });
  net.addProjection("alif_readout", {
    pre: "alif",
    post: "readout",
    model: StaticPulse,
    connectivity: { kind: "dense" },
    init: { g: 0.1 },
  });
  return net;
}

/** A custom update with a neuron max (a var) and a batch sum (a reference to another population's var). */
export const Reduce: CustomUpdateModel = {
  kind: "customUpdate",
  name: "Reduce",
  vars: { maxV: { access: "reduceNeuronMax" } },
  varRefs: { V: { access: "readOnly" }, sumV: { access: "reduceBatchSum" } },
  update: "maxV = V;\nsumV = V;",
};

/** {@link Reduce} over a LIF population (the golden files of both backends). */
export function reductionNetwork(): Network {
  const net = new Network({ batchSize: 4, name: "reductions" });
  net.addPopulation("lif", { model: LIF, size: 16 });
  net.addPopulation("shared", {
    model: { kind: "neuron", name: "SharedHolder", vars: { V: { access: "readOnly" } } },
    size: 16,
  });
  net.addCustomUpdate("reduce", {
    group: "reduce",
    model: Reduce,
    varRefs: { V: { owner: "lif", var: "V" }, sumV: { owner: "shared", var: "V" } },
  });
  return net;
}

/** Weights that decay every step, with a random kick: code in `synapseDynamics`. */
export const Decaying: WeightUpdateModel = {
  kind: "weightUpdate",
  name: "Decaying",
  vars: { g: { access: "readWrite", init: 0.3 } },
  preSpike: "addToPost(g);",
  synapseDynamics: "g = g * 0.999 + (uniform() < 0.1 ? 1e-4 * normal() : 0.0);",
};

/** A custom update without reductions (it compiles to WebAssembly on the CPU backend). */
export const Shrink: CustomUpdateModel = {
  kind: "customUpdate",
  name: "Shrink",
  params: { Factor: { default: 0.99 } },
  varRefs: { g: { access: "readWrite" } },
  update: "g = clamp(g * Factor + 1e-3 * uniform(), 0.0, 1.0);",
};

/**
 * Learning rules and a custom update, for the CPU backend's WebAssembly synapse and
 * custom-update kernels (backend-cpu's golden files).
 */
export function learningNetwork(): Network {
  const net = new Network({ dt: 0.5, batchSize: 2, seed: 7, name: "learning" });
  net.addPopulation("input", { model: Poisson, size: 8, params: { Rate: 50 } });
  net.addPopulation("exc", { model: LIF, size: 6, recordSpikes: true });
  net.addProjection("stdp_dense", {
    pre: "input",
    post: "exc",
    model: STDP,
    connectivity: { kind: "dense" },
  });
  net.addProjection("stdp_sparse", {
    pre: "exc",
    post: "exc",
    model: STDP,
    connectivity: { kind: "fixedProbability", probability: 0.5, seed: 3 },
  });
  net.addProjection("decaying", {
    pre: "input",
    post: "exc",
    model: Decaying,
    connectivity: { kind: "dense" },
  });
  net.addCustomUpdate("shrink", {
    group: "shrink",
    model: Shrink,
    varRefs: { g: { owner: "stdp_dense", var: "g" } },
  });
  return net;
}
