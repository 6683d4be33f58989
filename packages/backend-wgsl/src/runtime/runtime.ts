/// <reference types="webgpu" />
import {
  BACKEND_INTERFACE_VERSION,
  RuntimeUsageError,
  type CompileOptions,
  type DeviceKernel,
  type DeviceSpikeEvents,
  type DeviceVarStorage,
  type KernelPlan,
  type Runtime,
  type RuntimeCapabilities,
  type SpikeEvents,
  type SpikeRecording,
  type VarArray,
} from "@snn/core";
import {
  allocateVarArray,
  changeDynamicParam,
  expandVarValues,
  findGroup,
  storedLength,
} from "@snn/core/internal";
import { type GeneratedKernels, generateKernels } from "../codegen/generate";
import { type BindingRef, type KernelInstance } from "../codegen/kernel-builder";
import type { Allocation } from "../codegen/layout";
import { holdsInputInFlight, type StorageRef, storageOwner } from "../codegen/storage";
import { WebGpuDeviceAccess, type WebGpuTypes } from "./device-access";
import { DeviceSession } from "./device-session";
import { align4, BufferUsage, describeDevice } from "./gpu";
import { compileFill, compileShaders, printShaders } from "./shaders";
import { packUniforms, workgroupCounts } from "./instances";
import { checkDeviceLimits, runtimeSettings, type WebGpuRuntimeOptions } from "./limits";
import { SpikeRecordings } from "./recordings";
import { SpikeEventBuffers } from "./spike-events";
import { findVar, populationIndex } from "./lookup";
import { VariableInitialiser, writeSparseTables } from "./state-init";

interface InstanceState {
  readonly instance: KernelInstance;
  readonly uniform: GPUBuffer;
  bindGroup: GPUBindGroup | null;
  readonly workgroups: [number, number, number];
}

/** A network compiled for WebGPU. Create it with `webgpuBackend().compile(plan)`. */
export class WebGpuRuntime implements Runtime {
  readonly capabilities: RuntimeCapabilities;
  /** The device, the network's buffers and a hook into every step, for kernels added from outside. */
  readonly deviceAccess: WebGpuDeviceAccess;
  private readonly kernels: GeneratedKernels;
  private readonly arenas: { f32: GPUBuffer[]; u32: GPUBuffer[] };
  private readonly clock: GPUBuffer;
  private readonly recordings: SpikeRecordings;
  private readonly events: SpikeEventBuffers;
  private readonly states: InstanceState[];
  /** Pipeline and bind group layout of each shader. */
  private readonly compiled: readonly DeviceKernel<WebGpuTypes>[];
  private readonly initialiser: VariableInitialiser;
  private readonly runCounts: number[];
  private readonly retired: GPUBuffer[] = [];
  private readonly stepsPerCommandBuffer: number;
  private trialStep_ = 0;
  private globalStep = 0;
  private readonly session: DeviceSession;

  private constructor(
    readonly plan: KernelPlan,
    private readonly device: GPUDevice,
    init: {
      kernels: GeneratedKernels;
      compiled: readonly DeviceKernel<WebGpuTypes>[];
      fillPipeline: GPUComputePipeline;
      recordingSteps: number;
      maxBinding: number;
      options: WebGpuRuntimeOptions;
    },
  ) {
    const { kernels } = init;
    this.kernels = kernels;
    this.compiled = init.compiled;
    this.stepsPerCommandBuffer = init.options.stepsPerCommandBuffer ?? 512;
    this.session = new DeviceSession(device);
    const storageUsage = BufferUsage.STORAGE | BufferUsage.COPY_SRC | BufferUsage.COPY_DST;
    const create = (label: string, size: number, usage: number): GPUBuffer =>
      device.createBuffer({ label, size: Math.max(16, align4(size)), usage });
    this.arenas = {
      f32: kernels.layout.chunks.f32.map((bytes, i) =>
        create(`f32 state ${i}`, bytes, storageUsage),
      ),
      u32: kernels.layout.chunks.u32.map((bytes, i) =>
        create(`u32 state ${i}`, bytes, storageUsage),
      ),
    };
    this.clock = create("clock", 16, storageUsage);
    this.deviceAccess = new WebGpuDeviceAccess({
      device,
      clock: this.clock,
      check: (call) => this.session.check(call),
      varStorage: (owner, name, call) => this.varStorage(owner, name, call),
      spikeEventStorage: (population, call) => this.spikeEventStorage(population, call),
      readBuffer: (buffer, offset, bytes, call) =>
        this.session.readBuffer(buffer, offset, bytes, call),
    });
    this.recordings = new SpikeRecordings(
      device,
      plan,
      kernels.spikeWords,
      init.maxBinding,
      init.recordingSteps,
      (label, size) => create(label, size, storageUsage),
    );
    this.events = new SpikeEventBuffers(
      device,
      plan,
      kernels.spikeWords,
      init.maxBinding,
      (label, size) => create(label, size, storageUsage),
    );

    const maxPerDimension = device.limits.maxComputeWorkgroupsPerDimension;
    this.states = kernels.instances.map((instance) => {
      const data = packUniforms(instance);
      const uniform = device.createBuffer({
        label: `uniforms ${instance.label}`,
        size: data.byteLength,
        usage: BufferUsage.UNIFORM | BufferUsage.COPY_DST,
      });
      device.queue.writeBuffer(uniform, 0, data);
      return {
        instance,
        uniform,
        bindGroup: null,
        workgroups: workgroupCounts(instance, maxPerDimension, plan.batchSize),
      };
    });

    // Initialisation: constants by a fill kernel, arrays uploaded.
    this.initialiser = new VariableInitialiser(
      device,
      plan,
      init.fillPipeline,
      (ref) => this.allocation(ref),
      this.arenas,
    );
    this.runCounts = plan.customUpdates.map(() => 0);

    // Constant tables of sparse projections.
    writeSparseTables(device, plan, (ref) => this.allocation(ref), this.arenas.u32);
    this.initialiseVariables();

    const byOwner: Record<string, number> = {};
    for (const a of kernels.layout.allocations) {
      const owner = storageOwner(plan, a.ref);
      byOwner[owner] = (byOwner[owner] ?? 0) + a.length * 4;
    }
    this.recordings.addBytes(byOwner);
    const total = Object.values(byOwner).reduce((s, x) => s + x, 0);
    this.capabilities = {
      backend: "webgpu",
      interfaceVersion: BACKEND_INTERFACE_VERSION,
      device: init.options.deviceDescription ?? describeDevice(device),
      batchSize: plan.batchSize,
      bufferBytes: { total, byOwner },
      maxBufferBytes: init.maxBinding,
    };
  }

  /**
   * Generates and compiles the kernels of a plan on a device. Throws {@link BufferLimitError}
   * when a buffer cannot fit the device's binding size, {@link WgslCompileError} when a shader
   * does not compile.
   */
  static async create(
    plan: KernelPlan,
    device: GPUDevice,
    compileOptions: CompileOptions = {},
    options: WebGpuRuntimeOptions = {},
  ): Promise<WebGpuRuntime> {
    const { maxBinding, recordingSteps } = runtimeSettings(device, compileOptions, options);
    const kernels = generateKernels(plan, { maxBindingBytes: maxBinding });
    printShaders(kernels.shaders, compileOptions.printCode);
    checkDeviceLimits(plan, device, kernels, maxBinding);

    const compiled = await compileShaders(device, kernels.shaders);
    const fillPipeline = await compileFill(device);
    return new WebGpuRuntime(plan, device, {
      kernels,
      compiled,
      fillPipeline,
      recordingSteps,
      maxBinding,
      options,
    });
  }

  get trialStep(): number {
    return this.trialStep_;
  }

  private allocation(ref: StorageRef): Allocation {
    return this.kernels.layout.allocation(ref);
  }

  // ------------------------------------------------------------------------- encoding

  private bindGroup(state: InstanceState, shaderIndex: number): GPUBindGroup {
    if (state.bindGroup) return state.bindGroup;
    const entries: GPUBindGroupEntry[] = [{ binding: 0, resource: { buffer: state.uniform } }];
    state.instance.bindings.forEach((ref, i) =>
      entries.push({ binding: i + 1, resource: { buffer: this.bufferOf(ref) } }),
    );
    state.bindGroup = this.device.createBindGroup({
      label: state.instance.label,
      layout: this.compiled[shaderIndex]!.layout,
      entries,
    });
    return state.bindGroup;
  }

  private bufferOf(ref: BindingRef): GPUBuffer {
    switch (ref.kind) {
      case "arena":
        return this.arenas[ref.arena][ref.chunk]!;
      case "clock":
        return this.clock;
      case "recording":
        return this.recordings.buffer(ref.population);
      case "spikeEvents":
        return this.events.buffer(ref.population);
    }
  }

  private dispatch(
    pass: GPUComputePassEncoder,
    index: number,
    current: { pipeline: number },
  ): void {
    const state = this.states[index]!;
    const shader = state.instance.shader;
    if (current.pipeline !== shader) {
      pass.setPipeline(this.compiled[shader]!.pipeline);
      current.pipeline = shader;
    }
    pass.setBindGroup(0, this.bindGroup(state, shader));
    const [x, y, z] = state.workgroups;
    pass.dispatchWorkgroups(x, y, z);
  }

  private writeClock(): void {
    this.device.queue.writeBuffer(
      this.clock,
      0,
      new Uint32Array([this.trialStep_ >>> 0, this.globalStep >>> 0, 0, 0]),
    );
  }

  // ------------------------------------------------------------------------- Runtime

  async step(count = 1): Promise<void> {
    this.session.check("step");
    if (!Number.isInteger(count) || count < 0) {
      throw new RuntimeUsageError(
        `step(count): count must be a non-negative integer number of timesteps, got ${String(count)}.`,
      );
    }
    if (count === 0) return;
    this.recordings.ensureCapacity(
      this.trialStep_ + count,
      this.trialStep_,
      (buffer) => this.retired.push(buffer),
      (population) =>
        this.invalidateBindGroups(
          (ref) => ref.kind === "recording" && ref.population === population,
        ),
    );
    this.writeClock();
    const sequence = this.kernels.stepSequence;
    for (let done = 0; done < count;) {
      const steps = Math.min(this.stepsPerCommandBuffer, count - done);
      const encoder = this.device.createCommandEncoder({
        label: `steps ${this.trialStep_ + done}..${this.trialStep_ + done + steps - 1}`,
      });
      const pass = encoder.beginComputePass();
      const current = { pipeline: -1 };
      for (let s = 0; s < steps; s++) {
        for (let k = 0; k < sequence.length; k++) this.dispatch(pass, sequence[k]!, current);
        if (this.deviceAccess.encodeStepHooks(pass)) current.pipeline = -1;
      }
      pass.end();
      // Submitted as encoded: the GPU starts while later steps are encoded, and memory stays bounded.
      this.device.queue.submit([encoder.finish()]);
      done += steps;
    }
    this.trialStep_ += count;
    this.globalStep = (this.globalStep + count) % 4294967296;
  }

  startTrial(): void {
    this.session.check("startTrial");
    const encoder = this.device.createCommandEncoder({ label: "start trial" });
    // Recordings need no clearing: every step writes all words of its row.
    this.clearSpikeFlags(encoder);
    this.device.queue.submit([encoder.finish()]);
    this.trialStep_ = 0;
  }

  private clearSpikeFlags(encoder: GPUCommandEncoder): void {
    this.plan.populations.forEach((p) =>
      this.clearRegion(encoder, this.allocation({ kind: "spikes", population: p.index })),
    );
  }

  private clearRegion(encoder: GPUCommandEncoder, a: Allocation): void {
    if (a.length > 0)
      encoder.clearBuffer(this.arenas[a.arena][a.chunk]!, a.offset * 4, a.length * 4);
  }

  async resetState(): Promise<void> {
    this.session.check("resetState");
    this.initialiseVariables();
  }

  /** Sets every variable to its initial value, zeroes inputs in flight and forgets spikes in flight. */
  private initialiseVariables(): void {
    const encoder = this.device.createCommandEncoder({ label: "initialise variables" });
    this.initialiser.encodeFills(encoder);
    for (const a of this.kernels.layout.allocations)
      if (holdsInputInFlight(a.ref)) this.clearRegion(encoder, a);
    this.clearSpikeFlags(encoder);
    for (const { ref, data } of this.initialiser.arrayValues()) this.upload(ref, data);
    this.device.queue.submit([encoder.finish()]);
  }

  private upload(ref: StorageRef, data: VarArray): void {
    if (data.length === 0) return;
    const a = this.allocation(ref);
    this.device.queue.writeBuffer(
      this.arenas[a.arena][a.chunk]!,
      a.offset * 4,
      data.buffer as ArrayBuffer,
      data.byteOffset,
      data.byteLength,
    );
  }

  setSpikeEvents(population: string, events: readonly SpikeEvents[]): void {
    this.session.check("setSpikeEvents");
    const index = populationIndex(this.plan, population, "setSpikeEvents");
    const steps = this.events.set(
      population,
      index,
      events,
      (buffer) => this.retired.push(buffer),
      () =>
        this.invalidateBindGroups((ref) => ref.kind === "spikeEvents" && ref.population === index),
    );
    // Tell the neuron kernel how many steps of events there are.
    this.states.forEach((state) => {
      if (!state.instance.bindings.some((r) => r.kind === "spikeEvents" && r.population === index))
        return;
      const field = state.instance.uniforms.findIndex((f) => f.name === "event_steps");
      this.device.queue.writeBuffer(state.uniform, field * 4, new Uint32Array([steps]));
    });
  }

  private invalidateBindGroups(matches: (ref: BindingRef) => boolean): void {
    for (const state of this.states)
      if (state.instance.bindings.some(matches)) state.bindGroup = null;
  }

  async readVar(owner: string, name: string): Promise<VarArray> {
    this.session.check("readVar");
    const { variable, ref } = findVar(this.plan, owner, name, "readVar");
    const a = this.allocation(ref);
    const length = storedLength(variable, this.plan.batchSize);
    const bytes = await this.session.readBuffer(
      this.arenas[a.arena][a.chunk]!,
      a.offset * 4,
      length * 4,
      `readVar(${owner}, ${name})`,
    );
    const out = allocateVarArray(variable.type, length);
    new Uint8Array(out.buffer).set(new Uint8Array(bytes));
    return out;
  }

  async writeVar(owner: string, name: string, values: ArrayLike<number>): Promise<void> {
    this.session.check("writeVar");
    const { variable, ref } = findVar(this.plan, owner, name, "writeVar");
    this.upload(ref, expandVarValues(variable, this.plan.batchSize, values, owner));
  }

  /** Current params of groups whose dynamic params have changed (by group name). */
  private readonly changedParams = new Map<string, Record<string, number>>();

  setParam(owner: string, name: string, value: number): void {
    this.session.check("setParam");
    const { plan } = this;
    const group = findGroup(plan, owner, `setParam(${owner}, ${name})`);
    // Validates (unknown or fixed param, bad value) and computes the derived params again.
    const changed = changeDynamicParam(
      group,
      this.changedParams.get(owner) ?? group.params,
      name,
      value,
      plan.dt,
    );
    this.changedParams.set(owner, changed.params);
    // Every kernel instance holding one of the group's params in its uniform block: rewrite the field.
    for (const state of this.states) {
      state.instance.uniforms.forEach((field, index) => {
        if (field.param?.owner !== owner) return;
        const current = changed.params[field.param.name] ?? changed.derivedParams[field.param.name];
        if (current === undefined) return;
        this.device.queue.writeBuffer(state.uniform, index * 4, new Float32Array([current]));
      });
    }
  }

  async readSpikes(population: string): Promise<SpikeRecording> {
    this.session.check("readSpikes");
    const index = populationIndex(this.plan, population, "readSpikes");
    return this.recordings.read(population, index, this.trialStep_, this.session);
  }

  // ------------------------------------------------------------------------- device access

  /** Where a variable lives on the device ({@link DeviceAccess.varStorage}). */
  private varStorage(owner: string, name: string, call: string): DeviceVarStorage<WebGpuTypes> {
    const { variable, ref } = findVar(this.plan, owner, name, call);
    const a = this.allocation(ref);
    return {
      buffer: this.arenas[a.arena][a.chunk]!,
      offset: a.offset,
      length: storedLength(variable, this.plan.batchSize),
      type: variable.type,
      batched: variable.batched,
    };
  }

  /** The spike events of a spike source array on the device ({@link DeviceAccess.spikeEventStorage}). */
  private spikeEventStorage(population: string, call: string): DeviceSpikeEvents<WebGpuTypes> {
    return this.events.storage(population, populationIndex(this.plan, population, call), call);
  }

  async runCustomUpdate(group: string): Promise<void> {
    this.session.check("runCustomUpdate");
    const sequence = Object.hasOwn(this.kernels.customUpdates, group)
      ? this.kernels.customUpdates[group]
      : undefined;
    if (!sequence) {
      const groups = Object.keys(this.kernels.customUpdates);
      throw new RuntimeUsageError(
        `runCustomUpdate(${group}): there is no custom update group '${group}'. Groups: ${groups.length > 0 ? groups.join(", ") : "(none)"}.`,
      );
    }
    this.writeClock();
    const encoder = this.device.createCommandEncoder({ label: `custom update group ${group}` });
    const pass = encoder.beginComputePass();
    const current = { pipeline: -1 };
    for (const update of sequence) {
      if (update.runCount) {
        const state = this.states[update.runCount.instance]!;
        this.device.queue.writeBuffer(
          state.uniform,
          update.runCount.byteOffset,
          new Uint32Array([this.runCounts[update.update]! >>> 0]),
        );
      }
      for (const instance of update.instances) this.dispatch(pass, instance, current);
      this.runCounts[update.update] = (this.runCounts[update.update]! + 1) % 4294967296;
    }
    pass.end();
    this.device.queue.submit([encoder.finish()]);
  }

  async finish(): Promise<void> {
    this.session.check("finish");
    await this.session.guard("finish", () => this.device.queue.onSubmittedWorkDone());
    this.session.check("finish");
    for (const buffer of this.retired.splice(0)) buffer.destroy();
  }

  dispose(): void {
    if (!this.session.end()) return;
    for (const buffer of [...this.arenas.f32, ...this.arenas.u32, this.clock, ...this.retired])
      buffer.destroy();
    this.recordings.destroy();
    this.events.destroy();
    for (const s of this.states) s.uniform.destroy();
  }
}
