/**
 * Drives the chunked e-prop evaluation during a training trial. The compiled network runs
 * the forward pass, the readout and the learning signal; after every step this reads the
 * hidden layers' per-neuron state for time u = s - 3 (psi(u) = `Psi3`, L(u) = `L`,
 * r(u) = `RegCoef`, aligned by the pass's lag) and their spikes, collects K steps, and
 * evaluates every hidden projection's eligibility and gradient per chunk (trace-engine.ts).
 * Only the per-synapse state crosses chunk boundaries, so memory does not grow with T.
 */
import type { Runtime, SpikeEvents } from "@snn/core";
import type { EpropNetworkDescription, ProjectionInfo } from "../description";
import { EpropConfigError } from "../errors";
import { WasmTraceEngine, WasmTraceLayer, WasmTraceProjection, type ChunkSpikes } from "./trace-engine";
import { wasmSimdSupported } from "./wasm-assembler";

/** Steps between a hidden neuron's time u and the step s = u + lag in which its L(u) is known. */
const LEARNING_SIGNAL_LAG = 3;

/** Growable spike list of one batch element within a chunk. */
class SpikeList implements ChunkSpikes {
  steps = new Int32Array(256);
  units = new Int32Array(256);
  count = 0;

  push(step: number, unit: number): void {
    if (this.count === this.steps.length) {
      const steps = new Int32Array(this.count * 2);
      const units = new Int32Array(this.count * 2);
      steps.set(this.steps);
      units.set(this.units);
      this.steps = steps;
      this.units = units;
    }
    this.steps[this.count] = step;
    this.units[this.count] = unit;
    this.count++;
  }
}

interface LayerTrace {
  readonly name: string;
  readonly size: number;
  readonly trace: WasmTraceLayer;
  readonly projections: { readonly info: ProjectionInfo; readonly trace: WasmTraceProjection; readonly source: SpikeSource }[];
  /** Spikes z(s) of the last steps, by step modulo the ring size, `[batch][size]` each. */
  readonly spikeRing: Float32Array[];
}

/** Presynaptic spikes as they enter a trace: input x(u), or a hidden layer's z(u) (delay 0) or z(u-1) (recurrent). */
interface SpikeSource {
  readonly pre: string;
  readonly delay: 0 | 1;
  /** One list per batch element, for the current chunk. */
  readonly lists: SpikeList[];
}

const RING = 8;

/** Per-trial chunked evaluation of the hidden projections' e-prop gradients. */
export class ChunkedEligibility {
  private readonly engine = new WasmTraceEngine();
  private readonly layers: LayerTrace[] = [];
  private readonly sources: SpikeSource[] = [];
  private inputs: readonly SpikeEvents[] = [];
  private inputCursor: Int32Array;
  private numSteps = 0;
  private chunkStart = 0;

  constructor(
    private readonly description: EpropNetworkDescription,
    projections: readonly ProjectionInfo[],
    private readonly batchSize: number,
    /** Steps per chunk (K). */
    readonly chunkSteps: number,
  ) {
    if (!wasmSimdSupported()) {
      throw new EpropConfigError(
        "Chunked e-prop needs WebAssembly with SIMD (Node 16.4+, current browsers); use eligibility: 'perStep' on this engine.",
      );
    }
    if (!Number.isInteger(chunkSteps) || chunkSteps < 1) {
      throw new EpropConfigError(`chunkSteps must be a positive integer, got ${String(chunkSteps)}.`);
    }
    const dt = description.dt;
    const kappa = Math.exp(-dt / description.readout.tauOutMs);
    for (const layer of description.hidden) {
      const trace = new WasmTraceLayer(
        this.engine,
        batchSize,
        layer.size,
        chunkSteps,
        layer.beta,
        Math.exp(-dt / layer.tauMemMs),
        Math.exp(-dt / layer.tauAdaptMs),
        kappa,
      );
      const incoming = projections.filter((p) => p.kind !== "readout" && p.post === layer.name);
      this.layers.push({
        name: layer.name,
        size: layer.size,
        trace,
        projections: incoming.map((info) => ({
          info,
          trace: new WasmTraceProjection(trace, info.nPre),
          source: this.sourceFor(info.pre, info.kind === "recurrent" ? 1 : 0),
        })),
        spikeRing: Array.from({ length: RING }, () => new Float32Array(batchSize * layer.size)),
      });
    }
    this.inputCursor = new Int32Array(batchSize);
  }

  private sourceFor(pre: string, delay: 0 | 1): SpikeSource {
    let source = this.sources.find((s) => s.pre === pre && s.delay === delay);
    if (!source) {
      source = { pre, delay, lists: Array.from({ length: this.batchSize }, () => new SpikeList()) };
      this.sources.push(source);
    }
    return source;
  }

  /** Bytes of state the evaluation holds: per-synapse state and K-step histories, independent of T. */
  get stateBytes(): number {
    return this.engine.bytes;
  }

  /** Starts a trial of `numSteps` steps with these input spikes (one entry per batch element). */
  startTrial(inputs: readonly SpikeEvents[], numSteps: number): void {
    this.inputs = inputs;
    this.numSteps = numSteps;
    this.inputCursor.fill(0);
    this.chunkStart = 0;
    for (const layer of this.layers) {
      layer.trace.startTrial();
      for (const projection of layer.projections) projection.trace.zeroGradient();
      for (const ring of layer.spikeRing) ring.fill(0);
    }
    for (const source of this.sources) for (const list of source.lists) list.count = 0;
  }

  /** Call after simulation step `s` (0-based) of the trial. */
  async afterStep(s: number, runtime: Runtime): Promise<void> {
    for (const layer of this.layers) {
      const z = await runtime.readVar(layer.name, "Z");
      layer.spikeRing[s % RING]!.set(z);
    }
    const u = s - LEARNING_SIGNAL_LAG;
    if (u < 0 || u >= this.numSteps) return;
    const regularise = this.description.regularisation !== null;
    for (const layer of this.layers) {
      const [psi, learningSignal, regulariser] = await Promise.all([
        runtime.readVar(layer.name, "Psi3"),
        runtime.readVar(layer.name, "L"),
        regularise ? runtime.readVar(layer.name, "RegCoef") : Promise.resolve(null),
      ]);
      layer.trace.setStep(psi, learningSignal, regulariser);
    }
    this.collectSpikes(u);
    if (u - this.chunkStart + 1 === this.chunkSteps || u === this.numSteps - 1) {
      const position = { first: this.chunkStart === 0, last: u === this.numSteps - 1 };
      for (const layer of this.layers) {
        layer.trace.computeCoefficients();
        for (const projection of layer.projections) projection.trace.apply(projection.source.lists, position);
        layer.trace.endChunk();
      }
      for (const source of this.sources) for (const list of source.lists) list.count = 0;
      this.chunkStart = u + 1;
    }
  }

  /** Appends the spikes entering the traces at time u to every source's lists. */
  private collectSpikes(u: number): void {
    const local = u - this.chunkStart;
    for (const source of this.sources) {
      if (source.pre === this.description.input.name) {
        for (let b = 0; b < this.batchSize; b++) {
          const events = this.inputs[b]!;
          const list = source.lists[b]!;
          let k = this.inputCursor[b]!;
          while (k < events.steps.length && events.steps[k]! < u) k++;
          while (k < events.steps.length && events.steps[k] === u) list.push(local, events.units[k++]!);
          this.inputCursor[b] = k;
        }
        continue;
      }
      const time = u - source.delay;
      if (time < 0) continue;
      const layer = this.layers.find((l) => l.name === source.pre)!;
      const z = layer.spikeRing[time % RING]!;
      for (let b = 0; b < this.batchSize; b++) {
        const list = source.lists[b]!;
        const base = b * layer.size;
        for (let i = 0; i < layer.size; i++) if (z[base + i] !== 0) list.push(local, i);
      }
    }
  }

  /** Gradients of the last trial, summed over the batch, per projection, in core layout `[pre][post]`. */
  gradients(): Map<string, Float32Array> {
    const out = new Map<string, Float32Array>();
    for (const layer of this.layers) {
      for (const projection of layer.projections) {
        const gradient = projection.trace.readGradient();
        if (projection.info.kind === "recurrent") {
          for (let i = 0; i < layer.size; i++) gradient[i * layer.size + i] = 0; // no self-connections
        }
        out.set(projection.info.coreName, gradient);
      }
    }
    return out;
  }
}
