/**
 * `@snn/core/internal`: what backends (and e-prop's WebAssembly kernels) are built from, kept
 * out of the main entry. For backend authors; no stability promise: anything here may change or
 * go in any release. Users of models, networks, plans and runtimes need only `@snn/core`.
 */
export {
  BYTES_PER_ELEMENT,
  allocateVarArray,
  expandVarValues,
  fillInitialValues,
  storedLength,
  validateSpikeEvents,
} from "./backend";
export { findGroup } from "./plan";
export { changeDynamicParam, dynamicParamNames } from "./plan-params";
export {
  PHILOX_M0,
  PHILOX_M1,
  PHILOX_W0,
  PHILOX_W1,
  RANDOM_FIELD,
  UNIT_24,
  mulHi32,
  randomCounterBase,
  type RandomFieldSite,
} from "./rng";
export { analyseSnippet, analyseStorage, bindingKey, drawsRandom } from "./snippet/analyse";
export type { SnippetAnalysis, StorageUse, TypedBinding } from "./snippet/analyse";
/** A small WebAssembly assembler (SIMD numeric kernels without a toolchain), for backends and e-prop. */
export * as wasm from "./wasm";
export { compileStepProgram } from "./step-program";
export { customUpdateSlot } from "./custom-update-site";
export type {
  AdditionalInputRef,
  ApplySite,
  CodeSiteBase,
  CustomUpdateSite,
  CustomUpdateSlot,
  Hook,
  NeuronModelSite,
  NeuronSideSite,
  NeuronStep,
  NeuronStepSite,
  PostSpikeSite,
  PostsynapticInputRef,
  PreSpikeSite,
  Reduction,
  SiteSnippet,
  SiteStorage,
  SiteStorageRef,
  SpikeSourceSite,
  StepEntry,
  StepProgram,
  StorageOwner,
  SynapseSite,
  SynapseStep,
  VarStorageRef,
  ZeroInputsSite,
} from "./step-program";
