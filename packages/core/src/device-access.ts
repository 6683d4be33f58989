import type { PlannedVar } from "./plan-types";

/**
 * The WebGPU object types that {@link DeviceAccess} names. Core depends on no WebGPU typings (a
 * CPU-only install pulls in nothing third-party), so they are a parameter: code that uses a
 * device fills them with the real types (`GPUDevice`, `GPUBuffer`, ... from `@webgpu/types` or
 * the `webgpu` package), as `@snn/backend-wgsl`'s `WebGpuTypes` does; without them they are opaque.
 */
export interface DeviceTypes {
  readonly device: unknown;
  readonly buffer: unknown;
  readonly computePass: unknown;
  readonly computePipeline: unknown;
  readonly bindGroupLayout: unknown;
  readonly bufferBindingType: string;
}

/**
 * Where a variable of a compiled network lives on the device: bind the whole `buffer` and index
 * it from element `offset`; 32-bit elements (`f32` for float variables, `u32`/`i32` bits
 * otherwise), batched variables `[batch][size]`.
 */
export interface DeviceVarStorage<G extends DeviceTypes = DeviceTypes> {
  readonly buffer: G["buffer"];
  /** First element (32-bit words) of the variable in `buffer`. */
  readonly offset: number;
  /** Elements (32-bit words) it holds: size, times the batch size for batched variables. */
  readonly length: number;
  readonly type: PlannedVar["type"];
  readonly batched: boolean;
}

/**
 * The spike events of a spike source array as the device holds them: bit `unit & 31` of word
 * `(step * batchSize + batch) * wordsPerRow + (unit >>> 5)` is set when `unit` spikes in `step`
 * for batch element `batch`, for `step < steps`. The buffer is replaced when larger events are
 * set, so ask again after `Runtime.setSpikeEvents`.
 */
export interface DeviceSpikeEvents<G extends DeviceTypes = DeviceTypes> {
  readonly buffer: G["buffer"];
  readonly wordsPerRow: number;
  readonly steps: number;
}

/**
 * Work added to every timestep: called while a step is encoded, after that step's kernels, the
 * clock's among them, inside the same compute pass, so the clock's `trial_step` then counts the
 * steps done in the trial. It must only dispatch (set its own pipeline and bind groups).
 */
export type DeviceStepHook<G extends DeviceTypes = DeviceTypes> = (pass: G["computePass"]) => void;

/** A compiled compute shader (entry point `main`) and the layout of its bind group 0. */
export interface DeviceKernel<G extends DeviceTypes = DeviceTypes> {
  readonly pipeline: G["computePipeline"];
  readonly layout: G["bindGroupLayout"];
}

/**
 * What a buffer made with {@link DeviceAccess.createBuffer} is for: `storage` (bound as storage,
 * written from the host, read back with {@link DeviceAccess.readBuffer}) or `uniform` (a uniform
 * block written from the host).
 */
export type DeviceBufferUse = "storage" | "uniform";

/**
 * The WebGPU device a runtime simulates on, for code that adds its own kernels to a compiled
 * network (e.g. `@snn/eprop`'s chunked traces on the GPU). Runtimes offer it as
 * `Runtime.deviceAccess` where they run on a WebGPU device (`@snn/backend-wgsl`), and leave it
 * out elsewhere. Its commands are ordered with the runtime's, on the device's queue; every
 * method throws once the runtime is disposed or its device lost.
 */
export interface DeviceAccess<G extends DeviceTypes = DeviceTypes> {
  readonly device: G["device"];
  /**
   * The clock buffer the network's kernels read: u32 `trial_step` (steps done in this trial
   * before the step running now) and u32 `global_step`, then two unused words.
   */
  readonly clock: G["buffer"];
  /** Where variable `name` of `owner` (population, projection or custom update) lives. */
  varStorage(owner: string, name: string): DeviceVarStorage<G>;
  /** The spike events last set for spike source array `population`. */
  spikeEventStorage(population: string): DeviceSpikeEvents<G>;
  /** Adds work to every timestep from now on; returns a function that removes it. */
  addStepHook(hook: DeviceStepHook<G>): () => void;
  /** A buffer of at least `bytes` (rounded up to 4, at least 16); the caller destroys it. */
  createBuffer(label: string, bytes: number, use: DeviceBufferUse): G["buffer"];
  /** Copies `bytes` of a `storage` buffer from byte `offset` to the host, after the work submitted so far. */
  readBuffer(buffer: G["buffer"], offset: number, bytes: number): Promise<ArrayBuffer>;
  /**
   * Compiles WGSL with entry point `main` whose bind group 0 holds buffers at bindings
   * 0..n-1 of the given types. Throws with the compiler's messages when it does not compile.
   */
  compileKernel(
    label: string,
    code: string,
    bindings: readonly G["bufferBindingType"][],
  ): Promise<DeviceKernel<G>>;
}
