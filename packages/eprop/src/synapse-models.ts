/**
 * The weight-update models of the e-prop pass (timing in models.ts): weights into a hidden
 * layer with their eligibility traces, the hidden -> readout weights with the readout gradient
 * and the learning signal, random feedback, the readout's softmax projection and the loss-mask
 * pulses.
 */
import type { VarSpec, WeightUpdateModel } from "@snn/core";
import { batched, range, shared, shift, traceSlots } from "./models";
import { SOFTMAX_EXPONENT_CAP } from "./readout-softmax";

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
