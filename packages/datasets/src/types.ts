/**
 * Spikes of one sample after binning: parallel arrays, one entry per spike, sorted by step
 * ascending (and by unit within a step). `steps` are 0-based time-step indices, `units` are
 * 0-based input-channel ids. Structurally identical to `SpikeEvents` of @snn/core, so either
 * can be passed where the other is expected.
 */
export interface SpikeEvents {
  steps: Int32Array;
  units: Int32Array;
}

/** One sample before binning: spike times in milliseconds and channel ids, plus its class. */
export interface SpikeSample {
  /** Spike times in ms from the start of the trial (not necessarily sorted). */
  readonly timesMs: Float64Array;
  /** Channel id of each spike, parallel to `timesMs`. */
  readonly units: Int32Array;
  /** Class index, 0 <= label < numClasses. */
  readonly label: number;
  /** Speaker id, for recordings that store one (SHD/SSC `extra/speaker`). */
  readonly speaker?: number;
}

/** A batch in the format backends consume. */
export interface SpikeBatch {
  /** One entry per batch element. */
  inputs: SpikeEvents[];
  /** Class of each batch element. */
  labels: Int32Array;
  /** Trial length in steps; every event has `step < numSteps`. */
  numSteps: number;
  /** `[numSteps]`, 1 where the loss applies and 0 elsewhere; absent means every step. */
  lossMask?: Float32Array;
  /** Dataset index of each batch element (to look samples up again). */
  indices: Int32Array;
}

/** Options of `SpikeDataset.batches`. */
export interface BatchOptions {
  /** Samples per batch (positive integer). */
  batchSize: number;
  /** Step length in ms: a spike at time t falls into step floor(t / dt). */
  dt: number;
  /**
   * Trial length in steps: spikes at later steps are dropped (crop), shorter samples are
   * silent at the end (pad). Default: the dataset's `trialDurationMs / dt` rounded up, or for
   * recordings without a fixed duration the steps needed by the latest spike in each batch.
   */
  numSteps?: number;
  /** Shuffle with this seed; absent keeps dataset order. */
  shuffleSeed?: number;
  /** Epoch number (non-negative integer) mixed into the shuffle: same seed and epoch, same order. Default 0. */
  epoch?: number;
  /** Drop the last batch when it has fewer than `batchSize` samples. Default false. */
  dropLast?: boolean;
}

/** A labelled spiking dataset: random access to samples and reproducible batch iteration. */
export interface SpikeDataset {
  /** Short description, e.g. "SHD shd_train.h5" or "sequential MNIST (80 channels), embedded train". */
  readonly name: string;
  readonly numSamples: number;
  /** Input channels; every unit id is below this. */
  readonly numChannels: number;
  readonly numClasses: number;
  /** Name of each class, when known. */
  readonly classNames?: readonly string[];
  /** Fixed trial duration in ms, for datasets made by an encoder; absent for recordings. */
  readonly trialDurationMs?: number;
  /** Time window in ms `[start, end)` where the loss applies; absent means the whole trial. */
  readonly lossWindowMs?: readonly [number, number];
  /** Class of every sample (cheap; no spike data is read). */
  readonly labels: Int32Array;
  /** Reads one sample. */
  get(index: number): Promise<SpikeSample>;
  /** Reads several samples (in the order given); file-backed datasets read them in few calls. */
  getMany(indices: ArrayLike<number>): Promise<SpikeSample[]>;
  /** Iterates one epoch in batches; same options (seed, epoch) give the same order. */
  batches(options: BatchOptions): AsyncIterableIterator<SpikeBatch>;
  /** Releases files; the dataset cannot be used afterwards. Safe to call twice. */
  close(): Promise<void>;
}
