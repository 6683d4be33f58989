/**
 * The custom updates of the e-prop pass: the gradient summed over the batch, the Adam step
 * (with {@link adamBetaPower}, its bias-correction products on the host) and the resets of
 * per-trial state.
 */
import type { CustomUpdateModel } from "@snn/core";

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
