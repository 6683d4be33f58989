/**
 * @snn/eprop: e-prop training of LSNNs on any @snn backend. A compiler pass turns a
 * layer-level network into ordinary core models; `Trainer` trains it with Adam, with metrics,
 * callbacks and exact safetensors checkpoints; `runGradcheck` checks the gradients against a
 * reference fixture.
 */
export {
  CheckpointError,
  EpropBatchError,
  EpropConfigError,
  GradcheckFixtureError,
} from "./errors";
export { NonFiniteStateError, type NonFiniteLocation } from "./non-finite";
export type {
  EpropNetworkDescription,
  EpropNetworkOptions,
  HiddenLayerDescription,
  HiddenLayerOptions,
  HiddenNeuronType,
  InputLayerOptions,
  ReadoutLayerOptions,
  RegularisationOptions,
} from "./description";
export { defineEpropNetwork, parseEpropNetworkDescription, specAlifBeta } from "./define-network";
export { parametersOf, type ParameterInfo } from "./projections";
export {
  compileEpropNetwork,
  type AdamOptions,
  type EligibilityMode,
  type EpropCompileOptions,
  type EpropLayout,
  type ParameterLocation,
  type ReadoutSoftmaxPlace,
  type ResolvedAdamOptions,
} from "./compile";
export { initialParameters, type ParameterSet } from "./parameters";
export { LSNN_HIDDEN_LAYER, lsnnNetwork, type LsnnOptions } from "./lsnn";
export {
  prepareTrial,
  sliceBatch,
  type EpropBatch,
  type LossMaskOption,
  type PreparedTrial,
} from "./trial";
export {
  DEFAULT_CHUNK_STEPS,
  EpropRuntime,
  type ChunkedTraces,
  type EpropRuntimeOptions,
  type OptimizerState,
  type TrialOutputs,
} from "./eprop-runtime";
export {
  FORWARD_TOLERANCE,
  formatGradcheckReport,
  GRADCHECK_TOLERANCE,
  runGradcheck,
  type GradcheckCaseReport,
  type GradcheckReport,
  type GradientComparison,
} from "./gradcheck";
export { decodeSafetensors, encodeSafetensors, type Float32Tensor } from "./safetensors";
export { writeFileAtomically } from "./atomic-file";
export {
  decodeCheckpoint,
  encodeCheckpoint,
  readCheckpointFile,
  writeCheckpointFile,
  type CheckpointData,
  type TrainingConfig,
  type TrainingProgress,
} from "./checkpoint";
export { Trainer } from "./trainer";
export type { TrainCallbacks, TrainerOptions, TrainOptions } from "./trainer-options";
export { MAX_TRAIN_THREADS } from "./parallel/threads";
export type { DatasetBatchOptions, EpropDataset } from "./dataset";
export type { BatchMetrics, EpochMetrics, EvaluationMetrics } from "./metrics";
export type { EvaluateOptions } from "./inference";
export type { BatchPrediction, PredictBatchesOptions } from "./predict-batches";
export {
  inMemoryDataset,
  type InMemoryDatasetOptions,
  type InMemoryExample,
} from "./in-memory-dataset";
