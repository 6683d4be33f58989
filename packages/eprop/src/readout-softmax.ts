/**
 * The readout's softmax and cross-entropy from y (docs/chunked-eprop.md, "The readout on the
 * host"): the one host implementation of the rule, used by chunked training
 * (chunked/eligibility.ts) and by inference with the softmax on the host (host-readout.ts).
 *
 * pi_k = exp(y_k - M) / sum_j exp(y_j - M) with M = max_j y_j, so every exponent is at most 0:
 * logits far beyond exp's range give the same pi as small ones. The loss of an output k,
 * -log pi_k = log sum_j exp(y_j - M) + (M - y_k), is the network form's
 * log sum_j exp(min(y_j - y_k, {@link SOFTMAX_EXPONENT_CAP})) (synapse-models.ts `softmaxModel`): equal
 * while M - y_k <= the cap, where no exponent of that form is capped; beyond it (pi_k < 2e-35),
 * computed as that capped sum, so such a step counts about the cap, not the margin, in every form.
 */

/**
 * The largest exponent y_j - y_k the readout's loss counts: where another output leads output k
 * by more (pi_k < 2e-35), float32's exp(y_j - y_k) would overflow to Infinity, and the loss with
 * it, though the network is fine. The loss of such a step is counted as about 80 (plus the log of
 * the number of capped outputs) instead of the margin.
 */
export const SOFTMAX_EXPONENT_CAP = 80;

/** Per-trial sums of the readout over the masked steps, `[batch][nOut]` each (what the per-step readout keeps in `LossAcc`, `PiAcc`, `YAcc`). */
export interface ReadoutSums {
  /** sum_t m(t) (-pistar_k log pi_k(t)). */
  readonly loss: Float64Array;
  /** sum_t m(t) pi_k(t). */
  readonly pi: Float64Array;
  /** sum_t m(t) y_k(t). */
  readonly y: Float64Array;
}

/** Sums for `batchSize` elements of `nOut` outputs, all 0. */
export function emptyReadoutSums(batchSize: number, nOut: number): ReadoutSums {
  return {
    loss: new Float64Array(batchSize * nOut),
    pi: new Float64Array(batchSize * nOut),
    y: new Float64Array(batchSize * nOut),
  };
}

/**
 * The softmax of one batch element's y at a time, in float64, allocation-free: {@link compute}
 * fills {@link pi}; {@link crossEntropy} and {@link accumulate} then use it.
 */
export class ReadoutSoftmax {
  /** pi of the element last given to {@link compute}. */
  readonly pi: Float64Array;
  private max = 0;
  private logSum = 0;

  constructor(readonly nOut: number) {
    this.pi = new Float64Array(nOut);
  }

  /** pi = softmax(y[offset .. offset + nOut)), max-subtracted. */
  compute(y: ArrayLike<number>, offset: number): void {
    const { nOut, pi } = this;
    let max = -Infinity;
    for (let k = 0; k < nOut; k++) max = Math.max(max, y[offset + k]!);
    let sum = 0;
    for (let k = 0; k < nOut; k++) {
      const e = Math.exp(y[offset + k]! - max);
      pi[k] = e;
      sum += e;
    }
    for (let k = 0; k < nOut; k++) pi[k] = pi[k]! / sum;
    this.max = max;
    this.logSum = Math.log(sum);
  }

  /** -log pi_k of the element last computed (y as given to {@link compute}), with the exponent cap. */
  crossEntropy(y: ArrayLike<number>, offset: number, k: number): number {
    const yk = y[offset + k]!;
    const margin = this.max - yk;
    if (!(margin > SOFTMAX_EXPONENT_CAP)) return this.logSum + margin;
    // log sum_j exp(min(y_j - y_k, cap)) = cap + log sum_j exp(min(y_j - y_k - cap, 0))
    let sum = 0;
    for (let j = 0; j < this.nOut; j++)
      sum += Math.exp(Math.min(y[offset + j]! - yk - SOFTMAX_EXPONENT_CAP, 0));
    return SOFTMAX_EXPONENT_CAP + Math.log(sum);
  }

  /**
   * Adds one masked step of the element last computed to the trial's sums at `offset`
   * (`[batch][nOut]`, as y and the targets): loss += pistar_k (-log pi_k), pi, y.
   */
  accumulate(
    y: ArrayLike<number>,
    targets: ArrayLike<number>,
    offset: number,
    sums: ReadoutSums,
  ): void {
    const { nOut, pi } = this;
    const { loss, pi: piSum, y: ySum } = sums;
    for (let k = 0; k < nOut; k++) {
      const target = targets[offset + k]!;
      if (target > 0) loss[offset + k]! += target * this.crossEntropy(y, offset, k);
      piSum[offset + k]! += pi[k]!;
      ySum[offset + k]! += y[offset + k]!;
    }
  }
}
