/** The spike lists and per-layer state of the host's chunked evaluation (eligibility.ts). */
import type { EpropNetworkDescription } from "../description";
import type { ProjectionInfo } from "../projections";
import type { HostReadoutGradient } from "./host-readout-gradient";
import type { ChunkSpikes } from "./trace-engine";
import type { WasmFeedback } from "./trace-feedback";
import type { WasmTraceLayer } from "./trace-layer";
import type { WasmTraceProjection } from "./trace-projection";

/** Growable spike list of one batch element within a chunk. */
export class SpikeList implements ChunkSpikes {
  steps = new Int32Array(256);
  units = new Int32Array(256);
  count = 0;

  /** Makes room for `capacity` spikes in all, keeping those held. */
  reserve(capacity: number): void {
    if (capacity <= this.steps.length) return;
    let grown = this.steps.length * 2;
    while (grown < capacity) grown *= 2;
    const steps = new Int32Array(grown);
    const units = new Int32Array(grown);
    steps.set(this.steps.subarray(0, this.count));
    units.set(this.units.subarray(0, this.count));
    this.steps = steps;
    this.units = units;
  }

  /** Appends `count` spikes of chunk step `step`: units `source[offset .. offset + count)`. */
  pushStep(step: number, source: Int32Array, offset: number, count: number): void {
    if (count === 0) return;
    const needed = this.count + count;
    this.reserve(needed);
    const steps = this.steps;
    const units = this.units;
    for (let e = this.count, i = offset; e < needed; e++, i++) {
      steps[e] = step;
      units[e] = source[i]!;
    }
    this.count = needed;
  }
}

/** Presynaptic spikes of a hidden layer as they enter a trace: z(u) (delay 0) or z(u-1) (recurrent). The input's are its events. */
export interface SpikeSource {
  readonly pre: string;
  readonly delay: 0 | 1;
  /** One list per batch element, for the current chunk. */
  readonly lists: SpikeList[];
}

export interface LayerState {
  readonly name: string;
  readonly size: number;
  readonly trace: WasmTraceLayer;
  /** Incoming projections; `source` null: from the input, whose spikes are the trial's events. */
  readonly projections: {
    readonly info: ProjectionInfo;
    readonly trace: WasmTraceProjection;
    readonly source: SpikeSource | null;
  }[];
  /** Feedback B_jk (read at the start of each trial), or null: no learning signal. */
  readonly feedback: WasmFeedback | null;
  readonly feedbackOwner: { readonly owner: string; readonly variable: string } | null;
  /** The readout projection from this layer, if any: its gradient and carried zbar (host-readout-gradient.ts), and the chunk's spikes z(u). */
  readonly readout: {
    readonly info: ProjectionInfo;
    readonly gradient: HostReadoutGradient;
    readonly spikes: SpikeList[];
  } | null;
}

/**
 * Where a hidden layer's feedback B_jk is read at the start of each trial: the readout weights
 * (symmetric e-prop) or the fixed random ones; null: the layer gets no learning signal.
 */
export function feedbackOwnerOf(
  description: EpropNetworkDescription,
  layer: string,
  readoutProjection: ProjectionInfo | null,
): LayerState["feedbackOwner"] {
  if (description.feedback === "random")
    return {
      owner: readoutProjection?.coreName ?? `${layer}__${description.readout.name}__feedback`,
      variable: "B",
    };
  return readoutProjection ? { owner: readoutProjection.coreName, variable: "g" } : null;
}
