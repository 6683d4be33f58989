/// <reference types="webgpu" />
import type {
  DeviceAccess,
  DeviceBufferUse,
  DeviceKernel,
  DeviceSpikeEvents,
  DeviceStepHook,
  DeviceTypes,
  DeviceVarStorage,
} from "@snn/core";
import { BufferUsage } from "./gpu";
import { compileKernel } from "./shaders";

/** Core's {@link DeviceTypes} filled with WebGPU's own types: what a WebGPU runtime's device access hands out. */
export interface WebGpuTypes extends DeviceTypes {
  readonly device: GPUDevice;
  readonly buffer: GPUBuffer;
  readonly computePass: GPUComputePassEncoder;
  readonly computePipeline: GPUComputePipeline;
  readonly bindGroupLayout: GPUBindGroupLayout;
  readonly bufferBindingType: GPUBufferBindingType;
}

/** What a runtime lends its {@link WebGpuDeviceAccess}. */
export interface DeviceAccessHost {
  readonly device: GPUDevice;
  readonly clock: GPUBuffer;
  /** Throws when the runtime cannot be used any more (disposed, device lost, a command failed). */
  check(call: string): void;
  varStorage(owner: string, name: string, call: string): DeviceVarStorage<WebGpuTypes>;
  spikeEventStorage(population: string, call: string): DeviceSpikeEvents<WebGpuTypes>;
  readBuffer(buffer: GPUBuffer, offset: number, bytes: number, call: string): Promise<ArrayBuffer>;
}

const USAGE: Record<DeviceBufferUse, number> = {
  storage: BufferUsage.STORAGE | BufferUsage.COPY_SRC | BufferUsage.COPY_DST,
  uniform: BufferUsage.UNIFORM | BufferUsage.COPY_DST,
};

/** The WebGPU runtime's {@link DeviceAccess}: its device, buffers and step hooks. */
export class WebGpuDeviceAccess implements DeviceAccess<WebGpuTypes> {
  private readonly hooks: DeviceStepHook<WebGpuTypes>[] = [];

  constructor(private readonly host: DeviceAccessHost) {}

  get device(): GPUDevice {
    this.host.check("deviceAccess.device");
    return this.host.device;
  }

  get clock(): GPUBuffer {
    this.host.check("deviceAccess.clock");
    return this.host.clock;
  }

  varStorage(owner: string, name: string): DeviceVarStorage<WebGpuTypes> {
    this.host.check("varStorage");
    return this.host.varStorage(owner, name, "varStorage");
  }

  spikeEventStorage(population: string): DeviceSpikeEvents<WebGpuTypes> {
    this.host.check("spikeEventStorage");
    return this.host.spikeEventStorage(population, "spikeEventStorage");
  }

  addStepHook(hook: DeviceStepHook<WebGpuTypes>): () => void {
    this.host.check("addStepHook");
    this.hooks.push(hook);
    return () => {
      const at = this.hooks.indexOf(hook);
      if (at >= 0) this.hooks.splice(at, 1);
    };
  }

  /** Encodes the step hooks into a step's compute pass; returns whether any ran (they set their own pipelines). */
  encodeStepHooks(pass: GPUComputePassEncoder): boolean {
    for (const hook of this.hooks) hook(pass);
    return this.hooks.length > 0;
  }

  createBuffer(label: string, bytes: number, use: DeviceBufferUse): GPUBuffer {
    this.host.check("createBuffer");
    return this.host.device.createBuffer({
      label,
      size: Math.max(16, Math.ceil(bytes / 4) * 4),
      usage: USAGE[use],
    });
  }

  readBuffer(buffer: GPUBuffer, offset: number, bytes: number): Promise<ArrayBuffer> {
    this.host.check("readBuffer");
    return this.host.readBuffer(buffer, offset, bytes, `readBuffer(${buffer.label})`);
  }

  compileKernel(
    label: string,
    code: string,
    bindings: readonly GPUBufferBindingType[],
  ): Promise<DeviceKernel<WebGpuTypes>> {
    this.host.check("compileKernel");
    return compileKernel(this.host.device, { label, code, origins: [] }, bindings);
  }
}
