/**
 * @snn/pretrained: pretrained @snn networks with the settings they were trained with and the
 * accuracy they were measured with. `loadPretrained("smnist")` gives an e-prop LSNN for spiking
 * sequential MNIST: its parameters, network description and metadata, the encoding of images
 * into its input spikes, and a `Trainer` or inference runtime to run it on any backend.
 */
export { PretrainedModelError } from "./errors";
export {
  decodePretrained,
  encodePretrained,
  PRETRAINED_FORMAT,
  PRETRAINED_VERSION,
  type PretrainedAccuracy,
  type PretrainedData,
  type PretrainedEvaluation,
  type PretrainedInput,
  type PretrainedMetadata,
  type PretrainedProvenance,
  type PretrainedSubsetAccuracy,
  type PretrainedSubsetDefinition,
} from "./format";
export { PretrainedModel, type GreyImage } from "./model";
export {
  loadPretrained,
  pretrainedModelUrl,
  PRETRAINED_MODELS,
  type PretrainedModelName,
  type PretrainedSource,
} from "./load";
export { imagesSha256 } from "./digest";
