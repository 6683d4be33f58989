import type { SpikeEvents, SpikeRecording } from "@snn/core";

/**
 * Spikes as the device holds them, bit fields `[step][batch][words]`: bit `unit & 31` of word
 * `(step * batchSize + batch) * words + (unit >>> 5)` is set when `unit` spikes in `step` for
 * batch element `batch`. Spike source arrays read their events in this form, and recordings are
 * written in it.
 */

/** The bit fields of `steps` steps of spike events, one entry of `events` per batch element (at least 4 words). */
export function spikeEventBits(
  events: readonly SpikeEvents[],
  steps: number,
  words: number,
): Uint32Array<ArrayBuffer> {
  const B = events.length;
  const bits = new Uint32Array(Math.max(steps * B * words, 4));
  events.forEach((e, b) => {
    for (let k = 0; k < e.steps.length; k++) {
      const unit = e.units[k]!;
      const word = (e.steps[k]! * B + b) * words + (unit >>> 5);
      bits[word] = (bits[word]! | (1 << (unit & 31))) >>> 0;
    }
  });
  return bits;
}

/** The spikes of recorded bit fields of a population of `size`, sorted by step, then batch, then neuron. */
export function decodeSpikeBits(
  bits: Uint32Array,
  numSteps: number,
  batchSize: number,
  words: number,
  size: number,
): Omit<SpikeRecording, "numSteps"> {
  let count = 0;
  for (let i = 0; i < bits.length; i++) count += popcount(bits[i]!);
  const steps = new Int32Array(count);
  const neurons = new Int32Array(count);
  const batches = new Int32Array(count);
  let k = 0;
  for (let s = 0; s < numSteps; s++) {
    for (let b = 0; b < batchSize; b++) {
      const base = (s * batchSize + b) * words;
      for (let w = 0; w < words; w++) {
        let word = bits[base + w]!;
        while (word !== 0) {
          const bit = 31 - Math.clz32(word & -word);
          word = (word & (word - 1)) >>> 0;
          const neuron = w * 32 + bit;
          if (neuron >= size) continue;
          steps[k] = s;
          neurons[k] = neuron;
          batches[k] = b;
          k++;
        }
      }
    }
  }
  return {
    steps: steps.subarray(0, k),
    neurons: neurons.subarray(0, k),
    batches: batches.subarray(0, k),
  };
}

function popcount(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (((x + (x >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}
