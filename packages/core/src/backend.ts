import type { DeviceAccess } from "./device-access";
import { RuntimeUsageError, SnnError } from "./errors";
import type { KernelPlan, PlannedVar, VarArray } from "./plan-types";
import type { ScalarType } from "./snippet/ast";

/** Version of the backend interface this core defines. */
export const BACKEND_INTERFACE_VERSION = 2;

/**
 * Spikes of one batch element for a spike source array: parallel arrays sorted by step
 * (ascending), giving the 0-based step within the trial and the source neuron.
 */
export interface SpikeEvents {
  readonly steps: Int32Array;
  readonly units: Int32Array;
}

/** Recorded spikes of one population over the current trial, sorted by step, then batch, then neuron. */
export interface SpikeRecording {
  readonly steps: Int32Array;
  readonly neurons: Int32Array;
  readonly batches: Int32Array;
  /** Steps recorded (the trial's length so far). */
  readonly numSteps: number;
}

/** What a compiled runtime offers and uses. */
export interface RuntimeCapabilities {
  readonly backend: string;
  readonly interfaceVersion: number;
  /** e.g. adapter and driver for WebGPU, Node version for the CPU. */
  readonly device: string;
  readonly batchSize: number;
  /** Bytes of state held per variable owner and in total; e.g. to show memory does not grow with trial length. */
  readonly bufferBytes: {
    readonly total: number;
    readonly byOwner: Readonly<Record<string, number>>;
  };
  /** Largest single buffer the device allows, in bytes (Infinity where unlimited). */
  readonly maxBufferBytes: number;
}

export interface CompileOptions {
  /** Print or receive the generated code (WGSL shaders, JavaScript functions). */
  readonly printCode?: boolean | ((label: string, code: string) => void);
  /** Steps of spike recording to allocate per trial (grown or checked by the backend). Default 1000. */
  readonly recordingSteps?: number;
}

/**
 * A compiled network. Reads are async (a GPU must copy back); everything else is ordered:
 * calls take effect in the order they are made.
 */
export interface Runtime {
  readonly plan: KernelPlan;
  readonly capabilities: RuntimeCapabilities;
  /** Steps simulated in the current trial. */
  readonly trialStep: number;
  /** Advances `count` timesteps (default 1). */
  step(count?: number): Promise<void>;
  /**
   * Optional, for runtimes that simulate on the host (the CPU backend): what `step` does,
   * synchronously, for code that steps one at a time and reads state in between.
   */
  stepSync?(count?: number): void;
  /** Starts a new trial: the trial step and spike recordings restart at 0; state is kept (reset it with custom updates or `resetState`). */
  startTrial(): void;
  /** Sets every variable of the network back to its initial value. */
  resetState(): Promise<void>;
  /** Sets the spikes a spike-source-array population emits in this trial, one entry per batch element. */
  setSpikeEvents(population: string, events: readonly SpikeEvents[]): void;
  /** Copies a variable out: `[batch][size]` when batched, else `[size]`. Owner: population, projection or custom update name. */
  readVar(owner: string, name: string): Promise<VarArray>;
  /**
   * Optional, for runtimes whose state is in host memory (the CPU backend): copies a variable
   * into `out` (same layout and element type as `readVar`'s result) synchronously and without
   * allocating, for code that reads state after every step.
   */
  readVarInto?(owner: string, name: string, out: VarArray): void;
  /**
   * Optional, for runtimes on a WebGPU device (the WebGPU backend): the device, the network's
   * buffers and a hook into every step, for code that adds its own kernels to the network.
   */
  readonly deviceAccess?: DeviceAccess;
  /** Overwrites a variable, in the layout `readVar` returns (or `[size]`, broadcast over the batch). */
  writeVar(owner: string, name: string, values: ArrayLike<number>): Promise<void>;
  /**
   * Changes a `dynamic` param of a population's, projection's or custom update's model (and the
   * model's derived params) for the steps and updates that follow. Throws `RuntimeUsageError`
   * for an unknown owner or param, a param that is not dynamic, or a non-finite value.
   */
  setParam(owner: string, name: string, value: number): void;
  /** Spikes recorded in this trial by a population created with `recordSpikes: true`. */
  readSpikes(population: string): Promise<SpikeRecording>;
  /** Runs every custom update of a group, in declaration order. */
  runCustomUpdate(group: string): Promise<void>;
  /** Waits until all submitted work has finished. */
  finish(): Promise<void>;
  /** Frees the runtime's resources; later calls throw. */
  dispose(): void;
}

/**
 * How to make an equal backend in another thread (a worker): import `module` (a URL or a
 * specifier that resolves from the worker) and call its export `factory` with `options`
 * (structured-cloneable). E.g. `{ module: import.meta.url, factory: "cpuBackend", options: {} }`.
 */
export interface BackendWorkerSource {
  readonly module: string;
  readonly factory: string;
  readonly options?: unknown;
}

/** A backend compiles kernel plans into runtimes. */
export interface Backend {
  readonly name: string;
  readonly interfaceVersion: number;
  /** Whether this backend can run here (e.g. a WebGPU adapter exists). */
  isAvailable(): Promise<boolean>;
  compile(plan: KernelPlan, options?: CompileOptions): Promise<Runtime>;
  /**
   * Where the backend can be created again in a worker thread (e.g. by data-parallel e-prop
   * training with several threads); absent when it cannot (a GPU device is not shared).
   */
  readonly worker?: BackendWorkerSource;
}

/**
 * Chooses a backend by name, or `auto`: the first available one in order of preference
 * (e.g. WebGPU before CPU). An explicit choice that is unavailable is an error, never a
 * silent switch.
 *
 * ```ts
 * const registry = new BackendRegistry([webgpuBackend(), cpuBackend()]);
 * const backend = await registry.select("auto");
 * ```
 */
export class BackendRegistry {
  private readonly backends: readonly Backend[];

  /** `backends` in order of preference for `auto`. */
  constructor(backends: readonly Backend[]) {
    for (const backend of backends) {
      if (backend.interfaceVersion !== BACKEND_INTERFACE_VERSION) {
        throw new SnnError(
          `Backend '${backend.name}' implements backend interface ${backend.interfaceVersion}, but this @snn/core needs ${BACKEND_INTERFACE_VERSION}; install matching versions of @snn/core and the backend.`,
        );
      }
    }
    this.backends = backends;
  }

  /** Names of the registered backends. */
  get names(): string[] {
    return this.backends.map((b) => b.name);
  }

  async select(name: string): Promise<Backend> {
    if (name === "auto") {
      for (const backend of this.backends) {
        if (await backend.isAvailable()) return backend;
      }
      throw new SnnError(`No backend is available here (tried ${this.names.join(", ")}).`);
    }
    const backend = this.backends.find((b) => b.name === name);
    if (!backend) {
      throw new SnnError(
        `Unknown backend '${name}'. Available: ${[...this.names, "auto"].join(", ")}.`,
      );
    }
    if (!(await backend.isAvailable())) {
      throw new SnnError(
        `The ${name} backend is not available on this machine; choose another with its name or 'auto'.`,
      );
    }
    return backend;
  }
}

/** Bytes per element of every scalar type (all 32-bit). */
export const BYTES_PER_ELEMENT = 4;

/** A zeroed typed array for `length` elements of a scalar type (bool is stored as u32). */
export function allocateVarArray(type: ScalarType, length: number): VarArray {
  switch (type) {
    case "float":
      return new Float32Array(length);
    case "int":
      return new Int32Array(length);
    case "uint":
    case "bool":
      return new Uint32Array(length);
  }
}

/** Number of elements a variable stores for a batch size. */
export function storedLength(variable: PlannedVar, batchSize: number): number {
  return variable.batched ? variable.size * batchSize : variable.size;
}

/** Fills storage of a variable with its initial value (broadcasting a `[size]` array over the batch). */
export function fillInitialValues(target: VarArray, variable: PlannedVar, batchSize: number): void {
  const initial = variable.initial;
  if (typeof initial === "number") {
    target.fill(initial);
    return;
  }
  const copies = variable.batched ? batchSize : 1;
  if (initial.length === target.length) {
    target.set(initial);
  } else {
    for (let b = 0; b < copies; b++) target.set(initial, b * variable.size);
  }
}

/**
 * Checks values given to `writeVar` and expands them to the stored layout.
 * Accepts `[batch][size]` for batched variables, or `[size]` broadcast over the batch.
 */
export function expandVarValues(
  variable: PlannedVar,
  batchSize: number,
  values: ArrayLike<number>,
  owner: string,
): VarArray {
  const length = storedLength(variable, batchSize);
  if (values.length !== length && values.length !== variable.size) {
    throw new RuntimeUsageError(
      `writeVar(${owner}, ${variable.name}): got ${values.length} values, expected ${length}${variable.batched ? ` (batch ${batchSize} x ${variable.size})` : ""}${variable.batched ? ` or ${variable.size} to broadcast over the batch` : ""}.`,
    );
  }
  const out = allocateVarArray(variable.type, length);
  const copies = values.length === length ? 1 : length / variable.size;
  for (let c = 0; c < copies; c++) {
    for (let i = 0; i < values.length; i++) out[c * values.length + i] = values[i]!;
  }
  return out;
}

/** Checks spike events for a spike source array of `size` neurons and `batchSize` elements. */
export function validateSpikeEvents(
  population: string,
  size: number,
  batchSize: number,
  events: readonly SpikeEvents[],
): void {
  if (!Array.isArray(events) || events.length !== batchSize) {
    throw new RuntimeUsageError(
      `setSpikeEvents(${population}): give one SpikeEvents per batch element (${batchSize}), got ${Array.isArray(events) ? events.length : typeof events}.`,
    );
  }
  for (let b = 0; b < events.length; b++) {
    const e = events[b];
    if (
      !(e?.steps instanceof Int32Array) ||
      !(e.units instanceof Int32Array) ||
      e.steps.length !== e.units.length
    ) {
      throw new RuntimeUsageError(
        `setSpikeEvents(${population}): batch element ${b} must be { steps: Int32Array, units: Int32Array } of equal length.`,
      );
    }
    const k = firstInvalidEvent(e.steps, e.units, size);
    if (k < 0) continue;
    const unit = e.units[k]!;
    if (unit < 0 || unit >= size) {
      throw new RuntimeUsageError(
        `setSpikeEvents(${population}): batch element ${b}, event ${k} has unit ${unit}, outside 0..${size - 1}.`,
      );
    }
    throw new RuntimeUsageError(
      `setSpikeEvents(${population}): batch element ${b}: steps must be non-negative and sorted ascending (event ${k} has step ${e.steps[k]}).`,
    );
  }
}

/** The first event with a unit outside 0..size-1 or a step below 0 or below the previous one, or -1 (a tight loop: trials carry ~1e5 events). */
function firstInvalidEvent(steps: Int32Array, units: Int32Array, size: number): number {
  let previous = 0;
  for (let k = 0; k < steps.length; k++) {
    const unit = units[k]!;
    const step = steps[k]!;
    if (unit < 0 || unit >= size || step < previous) return k;
    previous = step;
  }
  return -1;
}
