/// <reference types="webgpu" />
/**
 * What a WebGPU runtime is created with, checked before anything is allocated: its options
 * (binding size, steps per command buffer, recording steps) against the device's limits, and
 * the generated kernels and spike recordings against what the device can bind.
 */
import {
  RuntimeUsageError,
  UnsupportedFeatureError,
  type CompileOptions,
  type KernelPlan,
} from "@snn/core";
import type { GeneratedKernels } from "../codegen/generate";
import { BufferLimitError } from "../errors";

/** Options of the WebGPU runtime beyond core's CompileOptions. */
export interface WebGpuRuntimeOptions {
  /** Largest storage buffer binding in bytes; default and upper bound: the device's maxStorageBufferBindingSize. */
  readonly maxBufferBindingBytes?: number;
  /** Timesteps encoded per command buffer (all submitted together). Default 512. */
  readonly stepsPerCommandBuffer?: number;
  /** Description of the device for `capabilities.device` (default: from the device's adapter info). */
  readonly deviceDescription?: string;
}

/** The largest binding and the recording steps of a runtime, from its options and the device's limits; refuses bad options. */
export function runtimeSettings(
  device: GPUDevice,
  compileOptions: CompileOptions,
  options: WebGpuRuntimeOptions,
): { readonly maxBinding: number; readonly recordingSteps: number } {
  const deviceLimit = Math.min(
    device.limits.maxStorageBufferBindingSize,
    device.limits.maxBufferSize,
  );
  const maxBinding = Math.min(options.maxBufferBindingBytes ?? deviceLimit, deviceLimit);
  if (!(maxBinding >= 16)) {
    throw new RuntimeUsageError(
      `maxBufferBindingBytes must be at least 16 bytes, got ${String(options.maxBufferBindingBytes)}.`,
    );
  }
  const perCommandBuffer = options.stepsPerCommandBuffer;
  if (
    perCommandBuffer !== undefined &&
    (!Number.isInteger(perCommandBuffer) || perCommandBuffer < 1)
  ) {
    throw new RuntimeUsageError(
      `stepsPerCommandBuffer must be a positive integer number of steps, got ${String(perCommandBuffer)}.`,
    );
  }
  const recordingSteps = compileOptions.recordingSteps ?? 1000;
  if (!Number.isInteger(recordingSteps) || recordingSteps < 0) {
    throw new RuntimeUsageError(
      `recordingSteps must be a non-negative integer number of steps, got ${String(compileOptions.recordingSteps)}.`,
    );
  }
  return { maxBinding, recordingSteps };
}

/** Refuses kernels that bind more storage buffers than the device allows, and recordings one binding cannot hold. */
export function checkDeviceLimits(
  plan: KernelPlan,
  device: GPUDevice,
  kernels: GeneratedKernels,
  maxBinding: number,
): void {
  const maxStorage = device.limits.maxStorageBuffersPerShaderStage;
  for (const shader of kernels.shaders) {
    if (shader.access.length > maxStorage) {
      throw new UnsupportedFeatureError(
        "webgpu",
        `a kernel with ${shader.access.length} storage buffers`,
        `kernel '${shader.label}' binds ${shader.access.length} storage buffers but this device allows ${maxStorage} per shader stage (maxStorageBuffersPerShaderStage); the network's state is split over many buffers because one binding holds at most ${maxBinding} bytes (maxStorageBufferBindingSize): reduce the network or batch size, or use a device with larger limits`,
      );
    }
  }
  const recordingLimitError = plan.populations.find(
    (p, i) => p.recordSpikes && plan.batchSize * kernels.spikeWords[i]! * 4 > maxBinding,
  );
  if (recordingLimitError) {
    const bytes = plan.batchSize * kernels.spikeWords[recordingLimitError.index]! * 4;
    throw new BufferLimitError(
      `The spike recording of population '${recordingLimitError.name}' (one step: batch ${plan.batchSize} x ${recordingLimitError.size} neurons as bits)`,
      bytes,
      maxBinding,
      "Use a smaller batch size or do not record this population.",
    );
  }
}
