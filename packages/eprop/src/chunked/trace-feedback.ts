/** The learning signal of a hidden layer on the host, in WebAssembly SIMD (see trace-engine.ts). */
import { FLOAT_BYTES, paddedRow, type WasmTraceEngine } from "./trace-engine";

/**
 * The learning signal of a layer, L(u) = B Err(u) per batch element, computed with SIMD from
 * the readout errors and the feedback weights B (`[numNeurons][nOut]`, e.g. the readout weights).
 */
export class WasmFeedback {
  private readonly row: number;
  /** B transposed, `[nOut][row]`. */
  readonly feedbackT: number;
  private readonly errors: number;
  private readonly out: number;

  constructor(
    readonly engine: WasmTraceEngine,
    readonly batchSize: number,
    readonly numNeurons: number,
    readonly nOut: number,
  ) {
    this.row = paddedRow(numNeurons);
    this.feedbackT = engine.allocate(nOut * this.row * FLOAT_BYTES);
    this.errors = engine.allocate(batchSize * nOut * FLOAT_BYTES);
    this.out = engine.allocate(batchSize * this.row * FLOAT_BYTES);
  }

  /** Sets B from `[numNeurons][nOut]` values. */
  setWeights(feedback: ArrayLike<number>): void {
    const target = this.engine.floats(this.feedbackT, this.nOut * this.row);
    for (let j = 0; j < this.numNeurons; j++)
      for (let k = 0; k < this.nOut; k++) target[k * this.row + j] = feedback[j * this.nOut + k]!;
  }

  /** L `[batch][numNeurons]` (written into `out`) from errors `[batch][nOut]`. */
  compute(errors: ArrayLike<number>, out: Float32Array): void {
    const { engine, batchSize, nOut, numNeurons, row } = this;
    engine.floats(this.errors, batchSize * nOut).set(errors);
    engine.kernels.feedback(
      this.errors,
      this.feedbackT,
      this.out,
      batchSize,
      nOut,
      row * FLOAT_BYTES,
    );
    const result = engine.floats(this.out, batchSize * row);
    if (row === numNeurons) out.set(result);
    else
      for (let b = 0; b < batchSize; b++)
        out.set(result.subarray(b * row, b * row + numNeurons), b * numNeurons);
  }
}
