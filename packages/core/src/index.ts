/**
 * @snn/core: model definitions, the snippet language, network descriptions, the kernel plan
 * and the backend interface. Backends, e-prop and datasets build on it; it imports none of them.
 * What only backends use (storage helpers, the random-number constants of generated code, the
 * snippet analysis, the WebAssembly assembler) is in `@snn/core/internal`.
 */
export * from "./errors";
export * from "./models/types";
export * from "./models/builtin";
export * from "./network";
export * from "./plan-types";
export { planNetwork } from "./plan";
export {
  BACKEND_INTERFACE_VERSION,
  BackendRegistry,
  type Backend,
  type BackendWorkerSource,
  type CompileOptions,
  type Runtime,
  type RuntimeCapabilities,
  type SpikeEvents,
  type SpikeRecording,
} from "./backend";
export type {
  DeviceAccess,
  DeviceBufferUse,
  DeviceKernel,
  DeviceSpikeEvents,
  DeviceStepHook,
  DeviceTypes,
  DeviceVarStorage,
} from "./device-access";
export {
  RNG_KEY_HI,
  normalFromBlock,
  philox4x32,
  seededRandom,
  streamWord,
  uniformFromBlock,
  type SeededRandom,
} from "./rng";
export * from "./snippet/index";
