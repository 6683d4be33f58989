/**
 * @snn/core: model definitions, the snippet language, network descriptions, the kernel plan
 * and the backend interface. Backends, e-prop and datasets build on it; it imports none of them.
 */
export * from "./errors";
export * from "./models/types";
export * from "./models/builtin";
export * from "./network";
export * from "./plan-types";
export { changeDynamicParam, dynamicParamNames, findGroup, planNetwork } from "./plan";
export * from "./backend";
export * from "./rng";
export * from "./snippet/index";
/** A small WebAssembly assembler (SIMD numeric kernels without a toolchain), for backends and e-prop. */
export * as wasm from "./wasm-assembler";
