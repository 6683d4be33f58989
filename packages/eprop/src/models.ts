/**
 * The ordinary core models the e-prop pass emits. Nothing here is backend specific: every
 * model is plain snippet code that any backend passing conformance runs.
 *
 * Timing (see README, "How e-prop maps onto core models"): in step s,
 * - the readout computes pi(s-1) = softmax(y(s-1)) and the error Err(s-1) from the sum of
 *   exp(y_k(s-1) - y_j(s-1)) delivered by its own one-step-delayed projection, and the loss
 *   mask m(s-1) delivered by a one-step-delayed spike source;
 * - the hidden->readout synapses send `addToPre(B_jk Err_k)` to the hidden layer, which sees
 *   the learning signal L(s-3) in step s (it already updated in step s-1 when Err arrived);
 * - the hidden synapses advance their eligibility state for time u = s - 4 from short
 *   per-neuron histories of psi, presynaptic traces and firing rates.
 * A trial of T steps therefore runs T + 4 steps (input silent and mask 0 in the extra steps),
 * which gives exactly the gradient of docs/equations.md.
 *
 * Chunked training (docs/chunked-eprop.md) emits only the forward pass (hidden neurons with
 * psi, the readout's leaky integrator) and runs T steps: the host reads z(u), psi(u) and y(u)
 * after step u and does the rest. Inference with the softmax on the host (the default but on
 * WebGPU) emits the readout's leaky integrator alone too, and the host reads y(u).
 */
import type { CustomUpdateModel, NeuronModel, VarSpec, WeightUpdateModel } from "@snn/core";
import { SOFTMAX_EXPONENT_CAP } from "./readout-softmax";

/**
 * Extra steps a training trial runs after the T steps of the input: the lag between a hidden
 * neuron's state at time u and the synapse update that uses it.
 */
export const TRAIN_EXTRA_STEPS = 4;
/** Extra steps an inference trial with the softmax in the network runs (pi(T-1) is computed in step T). */
export const INFERENCE_EXTRA_STEPS = 1;
/**
 * Extra steps a trial runs where the host computes the softmax from y (chunked training, and
 * inference with `readoutSoftmax: 'host'`): none (the host computes pi(T-1) from y(T-1)).
 */
export const HOST_SOFTMAX_EXTRA_STEPS = 0;

/**
 * Chunked training: a hidden neuron's `PsiSpike` holds psi(s) (>= 0) when it did not spike in
 * step s and -max(psi(s), 2^-126) when it did, so that the host gets z(s) and psi(s) from one
 * read. 2^-126, the smallest normal float32 (never flushed to zero), stands for psi = 0 at a
 * spike; the decoding is exact for every other psi.
 */
export const PSI_SPIKE_FLOOR = 2 ** -126;
const PSI_SPIKE_FLOOR_LITERAL = "1.17549435e-38"; // rounds to 2^-126 in float32

/** Per-neuron psi history length a hidden layer keeps (psi(s-1) .. psi(s-1-k)). */
export function psiSlots(adaptive: boolean): number {
  return adaptive ? 5 : 4;
}
/** Presynaptic trace history slots of an e-prop projection. */
export function traceSlots(adaptive: boolean): number {
  return adaptive ? 6 : 5;
}
/** Firing-rate history slots (regularisation). */
export const RATE_SLOTS = 4;

const batched: VarSpec = { access: "readWrite" };
const shared: VarSpec = { access: "readOnly" };

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

function shift(prefix: string, slots: number): string {
  // prefix{k} = prefix{k-1}, from the oldest down to 1
  return range(slots - 1)
    .map((i) => slots - 1 - i)
    .map((k) => `${prefix}${k} = ${prefix}${k - 1};`)
    .join("\n");
}

/** Variant of the hidden neuron model. */
export interface HiddenModelVariant {
  readonly train: boolean;
  /**
   * Chunked eligibility (docs/chunked-eprop.md): the neuron only computes psi(s) (`Psi0`);
   * learning signal, firing rate and traces are handled on the host.
   */
  readonly chunked?: boolean;
  readonly adaptive: boolean;
  readonly regularise: boolean;
}

/**
 * Hidden LIF/ALIF neuron of docs/equations.md section 1, with (when training) the histories the
 * e-prop synapses read: `Psi0..` (psi(s), psi(s-1), ...), the learning signal `L` (L(s-3) in
 * step s), and the firing-rate estimate `F0..` of the regulariser.
 *
 * Params: Alpha = exp(-dt/tau_m), Rho = exp(-dt/tau_a), Vthresh, PsiScale = gamma / v_th,
 * RefracHold = max(n_ref - 1, 0), AlphaF = exp(-dt/tau_reg), CReg = c_reg, FTargetDt.
 */
export function hiddenNeuronModel(variant: HiddenModelVariant): NeuronModel {
  const { train, adaptive, regularise } = variant;
  const vars: Record<string, VarSpec> = {
    V: { ...batched, doc: "membrane potential v(t)" },
    A: { ...batched, doc: "threshold adaptation a(t)" },
    Z: {
      ...batched,
      doc: "spike z(t) of this step (read in the next step for reset and adaptation)",
    },
    Thr: { ...batched, doc: "adaptive threshold A(t) = v_th + beta a(t)" },
    RefLeft: { ...batched, doc: "refractory steps left" },
    Refractory: { ...batched, doc: "1 while refractory in this step" },
    SpikeCount: { ...batched, doc: "spikes in this trial" },
    Beta: { ...shared, doc: "adaptation strength beta_j" },
  };
  let history = "";
  let rate = "";
  let psi = "";
  let resetExtra = "";
  const chunked = train && variant.chunked === true;
  let simTail = "";
  if (chunked) {
    vars.Psi0 = { ...batched, doc: "pseudo-derivative psi(s) after step s" };
    vars.PsiSpike = {
      ...batched,
      doc: `z(s) and psi(s) in one value for the host: psi(s) without a spike, -max(psi(s), 2^-126) with one`,
    };
    psi = "Psi0 = 0.0;";
    simTail = "PsiSpike = Psi0;";
    resetExtra = `\nPsiSpike = -max(Psi0, ${PSI_SPIKE_FLOOR_LITERAL});`;
  } else if (train) {
    const slots = psiSlots(adaptive);
    for (const k of range(slots)) vars[`Psi${k}`] = { ...batched, doc: `psi(s-${k}) after step s` };
    vars.L = { ...batched, doc: "learning signal L(s-3) seen in step s" };
    history = `${shift("Psi", slots)}\nL = Lin;`;
    if (adaptive) {
      vars.EpsACoef = {
        ...batched,
        doc: "rho - psi(u-1) beta with u = s - 3: what the synapses use in step s + 1",
      };
      vars.PsiBeta = { ...batched, doc: "psi(u) beta" };
      history += "\nEpsACoef = Rho - Psi4 * Beta;\nPsiBeta = Psi3 * Beta;";
    }
    if (regularise) {
      for (const k of range(RATE_SLOTS))
        vars[`F${k}`] = { ...batched, doc: `firing-rate estimate f(s-${k})` };
      vars.RegCoef = { ...batched, doc: "c_reg (f(u) - f_target dt)" };
      rate = `${shift("F", RATE_SLOTS)}\nRegCoef = CReg * (F3 - FTargetDt);\nF0 = AlphaF * F0;`;
      resetExtra = "\nF0 += 1.0 - AlphaF;";
    }
    psi = "Psi0 = 0.0;";
  }
  const psiActive = train ? "Psi0 = PsiScale * max(0.0, 1.0 - abs(V - Thr) / Vthresh);" : "";
  return {
    kind: "neuron",
    name: `EpropHidden${adaptive ? "ALIF" : "LIF"}${chunked ? "Chunked" : train ? (regularise ? "TrainReg" : "Train") : "Infer"}`,
    doc: "Hidden LIF/ALIF neuron of e-prop (docs/equations.md section 1), dimensionless voltage, reset by subtraction one step later.",
    params: {
      Alpha: { doc: "exp(-dt / tau_m)" },
      Rho: { doc: "exp(-dt / tau_a)" },
      Vthresh: { doc: "baseline threshold v_th" },
      PsiScale: { doc: "gamma / v_th" },
      RefracHold: { doc: "max(n_ref - 1, 0): steps a neuron stays refractory after a spike" },
      AlphaF: { default: 0, doc: "exp(-dt / tau_reg)" },
      CReg: { default: 0, doc: "c_reg" },
      FTargetDt: { default: 0, doc: "f_target dt (spikes per step)" },
    },
    vars,
    additionalInputs:
      train && !chunked
        ? { Lin: { doc: "learning signal sum_k B_jk Err_k from the readout synapses (addToPre)" } }
        : {},
    sim: `
${history}
${rate}
A = Rho * A + Z;
V = Alpha * V + Isyn - Vthresh * Z;
Thr = Vthresh + Beta * A;
Z = 0.0;
if (RefLeft > 0.5) {
  RefLeft -= 1.0;
  Refractory = 1.0;
  ${psi}
} else {
  Refractory = 0.0;
  ${psiActive}
}
${simTail}`,
    threshold: "Refractory < 0.5 && V > Thr",
    reset: `
Z = 1.0;
RefLeft = RefracHold;
SpikeCount += 1.0;${resetExtra}`,
  };
}

/**
 * Leaky-integrator readout with bias inside the leak, softmax and loss bookkeeping. In step s
 * it first handles time s-1 (SumExp = sum_j exp(y_j(s-1) - y_k(s-1)), MaskIn = m(s-1)), then
 * advances y. Params: Kappa = exp(-dt/tau_out).
 *
 * With the softmax on the host (`hostSoftmax`: chunked training, and inference with
 * `readoutSoftmax: 'host'`) the readout is only the leaky integrator y: the host reads y(u)
 * after every step u and computes the softmax and the loss, pi and y sums itself
 * (readout-softmax.ts), in training also the error and the bias gradient
 * (chunked/eligibility.ts), so the network has no softmax projection and no loss-mask source.
 * `Pi` then holds pi(s-1) after step s only while a trial is observed step by step (`runTrial`
 * with `afterStep`), written by the host.
 */
export function readoutModel(train: boolean, hostSoftmax = false): NeuronModel {
  if (hostSoftmax) {
    return {
      kind: "neuron",
      name: train ? "EpropReadoutChunked" : "EpropReadoutInferHost",
      doc: `Leaky-integrator readout y(t) = kappa y(t-1) + sum_j W_kj z_j(t) + b_k; softmax${train ? ", loss and gradients on the host (chunked e-prop)" : " and loss on the host"}.`,
      params: { Kappa: { doc: "exp(-dt / tau_out)" } },
      vars: {
        Y: { ...batched, doc: "readout y_k" },
        Pi: {
          ...batched,
          doc: "softmax pi_k(s-1) after step s, written by the host while a trial is observed step by step",
        },
        Bias: { ...shared, doc: "bias b_k" },
        ...(train
          ? {
              BiasGradSum: {
                ...shared,
                doc: "bias gradient summed over batch and time, written by the chunked evaluation",
              },
            }
          : {}),
      },
      sim: "Y = Kappa * Y + Isyn + Bias;",
    };
  }
  const vars: Record<string, VarSpec> = {
    Y: { ...batched, doc: "readout y_k" },
    Pi: { ...batched, doc: "softmax pi_k(s-1) after step s" },
    Target: {
      access: "readOnlyDuplicate",
      doc: "one-hot target pistar_k of the trial (set by the host)",
    },
    LossAcc: { ...batched, doc: "sum_t m(t) (-pistar_k log pi_k(t))" },
    PiAcc: { ...batched, doc: "sum_t m(t) pi_k(t)" },
    YAcc: { ...batched, doc: "sum_t m(t) y_k(t)" },
    Bias: { ...shared, doc: "bias b_k" },
  };
  let gradient = "";
  let leak = "";
  if (train) {
    vars.Err = { ...batched, doc: "error m(s-1) (pi_k(s-1) - pistar_k) after step s" };
    vars.C = { ...batched, doc: "c(t) = kappa c(t-1) + 1 (bias eligibility)" };
    vars.GradBias = { ...batched, doc: "sum_t Err_k(t) c(t)" };
    gradient = "Err = MaskIn * (pi - Target);\nGradBias += Err * C;";
    leak = "C = Kappa * C + 1.0;";
  }
  return {
    kind: "neuron",
    name: train ? "EpropReadoutTrain" : "EpropReadoutInfer",
    doc: "Leaky-integrator readout y(t) = kappa y(t-1) + sum_j W_kj z_j(t) + b_k with softmax cross-entropy bookkeeping.",
    params: { Kappa: { doc: "exp(-dt / tau_out)" } },
    vars,
    additionalInputs: {
      SumExp: { doc: "sum_j exp(y_j(s-1) - y_k(s-1)) from the softmax projection" },
      MaskIn: { doc: "loss mask m(s-1) from the mask source" },
    },
    sim: `
let pi = 1.0 / SumExp;
Pi = pi;
${gradient}
if (Target > 0.0 && MaskIn > 0.0) {
  LossAcc += MaskIn * Target * log(SumExp);
}
PiAcc += MaskIn * pi;
YAcc += MaskIn * Y;
${leak}
Y = Kappa * Y + Isyn + Bias;`,
  };
}

/** Variant of an e-prop weight-update model into a hidden layer. */
export interface HiddenSynapseVariant {
  readonly train: boolean;
  /**
   * Chunked eligibility (docs/chunked-eprop.md): the synapse only carries the weight and the
   * batch-summed gradient `GradSum`, which the host's chunked evaluation writes.
   */
  readonly chunked?: boolean;
  readonly adaptive: boolean;
  readonly regularise: boolean;
  /** Presynaptic population is a spike source (no neuron vars): spikes come through `preSpikeCode`. */
  readonly spikeSourcePre: boolean;
  /** Recurrent within a layer: synapses i -> i are absent (weight and gradient stay 0). */
  readonly noSelf: boolean;
}

/**
 * Weights into a hidden layer with e-prop eligibility (docs/equations.md section 2). In step s
 * the synapse advances its state for time u = s - 4:
 *   eps_a(u) = psi(u-1) eps_v(u-1) + (rho - psi(u-1) beta) eps_a(u-1)
 *   e(u) = psi(u) (eps_v(u) - beta eps_a(u)),  ebar(u) = kappa ebar(u-1) + e(u)
 *   G += L(u) ebar(u) + c_reg (f(u) - f_target dt) e(u)
 * with eps_v(u) in trace slot 4 and eps_v(u-1) in slot 5 (feedforward: slot 0 holds this
 * step's trace xbar(s); recurrent: slot 0 holds zbar(s-1), and eps_v(u) = zbar(u-1)).
 * The per-neuron factors rho - psi(u-1) beta, psi(u) beta and c_reg (f(u) - f_target dt) come
 * from the hidden neuron (`EpsACoef`, `PsiBeta`, `RegCoef`). Params: Alpha (of the post
 * layer), Kappa (of the readout).
 */
export function hiddenSynapseModel(variant: HiddenSynapseVariant): WeightUpdateModel {
  const { train, adaptive, regularise, spikeSourcePre, noSelf } = variant;
  const name = `EpropSynapse${adaptive ? "ALIF" : "LIF"}${spikeSourcePre ? "FromSource" : ""}${noSelf ? "Recurrent" : ""}${train ? (regularise ? "TrainReg" : "Train") : "Infer"}`;
  if (!train) {
    return {
      kind: "weightUpdate",
      name,
      vars: { g: { ...shared, doc: "weight W_ji" } },
      preSpike: "addToPost(g);",
    };
  }
  if (variant.chunked) {
    return {
      kind: "weightUpdate",
      name: `EpropSynapseChunked${noSelf ? "Recurrent" : ""}`,
      doc: "Weight into a hidden layer whose e-prop gradient is evaluated per chunk on the host.",
      vars: {
        g: { ...shared, doc: "weight W_ji" },
        GradSum: {
          ...shared,
          doc: "gradient summed over batch and time, written by the chunked evaluation",
        },
      },
      preSpike: "addToPost(g);",
    };
  }
  const slots = traceSlots(adaptive);
  const vars: Record<string, VarSpec> = {
    g: { ...shared, doc: "weight W_ji" },
    G: { ...batched, doc: "gradient accumulator per batch element" },
    Ebar: { ...batched, doc: "filtered eligibility trace ebar_ji" },
  };
  if (adaptive) vars.EpsA = { ...batched, doc: "adaptation eligibility eps_a_ji" };
  const preVars: Record<string, VarSpec> = {};
  for (const k of range(slots))
    preVars[`P${k}`] = { ...batched, doc: `presynaptic trace history, slot ${k}` };
  if (spikeSourcePre)
    preVars.Spk = { ...batched, doc: "1 when the presynaptic neuron spiked this step" };
  const spike = spikeSourcePre ? "Spk" : "Z_pre";
  const reg = regularise ? " + RegCoef_post * e" : "";
  const body = adaptive
    ? `EpsA = Psi4_post * P5 + EpsACoef_post * EpsA;
let e = Psi3_post * P4 - PsiBeta_post * EpsA;
Ebar = Kappa * Ebar + e;
G += L_post * Ebar${reg};`
    : `let e = Psi3_post * P4;
Ebar = Kappa * Ebar + e;
G += L_post * Ebar${reg};`;
  return {
    kind: "weightUpdate",
    name,
    doc: "e-prop synapse into a hidden layer: forward weight, eligibility traces and gradient accumulator.",
    params: {
      Alpha: { doc: "exp(-dt / tau_m) of the postsynaptic layer" },
      Kappa: { doc: "exp(-dt / tau_out) of the readout" },
    },
    vars,
    preVars,
    preSpike: "addToPost(g);",
    ...(spikeSourcePre ? { preSpikeCode: "Spk = 1.0;" } : {}),
    preDynamics: `${shift("P", slots)}\nP0 = Alpha * P0 + ${spike};${spikeSourcePre ? "\nSpk = 0.0;" : ""}`,
    synapseDynamics: noSelf ? `if (id_pre != id_post) {\n${body}\n}` : body,
  };
}

/**
 * Hidden -> readout weights. Forward: `addToPost(g)` with no delay (y(t) uses z(t)). Training:
 * the exact readout gradient G += Err_k(s-2) zbar^kappa_j(s-2) and the learning signal
 * `addToPre(B_jk Err_k)` into the hidden layer, with B = g (symmetric) or a fixed `B`
 * (random feedback).
 */
export function readoutSynapseModel(
  train: boolean,
  randomFeedback: boolean,
  chunked = false,
): WeightUpdateModel {
  const name = `EpropReadoutSynapse${train ? (randomFeedback ? "TrainRandom" : "TrainSymmetric") : "Infer"}${chunked ? "Chunked" : ""}`;
  if (!train) {
    return {
      kind: "weightUpdate",
      name,
      vars: { g: { ...shared, doc: "readout weight W_kj" } },
      preSpike: "addToPost(g);",
    };
  }
  if (chunked) {
    return {
      kind: "weightUpdate",
      name,
      doc: "Hidden -> readout weight whose gradient and learning signal are computed on the host (chunked e-prop).",
      vars: {
        g: { ...shared, doc: "readout weight W_kj" },
        GradSum: {
          ...shared,
          doc: "gradient summed over batch and time, written by the chunked evaluation",
        },
        ...(randomFeedback ? { B: { ...shared, doc: "fixed random feedback B_jk" } } : {}),
      },
      preSpike: "addToPost(g);",
    };
  }
  const vars: Record<string, VarSpec> = {
    g: { ...shared, doc: "readout weight W_kj" },
    G: { ...batched, doc: "gradient accumulator per batch element" },
  };
  if (randomFeedback) vars.B = { ...shared, doc: "fixed random feedback B_jk" };
  return {
    kind: "weightUpdate",
    name,
    doc: "Hidden -> readout synapse with the exact readout gradient and the e-prop learning signal.",
    params: { Kappa: { doc: "exp(-dt / tau_out)" } },
    vars,
    preVars: {
      ZK0: { ...batched, doc: "zbar^kappa_j(s) after step s" },
      ZK1: { ...batched, doc: "zbar^kappa_j(s-1)" },
      ZK2: { ...batched, doc: "zbar^kappa_j(s-2)" },
    },
    preSpike: "addToPost(g);",
    preDynamics: "ZK2 = ZK1;\nZK1 = ZK0;\nZK0 = Kappa * ZK0 + Z_pre;",
    synapseDynamics: `G += Err_post * ZK2;\naddToPre(${randomFeedback ? "B" : "g"} * Err_post);`,
  };
}

/** Random feedback into a hidden layer that does not feed the readout: `addToPre(B_jk Err_k)` only. */
export const feedbackOnlyModel: WeightUpdateModel = {
  kind: "weightUpdate",
  name: "EpropFeedbackOnly",
  doc: "Learning signal for a hidden layer not connected to the readout (random e-prop).",
  vars: { B: { ...shared, doc: "fixed random feedback B_jk" } },
  synapseDynamics: "addToPre(B * Err_post);",
};

/** Chunked e-prop: holds the random feedback B_jk of a hidden layer that does not feed the readout (the host computes L). */
export const feedbackStoreModel: WeightUpdateModel = {
  kind: "weightUpdate",
  name: "EpropFeedbackStore",
  doc: "Fixed random feedback B_jk for a hidden layer not connected to the readout; read by the chunked evaluation.",
  vars: { B: { ...shared, doc: "fixed random feedback B_jk" } },
};

/**
 * The readout's own softmax projection (one step delay) of per-step training and of inference
 * with the softmax in the network (WebGPU): adds exp(y_pre - y_post) of the previous step, an
 * exp per output pair, step and batch element. The exponent is capped at
 * {@link SOFTMAX_EXPONENT_CAP} (readout-softmax.ts): where another output leads by more
 * (pi_post < 2e-35 either way), float32's exp would overflow to Infinity and the loss log(sum)
 * with it, though the network is fine. The cap keeps the sum finite for up to 6,000 outputs;
 * the loss of such a step is then counted as about 80 instead of the margin, as on the host.
 */
export const softmaxModel: WeightUpdateModel = {
  kind: "weightUpdate",
  name: "EpropSoftmaxSum",
  doc: `Sum over k of exp(min(y_k(s-1) - y_j(s-1), ${SOFTMAX_EXPONENT_CAP})), so that pi_j(s-1) = 1 / sum: finite for any finite y.`,
  synapseDynamics: `addToPost(exp(min(Y_pre - Y_post, ${SOFTMAX_EXPONENT_CAP}.0)));`,
};

/** Loss-mask pulses (one step delay): the readout sees m(s-1) in step s. */
export const maskModel: WeightUpdateModel = {
  kind: "weightUpdate",
  name: "EpropMaskPulse",
  doc: "Adds 1 to the readout's MaskIn input for a spike of the mask source.",
  preSpike: "addToPost(1.0);",
};

/** Sums a per-batch-element gradient over the batch into `GradSum`. */
export const reduceGradientModel: CustomUpdateModel = {
  kind: "customUpdate",
  name: "EpropReduceGradient",
  doc: "GradSum = sum over the batch of Grad.",
  varRefs: { Grad: { access: "readOnly", doc: "per-batch-element gradient" } },
  vars: { GradSum: { access: "reduceBatchSum", doc: "gradient summed over the batch" } },
  update: "GradSum = Grad;",
};

/**
 * Adam (Kingma & Ba) with bias correction from b1^t and b2^t kept per element as running
 * float32 products (`Beta1Power *= Beta1` each step, from 1): no transcendental call per element.
 * A restored step count t sets them with {@link adamBetaPower}, the same products on the host.
 */
export const adamModel: CustomUpdateModel = {
  kind: "customUpdate",
  name: "EpropAdam",
  doc: "m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2; w -= lr mhat / (sqrt(vhat) + eps), mhat = m / (1 - b1^t), vhat = v / (1 - b2^t).",
  params: {
    LearningRate: {
      default: 0.001,
      dynamic: true,
      doc: "changed between batches with Runtime.setParam (a schedule), without compiling again",
    },
    Beta1: { default: 0.9 },
    Beta2: { default: 0.999 },
    Epsilon: { default: 1e-8 },
  },
  varRefs: {
    Weight: { access: "readWrite", doc: "the parameter" },
    Grad: { access: "readOnly", doc: "gradient summed over batch and time" },
  },
  vars: {
    M: { access: "readWrite", doc: "first moment" },
    V: { access: "readWrite", doc: "second moment" },
    Step: { access: "readWrite", doc: "Adam steps taken (t)" },
    Beta1Power: { access: "readWrite", init: 1, doc: "Beta1^t, a float32 product of t factors" },
    Beta2Power: { access: "readWrite", init: 1, doc: "Beta2^t, a float32 product of t factors" },
  },
  update: `
Step += 1.0;
Beta1Power *= Beta1;
Beta2Power *= Beta2;
M = Beta1 * M + (1.0 - Beta1) * Grad;
V = Beta2 * V + (1.0 - Beta2) * Grad * Grad;
let mHat = M / (1.0 - Beta1Power);
let vHat = V / (1.0 - Beta2Power);
Weight -= LearningRate * mHat / (sqrt(vHat) + Epsilon);`,
};

/**
 * beta^step exactly as {@link adamModel} holds it after `step` steps from 1: the float32 product
 * of `step` factors float32(beta), each product rounded to float32, as every backend computes it
 * (the CPU backend rounds every float operation, WGSL multiplies in f32). Stops at a fixed point,
 * which the products keep forever: 0 or a subnormal after underflow (3 * 2^-149 for 0.85), or 1
 * when float32(beta) is 1. Below 2^-25, where a GPU that flushes subnormals could hold another
 * value, 1 - power rounds to 1 either way, so the weights do not differ.
 */
export function adamBetaPower(beta: number, step: number): number {
  const factor = Math.fround(beta);
  let power = 1;
  for (let t = 0; t < step; t++) {
    const next = Math.fround(power * factor);
    if (next === power) break;
    power = next;
  }
  return power;
}

/** A custom update that sets the referenced variables to 0 (state resets between trials). */
export function zeroModel(label: string, varNames: readonly string[]): CustomUpdateModel {
  return {
    kind: "customUpdate",
    name: `EpropZero_${label}`,
    doc: "Sets per-trial state to 0.",
    varRefs: Object.fromEntries(varNames.map((v) => [v, { access: "readWrite" as const }])),
    update: varNames.map((v) => `${v} = 0.0;`).join("\n"),
  };
}
