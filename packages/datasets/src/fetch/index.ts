/** Downloading datasets into the data cache (`fetchDataset`) and finding them there. */
export { defaultDataDirectory, type CacheDirectoryOptions } from "./cache-directory";
export {
  DATASET_SOURCES,
  DOWNLOADABLE_DATASETS,
  type DatasetFileSource,
  type DatasetSource,
  type DownloadableDataset,
} from "./catalog";
export { DatasetDownloadError, type DownloadFailure } from "./errors";
export {
  datasetCacheDirectory,
  fetchDataset,
  locateCachedDataset,
  type FetchDatasetOptions,
  type FetchProgress,
  type FetchResult,
  type FetchedFile,
} from "./fetch-dataset";
export { MANIFEST_FILE } from "./manifest";
