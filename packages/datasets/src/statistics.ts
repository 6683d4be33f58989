import { DatasetOptionsError } from "./errors";
import type { SpikeDataset } from "./types";

/** Summary of a dataset, as returned by `computeDatasetStatistics`. */
export interface DatasetStatistics {
  numSamples: number;
  numClasses: number;
  numChannels: number;
  /** Samples per class, indexed by label. */
  classCounts: number[];
  /** Spikes per sample (before binning). */
  spikes: { total: number; mean: number; min: number; max: number };
  /** Samples without any spike. */
  emptySamples: number;
  /** Time of the last spike per sample in ms (0 for an empty sample). */
  lastSpikeMs: { mean: number; min: number; max: number };
  /** Channels that spike at least once in the dataset. */
  activeChannels: number;
}

/**
 * Reads every sample (in chunks of `chunkSize`, default 256) and summarises it. This also
 * validates every sample of a file-backed dataset, so it is a full check of a file.
 */
export async function computeDatasetStatistics(
  dataset: SpikeDataset,
  options: { chunkSize?: number } = {},
): Promise<DatasetStatistics> {
  const chunkSize = options.chunkSize ?? 256;
  if (!(Number.isSafeInteger(chunkSize) && chunkSize > 0)) {
    throw new DatasetOptionsError(`chunkSize must be a positive integer, got ${chunkSize}.`);
  }
  const n = dataset.numSamples;
  const classCounts = new Array<number>(dataset.numClasses).fill(0);
  const active = new Uint8Array(dataset.numChannels);
  let total = 0;
  let minSpikes = Infinity;
  let maxSpikes = 0;
  let empty = 0;
  let sumLast = 0;
  let minLast = Infinity;
  let maxLast = 0;
  for (let start = 0; start < n; start += chunkSize) {
    const indices: number[] = [];
    for (let i = start; i < Math.min(n, start + chunkSize); i++) indices.push(i);
    const samples = await dataset.getMany(indices);
    for (const s of samples) {
      classCounts[s.label] = (classCounts[s.label] ?? 0) + 1;
      const count = s.timesMs.length;
      total += count;
      if (count < minSpikes) minSpikes = count;
      if (count > maxSpikes) maxSpikes = count;
      if (count === 0) empty++;
      let last = 0;
      for (let k = 0; k < count; k++) {
        const t = s.timesMs[k]!;
        if (t > last) last = t;
        active[s.units[k]!] = 1;
      }
      sumLast += last;
      if (last < minLast) minLast = last;
      if (last > maxLast) maxLast = last;
    }
  }
  let activeChannels = 0;
  for (const a of active) activeChannels += a;
  return {
    numSamples: n,
    numClasses: dataset.numClasses,
    numChannels: dataset.numChannels,
    classCounts,
    spikes: { total, mean: n > 0 ? total / n : 0, min: n > 0 ? minSpikes : 0, max: maxSpikes },
    emptySamples: empty,
    lastSpikeMs: { mean: n > 0 ? sumLast / n : 0, min: n > 0 ? minLast : 0, max: maxLast },
    activeChannels,
  };
}
