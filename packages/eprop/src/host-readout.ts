/**
 * The readout of inference with the softmax on the host (docs/chunked-eprop.md, "Inference"):
 * the compiled readout is only the leaky integrator y, with no softmax projection and no
 * loss-mask source. After every step u this reads y(u) and adds, for the batch elements the
 * loss mask covers at u, the loss, pi and y sums of the trial, with the same rule as chunked
 * training (readout-softmax.ts). A trial runs T steps.
 */
import type { Runtime } from "@snn/core";
import { emptyReadoutSums, ReadoutSoftmax, type ReadoutSums } from "./readout-softmax";
import { lossMaskByStep, type PreparedTrial } from "./trial";

/** Per-trial softmax, loss and output sums of an inference network's readout, on the host. */
export class HostReadout {
  private readonly softmax: ReadoutSoftmax;
  private readonly sums: ReadoutSums;
  /** The readout's y of this step as read from the runtime, `[batch][nOut]`. */
  private readonly y: Float32Array;
  /** pi(u) of this step and pi(u-1), `[batch][nOut]` (kept only while observed). */
  private pi: Float32Array;
  private previousPi: Float32Array;
  /** `[T][batch]` 0/1 loss mask and `[batch][nOut]` targets of the trial. */
  private mask = new Uint8Array(0);
  /** `[T + 1]` (or longer): the first step at or after u that the mask covers for some element (T: none). */
  private nextMasked = new Int32Array(0);
  private targets: Float32Array = new Float32Array(0);
  private numSteps = 0;
  /** Write pi(s-1) into the readout's `Pi` after step s (someone observes the trial step by step). */
  private observed = false;

  constructor(
    /** The readout population. */
    private readonly readout: string,
    private readonly batchSize: number,
    private readonly nOut: number,
  ) {
    this.softmax = new ReadoutSoftmax(nOut);
    this.sums = emptyReadoutSums(batchSize, nOut);
    this.y = new Float32Array(batchSize * nOut);
    this.pi = new Float32Array(batchSize * nOut);
    this.previousPi = new Float32Array(batchSize * nOut);
  }

  /**
   * Starts a trial. With `observed`, pi(s-1) is written into the readout's `Pi` after every step
   * s, as the network form's readout holds it, for callers that read the network step by step.
   */
  startTrial(trial: PreparedTrial, options: { readonly observed?: boolean } = {}): void {
    this.numSteps = trial.numSteps;
    // The buffers of the last trial are reused (a trial of batch 1 is a fraction of a millisecond).
    this.mask = lossMaskByStep(trial, this.mask);
    const T = trial.numSteps;
    const batchSize = this.batchSize;
    if (this.nextMasked.length < T + 1) this.nextMasked = new Int32Array(T + 1);
    this.nextMasked[T] = T;
    for (let u = T - 1; u >= 0; u--) {
      let any = false;
      for (let b = 0; b < batchSize && !any; b++) any = this.mask[u * batchSize + b] !== 0;
      this.nextMasked[u] = any ? u : this.nextMasked[u + 1]!;
    }
    this.targets = trial.targets;
    this.observed = options.observed === true;
    this.sums.loss.fill(0);
    this.sums.pi.fill(0);
    this.sums.y.fill(0);
    this.pi.fill(0);
    this.previousPi.fill(0);
  }

  /**
   * The first step at or after `s` whose y the sums need (one the loss mask covers for some batch
   * element), or the trial's length when there is none. Steps before it need no `afterStep`
   * unless the trial is observed, so a caller may simulate them in one call.
   */
  nextStepToRead(s: number): number {
    if (this.observed) return s;
    return this.nextMasked[Math.min(s, this.numSteps)] ?? this.numSteps;
  }

  /**
   * Call after simulation step `s` (0-based): processes time u = s. Synchronous where the
   * runtime has `readVarInto` (the CPU backend) and nothing is observed; else returns a promise.
   */
  afterStep(s: number, runtime: Runtime): void | Promise<void> {
    if (s >= this.numSteps) return;
    if (runtime.readVarInto === undefined || this.observed) return this.readAndAdd(s, runtime);
    runtime.readVarInto(this.readout, "Y", this.y);
    this.add(s);
  }

  /**
   * As {@link afterStep} for an unobserved trial, with time s's y (`[batch][nOut]`) written into
   * the buffer given to `read` by the caller (fused inference, whose y is not the runtime's).
   */
  afterStepFrom(s: number, read: (into: Float32Array) => void): void {
    if (s >= this.numSteps) return;
    read(this.y);
    this.add(s);
  }

  private async readAndAdd(s: number, runtime: Runtime): Promise<void> {
    if (runtime.readVarInto !== undefined) runtime.readVarInto(this.readout, "Y", this.y);
    else this.y.set(await runtime.readVar(this.readout, "Y"));
    this.add(s);
    if (this.observed && s >= 1) await runtime.writeVar(this.readout, "Pi", this.previousPi);
  }

  /** Adds time u's masked elements to the sums (and keeps pi(u) of every element while observed). */
  private add(u: number): void {
    const { batchSize, nOut, softmax, mask, targets, sums, observed, y } = this;
    const pi = this.previousPi;
    this.previousPi = this.pi;
    this.pi = pi;
    const maskRow = u * batchSize;
    for (let b = 0, out = 0; b < batchSize; b++, out += nOut) {
      const m = mask[maskRow + b]!;
      if (m === 0 && !observed) continue;
      softmax.compute(y, out);
      if (observed) for (let k = 0; k < nOut; k++) pi[out + k] = softmax.pi[k]!;
      if (m !== 0) softmax.accumulate(y, targets, out, sums);
    }
  }

  /** The readout's loss, pi and y summed over the masked steps of the last trial, `[batch][nOut]` each (live buffers). */
  readoutSums(): ReadoutSums {
    return this.sums;
  }
}
