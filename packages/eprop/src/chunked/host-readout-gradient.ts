/**
 * The readout gradient of chunked e-prop (docs/chunked-eprop.md, "Learning signal, regulariser
 * and gradients") in WebAssembly, float64: dW_kj = sum_t Err_k(t) zbar_j(t) with
 * zbar_j(t) = kappa zbar_j(t-1) + z_j(t), evaluated once per chunk by backward filtering of the
 * chunk's errors (wasm-kernels.ts `readoutGradient`). Runs on the calling thread.
 */
import type { ChunkSpikes, WasmTraceEngine } from "./trace-engine";

const F64_BYTES = 8;

/** Rows of `nOut` float64 values padded to whole pairs (one SIMD register). */
export function readoutRow(nOut: number): number {
  return nOut + (nOut % 2);
}

/** The chunk errors, backward-filtered errors and kappa powers, shared by every readout projection. */
export class HostReadoutErrors {
  /** Floats per error row (`nOut` padded to pairs). */
  readonly row: number;
  /** Err `[chunkSteps][batch][row]` f64 in the module memory, copied from the host each chunk. */
  readonly errors: number;
  /** E `[chunkSteps][row]` f64 (kernel scratch). */
  readonly filtered: number;
  /** kappa^0 .. kappa^chunkSteps f64. */
  readonly kappaPowers: number;

  constructor(
    readonly engine: WasmTraceEngine,
    readonly batchSize: number,
    readonly nOut: number,
    readonly chunkSteps: number,
    kappaPowers: Float64Array,
  ) {
    this.row = readoutRow(nOut);
    this.errors = engine.allocate(batchSize * chunkSteps * this.row * F64_BYTES);
    this.filtered = engine.allocate(chunkSteps * this.row * F64_BYTES);
    this.kappaPowers = engine.allocate((chunkSteps + 1) * F64_BYTES);
    engine.doubles(this.kappaPowers, chunkSteps + 1).set(kappaPowers.subarray(0, chunkSteps + 1));
  }

  /** Copies the first `steps` steps of `[chunkSteps][batch][row]` host values. */
  load(errors: Float64Array, steps: number): void {
    const length = steps * this.batchSize * this.row;
    this.engine.doubles(this.errors, length).set(errors.subarray(0, length));
  }
}

/** The readout gradient and carried zbar of one hidden layer's readout projection. */
export class HostReadoutGradient {
  /** dW `[n][row]` f64. */
  private readonly gradient: number;
  /** zbar `[batch][n]` f64. */
  private readonly trace: number;
  private readonly batchEnds: number;
  private units = 0;
  private steps = 0;
  private capacity = 0;

  constructor(
    readonly shared: HostReadoutErrors,
    readonly numNeurons: number,
  ) {
    const { engine, batchSize, row } = shared;
    this.gradient = engine.allocate(numNeurons * row * F64_BYTES);
    this.trace = engine.allocate(batchSize * numNeurons * F64_BYTES);
    this.batchEnds = engine.allocate(batchSize * 4);
  }

  /** Zeroes the gradient and zbar (a new trial). */
  reset(): void {
    const { engine, batchSize, row } = this.shared;
    engine.doubles(this.gradient, this.numNeurons * row).fill(0);
    engine.doubles(this.trace, batchSize * this.numNeurons).fill(0);
  }

  /**
   * Adds a chunk of `steps` steps: the errors loaded into the shared {@link HostReadoutErrors}
   * and the layer's spikes z(u) of each batch element (steps relative to the chunk).
   */
  addChunk(spikes: readonly ChunkSpikes[], steps: number, kappa: number): void {
    const { engine, batchSize, row, chunkSteps } = this.shared;
    let total = 0;
    for (const list of spikes) total += list.count;
    if (total > this.capacity) {
      // Allocating may grow the memory (and detach views): views are made below.
      this.capacity = Math.max(total, 2 * this.capacity, 1024);
      this.units = engine.allocate(this.capacity * 4);
      this.steps = engine.allocate(this.capacity * 4);
    }
    const units = engine.ints(this.units, this.capacity);
    const stepList = engine.ints(this.steps, this.capacity);
    const ends = engine.ints(this.batchEnds, batchSize);
    let end = 0;
    for (let b = 0; b < batchSize; b++) {
      const list = spikes[b]!;
      units.set(list.units.subarray(0, list.count), end);
      stepList.set(list.steps.subarray(0, list.count), end);
      end += list.count;
      ends[b] = end;
    }
    const kappaPowers = engine.doubles(this.shared.kappaPowers, chunkSteps + 1);
    engine.kernels.readoutGradient(
      this.shared.errors,
      this.shared.filtered,
      this.gradient,
      this.trace,
      this.units,
      this.steps,
      this.batchEnds,
      this.shared.kappaPowers,
      batchSize,
      this.numNeurons,
      row * F64_BYTES,
      steps,
      batchSize * row * F64_BYTES,
      kappa,
      kappaPowers[steps]!,
    );
  }

  /** The gradient summed since the last {@link reset}, `[n][nOut]` rounded to float32. */
  read(): Float32Array {
    const { engine, nOut, row } = this.shared;
    const values = engine.doubles(this.gradient, this.numNeurons * row);
    const out = new Float32Array(this.numNeurons * nOut);
    for (let j = 0; j < this.numNeurons; j++)
      for (let k = 0; k < nOut; k++) out[j * nOut + k] = values[j * row + k]!;
    return out;
  }
}
