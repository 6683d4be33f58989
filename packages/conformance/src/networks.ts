/**
 * The canonical networks of the conformance suite. Each builder returns a plain
 * `Network` from @snn/core plus what a case needs to know about it (inputs, expected values),
 * so that a backend's own tests or examples can reuse them.
 */
import {
  ALIF,
  ExpCurr,
  LeakyIntegrator,
  LIF,
  Network,
  Poisson,
  seededRandom,
  SpikeSourceArray,
  StaticPulse,
  type CustomUpdateModel,
  type SpikeEvents,
  type WeightUpdateModel,
} from "@snn/core";

/** Default LIF parameters of @snn/core (mV, nA, nF, ms). */
export const LIF_DEFAULTS = {
  C: 1,
  TauM: 20,
  Vrest: -70,
  Vreset: -70,
  Vthresh: -50,
  TauRefrac: 2,
} as const;

/** Constant currents (nA) of the three populations of {@link lifConstantInputNetwork}. */
export const LIF_CONSTANT_CURRENTS = [1.1, 1.5, 2.5] as const;

/** Three LIF populations `lif0..2`, each driven by one of {@link LIF_CONSTANT_CURRENTS} (nA), recording spikes. */
export function lifConstantInputNetwork(): Network {
  const net = new Network({ dt: 1, name: "lif-constant-input" });
  LIF_CONSTANT_CURRENTS.forEach((current, k) => {
    net.addPopulation(`lif${k}`, {
      model: LIF,
      size: 2,
      params: { Ioffset: current },
      recordSpikes: true,
    });
  });
  return net;
}

/** Refractory periods (ms) of the populations `refrac0..3` of {@link lifRefractoryNetwork}. */
export const LIF_REFRACTORY_PERIODS = [0, 2, 2.5, 5] as const;

/** LIF populations with a strong input (they spike whenever they may) and different refractory periods. */
export function lifRefractoryNetwork(): Network {
  const net = new Network({ dt: 1, name: "lif-refractory" });
  LIF_REFRACTORY_PERIODS.forEach((refractory, k) => {
    net.addPopulation(`refrac${k}`, {
      model: LIF,
      size: 1,
      params: { Ioffset: 50, TauRefrac: refractory },
      recordSpikes: true,
    });
  });
  return net;
}

/** Parameters of the ALIF neuron of {@link alifAdaptationNetwork}. */
export const ALIF_PARAMS = {
  TauM: 20,
  TauAdap: 200,
  Vthresh: 0.6,
  Beta: 0.3,
  TauRefrac: 5,
} as const;
/** Input of {@link alifAdaptationNetwork}: weight per step and number of input steps. */
export const ALIF_INPUT = { weight: 0.1, steps: 120 } as const;

/**
 * One ALIF neuron driven by a constant input (`ALIF_INPUT.weight` per step for
 * `ALIF_INPUT.steps` steps, through a 0-delay projection from a spike source that fires every
 * step), so that its threshold adapts and then decays.
 */
export function alifAdaptationNetwork(): { network: Network; events: SpikeEvents[] } {
  const net = new Network({ dt: 1, name: "alif-adaptation" });
  net.addPopulation("input", { model: SpikeSourceArray, size: 1 });
  net.addPopulation("alif", {
    model: ALIF,
    size: 1,
    params: { ...ALIF_PARAMS },
    recordSpikes: true,
  });
  net.addProjection("drive", {
    pre: "input",
    post: "alif",
    model: StaticPulse,
    connectivity: { kind: "dense" },
    init: { g: ALIF_INPUT.weight },
    delaySteps: 0,
  });
  const steps = Int32Array.from({ length: ALIF_INPUT.steps }, (_, s) => s);
  return { network: net, events: [{ steps, units: new Int32Array(steps.length) }] };
}

/** Random spike events: each unit fires with `probability` per step, for each batch element. */
export function randomSpikeEvents(
  size: number,
  steps: number,
  batchSize: number,
  probability: number,
  seed: number,
): SpikeEvents[] {
  const random = seededRandom(seed);
  return Array.from({ length: batchSize }, () => {
    const stepList: number[] = [];
    const unitList: number[] = [];
    for (let s = 0; s < steps; s++) {
      for (let u = 0; u < size; u++) {
        if (random.uniform() < probability) {
          stepList.push(s);
          unitList.push(u);
        }
      }
    }
    return { steps: Int32Array.from(stepList), units: Int32Array.from(unitList) };
  });
}

/** A random sparse connectivity as (pre, post, weight) lists, sorted by pre then post. */
export function randomConnectivity(
  nPre: number,
  nPost: number,
  probability: number,
  weightRange: readonly [number, number],
  seed: number,
): { pre: number[]; post: number[]; weights: number[] } {
  const random = seededRandom(seed);
  const pre: number[] = [];
  const post: number[] = [];
  const weights: number[] = [];
  for (let i = 0; i < nPre; i++) {
    for (let j = 0; j < nPost; j++) {
      if (random.uniform() < probability) {
        pre.push(i);
        post.push(j);
        weights.push(weightRange[0] + (weightRange[1] - weightRange[0]) * random.uniform());
      }
    }
  }
  return { pre, post, weights };
}

/** The same sparse connectivity as a dense weight matrix (zeros where there is no synapse). */
export function denseWeights(
  nPre: number,
  nPost: number,
  sparse: { pre: number[]; post: number[]; weights: number[] },
): Float32Array {
  const dense = new Float32Array(nPre * nPost);
  sparse.weights.forEach((w, s) => {
    dense[sparse.pre[s]! * nPost + sparse.post[s]!] = w;
  });
  return dense;
}

/**
 * Two copies of one input-driven recurrent LIF network: `hiddenDense` wired with dense
 * projections (zero weights where there is no synapse) and `hiddenSparse` with the same
 * synapses as sparse projections.
 */
export function denseSparseNetwork(batchSize = 1): {
  network: Network;
  events: SpikeEvents[];
  steps: number;
} {
  const nIn = 20;
  const nHidden = 30;
  const steps = 150;
  const net = new Network({ dt: 1, batchSize, name: "dense-sparse" });
  net.addPopulation("input", { model: SpikeSourceArray, size: nIn });
  const feedforward = randomConnectivity(nIn, nHidden, 0.3, [0, 6], 11);
  const recurrent = randomConnectivity(nHidden, nHidden, 0.2, [-3, 3], 12);
  for (const kind of ["Dense", "Sparse"] as const) {
    net.addPopulation(`hidden${kind}`, {
      model: LIF,
      size: nHidden,
      params: { Ioffset: 0.9 },
      recordSpikes: true,
    });
    const connectivity = (c: typeof feedforward) =>
      kind === "Dense"
        ? ({ kind: "dense" } as const)
        : ({ kind: "sparse", pre: c.pre, post: c.post } as const);
    net.addProjection(`input_hidden${kind}`, {
      pre: "input",
      post: `hidden${kind}`,
      model: StaticPulse,
      connectivity: connectivity(feedforward),
      init: { g: kind === "Dense" ? denseWeights(nIn, nHidden, feedforward) : feedforward.weights },
    });
    net.addProjection(`recurrent${kind}`, {
      pre: `hidden${kind}`,
      post: `hidden${kind}`,
      model: StaticPulse,
      connectivity: connectivity(recurrent),
      init: { g: kind === "Dense" ? denseWeights(nHidden, nHidden, recurrent) : recurrent.weights },
      postsynaptic: ExpCurr,
    });
  }
  return { network: net, events: randomSpikeEvents(nIn, steps, batchSize, 0.15, 13), steps };
}

/** Weights of the one-to-one projections of {@link oneToOneNetwork}: neuron i gets 0.1 (i + 1). */
export const ONE_TO_ONE_SIZE = 10;

/**
 * A spike source of {@link ONE_TO_ONE_SIZE} neurons projecting one-to-one (weight 0.1 (i + 1),
 * delay 0) into `direct`, and through the equivalent sparse diagonal into `diagonal`.
 */
export function oneToOneNetwork(): { network: Network; events: SpikeEvents[] } {
  const n = ONE_TO_ONE_SIZE;
  const net = new Network({ dt: 1, name: "one-to-one" });
  net.addPopulation("input", { model: SpikeSourceArray, size: n });
  const weights = Array.from({ length: n }, (_, i) => 0.1 * (i + 1));
  for (const [name, connectivity] of [
    ["direct", { kind: "oneToOne" } as const],
    [
      "diagonal",
      { kind: "sparse", pre: weights.map((_, i) => i), post: weights.map((_, i) => i) } as const,
    ],
  ] as const) {
    net.addPopulation(name, { model: LIF, size: n, recordSpikes: true });
    net.addProjection(`input_${name}`, {
      pre: "input",
      post: name,
      model: StaticPulse,
      connectivity,
      init: { g: weights },
      delaySteps: 0,
    });
  }
  // Even neurons spike at step 2, odd ones at step 4.
  const steps = Int32Array.from(weights.map((_, i) => (i % 2 === 0 ? 2 : 4))).sort();
  const units = Int32Array.from(
    [...weights.keys()]
      .filter((i) => i % 2 === 0)
      .concat([...weights.keys()].filter((i) => i % 2 === 1)),
  );
  return { network: net, events: [{ steps, units }] };
}

/**
 * A recurrent network with LIF and ALIF populations, exponential synapses and a leaky
 * readout, driven by a spike source; used for batch independence and long runs.
 */
export function recurrentNetwork(
  batchSize: number,
  options: { input?: "spikeSource" | "poisson"; seed?: number } = {},
): Network {
  const net = new Network({ dt: 1, batchSize, seed: options.seed ?? 5, name: "recurrent" });
  const nIn = 16;
  if (options.input === "poisson")
    net.addPopulation("input", {
      model: Poisson,
      size: nIn,
      params: { Rate: 40 },
      recordSpikes: true,
    });
  else net.addPopulation("input", { model: SpikeSourceArray, size: nIn, recordSpikes: true });
  net.addPopulation("lif", { model: LIF, size: 24, params: { Ioffset: 0.8 }, recordSpikes: true });
  net.addPopulation("alif", {
    model: ALIF,
    size: 24,
    params: { Beta: 0.2, TauAdap: 300 },
    recordSpikes: true,
  });
  net.addPopulation("readout", { model: LeakyIntegrator, size: 3 });
  const project = (
    name: string,
    pre: string,
    post: string,
    nPre: number,
    nPost: number,
    p: number,
    range: [number, number],
    seed: number,
    exp = false,
  ): void => {
    const c = randomConnectivity(nPre, nPost, p, range, seed);
    net.addProjection(name, {
      pre,
      post,
      model: StaticPulse,
      connectivity: { kind: "sparse", pre: c.pre, post: c.post },
      init: { g: c.weights },
      ...(exp ? { postsynaptic: ExpCurr, postsynapticParams: { Tau: 5 } } : {}),
    });
  };
  project("input_lif", "input", "lif", nIn, 24, 0.4, [0, 8], 21);
  project("input_alif", "input", "alif", nIn, 24, 0.4, [0, 0.4], 22);
  project("lif_lif", "lif", "lif", 24, 24, 0.2, [-4, 4], 23, true);
  project("lif_alif", "lif", "alif", 24, 24, 0.2, [-0.1, 0.2], 24);
  project("alif_alif", "alif", "alif", 24, 24, 0.2, [-0.2, 0.2], 25);
  project("alif_lif", "alif", "lif", 24, 24, 0.2, [-2, 4], 26, true);
  project("lif_readout", "lif", "readout", 24, 3, 1, [-0.5, 0.5], 27);
  project("alif_readout", "alif", "readout", 24, 3, 1, [-0.5, 0.5], 28);
  return net;
}

/**
 * A chain that shows when spikes arrive: `source` (fires at step 3) -> `a` (delay 0) -> `b`
 * (delay 1) -> `c` (delay 0). `c` is declared before `b`, so the plan must reorder them for
 * the 0-delay projection; `a` updates before `b` in each step, so the delay-1 projection must
 * take `a`'s spikes of the previous step, not this step's. Each connection is strong enough
 * that one spike makes the target spike at once.
 */
export function delayChainNetwork(): {
  network: Network;
  events: SpikeEvents[];
  inputStep: number;
} {
  const net = new Network({ dt: 1, name: "delay-chain" });
  net.addPopulation("source", { model: SpikeSourceArray, size: 1, recordSpikes: true });
  for (const name of ["a", "c", "b"])
    net.addPopulation(name, { model: LIF, size: 1, recordSpikes: true });
  const strong = { model: StaticPulse, connectivity: { kind: "dense" } as const, init: { g: 100 } };
  net.addProjection("b_c", { pre: "b", post: "c", ...strong, delaySteps: 0 });
  net.addProjection("a_b", { pre: "a", post: "b", ...strong, delaySteps: 1 });
  net.addProjection("source_a", { pre: "source", post: "a", ...strong, delaySteps: 0 });
  const inputStep = 3;
  return {
    network: net,
    events: [{ steps: Int32Array.of(inputStep), units: Int32Array.of(0) }],
    inputStep,
  };
}

/** Poisson population for statistics: `size` neurons at `rate` Hz, dt 1 ms. */
export function poissonNetwork(
  size: number,
  rate: number,
  batchSize: number,
  seed: number,
): Network {
  const net = new Network({ dt: 1, batchSize, seed, name: "poisson" });
  net.addPopulation("poisson", {
    model: Poisson,
    size,
    params: { Rate: rate },
    recordSpikes: true,
  });
  return net;
}

/** Custom update with every reduction of a batched neuron variable (reduce into its own vars). */
export const ReduceAll: CustomUpdateModel = {
  kind: "customUpdate",
  name: "ReduceAll",
  vars: {
    BatchSum: { access: "reduceBatchSum" },
    BatchMax: { access: "reduceBatchMax" },
    NeuronSum: { access: "reduceNeuronSum" },
    NeuronMax: { access: "reduceNeuronMax" },
  },
  varRefs: { X: { access: "readOnly" } },
  update: "BatchSum = X; BatchMax = X; NeuronSum = X; NeuronMax = X;",
};

/** Gradient-style batch reduction into a shared variable of a projection. */
export const ReduceGradient: CustomUpdateModel = {
  kind: "customUpdate",
  name: "ReduceGradient",
  varRefs: { Gradient: { access: "readOnly" }, Total: { access: "reduceBatchSum" } },
  update: "Total = Gradient;",
};

/** Applies a shared total to a shared weight: g -= Rate * Total. */
export const ApplyGradient: CustomUpdateModel = {
  kind: "customUpdate",
  name: "ApplyGradient",
  params: { Rate: { default: 0.5 } },
  varRefs: { g: {}, Total: { access: "readOnly" } },
  update: "g -= Rate * Total;",
};

/** Sets a batched neuron variable from `id` and `batch`. */
export const SetFromIndex: CustomUpdateModel = {
  kind: "customUpdate",
  name: "SetFromIndex",
  varRefs: { X: {} },
  update: "X = -60.0 + float(id) + 10.0 * float(batch);",
};

/** A weight-update model with a shared weight, a per-batch gradient and a shared gradient total. */
export const GradientSynapse: WeightUpdateModel = {
  kind: "weightUpdate",
  name: "GradientSynapse",
  vars: { g: { access: "readOnly" }, Gradient: {}, Total: { access: "readOnly" } },
  preSpike: "addToPost(g);",
};

/** Sizes of {@link customUpdateNetwork}. */
export const CUSTOM_UPDATE_SHAPE = { batchSize: 3, neurons: 5, pre: 2 } as const;

/**
 * A LIF population `n` with custom updates: group `reduce` (every reduction of V), group
 * `gradient` (batch sum of a per-batch synapse gradient into a shared total), group `apply`
 * (shared weight update) and group `set` (writes V from id and batch).
 */
export function customUpdateNetwork(): Network {
  const { batchSize, neurons, pre } = CUSTOM_UPDATE_SHAPE;
  const net = new Network({ dt: 1, batchSize, name: "custom-updates" });
  net.addPopulation("src", { model: SpikeSourceArray, size: pre });
  net.addPopulation("n", { model: LIF, size: neurons });
  net.addProjection("syn", {
    pre: "src",
    post: "n",
    model: GradientSynapse,
    connectivity: { kind: "dense" },
    init: { g: 1 },
  });
  net.addCustomUpdate("reduceV", {
    group: "reduce",
    model: ReduceAll,
    varRefs: { X: { owner: "n", var: "V" } },
  });
  net.addCustomUpdate("reduceGradient", {
    group: "gradient",
    model: ReduceGradient,
    varRefs: { Gradient: { owner: "syn", var: "Gradient" }, Total: { owner: "syn", var: "Total" } },
  });
  net.addCustomUpdate("applyGradient", {
    group: "apply",
    model: ApplyGradient,
    varRefs: { g: { owner: "syn", var: "g" }, Total: { owner: "syn", var: "Total" } },
  });
  net.addCustomUpdate("setV", {
    group: "set",
    model: SetFromIndex,
    varRefs: { X: { owner: "n", var: "V" } },
  });
  return net;
}
