/**
 * Drives chunked e-prop during a training trial (docs/chunked-eprop.md). The compiled network
 * runs only the forward pass: hidden neurons (with psi), the readout and its softmax. After
 * every step s this reads the hidden spikes z(s) and psi(s) and the readout's pi(s-1), and for
 * time u = s - 1 computes on the host the error Err(u) = m(u) (pi(u) - pi*), the learning
 * signal L(u) = B Err(u), the regulariser factor r(u) and the readout and bias gradients; every
 * K steps it evaluates the hidden projections' eligibility traces for the whole chunk in
 * WebAssembly SIMD (trace-engine.ts). Only per-synapse state crosses chunk boundaries, so
 * memory does not grow with the trial length.
 */
import type { Runtime, SpikeEvents } from "@snn/core";
import type { EpropNetworkDescription, ProjectionInfo } from "../description";
import { EpropConfigError } from "../errors";
import type { PreparedTrial } from "../trial";
import { WasmFeedback, WasmTraceEngine, WasmTraceLayer, WasmTraceProjection, type ChunkSpikes } from "./trace-engine";
import { wasm } from "@snn/core";

/** The readout's pi(u) is known after step u + 1 (its softmax sees y one step late). */
const READOUT_LAG = 1;

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

/** Presynaptic spikes as they enter a trace: input x(u), or a hidden layer's z(u) (delay 0) or z(u-1) (recurrent). */
interface SpikeSource {
  readonly pre: string;
  readonly delay: 0 | 1;
  /** One list per batch element, for the current chunk. */
  readonly lists: SpikeList[];
}

interface LayerState {
  readonly name: string;
  readonly size: number;
  readonly trace: WasmTraceLayer;
  readonly projections: { readonly info: ProjectionInfo; readonly trace: WasmTraceProjection; readonly source: SpikeSource }[];
  /** z and psi of the last steps, by step modulo {@link RING}, `[batch][size]` each. */
  readonly spikes: Float32Array[];
  readonly psi: Float32Array[];
  /** Firing-rate estimate f(u), `[batch][size]`. */
  readonly rate: Float32Array;
  readonly learningSignal: Float32Array;
  readonly regulariser: Float32Array;
  /** Feedback B_jk (read at the start of each trial), or null: no learning signal. */
  readonly feedback: WasmFeedback | null;
  readonly feedbackOwner: { readonly owner: string; readonly variable: string } | null;
  /** The readout projection from this layer, if any: gradient `[size][nOut]`, carried zbar^kappa `[batch][size]`. */
  readonly readout: { readonly info: ProjectionInfo; readonly gradient: Float64Array; readonly trace: Float64Array; readonly spikes: SpikeList[] } | null;
}

const RING = 4;

/** Per-trial chunked evaluation of an e-prop network's gradients on the host. */
export class ChunkedEligibility {
  private readonly engine = new WasmTraceEngine();
  private readonly layers: LayerState[] = [];
  private readonly sources: SpikeSource[] = [];
  private readonly nOut: number;
  private readonly kappa: number;
  private inputs: readonly SpikeEvents[] = [];
  private readonly inputCursor: Int32Array;
  /** `[batch][T]` 0/1 loss mask and `[batch][nOut]` targets of the trial. */
  private mask = new Uint8Array(0);
  private targets: Float32Array = new Float32Array(0);
  private numSteps = 0;
  private chunkStart = 0;
  /** Err(u) of the current chunk, `[batch][K][nOut]`. */
  private readonly errors: Float64Array;
  /** Err(u) of this step, `[batch][nOut]`. */
  private readonly stepErrors: Float32Array;
  private readonly biasGradient: Float64Array;
  /** c(u) = kappa c(u-1) + 1, the bias eligibility. */
  private biasTrace = 0;

  constructor(
    private readonly description: EpropNetworkDescription,
    projections: readonly ProjectionInfo[],
    private readonly batchSize: number,
    /** Steps per chunk (K). */
    readonly chunkSteps: number,
  ) {
    if (!wasm.wasmSimdSupported()) {
      throw new EpropConfigError(
        "Chunked e-prop needs WebAssembly with SIMD (Node 16.4+, current browsers); use eligibility: 'perStep' on this engine.",
      );
    }
    if (!Number.isInteger(chunkSteps) || chunkSteps < 1) {
      throw new EpropConfigError(`chunkSteps must be a positive integer, got ${String(chunkSteps)}.`);
    }
    const dt = description.dt;
    const readout = description.readout;
    this.nOut = readout.size;
    this.kappa = Math.exp(-dt / readout.tauOutMs);
    this.errors = new Float64Array(batchSize * chunkSteps * this.nOut);
    this.biasGradient = new Float64Array(this.nOut);
    this.stepErrors = new Float32Array(batchSize * this.nOut);
    for (const layer of description.hidden) {
      const trace = new WasmTraceLayer(this.engine, batchSize, layer.size, chunkSteps, layer.beta, Math.exp(-dt / layer.tauMemMs), Math.exp(-dt / layer.tauAdaptMs), this.kappa);
      const incoming = projections.filter((p) => p.kind !== "readout" && p.post === layer.name);
      const readoutProjection = projections.find((p) => p.kind === "readout" && p.pre === layer.name) ?? null;
      const perNeuron = () => new Float32Array(batchSize * layer.size);
      let feedbackOwner: LayerState["feedbackOwner"] = null;
      if (description.feedback === "random") {
        feedbackOwner = { owner: readoutProjection?.coreName ?? `${layer.name}__${readout.name}__feedback`, variable: "B" };
      } else if (readoutProjection) {
        feedbackOwner = { owner: readoutProjection.coreName, variable: "g" };
      }
      this.layers.push({
        name: layer.name,
        size: layer.size,
        trace,
        projections: incoming.map((info) => ({
          info,
          trace: new WasmTraceProjection(trace, info.nPre),
          source: this.sourceFor(info.pre, info.kind === "recurrent" ? 1 : 0),
        })),
        spikes: Array.from({ length: RING }, perNeuron),
        psi: Array.from({ length: RING }, perNeuron),
        rate: perNeuron(),
        learningSignal: perNeuron(),
        regulariser: perNeuron(),
        feedback: feedbackOwner ? new WasmFeedback(this.engine, batchSize, layer.size, this.nOut) : null,
        feedbackOwner,
        readout: readoutProjection
          ? {
              info: readoutProjection,
              gradient: new Float64Array(layer.size * this.nOut),
              trace: new Float64Array(batchSize * layer.size),
              spikes: Array.from({ length: batchSize }, () => new SpikeList()),
            }
          : null,
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
    return this.engine.bytes + this.errors.byteLength;
  }

  /** Starts a trial; reads the feedback weights it will use (the readout weights for symmetric e-prop). */
  async startTrial(trial: PreparedTrial, runtime: Runtime): Promise<void> {
    const batchSize = this.batchSize;
    const T = trial.numSteps;
    this.inputs = trial.inputs;
    this.numSteps = T;
    this.inputCursor.fill(0);
    this.chunkStart = 0;
    this.mask = new Uint8Array(batchSize * T);
    trial.maskEvents.forEach((events, b) => {
      for (const step of events.steps) if (step < T) this.mask[b * T + step] = 1;
    });
    this.targets = trial.targets;
    this.biasGradient.fill(0);
    this.biasTrace = 0;
    for (const layer of this.layers) {
      layer.trace.startTrial();
      for (const projection of layer.projections) projection.trace.zeroGradient();
      for (const ring of [...layer.spikes, ...layer.psi]) ring.fill(0);
      layer.rate.fill(0);
      if (layer.readout) {
        layer.readout.gradient.fill(0);
        layer.readout.trace.fill(0);
      }
      if (layer.feedback && layer.feedbackOwner) layer.feedback.setWeights(await runtime.readVar(layer.feedbackOwner.owner, layer.feedbackOwner.variable));
    }
    for (const source of this.sources) for (const list of source.lists) list.count = 0;
    for (const layer of this.layers) for (const list of layer.readout?.spikes ?? []) list.count = 0;
  }

  /** Call after simulation step `s` (0-based) of the trial. */
  async afterStep(s: number, runtime: Runtime): Promise<void> {
    const u = s - READOUT_LAG;
    const reads = this.layers.map(async (layer) => {
      const [z, psi] = await Promise.all([runtime.readVar(layer.name, "Z"), runtime.readVar(layer.name, "Psi0")]);
      layer.spikes[s % RING]!.set(z);
      layer.psi[s % RING]!.set(psi);
    });
    const pi = u >= 0 && u < this.numSteps ? runtime.readVar(this.description.readout.name, "Pi") : null;
    await Promise.all(reads);
    if (pi === null) return;
    this.processStep(u, await pi);
  }

  private processStep(u: number, pi: ArrayLike<number>): void {
    const { batchSize, nOut, kappa } = this;
    const T = this.numSteps;
    const local = u - this.chunkStart;
    // Err(u) = m(u) (pi(u) - pi*), and the bias gradient sum_t Err(t) c(t).
    this.biasTrace = kappa * this.biasTrace + 1;
    const errors = this.errors;
    const stepErrors = this.stepErrors;
    for (let b = 0; b < batchSize; b++) {
      const m = this.mask[b * T + u]!;
      const row = (b * this.chunkSteps + local) * nOut;
      for (let k = 0; k < nOut; k++) {
        const error = m ? pi[b * nOut + k]! - this.targets[b * nOut + k]! : 0;
        errors[row + k] = error;
        stepErrors[b * nOut + k] = error;
        this.biasGradient[k]! += error * this.biasTrace;
      }
    }
    const regularisation = this.description.regularisation;
    for (const layer of this.layers) {
      const n = layer.size;
      const z = layer.spikes[u % RING]!;
      const psi = layer.psi[u % RING]!;
      // L(u) = B Err(u)
      const L = layer.learningSignal;
      if (layer.feedback) layer.feedback.compute(stepErrors, L);
      else L.fill(0);
      // r(u) = c_reg (f(u) - f_target dt), f(u) = alpha_f f(u-1) + (1 - alpha_f) z(u)
      let regulariser: Float32Array | null = null;
      if (regularisation) {
        const alphaF = Math.exp(-this.description.dt / regularisation.tauMs);
        const targetPerStep = (regularisation.targetRateHz * this.description.dt) / 1000;
        regulariser = layer.regulariser;
        for (let k = 0; k < batchSize * n; k++) {
          layer.rate[k] = alphaF * layer.rate[k]! + (1 - alphaF) * z[k]!;
          regulariser[k] = regularisation.strength * (layer.rate[k]! - targetPerStep);
        }
      }
      layer.trace.setStep(psi, L, regulariser);
      if (layer.readout) {
        for (let b = 0; b < batchSize; b++) {
          for (let j = 0; j < n; j++) if (z[b * n + j] !== 0) layer.readout.spikes[b]!.push(local, j);
        }
      }
    }
    this.collectSpikes(u, local);
    if (local + 1 === this.chunkSteps || u === T - 1) this.endChunk(local + 1, { first: this.chunkStart === 0, last: u === T - 1 });
  }

  /** Appends the spikes entering the traces at time u to every source's lists. */
  private collectSpikes(u: number, local: number): void {
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
      const z = layer.spikes[time % RING]!;
      for (let b = 0; b < this.batchSize; b++) {
        const list = source.lists[b]!;
        const base = b * layer.size;
        for (let i = 0; i < layer.size; i++) if (z[base + i] !== 0) list.push(local, i);
      }
    }
  }

  private endChunk(steps: number, position: { first: boolean; last: boolean }): void {
    for (const layer of this.layers) {
      layer.trace.computeCoefficients();
      for (const projection of layer.projections) projection.trace.apply(projection.source.lists, position);
      layer.trace.endChunk();
      if (layer.readout) this.readoutChunk(layer, steps);
    }
    for (const source of this.sources) for (const list of source.lists) list.count = 0;
    this.chunkStart += steps;
  }

  /**
   * Readout gradient over a chunk: dW_kj = sum_t Err_k(t) zbar_j(t), zbar_j(t) = kappa zbar_j(t-1) + z_j(t).
   * With the backward-filtered error E(u) = sum_{t >= u in the chunk} kappa^(t-u) Err(t), a spike
   * at u adds E(u) and the carried zbar_j(t0) adds kappa zbar_j(t0) E(0).
   */
  private readoutChunk(layer: LayerState, steps: number): void {
    const readout = layer.readout!;
    const { batchSize, nOut, kappa, chunkSteps } = this;
    const n = layer.size;
    const filtered = new Float64Array(steps * nOut);
    const decay = kappa ** steps;
    for (let b = 0; b < batchSize; b++) {
      for (let k = 0; k < nOut; k++) filtered[(steps - 1) * nOut + k] = this.errors[(b * chunkSteps + steps - 1) * nOut + k]!;
      for (let u = steps - 2; u >= 0; u--) {
        for (let k = 0; k < nOut; k++) filtered[u * nOut + k] = this.errors[(b * chunkSteps + u) * nOut + k]! + kappa * filtered[(u + 1) * nOut + k]!;
      }
      for (let j = 0; j < n; j++) {
        const carried = readout.trace[b * n + j]!;
        if (carried !== 0) for (let k = 0; k < nOut; k++) readout.gradient[j * nOut + k]! += kappa * carried * filtered[k]!;
        readout.trace[b * n + j] = carried * decay;
      }
      const list = readout.spikes[b]!;
      for (let e = 0; e < list.count; e++) {
        const u = list.steps[e]!;
        const j = list.units[e]!;
        for (let k = 0; k < nOut; k++) readout.gradient[j * nOut + k]! += filtered[u * nOut + k]!;
        readout.trace[b * n + j]! += kappa ** (steps - 1 - u);
      }
      list.count = 0;
    }
  }

  /**
   * Gradients of the last trial summed over the batch, by core owner and variable, in core
   * layout (`[pre][post]` for projections).
   */
  gradients(): { owner: string; variable: string; values: Float32Array }[] {
    const out: { owner: string; variable: string; values: Float32Array }[] = [];
    for (const layer of this.layers) {
      for (const projection of layer.projections) {
        const gradient = projection.trace.readGradient();
        if (projection.info.kind === "recurrent") {
          for (let i = 0; i < layer.size; i++) gradient[i * layer.size + i] = 0; // no self-connections
        }
        out.push({ owner: projection.info.coreName, variable: "GradSum", values: gradient });
      }
      if (layer.readout) out.push({ owner: layer.readout.info.coreName, variable: "GradSum", values: Float32Array.from(layer.readout.gradient) });
    }
    out.push({ owner: this.description.readout.name, variable: "BiasGradSum", values: Float32Array.from(this.biasGradient) });
    return out;
  }
}
