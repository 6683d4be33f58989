/**
 * Struct-of-arrays storage of a compiled network: one typed array per variable (`[batch][size]`
 * when batched, `[size]` when shared), postsynaptic input and additional inputs per neuron and
 * batch element, and spike lists (this step's and last step's) per population and batch
 * element. Arrays are allocated once; generated code keeps references to them for the
 * runtime's life, so everything that changes contents writes in place.
 */
import { allocateVarArray, fillInitialValues, storedLength } from "@snn/core";
import type { KernelPlan, PlannedVar, VarArray } from "@snn/core";

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

export interface PopulationStorage {
  readonly vars: Map<string, StoredVar>;
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
  readonly preVars: Map<string, StoredVar>;
  readonly postVars: Map<string, StoredVar>;
  readonly postsynapticVars: Map<string, StoredVar>;
  /** Summed `addToPost` input of this step, `[batch][postSize]`, when a postsynaptic model takes it. */
  readonly inSyn: Float32Array | null;
}

export interface CustomUpdateStorage {
  readonly vars: Map<string, StoredVar>;
}

function storeVars(vars: readonly PlannedVar[], batchSize: number): Map<string, StoredVar> {
  const map = new Map<string, StoredVar>();
  for (const planned of vars) {
    const array = allocateVarArray(planned.type, storedLength(planned, batchSize));
    fillInitialValues(array, planned, batchSize);
    map.set(planned.name, { planned, array });
  }
  return map;
}

export class NetworkStorage {
  readonly populations: PopulationStorage[];
  readonly projections: ProjectionStorage[];
  readonly customUpdates: CustomUpdateStorage[];
  /** `[trial step, global step (steps since compile, mod 2^32)]`. */
  readonly clock = new Float64Array(2);
  /** Times each custom update has run (its random-number counter). */
  readonly customUpdateRuns: Float64Array;

  constructor(readonly plan: KernelPlan) {
    const batchSize = plan.batchSize;
    this.populations = plan.populations.map((population) => {
      const n = population.size * batchSize;
      return {
        vars: storeVars(population.vars, batchSize),
        additionalInputs: new Map(population.additionalInputs.map((name) => [name, new Float32Array(n)])),
        spikes: new Int32Array(n),
        spikeCount: new Int32Array(batchSize),
        previousSpikes: new Int32Array(n),
        previousSpikeCount: new Int32Array(batchSize),
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
    this.projections = plan.projections.map((projection) => ({
      vars: storeVars(projection.vars, batchSize),
      preVars: storeVars(projection.preVars, batchSize),
      postVars: storeVars(projection.postVars, batchSize),
      postsynapticVars: storeVars(projection.postsynaptic?.vars ?? [], batchSize),
      inSyn: projection.postsynaptic ? new Float32Array(plan.populations[projection.post]!.size * batchSize) : null,
    }));
    this.customUpdates = plan.customUpdates.map((update) => ({ vars: storeVars(update.vars, batchSize) }));
    this.customUpdateRuns = new Float64Array(plan.customUpdates.length);
  }

  /** Every stored variable with its owner, in a stable order. */
  *allVars(): Iterable<{ owner: string; stored: StoredVar }> {
    for (const [p, storage] of this.populations.entries()) {
      for (const stored of storage.vars.values()) yield { owner: this.plan.populations[p]!.name, stored };
    }
    for (const [p, storage] of this.projections.entries()) {
      const owner = this.plan.projections[p]!.name;
      for (const map of [storage.vars, storage.preVars, storage.postVars, storage.postsynapticVars]) {
        for (const stored of map.values()) yield { owner, stored };
      }
    }
    for (const [c, storage] of this.customUpdates.entries()) {
      for (const stored of storage.vars.values()) yield { owner: this.plan.customUpdates[c]!.name, stored };
    }
  }

  /** Sets every variable to its initial value and clears inputs and spikes in flight. */
  resetState(): void {
    for (const { stored } of this.allVars()) fillInitialValues(stored.array, stored.planned, this.plan.batchSize);
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
      for (const map of [storage.vars, storage.preVars, storage.postVars, storage.postsynapticVars]) {
        for (const { array } of map.values()) add(owner, array.byteLength);
      }
      if (storage.inSyn) add(owner, storage.inSyn.byteLength);
      const connectivity = this.plan.projections[p]!.connectivity;
      if (connectivity.kind === "sparse") add(owner, connectivity.rowStart.byteLength + connectivity.postIndex.byteLength + connectivity.preIndex.byteLength);
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
