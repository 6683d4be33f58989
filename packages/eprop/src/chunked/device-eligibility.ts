/// <reference types="@webgpu/types" />
/**
 * Chunked e-prop on the device (docs/chunked-eprop.md, "On the GPU"): the same evaluation as
 * `ChunkedEligibility` (eligibility.ts), with every step of it in WGSL kernels (wgsl-kernels.ts)
 * on the device the network runs on. Nothing is read back inside a trial: a step hook records
 * each hidden layer's `PsiSpike` and the readout's `Y` into K-step histories on the device, and
 * after every chunk of K steps one command buffer computes the readout's error and sums, the
 * learning signals, the coefficients and every projection's gradient and carried state. The
 * gradients land in the network's own `GradSum` and `BiasGradSum` variables, where Adam reads
 * them; the readout's loss, pi and y sums are read once per trial. The kernels' shapes and the
 * list of kernels to compile come from device-shapes.ts.
 */
import type {
  DeviceAccess,
  DeviceBufferUse,
  DeviceKernel,
  DeviceVarStorage,
  Runtime,
} from "@snn/core";
import type { EpropNetworkDescription } from "../description";
import type { ProjectionInfo } from "../projections";
import { EpropConfigError } from "../errors";
import type { PreparedTrial } from "../trial";
import type { ReadoutSums } from "../readout-softmax";
import { DENSE_ROW } from "./wgsl-kernels";
import {
  chunkResources,
  type ChunkResources,
  type Dispatch,
  type LayerBuffers,
} from "./device-chunk-resources";
import type { ChunkedTraceEvaluator } from "./trace-evaluator";
import { chunkKernels, deviceShapes, type Shapes, type WebGpuTypes } from "./device-shapes";

/** Per-trial chunked evaluation of an e-prop network's gradients on the network's own device. */
export class DeviceChunkedEligibility implements ChunkedTraceEvaluator {
  readonly where = "device";
  readonly threaded = false;
  private readonly device: GPUDevice;
  private readonly buffers: GPUBuffer[] = [];
  private readonly chunkUniform: GPUBuffer;
  private mask: GPUBuffer;
  private readonly targets: GPUBuffer;
  private readonly sums: GPUBuffer;
  private readonly layers: LayerBuffers[];
  /** Dispatches of a chunk, in order; `bias` after the last chunk. */
  private readonly chunkDispatches: Dispatch[];
  private readonly bias: Dispatch;
  /** The readout dispatch (its bind group holds the mask, which may grow). */
  private readonly readout: Dispatch;
  /** Dispatches reading the input's spike events (rebound when the runtime replaces that buffer). */
  private readonly inputDispatches: ChunkResources["inputDispatches"];
  private readonly rebindReadout: (mask: GPUBuffer) => GPUBindGroup;
  private inputEvents: GPUBuffer | null = null;
  /** Each projection's spike lists (their first `rows` words: the rows' counts and dense flags). */
  private readonly spikeLists: ChunkResources["spikeLists"];
  /** Gradient variables zeroed at the start of a trial. */
  private readonly gradientVars: DeviceVarStorage<WebGpuTypes>[];
  private readonly removeHook: () => void;
  private readonly nOut: number;
  private readonly kappa: number;
  private numSteps = 0;
  private chunkStart = 0;
  private parity = 0;
  /** The bias eligibility c(t) = kappa c(t-1) + 1 before the next chunk, in float64 as the host form keeps it. */
  private biasTrace = 0;
  private eventSteps = 0;
  /** Observed trials: pi(u) and pi(u-1), `[batch][nOut]`. */
  private pi: Float32Array;
  private previousPi: Float32Array;
  private observed = false;

  private constructor(
    private readonly runtime: Runtime,
    private readonly access: DeviceAccess<WebGpuTypes>,
    private readonly description: EpropNetworkDescription,
    private readonly batchSize: number,
    /** Steps per chunk (K). */
    readonly chunkSteps: number,
    kernels: Map<string, DeviceKernel<WebGpuTypes>>,
    shapes: Shapes,
  ) {
    const device = access.device;
    this.device = device;
    try {
      const B = batchSize;
      const readout = description.readout;
      const nOut = readout.size;
      this.nOut = nOut;
      const dt = description.dt;
      this.kappa = Math.exp(-dt / readout.tauOutMs);
      this.pi = new Float32Array(B * nOut);
      this.previousPi = new Float32Array(B * nOut);
      const resources = chunkResources(
        access,
        description,
        batchSize,
        chunkSteps,
        this.kappa,
        kernels,
        shapes,
        (label, bytes, use) => this.buffer(label, bytes, use),
      );
      this.chunkUniform = resources.chunkUniform;
      this.mask = resources.mask;
      this.targets = resources.targets;
      this.sums = resources.sums;
      this.layers = resources.layers;
      this.chunkDispatches = resources.chunkDispatches;
      this.bias = resources.bias;
      this.readout = resources.readout;
      this.rebindReadout = resources.rebindReadout;
      this.inputDispatches = resources.inputDispatches;
      this.spikeLists = resources.spikeLists;
      this.gradientVars = resources.gradientVars;
      const records = resources.records;

      this.removeHook = access.addStepHook((pass) => {
        for (const r of records) {
          pass.setPipeline(r.kernel.pipeline);
          pass.setBindGroup(0, r.bindGroup);
          pass.dispatchWorkgroups(r.workgroups[0], r.workgroups[1]);
        }
      });
    } catch (error) {
      for (const buffer of this.buffers) buffer.destroy();
      throw error;
    }
  }

  /**
   * Compiles the kernels for a compiled e-prop network on a device runtime. Throws
   * {@link EpropConfigError} when a buffer of the evaluation exceeds the device's limits.
   */
  static async create(
    description: EpropNetworkDescription,
    projections: readonly ProjectionInfo[],
    batchSize: number,
    chunkSteps: number,
    runtime: Runtime,
    deviceAccess: DeviceAccess,
  ): Promise<DeviceChunkedEligibility> {
    // Core's DeviceAccess leaves the WebGPU types open; a runtime that offers one runs on WebGPU.
    const access = deviceAccess as DeviceAccess<WebGpuTypes>;
    if (!Number.isInteger(chunkSteps) || chunkSteps < 1)
      throw new EpropConfigError(
        `chunkSteps must be a positive integer, got ${String(chunkSteps)}.`,
      );
    const device = access.device;
    const maxPre = Math.max(
      0,
      ...projections.filter((p) => p.kind !== "readout").map((p) => p.nPre),
    );
    if (maxPre > device.limits.maxComputeWorkgroupsPerDimension) {
      throw new EpropConfigError(
        `Chunked e-prop on the device: a projection has ${maxPre} presynaptic neurons, more than this device dispatches in one dimension (${device.limits.maxComputeWorkgroupsPerDimension}). Use chunkedTraces: 'host'.`,
      );
    }
    const shapes = deviceShapes(description, projections, batchSize, chunkSteps, access);
    const shaders = chunkKernels(
      shapes,
      access.varStorage(description.readout.name, "BiasGradSum").offset,
    );
    const kernels = new Map<string, DeviceKernel<WebGpuTypes>>();
    for (const shader of shaders)
      if (!kernels.has(shader.code))
        kernels.set(
          shader.code,
          await access.compileKernel("chunked e-prop", shader.code, shader.bindings),
        );
    return new DeviceChunkedEligibility(
      runtime,
      access,
      description,
      batchSize,
      chunkSteps,
      kernels,
      shapes,
    );
  }

  /**
   * A buffer of the evaluation. Throws {@link EpropConfigError} when it is larger than the device
   * binds (the constructor then frees the buffers made so far).
   */
  private buffer(label: string, bytes: number, use: DeviceBufferUse = "storage"): GPUBuffer {
    // The runtime's binding limit: the device's, or lower where the backend was asked for less.
    const limit = this.runtime.capabilities.maxBufferBytes;
    if (bytes > limit) {
      throw new EpropConfigError(
        `Chunked e-prop on the device: its buffer '${label}' needs ${bytes} bytes, more than this device binds (${limit}). Use a smaller batch size (or keep it and train in micro-batches: Trainer's microBatchSize, snn train --micro-batch) or chunkSteps, or chunkedTraces: 'host'.`,
      );
    }
    const buffer = this.access.createBuffer(`chunked e-prop: ${label}`, bytes, use);
    this.buffers.push(buffer);
    return buffer;
  }

  /** Bytes of device memory the evaluation holds: independent of the trial length (but for the loss mask). */
  get stateBytes(): number {
    return this.buffers.reduce((sum, b) => sum + b.size, 0);
  }

  /**
   * Starts a trial (after the runtime's `startTrial` and `setSpikeEvents`): uploads the loss
   * mask and targets, zeroes the per-trial state and the gradient variables. With `observed`,
   * {@link observe} writes pi(s-1) into the readout's `Pi` after each step s.
   */
  async startTrial(
    trial: PreparedTrial,
    _runtime: Runtime,
    options: { readonly observed?: boolean } = {},
  ): Promise<void> {
    const { device, batchSize: B } = this;
    const T = trial.numSteps;
    this.numSteps = T;
    this.chunkStart = 0;
    this.parity = 0;
    this.biasTrace = 0;
    this.observed = options.observed === true;
    this.pi.fill(0);
    this.previousPi.fill(0);
    const mask = new Uint32Array(Math.max(B * T, 4));
    trial.maskEvents.forEach((events, b) => {
      for (const step of events.steps) if (step < T) mask[b * T + step] = 1;
    });
    if (mask.byteLength > this.mask.size) {
      this.mask.destroy();
      this.buffers.splice(this.buffers.indexOf(this.mask), 1);
      this.mask = this.buffer("loss mask", Math.max(mask.byteLength, 2 * this.mask.size));
      this.readout.bindGroup = this.rebindReadout(this.mask);
    }
    device.queue.writeBuffer(this.mask, 0, mask);
    device.queue.writeBuffer(this.targets, 0, Float32Array.from(trial.targets));
    const events = this.access.spikeEventStorage(this.description.input.name);
    this.eventSteps = events.steps;
    if (events.buffer !== this.inputEvents) {
      this.inputEvents = events.buffer;
      for (const input of this.inputDispatches)
        input.dispatch.bindGroup = input.rebind(events.buffer);
    }
    const encoder = device.createCommandEncoder({ label: "chunked e-prop: start trial" });
    encoder.clearBuffer(this.sums);
    for (const layer of this.layers) {
      // The firing rate, row 0 of the history (z(-1) = 0, psi(-1) = 0) and the readout trace.
      encoder.clearBuffer(layer.neurons, 0, B * layer.size * 4);
      encoder.clearBuffer(layer.psiHistory, 0, B * layer.size * 4);
      encoder.clearBuffer(layer.zbar);
    }
    for (const gradient of this.gradientVars)
      encoder.clearBuffer(gradient.buffer, gradient.offset * 4, gradient.length * 4);
    device.queue.submit([encoder.finish()]);
  }

  /**
   * Call after simulation step `s` (0-based) of the trial; runs the chunk's kernels when s ends
   * a chunk. Steps may come one at a time or a chunk at a time (then call it with the chunk's
   * last step).
   */
  async afterStep(s: number): Promise<void> {
    if (s >= this.numSteps) return;
    if (this.observed) await this.observe(s);
    const steps = s + 1 - this.chunkStart;
    if (steps === this.chunkSteps || s === this.numSteps - 1) this.endChunk(steps);
  }

  /** Steps to run before the next call of {@link afterStep}: to the end of the chunk, or one in observed trials. */
  get stepsPerCall(): number {
    return this.observed ? 1 : Math.min(this.chunkSteps, this.numSteps - this.chunkStart);
  }

  /** The gradients are in the network's variables already. */
  async finishTrial(): Promise<void> {}

  private endChunk(steps: number): void {
    const { device } = this;
    const first = this.chunkStart === 0;
    const last = this.chunkStart + steps === this.numSteps;
    const header = new ArrayBuffer(32);
    new Uint32Array(header, 0, 7).set([
      this.chunkStart,
      steps,
      first ? 1 : 0,
      last ? 1 : 0,
      this.numSteps,
      this.eventSteps,
      this.parity,
    ]);
    new Float32Array(header, 28, 1)[0] = this.biasTrace;
    device.queue.writeBuffer(this.chunkUniform, 0, header);
    const encoder = device.createCommandEncoder({
      label: `chunked e-prop: steps ${this.chunkStart}..${this.chunkStart + steps - 1}`,
    });
    const pass = encoder.beginComputePass();
    const dispatch = (d: Dispatch): void => {
      pass.setPipeline(d.kernel.pipeline);
      pass.setBindGroup(0, d.bindGroup);
      pass.dispatchWorkgroups(d.workgroups[0], d.workgroups[1]);
    };
    for (const d of this.chunkDispatches) dispatch(d);
    if (last) dispatch(this.bias);
    pass.end();
    device.queue.submit([encoder.finish()]);
    for (let u = 0; u < steps; u++) this.biasTrace = this.kappa * this.biasTrace + 1;
    if (!last) this.parity = 1 - this.parity;
    this.chunkStart += steps;
  }

  /** Observed trials: pi(s) from y(s) on the host, and pi(s-1) into the readout's `Pi` (as the per-step readout holds it). */
  private async observe(s: number): Promise<void> {
    const name = this.description.readout.name;
    const y = await this.runtime.readVar(name, "Y");
    const { nOut, batchSize } = this;
    const pi = this.previousPi;
    this.previousPi = this.pi;
    this.pi = pi;
    for (let b = 0; b < batchSize; b++) {
      let top = -Infinity;
      for (let k = 0; k < nOut; k++) top = Math.max(top, y[b * nOut + k]!);
      let total = 0;
      for (let k = 0; k < nOut; k++) total += Math.exp(y[b * nOut + k]! - top);
      for (let k = 0; k < nOut; k++) pi[b * nOut + k] = Math.exp(y[b * nOut + k]! - top) / total;
    }
    if (s >= 1) await this.runtime.writeVar(name, "Pi", this.previousPi);
  }

  /** The readout's loss, pi and y summed over the masked steps of the last trial, `[batch][nOut]` each (read from the device). */
  async readoutSums(): Promise<ReadoutSums> {
    const { batchSize: B, nOut } = this;
    const values = new Float32Array(await this.access.readBuffer(this.sums, 0, 3 * B * nOut * 4));
    const part = (i: number): Float64Array =>
      Float64Array.from(values.subarray(i * B * nOut, (i + 1) * B * nOut));
    return { loss: part(0), pi: part(1), y: part(2) };
  }

  /**
   * Rows (batch element, presynaptic neuron) of each projection that the last evaluated chunk
   * applied as dense (the totals less the silent steps), read back from the device: for tests
   * and benchmarks.
   */
  async denseRows(): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const { name, buffer, rows } of this.spikeLists) {
      const counts = new Uint32Array(await this.access.readBuffer(buffer, 0, rows * 4));
      out[name] = counts.reduce((dense, count) => dense + ((count & DENSE_ROW) !== 0 ? 1 : 0), 0);
    }
    return out;
  }

  /** Removes the step hook and frees the device buffers. */
  dispose(): void {
    this.removeHook();
    for (const buffer of this.buffers) buffer.destroy();
    this.buffers.length = 0;
  }
}
