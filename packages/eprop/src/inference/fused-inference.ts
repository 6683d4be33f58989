/**
 * Fused inference: the forward pass of an inference runtime in one WebAssembly call per run of
 * steps (fused-kernel.ts), instead of the compiled network's six kernels per step called from
 * JavaScript. It serves the networks whose compiled plan is exactly the one it reproduces (one
 * hidden LIF/ALIF layer, dense input, optional recurrent and readout projections with
 * `addToPost(g)`, the host-softmax readout) on the CPU backend where WebAssembly SIMD runs; its
 * results (readout y per step, spike counts) are the network's to the bit. The weights, the
 * adaptation strengths and the readout bias are read from the compiled network
 * ({@link FusedInference.loadParameters}), so that both hold the same values.
 *
 * The compiled network's own state is not advanced by a fused trial: a caller who reads the
 * network step by step runs `runTrial` with `afterStep`, which takes the per-step path.
 */
import type { PlannedProjection, Runtime } from "@snn/core";
import { validateSpikeEvents, wasm } from "@snn/core/internal";
import { layoutEventsFunction } from "./fused-events";
import { fusablePlan, type FusablePlan } from "./fused-plan";
import type { KernelExtension } from "./fused-kernel-extension";
import { SHARED_MAXIMUM_PAGES } from "../chunked/wasm-kernels";
import type { EpropLayout } from "../compile";
import type { EpropNetworkDescription } from "../description";
import type { PreparedTrial } from "../trial";
import {
  BLOCK_NEURONS,
  CONSTANTS,
  constantValues,
  fusedInferenceKernel,
  type FusedLayout,
} from "./fused-kernel";

const PAGE = 65536;

const roundUp = (value: number, to: number): number => Math.ceil(value / to) * to;

type LayoutEvents = (
  starts: number,
  steps: number,
  units: number,
  count: number,
  numSteps: number,
  out: number,
  at: number,
) => number;

/**
 * The memory the fused kernel runs in and a bump allocator over it (zeroed, 16-byte aligned):
 * its own (inference), or the trace engine's (fused training, whose kernel writes into the
 * chunk evaluation's histories). Only `allocate` grows it; `buffer` is the buffer since then.
 */
export interface FusedArena {
  readonly memory: WebAssembly.Memory;
  /** A shared memory (imported as such by the kernel's module). */
  readonly shared: boolean;
  allocate(bytes: number): number;
  readonly buffer: ArrayBufferLike;
  /** Bytes allocated so far (with their alignment). */
  readonly bytes: number;
}

/** A memory of the fused kernel's own. */
class OwnArena implements FusedArena {
  readonly memory = new WebAssembly.Memory({ initial: 1 });
  readonly shared = false;
  private top = 0;

  allocate(bytes: number): number {
    const start = this.top;
    this.top = roundUp(start + bytes, 16);
    const pages = Math.ceil(this.top / PAGE) - this.memory.buffer.byteLength / PAGE;
    if (pages > 0) this.memory.grow(pages);
    return start;
  }

  get buffer(): ArrayBufferLike {
    return this.memory.buffer;
  }

  get bytes(): number {
    return this.top;
  }
}

/** The variant of the kernel a training runtime adds (fused-training.ts), for the layout. */
export type FusedExtension = (layout: FusedLayout) => KernelExtension;

type Kernel = (first: number, count: number, batchSize: number, ...extra: number[]) => void;

/**
 * The forward pass of an inference runtime as one WebAssembly kernel (see the file's comment),
 * or with an extension the forward pass of fused training (fused-training.ts).
 */
export class FusedInference {
  /** The kernel, compiled for the input event area's current strides (null before the first trial). */
  private kernel: Kernel | null = null;
  /** The events' layout (fused-events.ts), from the same module. */
  private layoutEvents: LayoutEvents | null = null;
  /** Byte addresses where one element's event steps and units are copied for `layoutEvents`. */
  private rawSteps = 0;
  private rawUnits = 0;
  private layout: FusedLayout;
  /**
   * Bytes of the input event areas allocated so far (a new one, from the arena, for a longer
   * trial or more events than any before): the trials' data, which grows with their length.
   */
  eventBytes = 0;
  /** The largest trial the input event area holds now (grown on demand). */
  private maxSteps = 0;
  private maxEvents = 0;
  /** The most events of one element the raw area holds. */
  private maxElementEvents = 0;

  private constructor(
    private readonly plan: FusablePlan,
    private readonly batchSize: number,
    private readonly inputSize: number,
    private readonly arena: FusedArena,
    private readonly extension: FusedExtension | null,
  ) {
    const { hidden, readout, recurrent } = plan;
    const n = hidden.size;
    const nPad = roundUp(n, BLOCK_NEURONS);
    const nOut = readout.size;
    const oPad = roundUp(nOut, 4);
    let at = 0;
    const take = (bytes: number): number => {
      const start = at;
      at = roundUp(at + bytes, 16);
      return start;
    };
    const inputWeights = take(inputSize * nPad * 4);
    const recurrentWeights = recurrent ? take(n * nPad * 4) : -1;
    const readoutWeights = take(n * oPad * 4);
    const beta = take(nPad * 4);
    const bias = take(oPad * 4);
    const offsets = {
      v: 0,
      a: nPad * 4,
      z: 2 * nPad * 4,
      refLeft: 3 * nPad * 4,
      y: 4 * nPad * 4,
      lists: 4 * nPad * 4 + oPad * 4,
      header: 6 * nPad * 4 + oPad * 4,
    };
    const elementBytes = offsets.header + 16;
    const state = take(elementBytes * batchSize);
    const scratch = take((inputSize + n) * 4);
    const constants = take(CONSTANTS.length * 16);
    // Where the arena puts the block: every address above is relative to it.
    const base = arena.allocate(at);
    const from = (address: number): number => (address < 0 ? address : base + address);
    const param = (name: string): number => {
      const value = hidden.params[name] ?? hidden.derivedParams[name];
      if (typeof value !== "number")
        throw new Error(`internal error: the hidden layer has no parameter ${name}`);
      return Math.fround(value);
    };
    const kappa = readout.params.Kappa ?? readout.derivedParams.Kappa;
    if (typeof kappa !== "number") throw new Error("internal error: the readout has no Kappa");
    this.layout = {
      hidden: n,
      hiddenPadded: nPad,
      outputs: nOut,
      outputsPadded: oPad,
      inputWeights: from(inputWeights),
      recurrentWeights: from(recurrentWeights),
      readoutWeights: from(readoutWeights),
      beta: from(beta),
      bias: from(bias),
      state: from(state),
      elementBytes,
      offsets,
      scratch: from(scratch),
      // The input events are placed by `reserveEvents`.
      inStart: 0,
      inStartStride: 0,
      inUnits: 0,
      constants: from(constants),
      alpha: param("Alpha"),
      rho: param("Rho"),
      vThresh: param("Vthresh"),
      refracHold: param("RefracHold"),
      kappa: Math.fround(kappa),
    };
    const floats = this.floats;
    const ints = this.ints;
    const at4 = this.layout.constants / 4;
    constantValues(this.layout).forEach((value, k) =>
      (CONSTANTS[k] === "refracHold" ? ints : floats).fill(value, at4 + 4 * k, at4 + 4 * k + 4),
    );
  }

  /** Where the kernel's state and parameters live (byte addresses in the arena's memory). */
  get kernelLayout(): FusedLayout {
    return this.layout;
  }

  /** The hidden layer's parameter `name` (float32 as the network holds it). */
  hiddenParameter(name: string): number {
    const hidden = this.plan.hidden;
    const value = hidden.params[name] ?? hidden.derivedParams[name];
    if (typeof value !== "number")
      throw new Error(`internal error: the hidden layer has no parameter ${name}`);
    return Math.fround(value);
  }

  /**
   * The fused forward pass of a runtime, or null where it does not reproduce the compiled
   * network (then the runtime steps the network): see the file's comment and fused-plan.ts.
   * A training runtime gives the trace engine's memory and the training extension.
   */
  static create(
    description: EpropNetworkDescription,
    layout: EpropLayout,
    runtime: Runtime,
    training: { readonly arena: FusedArena; readonly extension: FusedExtension } | null = null,
  ): FusedInference | null {
    if ((layout.mode === "train") !== (training !== null)) return null;
    const plan = fusablePlan(description, layout, runtime);
    if (plan === null) return null;
    return new FusedInference(
      plan,
      layout.batchSize,
      plan.input.size,
      training?.arena ?? new OwnArena(),
      training?.extension ?? null,
    );
  }

  private viewed: ArrayBufferLike | null = null;
  private floatView: Float32Array = new Float32Array(0);
  private intView: Int32Array = new Int32Array(0);

  /** Views of the memory (made again after it grows, which detaches the old buffer). */
  get floats(): Float32Array {
    this.refreshViews();
    return this.floatView;
  }

  get ints(): Int32Array {
    this.refreshViews();
    return this.intView;
  }

  private refreshViews(): void {
    const buffer = this.arena.buffer;
    if (this.viewed === buffer) return;
    this.viewed = buffer;
    this.floatView = new Float32Array(buffer);
    this.intView = new Int32Array(buffer);
  }

  /** Copies the weights, adaptation strengths and readout bias from the compiled network. */
  async loadParameters(runtime: Runtime): Promise<void> {
    const { plan, layout: l } = this;
    const rows = async (
      projection: PlannedProjection,
      pre: number,
      post: number,
      stride: number,
      at: number,
    ): Promise<void> => {
      const weights = await runtime.readVar(projection.name, "g");
      const floats = this.floats;
      for (let i = 0; i < pre; i++)
        floats.set(weights.subarray(i * post, (i + 1) * post), at / 4 + i * stride);
    };
    const n = l.hidden;
    await rows(plan.inputProjection, this.inputSize, n, l.hiddenPadded, l.inputWeights);
    if (plan.recurrent) await rows(plan.recurrent, n, n, l.hiddenPadded, l.recurrentWeights);
    await rows(plan.readoutProjection, n, l.outputs, l.outputsPadded, l.readoutWeights);
    this.floats.set(await runtime.readVar(plan.hidden.name, "Beta"), l.beta / 4);
    this.floats.set(await runtime.readVar(plan.readout.name, "Bias"), l.bias / 4);
  }

  /**
   * Makes room for a trial of `numSteps` steps and `events` input events (at most
   * `elementEvents` of one element): a new input event area, and the kernel compiled again for
   * its addresses and strides (compiled in), for a trial longer than any before or with more
   * events than the area holds.
   */
  private reserveEvents(numSteps: number, events: number, elementEvents: number): void {
    const longer = this.kernel === null || numSteps > this.maxSteps;
    if (!longer && events <= this.maxEvents && elementEvents <= this.maxElementEvents) return;
    if (longer) this.maxSteps = Math.max(numSteps, this.maxSteps);
    // Room for half as many events again: trials of a dataset vary in their number of events.
    if (events > this.maxEvents) this.maxEvents = Math.ceil(events * 1.5);
    if (elementEvents > this.maxElementEvents)
      this.maxElementEvents = Math.ceil(elementEvents * 1.5);
    const stride = (this.maxSteps + 1) * 4;
    // the starts, the units, then room for one element's raw events
    const before = this.arena.bytes;
    const raw = this.maxElementEvents * 4;
    const inStart = this.arena.allocate(this.batchSize * stride + this.maxEvents * 4 + 2 * raw);
    this.eventBytes += this.arena.bytes - before;
    const inUnits = inStart + this.batchSize * stride;
    this.rawSteps = inUnits + this.maxEvents * 4;
    this.rawUnits = this.rawSteps + raw;
    this.layout = { ...this.layout, inStart, inStartStride: stride, inUnits };
    const kernel = fusedInferenceKernel(this.layout, this.extension?.(this.layout) ?? null);
    const bytes = wasm.assembleModule([kernel, layoutEventsFunction()], {
      importMemory: this.arena.shared ? { shared: true, maximumPages: SHARED_MAXIMUM_PAGES } : true,
    });
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), {
      env: { memory: this.arena.memory },
    });
    this.kernel = instance.exports.run as Kernel;
    this.layoutEvents = instance.exports.layoutEvents as LayoutEvents;
  }

  /**
   * Starts a trial: zero state and no spikes (the network's reset), and the trial's input events
   * per element and step, ascending and without duplicates within a step (the spike source
   * array's order), steps at or past the trial's end left out.
   */
  startTrial(trial: PreparedTrial): void {
    const batchSize = this.batchSize;
    validateSpikeEvents(this.plan.input.name, this.inputSize, batchSize, trial.inputs);
    const T = trial.numSteps;
    let total = 0;
    let most = 0;
    for (const events of trial.inputs) {
      total += events.steps.length;
      most = Math.max(most, events.steps.length);
    }
    this.reserveEvents(T, total, most);
    const l = this.layout;
    const ints = this.ints;
    ints.fill(0, l.state / 4, (l.state + l.elementBytes * batchSize) / 4);
    const layoutEvents = this.layoutEvents!;
    let at = 0;
    for (let b = 0; b < batchSize; b++) {
      const starts = l.inStart + b * l.inStartStride;
      const { steps, units } = trial.inputs[b]!;
      ints.set(steps, this.rawSteps / 4);
      ints.set(units, this.rawUnits / 4);
      const end = layoutEvents(
        starts,
        this.rawSteps,
        this.rawUnits,
        steps.length,
        T,
        l.inUnits,
        at,
      );
      at = end >= 0 ? end : this.layoutUnsorted(starts / 4, trial.inputs[b]!, T, at);
    }
  }

  /**
   * One element's events set out as {@link startTrial} does where some step's units are not
   * ascending (the WebAssembly layout's common case): sorted within each step, duplicates
   * dropped. `at` indexes the input event area's units; returns the index after the element's.
   */
  private layoutUnsorted(
    startsAt: number,
    events: PreparedTrial["inputs"][number],
    T: number,
    at: number,
  ): number {
    const ints = this.ints;
    const unitsAt = this.layout.inUnits / 4;
    const { steps, units: from } = events;
    at += unitsAt;
    // Steps are non-negative and ascending (validated): one pass over the events, each step's
    // start written on reaching it.
    let s = 0;
    for (let k = 0; k < steps.length; k++) {
      const step = steps[k]!;
      if (step >= T) break;
      if (step >= s) {
        for (; s <= step; s++) ints[startsAt + s] = at - unitsAt;
        ints[at++] = from[k]!;
        continue;
      }
      // another event of step s - 1: in ascending order, duplicates dropped
      const first = unitsAt + ints[startsAt + s - 1]!;
      const unit = from[k]!;
      if (ints[at - 1]! < unit) {
        ints[at++] = unit;
        continue;
      }
      let q = at;
      while (q > first && ints[q - 1]! > unit) q--;
      if (q > first && ints[q - 1] === unit) continue;
      for (let r = at; r > q; r--) ints[r] = ints[r - 1]!;
      ints[q] = unit;
      at++;
    }
    for (; s <= T; s++) ints[startsAt + s] = at - unitsAt;
    return at - unitsAt;
  }

  /**
   * Runs steps `first .. first + count - 1` of the trial (started) for every batch element; an
   * extension's parameters follow.
   */
  run(first: number, count: number, ...extra: number[]): void {
    if (this.kernel === null)
      throw new Error("internal error: FusedInference.run before startTrial");
    this.kernel(first, count, this.batchSize, ...extra);
  }

  /** The readout's y after the last step run, `[batch][nOut]`, into `out`. */
  readY(out: Float32Array): void {
    const { layout: l } = this;
    const floats = this.floats;
    const nOut = l.outputs;
    for (let b = 0, k = 0; b < this.batchSize; b++) {
      const at = (l.state + b * l.elementBytes + l.offsets.y) / 4;
      for (let i = 0; i < nOut; i++) out[k++] = floats[at + i]!;
    }
  }

  /**
   * The hidden layer's V or A (`[batch][hidden]`) or the readout's y (`[batch][nOut]`) after the
   * last step run, as the compiled network's variables would hold them.
   */
  readState(field: "v" | "a" | "y"): Float32Array {
    const { layout: l, batchSize } = this;
    const floats = this.floats;
    const size = field === "y" ? l.outputs : l.hidden;
    const out = new Float32Array(batchSize * size);
    for (let b = 0; b < batchSize; b++) {
      const at = (l.state + b * l.elementBytes + l.offsets[field]) / 4;
      out.set(floats.subarray(at, at + size), b * size);
    }
    return out;
  }

  /** Hidden spikes of each batch element in the trial so far. */
  spikeCounts(): Float64Array {
    const { layout: l } = this;
    const ints = this.ints;
    const counts = new Float64Array(this.batchSize);
    for (let b = 0; b < this.batchSize; b++)
      counts[b] = ints[(l.state + b * l.elementBytes + l.offsets.header + 8) / 4]!;
    return counts;
  }

  /** The hidden layer's name (the key of its spike counts). */
  get hiddenName(): string {
    return this.plan.hidden.name;
  }
}
