/** The spike lists and per-layer state of the host's chunked evaluation (eligibility.ts). */
import type { EpropNetworkDescription } from "../description";
import type { ProjectionInfo } from "../projections";
import type { HostReadoutGradient } from "./host-readout-gradient";
import type { ChunkSpikes } from "./trace-engine";
import type { WasmFeedback } from "./trace-feedback";
import type { HostRegularisation, HostSpikes, WasmTraceLayer } from "./trace-layer";
import type { WasmTraceEngine } from "./trace-engine";
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

/** Fused training's forward pass as the chunk evaluation runs it (`ChunkedEligibility.runFused`). */
export interface FusedForwardRun {
  /** Runs steps `first .. first + count - 1`, psi and r of the first into the history rows at `psiAt` and `regAt`. */
  run(first: number, count: number, psiAt: number, regAt: number): void;
  /** The readout's y of step `i` of the run, `[batch][nOut]`, into `into`. */
  readY(i: number, into: Float32Array): void;
  /** The spikes of step `slot - 1` of the run (slot 0: the step before it). */
  spikes(slot: number): HostSpikes;
  /** After a run of `count` steps: its last step's spikes become the next run's slot 0. */
  endRun(count: number): void;
}

/** Where fused training's forward kernel writes (`ChunkedEligibility.fusedTarget`). */
export interface FusedTarget {
  readonly arena: WasmTraceEngine;
  /** The layer's firing rates `[batch][row]` (f64), and the step stride of its histories. */
  readonly rate: number;
  readonly historyStepBytes: number;
  readonly regularisation: HostRegularisation | null;
}

/**
 * The hidden layers' gradients of the last trial summed over the batch (`ChunkedEligibility.gradients`):
 * the hidden projections' (views of the trace engine's memory, valid until the next trial
 * starts; recurrent self-connections zeroed) and the readout projections'.
 */
export function layerGradients(
  layers: readonly LayerState[],
): { owner: string; variable: string; values: Float32Array }[] {
  const out: { owner: string; variable: string; values: Float32Array }[] = [];
  for (const layer of layers) {
    for (const projection of layer.projections) {
      // A view of the engine's memory: the caller copies it (writeVar) before the next trial.
      const gradient = projection.trace.gradientView();
      if (projection.info.kind === "recurrent") {
        for (let i = 0; i < layer.size; i++) gradient[i * layer.size + i] = 0; // no self-connections
      }
      out.push({ owner: projection.info.coreName, variable: "GradSum", values: gradient });
    }
    if (layer.readout)
      out.push({
        owner: layer.readout.info.coreName,
        variable: "GradSum",
        values: layer.readout.gradient.read(),
      });
  }
  return out;
}
