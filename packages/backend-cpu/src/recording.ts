/**
 * Spike recording of one population over a trial: the neuron ids of each step and batch
 * element, appended after every step. Buffers are sized for the compile option
 * `recordingSteps` and double when a trial needs more (the only allocation a step can make).
 */
import type { SpikeRecording } from "@snn/core";

/** Expected fraction of neurons spiking per step used to size the first buffer. */
const INITIAL_ACTIVITY = 0.05;

export class SpikeRecorder {
  private neurons: Int32Array;
  /** End (exclusive) in `neurons` of each (step, batch) pair, `step * batchSize + batch`. */
  private ends: Int32Array;
  private used = 0;
  private steps = 0;

  constructor(
    private readonly size: number,
    private readonly batchSize: number,
    recordingSteps: number,
  ) {
    this.ends = new Int32Array(Math.max(1, recordingSteps) * batchSize);
    this.neurons = new Int32Array(
      Math.max(1024, Math.ceil(recordingSteps * batchSize * size * INITIAL_ACTIVITY)),
    );
  }

  /** Forgets the trial's spikes. */
  clear(): void {
    this.used = 0;
    this.steps = 0;
  }

  /** Appends one step: batch element b's spikes are `spikes[b * size .. + count[b]]`. */
  record(spikes: Int32Array, count: Int32Array): void {
    const batchSize = this.batchSize;
    if ((this.steps + 1) * batchSize > this.ends.length) {
      const grown = new Int32Array(this.ends.length * 2);
      grown.set(this.ends);
      this.ends = grown;
    }
    let total = 0;
    for (let b = 0; b < batchSize; b++) total += count[b]!;
    if (this.used + total > this.neurons.length) {
      const grown = new Int32Array(Math.max(this.neurons.length * 2, this.used + total));
      grown.set(this.neurons.subarray(0, this.used));
      this.neurons = grown;
    }
    const neurons = this.neurons;
    let used = this.used;
    const size = this.size;
    for (let b = 0; b < batchSize; b++) {
      const n = count[b]!;
      const base = b * size;
      for (let k = 0; k < n; k++) neurons[used++] = spikes[base + k]!;
      this.ends[this.steps * batchSize + b] = used;
    }
    this.used = used;
    this.steps++;
  }

  /** The trial's spikes as (step, neuron, batch) triples sorted by step, batch, neuron. */
  read(): SpikeRecording {
    const steps = new Int32Array(this.used);
    const neurons = this.neurons.slice(0, this.used);
    const batches = new Int32Array(this.used);
    let start = 0;
    for (let s = 0; s < this.steps; s++) {
      for (let b = 0; b < this.batchSize; b++) {
        const end = this.ends[s * this.batchSize + b]!;
        steps.fill(s, start, end);
        batches.fill(b, start, end);
        start = end;
      }
    }
    return { steps, neurons, batches, numSteps: this.steps };
  }

  /** Bytes held (grows with the trial's spikes). */
  get byteLength(): number {
    return this.neurons.byteLength + this.ends.byteLength;
  }
}
