/**
 * The neuron models of the e-prop pass (timing in models.ts): the hidden LIF/ALIF neuron in
 * its inference, per-step training and chunked variants, and the leaky-integrator readout with
 * its softmax bookkeeping in the network or on the host.
 */
import type { NeuronModel, VarSpec } from "@snn/core";
import {
  batched,
  psiSlots,
  PSI_SPIKE_FLOOR_LITERAL,
  range,
  RATE_SLOTS,
  shared,
  shift,
} from "./models";

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
