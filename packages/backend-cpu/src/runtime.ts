import {
  BACKEND_INTERFACE_VERSION,
  RuntimeUsageError,
  type CompileOptions,
  type KernelPlan,
  type Runtime,
  type RuntimeCapabilities,
  type SpikeEvents,
  type SpikeRecording,
  type VarArray,
} from "@snn/core";
import {
  changeDynamicParam,
  expandVarValues,
  findGroup,
  validateSpikeEvents,
} from "@snn/core/internal";
import { CodeGenerator } from "./codegen";
import type { GeneratedKernel } from "./js-module";
import { SpikeRecorder } from "./recording";
import { MAX_BUFFER_BYTES, NetworkStorage, type StoredVar } from "./storage";

function deviceDescription(): string {
  const g = globalThis as {
    process?: { version?: string; arch?: string; platform?: string };
    navigator?: { userAgent?: string };
  };
  if (g.process?.version)
    return `Node ${g.process.version} (${g.process.platform ?? "?"} ${g.process.arch ?? "?"}), JavaScript on the CPU`;
  if (g.navigator?.userAgent) return `${g.navigator.userAgent}, JavaScript on the CPU`;
  return "JavaScript on the CPU";
}

/** A network compiled to JavaScript; see `cpuBackend`. */
export class CpuRuntime implements Runtime {
  readonly capabilities: RuntimeCapabilities;
  private readonly storage: NetworkStorage;
  private readonly kernels: readonly (() => void)[];
  private readonly customUpdates: readonly GeneratedKernel[];
  private readonly recorders: (SpikeRecorder | null)[];
  private readonly recorded: { recorder: SpikeRecorder; spikes: Int32Array; count: Int32Array }[];
  private step_ = 0;
  private disposed = false;

  constructor(
    readonly plan: KernelPlan,
    options: CompileOptions,
    engine: { readonly webAssembly?: boolean } = {},
  ) {
    this.storage = new NetworkStorage(plan, { useWasmMemory: engine.webAssembly !== false });
    const generator = new CodeGenerator(plan, this.storage);
    const schedule = generator.scheduleKernels();
    this.customUpdates = generator.customUpdateKernels();
    this.kernels = schedule.map((k) => k.run);
    const print = options.printCode;
    if (print) {
      for (const kernel of [...schedule, ...this.customUpdates]) {
        if (typeof print === "function") print(kernel.label, kernel.source);
        else console.log(`// ---- ${kernel.label}\n${kernel.source}`);
      }
    }
    const recordingSteps = options.recordingSteps ?? 1000;
    this.recorders = plan.populations.map((p) =>
      p.recordSpikes ? new SpikeRecorder(p.size, plan.batchSize, recordingSteps) : null,
    );
    this.recorded = [];
    this.recorders.forEach((recorder, p) => {
      if (recorder)
        this.recorded.push({
          recorder,
          spikes: this.storage.populations[p]!.spikes,
          count: this.storage.populations[p]!.spikeCount,
        });
    });
    const bytes = this.storage.bufferBytes();
    this.capabilities = {
      backend: "cpu",
      interfaceVersion: BACKEND_INTERFACE_VERSION,
      device: deviceDescription(),
      batchSize: plan.batchSize,
      bufferBytes: bytes,
      maxBufferBytes: MAX_BUFFER_BYTES,
    };
  }

  get trialStep(): number {
    return this.step_;
  }

  private checkLive(call: string): void {
    if (this.disposed) {
      throw new RuntimeUsageError(
        `${call}: this runtime was disposed; compile the network again to keep simulating.`,
      );
    }
  }

  /** Runs `count` steps synchronously (what `step` does, without the promise). */
  stepSync(count = 1): void {
    this.checkLive("step");
    if (!Number.isInteger(count) || count < 0) {
      throw new RuntimeUsageError(
        `step(count): count must be a non-negative integer number of timesteps, got ${String(count)}.`,
      );
    }
    const storage = this.storage;
    const clock = storage.clock;
    const kernels = this.kernels;
    const recorded = this.recorded;
    for (let n = 0; n < count; n++) {
      storage.advanceSpikes();
      clock[0] = this.step_;
      for (let k = 0; k < kernels.length; k++) kernels[k]!();
      for (let r = 0; r < recorded.length; r++) {
        const entry = recorded[r]!;
        entry.recorder.record(entry.spikes, entry.count);
      }
      this.step_++;
      clock[1] = (clock[1]! + 1) % 4294967296;
    }
  }

  async step(count = 1): Promise<void> {
    this.stepSync(count);
  }

  startTrial(): void {
    this.checkLive("startTrial");
    this.step_ = 0;
    this.storage.clock[0] = 0;
    this.storage.clearSpikes();
    for (const recorder of this.recorders) recorder?.clear();
  }

  async resetState(): Promise<void> {
    this.checkLive("resetState");
    this.storage.resetState();
  }

  setSpikeEvents(population: string, events: readonly SpikeEvents[]): void {
    this.checkLive("setSpikeEvents");
    const index = this.populationIndex(population, "setSpikeEvents");
    const planned = this.plan.populations[index]!;
    const holder = this.storage.populations[index]!.events;
    if (!planned.spikeSource || !holder) {
      const sources = this.plan.populations.filter((p) => p.spikeSource).map((p) => p.name);
      throw new RuntimeUsageError(
        `setSpikeEvents(${population}): '${population}' is not a spike source array (model '${planned.model.name}'). Spike source arrays: ${sources.length > 0 ? sources.join(", ") : "(none)"}.`,
      );
    }
    validateSpikeEvents(population, planned.size, this.plan.batchSize, events);
    let total = 0;
    for (const e of events) total += e.steps.length;
    const steps = new Int32Array(total);
    const units = new Int32Array(total);
    let offset = 0;
    events.forEach((e, b) => {
      steps.set(e.steps, offset);
      units.set(e.units, offset);
      holder.start[b] = offset;
      // Events before the current trial step are in the past.
      let cursor = offset;
      const end = offset + e.steps.length;
      while (cursor < end && steps[cursor]! < this.step_) cursor++;
      holder.cursor[b] = cursor;
      offset = end;
      holder.end[b] = offset;
    });
    holder.steps = steps;
    holder.units = units;
  }

  private populationIndex(name: string, call: string): number {
    const index = this.plan.populations.findIndex((p) => p.name === name);
    if (index < 0) {
      throw new RuntimeUsageError(
        `${call}(${name}): there is no population '${name}'. Populations: ${this.plan.populations.map((p) => p.name).join(", ")}.`,
      );
    }
    return index;
  }

  private findVar(owner: string, name: string, call: string): StoredVar {
    const candidates: Map<string, StoredVar>[] = [];
    const population = this.plan.populations.findIndex((p) => p.name === owner);
    if (population >= 0) candidates.push(this.storage.populations[population]!.vars);
    const projection = this.plan.projections.findIndex((p) => p.name === owner);
    if (projection >= 0) {
      const s = this.storage.projections[projection]!;
      candidates.push(s.vars, s.preVars, s.postVars, s.postsynapticVars);
    }
    const update = this.plan.customUpdates.findIndex((c) => c.name === owner);
    if (update >= 0) candidates.push(this.storage.customUpdates[update]!.vars);
    if (candidates.length === 0) {
      const owners = [
        ...this.plan.populations,
        ...this.plan.projections,
        ...this.plan.customUpdates,
      ].map((g) => g.name);
      throw new RuntimeUsageError(
        `${call}(${owner}, ${name}): there is no population, projection or custom update '${owner}'. Owners: ${owners.join(", ")}.`,
      );
    }
    for (const map of candidates) {
      const stored = map.get(name);
      if (stored) return stored;
    }
    const names = candidates.flatMap((map) => [...map.keys()]);
    throw new RuntimeUsageError(
      `${call}(${owner}, ${name}): '${owner}' has no variable '${name}'. Its variables: ${names.length > 0 ? names.join(", ") : "(none)"}.`,
    );
  }

  async readVar(owner: string, name: string): Promise<VarArray> {
    this.checkLive("readVar");
    return this.findVar(owner, name, "readVar").array.slice();
  }

  private readonly lookups = new Map<string, StoredVar>();

  readVarInto(owner: string, name: string, out: VarArray): void {
    this.checkLive("readVarInto");
    const key = `${owner}\u0000${name}`;
    let stored = this.lookups.get(key);
    if (stored === undefined) {
      stored = this.findVar(owner, name, "readVarInto");
      this.lookups.set(key, stored);
    }
    const array = stored.array;
    if (
      !ArrayBuffer.isView(out) ||
      out.length !== array.length ||
      out.constructor !== array.constructor
    ) {
      throw new RuntimeUsageError(
        `readVarInto(${owner}, ${name}, out): out must be a ${array.constructor.name} of length ${array.length} (the variable's layout), got ${ArrayBuffer.isView(out) ? `${out.constructor.name}(${out.length})` : String(out)}.`,
      );
    }
    (out as Float32Array).set(array as Float32Array);
  }

  async writeVar(owner: string, name: string, values: ArrayLike<number>): Promise<void> {
    this.checkLive("writeVar");
    const stored = this.findVar(owner, name, "writeVar");
    stored.array.set(expandVarValues(stored.planned, this.plan.batchSize, values, owner));
  }

  setParam(owner: string, name: string, value: number): void {
    this.checkLive("setParam");
    const { plan, storage } = this;
    const group = findGroup(plan, owner, `setParam(${owner}, ${name})`);
    const kind = group.model.kind;
    const stored =
      kind === "neuron"
        ? storage.populations[group.index]!
        : kind === "weightUpdate"
          ? storage.projections[group.index]!
          : storage.customUpdates[group.index]!;
    // Validates (unknown or fixed param, bad value) and computes the derived params again.
    const changed = changeDynamicParam(
      group,
      stored.params?.current ?? group.params,
      name,
      value,
      plan.dt,
    );
    const dynamic = stored.params!;
    dynamic.current = changed.params;
    for (const [slotName, slot] of dynamic.slots)
      dynamic.values[slot] = changed.params[slotName] ?? changed.derivedParams[slotName]!;
  }

  async readSpikes(population: string): Promise<SpikeRecording> {
    this.checkLive("readSpikes");
    const index = this.populationIndex(population, "readSpikes");
    const recorder = this.recorders[index];
    if (!recorder) {
      throw new RuntimeUsageError(
        `readSpikes(${population}): population '${population}' does not record spikes; add it with recordSpikes: true.`,
      );
    }
    return recorder.read();
  }

  async runCustomUpdate(group: string): Promise<void> {
    this.checkLive("runCustomUpdate");
    const members = Object.hasOwn(this.plan.customUpdateGroups, group)
      ? this.plan.customUpdateGroups[group]
      : undefined;
    if (!members) {
      const groups = Object.keys(this.plan.customUpdateGroups);
      throw new RuntimeUsageError(
        `runCustomUpdate(${group}): there is no custom update group '${group}'. Groups: ${groups.length > 0 ? groups.join(", ") : "(none)"}.`,
      );
    }
    for (const index of members) {
      this.customUpdates[index]!.run();
      this.storage.customUpdateRuns[index] =
        (this.storage.customUpdateRuns[index]! + 1) % 4294967296;
    }
  }

  async finish(): Promise<void> {
    this.checkLive("finish");
  }

  dispose(): void {
    this.disposed = true;
  }
}
