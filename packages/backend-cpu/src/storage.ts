/**
 * Struct-of-arrays storage of a compiled network: one typed array per variable (`[batch][size]`
 * when batched, `[size]` when shared), postsynaptic input and additional inputs per neuron and
 * batch element, and spike lists (this step's and last step's) per population and batch
 * element. Arrays are allocated once; generated code keeps references to them for the
 * runtime's life, so everything that changes contents writes in place.
 *
 * All of these arrays are views into one `WebAssembly.Memory` (16-byte aligned) when the engine
 * has WebAssembly, so that WebAssembly kernels (wasm-delivery.ts) work on the same state as the
 * generated JavaScript; the memory is sized once and never grows (growing would detach the
 * views). Without WebAssembly, or when the memory cannot be had, each array is its own.
 */
import { UnsupportedFeatureError } from "@snn/core";
import {
  allocateVarArray,
  dynamicParamNames,
  fillInitialValues,
  storedLength,
} from "@snn/core/internal";
import type { KernelPlan, ParamSpec, PlannedVar, ScalarType, VarArray } from "@snn/core";

/** Where the arrays of a network's state come from. */
interface ArrayAllocator {
  float32(length: number): Float32Array;
  int32(length: number): Int32Array;
  variable(type: ScalarType, length: number): VarArray;
}

const WASM_PAGE_BYTES = 65536;
/** Largest WebAssembly memory we ask for (4 GiB is the wasm32 ceiling; engines may give less). */
const MAX_WASM_PAGES = 65536;
const alignedBytes = (length: number): number => Math.ceil((length * 4) / 16) * 16;

/** Counts the bytes an allocation would take and hands out empty arrays. */
class MeasuringAllocator implements ArrayAllocator {
  bytes = 0;
  float32(length: number): Float32Array {
    this.bytes += alignedBytes(length);
    return new Float32Array(0);
  }
  int32(length: number): Int32Array {
    this.bytes += alignedBytes(length);
    return new Int32Array(0);
  }
  variable(type: ScalarType, length: number): VarArray {
    this.bytes += alignedBytes(length);
    return allocateVarArray(type, 0);
  }
}

/** Hands out consecutive 16-byte-aligned views of one buffer. */
class BufferAllocator implements ArrayAllocator {
  private offset = 0;
  constructor(private readonly buffer: ArrayBuffer) {}
  private take(length: number): number {
    const at = this.offset;
    this.offset += alignedBytes(length);
    return at;
  }
  float32(length: number): Float32Array {
    return new Float32Array(this.buffer, this.take(length), length);
  }
  int32(length: number): Int32Array {
    return new Int32Array(this.buffer, this.take(length), length);
  }
  variable(type: ScalarType, length: number): VarArray {
    const at = this.take(length);
    return type === "float"
      ? new Float32Array(this.buffer, at, length)
      : type === "int"
        ? new Int32Array(this.buffer, at, length)
        : new Uint32Array(this.buffer, at, length);
  }
}

/** Allocates each array on its own. */
const separateArrays: ArrayAllocator = {
  float32: (length) => new Float32Array(length),
  int32: (length) => new Int32Array(length),
  variable: (type, length) => allocateVarArray(type, length),
};

export interface StoredVar {
  readonly planned: PlannedVar;
  readonly array: VarArray;
}

/** Spike events of a spike source array, flattened over the batch (replaced by `setSpikeEvents`). */
export interface SpikeSourceEvents {
  steps: Int32Array;
  units: Int32Array;
  /** Per batch element: first and one-past-last event in `steps`/`units`, and the next event to emit. */
  readonly start: Int32Array;
  readonly end: Int32Array;
  readonly cursor: Int32Array;
}

/**
 * A group's params that the generated code reads from memory instead of constants: its
 * `dynamic` params and, with them, its derived params (computed again when one changes).
 */
export interface DynamicParams {
  /** Current values, float32: slot `slots.get(name)`. */
  readonly values: Float32Array;
  readonly slots: ReadonlyMap<string, number>;
  /** The group's current params, all of them (the derived params are computed from these). */
  current: Record<string, number>;
}

export interface PopulationStorage {
  readonly vars: Map<string, StoredVar>;
  /** Dynamic params of the neuron model, or null: none. */
  readonly params: DynamicParams | null;
  /** `[batch][size]` per additional input. */
  readonly additionalInputs: Map<string, Float32Array>;
  /** This step's spikes: neuron ids of batch element b at `b * size ..`, sorted ascending. */
  readonly spikes: Int32Array;
  readonly spikeCount: Int32Array;
  /** Last step's spikes, same layout. */
  readonly previousSpikes: Int32Array;
  readonly previousSpikeCount: Int32Array;
  /** Spike source arrays only. */
  readonly events: SpikeSourceEvents | null;
}

export interface ProjectionStorage {
  readonly vars: Map<string, StoredVar>;
  /** Dynamic params of the weight-update model, or null: none. */
  readonly params: DynamicParams | null;
  readonly preVars: Map<string, StoredVar>;
  readonly postVars: Map<string, StoredVar>;
  readonly postsynapticVars: Map<string, StoredVar>;
  /** Summed `addToPost` input of this step, `[batch][postSize]`, when a postsynaptic model takes it. */
  readonly inSyn: Float32Array | null;
  /**
   * Sparse connectivity's rows (a copy of the plan's `rowStart` and `postIndex`) in the state
   * memory, for the WebAssembly delivery kernel; null for other connectivity or without a memory.
   */
  readonly rows: { readonly rowStart: Int32Array; readonly postIndex: Int32Array } | null;
}

export interface CustomUpdateStorage {
  readonly vars: Map<string, StoredVar>;
  /** Dynamic params of the custom update's model, or null: none. */
  readonly params: DynamicParams | null;
}

/** The dynamic-param slots of a group, or null when its model has no dynamic param. */
function dynamicParams(
  group: {
    readonly model: { readonly params?: Readonly<Record<string, ParamSpec>> };
    readonly params: Readonly<Record<string, number>>;
    readonly derivedParams: Readonly<Record<string, number>>;
  },
  allocate: ArrayAllocator,
): DynamicParams | null {
  const names = dynamicParamNames(group.model);
  if (names.length === 0) return null;
  const all = [...names, ...Object.keys(group.derivedParams)];
  const values = allocate.float32(all.length);
  all.forEach((name, k) => (values[k] = group.params[name] ?? group.derivedParams[name]!));
  return { values, slots: new Map(all.map((name, k) => [name, k])), current: { ...group.params } };
}

/** Largest typed array this engine allocates for one variable, in bytes. */
export const MAX_BUFFER_BYTES = 2 ** 32;

/** Says which variable is too large for one array, and what would fit, before anything is allocated. */
function checkVarSizes(plan: KernelPlan): void {
  const groups: [string, readonly PlannedVar[]][] = [
    ...plan.populations.map((p): [string, readonly PlannedVar[]] => [
      `population '${p.name}'`,
      p.vars,
    ]),
    ...plan.projections.flatMap((p): [string, readonly PlannedVar[]][] => [
      [
        `projection '${p.name}'`,
        [...p.vars, ...p.preVars, ...p.postVars, ...(p.postsynaptic?.vars ?? [])],
      ],
    ]),
    ...plan.customUpdates.map((u): [string, readonly PlannedVar[]] => [
      `custom update '${u.name}'`,
      u.vars,
    ]),
  ];
  for (const [owner, vars] of groups) {
    for (const planned of vars) {
      const bytes = storedLength(planned, plan.batchSize) * 4;
      if (bytes <= MAX_BUFFER_BYTES) continue;
      const perElement = planned.batched ? planned.size * 4 : bytes;
      const fits = planned.batched ? Math.floor(MAX_BUFFER_BYTES / perElement) : 0;
      throw new UnsupportedFeatureError(
        "cpu",
        `a variable over 4 GiB`,
        `variable '${planned.name}' of ${owner} needs ${bytes} bytes (${planned.size} elements${planned.batched ? ` x batch ${plan.batchSize}` : ""}); ${fits > 0 ? `a batch of at most ${fits} fits, or ` : ""}use fewer neurons or synapses`,
      );
    }
  }
}

function storeVars(
  vars: readonly PlannedVar[],
  batchSize: number,
  allocate: ArrayAllocator,
): Map<string, StoredVar> {
  const map = new Map<string, StoredVar>();
  for (const planned of vars)
    map.set(planned.name, {
      planned,
      array: allocate.variable(planned.type, storedLength(planned, batchSize)),
    });
  return map;
}

interface StorageLayout {
  readonly populations: PopulationStorage[];
  readonly projections: ProjectionStorage[];
  readonly customUpdates: CustomUpdateStorage[];
}

function layOut(plan: KernelPlan, allocate: ArrayAllocator): StorageLayout {
  const batchSize = plan.batchSize;
  const populations = plan.populations.map((population): PopulationStorage => {
    const n = population.size * batchSize;
    return {
      vars: storeVars(population.vars, batchSize, allocate),
      params: dynamicParams(population, allocate),
      additionalInputs: new Map(
        population.additionalInputs.map((name) => [name, allocate.float32(n)]),
      ),
      spikes: allocate.int32(n),
      spikeCount: allocate.int32(batchSize),
      previousSpikes: allocate.int32(n),
      previousSpikeCount: allocate.int32(batchSize),
      events: population.spikeSource
        ? {
            steps: new Int32Array(0),
            units: new Int32Array(0),
            start: new Int32Array(batchSize),
            end: new Int32Array(batchSize),
            cursor: new Int32Array(batchSize),
          }
        : null,
    };
  });
  const projections = plan.projections.map((projection): ProjectionStorage => ({
    vars: storeVars(projection.vars, batchSize, allocate),
    params: dynamicParams(projection, allocate),
    preVars: storeVars(projection.preVars, batchSize, allocate),
    postVars: storeVars(projection.postVars, batchSize, allocate),
    postsynapticVars: storeVars(projection.postsynaptic?.vars ?? [], batchSize, allocate),
    inSyn: projection.postsynaptic
      ? allocate.float32(plan.populations[projection.post]!.size * batchSize)
      : null,
    rows:
      projection.connectivity.kind === "sparse" && allocate !== separateArrays
        ? {
            rowStart: allocate.int32(projection.connectivity.rowStart.length),
            postIndex: allocate.int32(projection.connectivity.postIndex.length),
          }
        : null,
  }));
  const customUpdates = plan.customUpdates.map((update): CustomUpdateStorage => ({
    vars: storeVars(update.vars, batchSize, allocate),
    params: dynamicParams(update, allocate),
  }));
  return { populations, projections, customUpdates };
}

/** One WebAssembly memory of at least `bytes`, or null where the engine has none or refuses the size. */
function wasmMemory(bytes: number): WebAssembly.Memory | null {
  if (typeof WebAssembly !== "object" || typeof WebAssembly.Memory !== "function") return null;
  const pages = Math.max(1, Math.ceil(bytes / WASM_PAGE_BYTES));
  if (pages > MAX_WASM_PAGES) return null;
  try {
    return new WebAssembly.Memory({ initial: pages, maximum: pages });
  } catch {
    return null;
  }
}

export class NetworkStorage {
  readonly populations: PopulationStorage[];
  readonly projections: ProjectionStorage[];
  readonly customUpdates: CustomUpdateStorage[];
  /** `[trial step, global step (steps since compile, mod 2^32)]`. */
  readonly clock = new Float64Array(2);
  /** Times each custom update has run (its random-number counter). */
  readonly customUpdateRuns: Float64Array;

  /** The WebAssembly memory every state array lives in, or null when they are separate arrays. */
  readonly memory: WebAssembly.Memory | null;

  constructor(
    readonly plan: KernelPlan,
    options: { readonly useWasmMemory?: boolean } = {},
  ) {
    checkVarSizes(plan);
    const measure = new MeasuringAllocator();
    layOut(plan, measure);
    this.memory = options.useWasmMemory === false ? null : wasmMemory(measure.bytes);
    const layout = layOut(
      plan,
      this.memory ? new BufferAllocator(this.memory.buffer) : separateArrays,
    );
    this.populations = layout.populations;
    this.projections = layout.projections;
    this.customUpdates = layout.customUpdates;
    for (const { stored } of this.allVars())
      fillInitialValues(stored.array, stored.planned, plan.batchSize);
    this.projections.forEach((projection, p) => {
      const connectivity = plan.projections[p]!.connectivity;
      if (projection.rows && connectivity.kind === "sparse") {
        projection.rows.rowStart.set(connectivity.rowStart);
        projection.rows.postIndex.set(connectivity.postIndex);
      }
    });
    this.customUpdateRuns = new Float64Array(plan.customUpdates.length);
  }

  /** Every stored variable with its owner, in a stable order. */
  *allVars(): Iterable<{ owner: string; stored: StoredVar }> {
    for (const [p, storage] of this.populations.entries()) {
      for (const stored of storage.vars.values())
        yield { owner: this.plan.populations[p]!.name, stored };
    }
    for (const [p, storage] of this.projections.entries()) {
      const owner = this.plan.projections[p]!.name;
      for (const map of [
        storage.vars,
        storage.preVars,
        storage.postVars,
        storage.postsynapticVars,
      ]) {
        for (const stored of map.values()) yield { owner, stored };
      }
    }
    for (const [c, storage] of this.customUpdates.entries()) {
      for (const stored of storage.vars.values())
        yield { owner: this.plan.customUpdates[c]!.name, stored };
    }
  }

  /** Sets every variable to its initial value and clears inputs and spikes in flight. */
  resetState(): void {
    for (const { stored } of this.allVars())
      fillInitialValues(stored.array, stored.planned, this.plan.batchSize);
    for (const population of this.populations) {
      for (const input of population.additionalInputs.values()) input.fill(0);
    }
    for (const projection of this.projections) projection.inSyn?.fill(0);
    this.clearSpikes();
  }

  /** Forgets spikes in flight (this step's and last step's lists) and rewinds spike sources. */
  clearSpikes(): void {
    for (const population of this.populations) {
      population.spikeCount.fill(0);
      population.previousSpikeCount.fill(0);
      if (population.events) population.events.cursor.set(population.events.start);
    }
  }

  /** Makes this step's spikes last step's (start of a step). Copies only the spikes, not whole buffers. */
  advanceSpikes(): void {
    const batchSize = this.plan.batchSize;
    for (let p = 0; p < this.populations.length; p++) {
      const population = this.populations[p]!;
      const size = this.plan.populations[p]!.size;
      const { spikes, spikeCount, previousSpikes, previousSpikeCount } = population;
      for (let b = 0; b < batchSize; b++) {
        const count = spikeCount[b]!;
        const base = b * size;
        for (let k = 0; k < count; k++) previousSpikes[base + k] = spikes[base + k]!;
        previousSpikeCount[b] = count;
      }
    }
  }

  /** Bytes of state per owner (variables, inputs, spike lists) and in total. */
  bufferBytes(): { total: number; byOwner: Record<string, number> } {
    const byOwner: Record<string, number> = {};
    const add = (owner: string, bytes: number): void => {
      byOwner[owner] = (byOwner[owner] ?? 0) + bytes;
    };
    this.populations.forEach((storage, p) => {
      const owner = this.plan.populations[p]!.name;
      add(owner, 0);
      for (const { array } of storage.vars.values()) add(owner, array.byteLength);
      for (const input of storage.additionalInputs.values()) add(owner, input.byteLength);
      add(owner, storage.spikes.byteLength * 2 + storage.spikeCount.byteLength * 2);
    });
    this.projections.forEach((storage, p) => {
      const owner = this.plan.projections[p]!.name;
      add(owner, 0);
      for (const map of [
        storage.vars,
        storage.preVars,
        storage.postVars,
        storage.postsynapticVars,
      ]) {
        for (const { array } of map.values()) add(owner, array.byteLength);
      }
      if (storage.inSyn) add(owner, storage.inSyn.byteLength);
      const connectivity = this.plan.projections[p]!.connectivity;
      if (connectivity.kind === "sparse")
        add(
          owner,
          connectivity.rowStart.byteLength +
            connectivity.postIndex.byteLength +
            connectivity.preIndex.byteLength,
        );
      if (storage.rows)
        add(owner, storage.rows.rowStart.byteLength + storage.rows.postIndex.byteLength);
    });
    this.customUpdates.forEach((storage, c) => {
      const owner = this.plan.customUpdates[c]!.name;
      add(owner, 0);
      for (const { array } of storage.vars.values()) add(owner, array.byteLength);
    });
    const total = Object.values(byOwner).reduce((sum, bytes) => sum + bytes, 0);
    return { total, byOwner };
  }
}
