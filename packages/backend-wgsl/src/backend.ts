/// <reference types="webgpu" />
import {
  BACKEND_INTERFACE_VERSION,
  PLAN_VERSION,
  SnnError,
  type Backend,
  type CompileOptions,
  type KernelPlan,
} from "@snn/core";
import {
  createBrowserDevice,
  createNodeDevice,
  NO_ADAPTER_ADVICE,
  type NodeDeviceOptions,
} from "./device";
import { DeviceLostError, WebGpuUnavailableError } from "./errors";
import { describeDevice } from "./runtime/gpu";
import { WebGpuRuntime } from "./runtime/runtime";

/** Devices known to be lost, with the reason. */
const lostDevices = new WeakMap<GPUDevice, DeviceLostError>();

function watch(device: GPUDevice): void {
  device.lost.then((info) =>
    lostDevices.set(device, new DeviceLostError(info.reason, info.message)),
  );
}

/** Options of {@link webgpuBackend}. */
export interface WebGpuBackendOptions {
  /**
   * The device to run on, or a function that makes one. Default: the browser's `navigator.gpu`,
   * or in Node a device from {@link createNodeDevice} (with the `node` options).
   */
  readonly device?: GPUDevice | (() => Promise<GPUDevice>);
  /** Options for the Node device when no `device` is given. */
  readonly node?: NodeDeviceOptions;
  /**
   * Largest storage buffer binding to use, in bytes (default: the device's
   * `maxStorageBufferBindingSize`). The network's state is split into buffers of at most this size.
   */
  readonly maxBufferBindingBytes?: number;
  /** Timesteps encoded per command buffer. Default 512. */
  readonly stepsPerCommandBuffer?: number;
}

/** The WebGPU backend: a {@link Backend} named `webgpu`. */
export interface WebGpuBackend extends Backend {
  /** The device compiled networks run on (created on first use when none was given). */
  device(): Promise<GPUDevice>;
  /** Adapter and driver of the device, e.g. "llvmpipe (OpenGL ES 3.2 Mesa 22.3.6); Dawn opengles with featureLevel compatibility". */
  describe(): Promise<string>;
}

/**
 * A backend that generates WGSL compute kernels and runs them with WebGPU: batch as a dispatch
 * dimension, many timesteps per command submission, spikes recorded into bit fields on the GPU
 * and read once per trial, reductions without float atomics.
 *
 * ```ts
 * const backend = webgpuBackend();             // Node: Dawn; browser: navigator.gpu
 * if (await backend.isAvailable()) {
 *   const runtime = await backend.compile(planNetwork(network), { printCode: false });
 *   await runtime.step(100);
 * }
 * ```
 */
export function webgpuBackend(options: WebGpuBackendOptions = {}): WebGpuBackend {
  let acquired: Promise<{ device: GPUDevice; description: string }> | undefined;
  const acquire = (): Promise<{ device: GPUDevice; description: string }> => {
    acquired ??= (async () => {
      const given = options.device;
      if (given !== undefined) {
        const device = typeof given === "function" ? await given() : given;
        return { device, description: describeDevice(device) };
      }
      if ((globalThis as { navigator?: { gpu?: unknown } }).navigator?.gpu) {
        const device = await createBrowserDevice();
        if (!device)
          throw new WebGpuUnavailableError(
            "This browser offers WebGPU but no adapter; enable hardware acceleration or WebGPU in the browser's settings, or use the CPU backend.",
          );
        return { device, description: describeDevice(device) };
      }
      if (!(globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node) {
        throw new WebGpuUnavailableError(
          `This environment has no WebGPU (no navigator.gpu and not Node). ${NO_ADAPTER_ADVICE}`,
        );
      }
      const created = await createNodeDevice(options.node);
      return { device: created.device, description: created.description };
    })();
    // A lost device is remembered (compile on it fails with the reason); one the backend made is replaced on the next call.
    acquired.then(
      ({ device }) => {
        watch(device);
        device.lost.then(() => {
          if (options.device === undefined) acquired = undefined;
        });
      },
      () => {
        acquired = undefined;
      },
    );
    return acquired;
  };
  return {
    name: "webgpu",
    interfaceVersion: BACKEND_INTERFACE_VERSION,
    async isAvailable(): Promise<boolean> {
      try {
        const { device } = await acquire();
        return !lostDevices.has(device);
      } catch {
        return false;
      }
    },
    async device(): Promise<GPUDevice> {
      return (await acquire()).device;
    },
    async describe(): Promise<string> {
      return (await acquire()).description;
    },
    async compile(plan: KernelPlan, compileOptions: CompileOptions = {}): Promise<WebGpuRuntime> {
      if (plan?.version !== PLAN_VERSION) {
        throw new SnnError(
          `The webgpu backend compiles kernel plans of version ${PLAN_VERSION}, got ${String(plan?.version)}; make the plan with planNetwork() of a matching @snn/core.`,
        );
      }
      const { device, description } = await acquire();
      const lost = lostDevices.get(device);
      if (lost) throw lost;
      return WebGpuRuntime.create(plan, device, compileOptions, {
        deviceDescription: description,
        ...(options.maxBufferBindingBytes !== undefined
          ? { maxBufferBindingBytes: options.maxBufferBindingBytes }
          : {}),
        ...(options.stepsPerCommandBuffer !== undefined
          ? { stepsPerCommandBuffer: options.stepsPerCommandBuffer }
          : {}),
      });
    },
  };
}
