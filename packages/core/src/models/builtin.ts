import type { NeuronModel, PostsynapticModel, WeightUpdateModel } from "./types";

/**
 * Leaky integrate-and-fire neuron, integrated exactly over each step:
 *
 *   V(t) = Vrest + Rm (Isyn + Ioffset) + (V(t-1) - Vrest - Rm (Isyn + Ioffset)) exp(-dt / TauM)
 *
 * with Rm = TauM / C (MOhm). A spike when V >= Vthresh outside the refractory period, then
 * V = Vreset and the neuron stays refractory (V clamped) for TauRefrac ms.
 * Units: V in mV, Isyn in nA, C in nF, times in ms.
 */
export const LIF: NeuronModel = {
  kind: "neuron",
  name: "LIF",
  params: {
    C: { default: 1, doc: "membrane capacitance, nF" },
    TauM: { default: 20, doc: "membrane time constant, ms" },
    Vrest: { default: -70, doc: "resting potential, mV" },
    Vreset: { default: -70, doc: "reset potential, mV" },
    Vthresh: { default: -50, doc: "spike threshold, mV" },
    Ioffset: { default: 0, doc: "constant input current, nA" },
    TauRefrac: { default: 2, doc: "refractory period, ms" },
  },
  derivedParams: {
    ExpTC: { compute: (p, dt) => Math.exp(-dt / p.TauM!), doc: "exp(-dt / TauM)" },
    Rmembrane: { compute: (p) => p.TauM! / p.C!, doc: "membrane resistance, MOhm" },
  },
  vars: {
    V: { init: -70, doc: "membrane potential, mV" },
    RefracTime: { init: 0, doc: "refractory time left, ms" },
  },
  sim: `
if (RefracTime <= 0.0) {
  let Vinf = Vrest + Rmembrane * (Isyn + Ioffset);
  V = Vinf + (V - Vinf) * ExpTC;
} else {
  RefracTime -= dt;
}`,
  threshold: "RefracTime <= 0.0 && V >= Vthresh",
  reset: `
V = Vreset;
RefracTime = TauRefrac;`,
};

/**
 * Adaptive LIF neuron in the discrete-time form of e-prop (Bellec et al. 2020), see
 * @snn/eprop's docs/equations.md section 1. Dimensionless voltage; each step:
 *
 *   A(t) = Rho A(t-1) + Z(t-1)                        (Rho = exp(-dt / TauAdap))
 *   V(t) = Alpha V(t-1) + Isyn - Vthresh Z(t-1)        (Alpha = exp(-dt / TauM); reset by subtraction, one step later)
 *   spike Z(t) = 1 when V(t) > Vthresh + Beta A(t), and not refractory
 *
 * After a spike the neuron cannot spike for TauRefrac ms (V keeps integrating). With Beta = 0
 * this is the LIF neuron of e-prop.
 */
export const ALIF: NeuronModel = {
  kind: "neuron",
  name: "ALIF",
  params: {
    TauM: { default: 20, doc: "membrane time constant, ms" },
    TauAdap: { default: 2000, doc: "threshold adaptation time constant, ms" },
    Vthresh: { default: 0.6, doc: "baseline threshold (dimensionless)" },
    Beta: { default: 0.0174, doc: "adaptation strength (dimensionless)" },
    TauRefrac: { default: 5, doc: "refractory period, ms" },
  },
  derivedParams: {
    Alpha: { compute: (p, dt) => Math.exp(-dt / p.TauM!), doc: "exp(-dt / TauM)" },
    Rho: { compute: (p, dt) => Math.exp(-dt / p.TauAdap!), doc: "exp(-dt / TauAdap)" },
  },
  vars: {
    V: { doc: "membrane potential (dimensionless)" },
    A: { doc: "threshold adaptation (dimensionless)" },
    Z: { doc: "1 in the step after a spike, else 0" },
    RefracTime: { doc: "refractory time left, ms" },
  },
  sim: `
A = Rho * A + Z;
V = Alpha * V + Isyn - Vthresh * Z;
Z = 0.0;
if (RefracTime > 0.0) {
  RefracTime -= dt;
}`,
  threshold: "RefracTime <= 0.0 && V > Vthresh + Beta * A",
  reset: `
Z = 1.0;
RefracTime = TauRefrac;`,
};

/**
 * Leaky-integrator readout (no spikes), bias inside the leak:
 *   Y(t) = Kappa Y(t-1) + Isyn + Bias,   Kappa = exp(-dt / TauOut).
 */
export const LeakyIntegrator: NeuronModel = {
  kind: "neuron",
  name: "LeakyIntegrator",
  params: {
    TauOut: { default: 20, doc: "output time constant, ms" },
    Bias: { default: 0, doc: "constant input added every step" },
  },
  derivedParams: {
    Kappa: { compute: (p, dt) => Math.exp(-dt / p.TauOut!), doc: "exp(-dt / TauOut)" },
  },
  vars: { Y: { doc: "readout value" } },
  sim: "Y = Kappa * Y + Isyn + Bias;",
};

/** Emits the spikes given per batch element by `Runtime.setSpikeEvents`. */
export const SpikeSourceArray: NeuronModel = {
  kind: "neuron",
  name: "SpikeSourceArray",
  source: "spikeSourceArray",
};

/**
 * Izhikevich (2003) neuron, a quadratic integrate-and-fire model with a recovery variable:
 *
 *   dV/dt = 0.04 V^2 + 5 V + 140 - U + I        dU/dt = a (b V - U)        I = Isyn + Ioffset
 *
 * integrated with two Euler half steps for V and one step for U per timestep (V clamped at
 * 30 mV). A spike when V >= 30 mV, then V = c and U += d. Units: V in mV, I in the model's
 * dimensionless current, t in ms. The defaults are the regular-spiking cortical neuron
 * (a 0.02, b 0.2, c -65, d 8); chattering is (0.02, 0.2, -50, 2), fast spiking (0.1, 0.2, -65, 2).
 */
export const Izhikevich: NeuronModel = {
  kind: "neuron",
  name: "Izhikevich",
  params: {
    a: { default: 0.02, doc: "time scale of the recovery variable U, 1/ms" },
    b: { default: 0.2, doc: "sensitivity of U to V" },
    c: { default: -65, doc: "reset potential, mV" },
    d: { default: 8, doc: "reset increment of U" },
    Ioffset: { default: 0, doc: "constant input current" },
  },
  vars: {
    V: { init: -65, doc: "membrane potential, mV" },
    U: { init: -13, doc: "recovery variable" },
  },
  sim: `
let I = Isyn + Ioffset;
V += 0.5 * dt * (0.04 * V * V + 5.0 * V + 140.0 - U + I);
V += 0.5 * dt * (0.04 * V * V + 5.0 * V + 140.0 - U + I);
U += dt * a * (b * V - U);
V = min(V, 30.0);`,
  threshold: "V >= 30.0",
  reset: `
V = c;
U += d;`,
};

/** Poisson spike source: a spike in each step with probability Rate dt / 1000 (Rate in Hz, dt in ms). */
export const Poisson: NeuronModel = {
  kind: "neuron",
  name: "Poisson",
  params: { Rate: { doc: "firing rate, Hz" } },
  derivedParams: {
    SpikeProbability: {
      compute: (p, dt) => (p.Rate! * dt) / 1000,
      doc: "probability of a spike per step",
    },
  },
  threshold: "uniform() < SpikeProbability",
};

/** Delta synapses: this step's input goes into Isyn as it is. */
export const DeltaCurr: PostsynapticModel = {
  kind: "postsynaptic",
  name: "DeltaCurr",
  apply: "Isyn += inSyn;",
};

/**
 * Exponential current synapses: X(t) = ExpDecay X(t-1) + inSyn(t), Isyn += X(t), with
 * ExpDecay = exp(-dt / Tau): each input jumps the current by its weight, which then decays.
 */
export const ExpCurr: PostsynapticModel = {
  kind: "postsynaptic",
  name: "ExpCurr",
  params: { Tau: { default: 5, doc: "synaptic time constant, ms" } },
  derivedParams: {
    ExpDecay: { compute: (p, dt) => Math.exp(-dt / p.Tau!), doc: "exp(-dt / Tau)" },
  },
  vars: { X: { doc: "synaptic current" } },
  apply: `
X = ExpDecay * X + inSyn;
Isyn += X;`,
};

/** Static synapses: each presynaptic spike adds the weight `g` (shared by the batch) to the target. */
export const StaticPulse: WeightUpdateModel = {
  kind: "weightUpdate",
  name: "StaticPulse",
  vars: { g: { access: "readOnly", doc: "weight" } },
  preSpike: "addToPost(g);",
};

/**
 * Pair-based additive STDP (Song, Miller & Abbott 2000) with exponential traces, learning on a
 * weight `g` per batch element:
 *
 *   presynaptic spike arrives:  deliver g, then g <- clamp(g - Aminus Ypost, Wmin, Wmax)   (post before pre: depression)
 *   postsynaptic spike:         g <- clamp(g + Aplus Xpre, Wmin, Wmax)                     (pre before post: potentiation)
 *
 * with the traces Xpre (per presynaptic neuron: +1 at its spike, decaying with TauPlus) and
 * Ypost (per postsynaptic neuron: +1, TauMinus), both updated right after their neuron's
 * update. Units: times in ms; g in the postsynaptic model's input units. Runs on the CPU and
 * WebGPU backends.
 */
export const STDP: WeightUpdateModel = {
  kind: "weightUpdate",
  name: "STDP",
  params: {
    TauPlus: { default: 20, doc: "presynaptic trace time constant, ms" },
    TauMinus: { default: 20, doc: "postsynaptic trace time constant, ms" },
    Aplus: { default: 0.01, doc: "potentiation per pairing" },
    Aminus: { default: 0.0105, doc: "depression per pairing" },
    Wmin: { default: 0, doc: "smallest weight" },
    Wmax: { default: 1, doc: "largest weight" },
  },
  derivedParams: {
    DecayPlus: { compute: (p, dt) => Math.exp(-dt / p.TauPlus!), doc: "exp(-dt / TauPlus)" },
    DecayMinus: { compute: (p, dt) => Math.exp(-dt / p.TauMinus!), doc: "exp(-dt / TauMinus)" },
  },
  vars: { g: { init: 0.5, access: "readWrite", doc: "weight (per batch element: it learns)" } },
  preVars: { Xpre: { doc: "presynaptic trace" } },
  postVars: { Ypost: { doc: "postsynaptic trace" } },
  preSpike: `
addToPost(g);
g = clamp(g - Aminus * Ypost, Wmin, Wmax);`,
  postSpike: "g = clamp(g + Aplus * Xpre, Wmin, Wmax);",
  preSpikeCode: "Xpre += 1.0;",
  postSpikeCode: "Ypost += 1.0;",
  preDynamics: "Xpre *= DecayPlus;",
  postDynamics: "Ypost *= DecayMinus;",
};

/** The built-in models by name, for networks that name models as strings. */
export const builtinModels = {
  LIF,
  ALIF,
  Izhikevich,
  LeakyIntegrator,
  SpikeSourceArray,
  Poisson,
  DeltaCurr,
  ExpCurr,
  StaticPulse,
  STDP,
} as const;
