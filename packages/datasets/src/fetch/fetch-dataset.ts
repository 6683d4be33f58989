/**
 * `fetchDataset`: downloads a dataset into the data cache, resuming partial downloads, checking
 * every file against its published checksum and unpacking `.gz` files atomically.
 */
import { existsSync } from "node:fs";
import { mkdir, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { DatasetOptionsError } from "../errors";
import { defaultDataDirectory, type CacheDirectoryOptions } from "./cache-directory";
import {
  DATASET_SOURCES,
  DOWNLOADABLE_DATASETS,
  type DatasetFileSource,
  type DownloadableDataset,
} from "./catalog";
import { hashFile, parseChecksumList } from "./checksums";
import { DatasetDownloadError } from "./errors";
import { downloadResumable, fetchText } from "./http";
import { unpackAtomically } from "./gunzip";
import { readManifest, writeManifest, type Manifest, type ManifestEntry } from "./manifest";

/** What `onProgress` hears about one file. */
export interface FetchProgress {
  readonly dataset: DownloadableDataset;
  /** The file's name in the cache (`shd_train.h5`) and its place in the dataset (1-based). */
  readonly file: string;
  readonly index: number;
  readonly count: number;
  /**
   * `download`: bytes arriving (`bytes` of `totalBytes`); `verify`: checking the checksum;
   * `unpack`: unpacking (`bytes` of `totalBytes` compressed bytes read); `done`: in the cache
   * (`cached` when it already was).
   */
  readonly phase: "download" | "verify" | "unpack" | "done";
  readonly bytes: number;
  readonly totalBytes: number | undefined;
  /** Bytes that were on disk from an interrupted download (download phase). */
  readonly resumedFrom?: number;
  readonly cached?: boolean;
}

export interface FetchDatasetOptions extends CacheDirectoryOptions {
  /** The data cache; the dataset goes to `<dir>/<name>/`. Default {@link defaultDataDirectory}. */
  readonly dir?: string;
  /** Download from here instead of the dataset's home (a mirror with the same file names). */
  readonly baseUrl?: string;
  readonly onProgress?: (progress: FetchProgress) => void;
  /** Stops the download; what was received is kept and resumes next time. */
  readonly signal?: AbortSignal;
  /** Re-hash files already in the cache (default: their size is checked against the manifest). */
  readonly verify?: boolean;
  /** A connection silent for this long is given up (default 60 s). */
  readonly stallTimeoutMs?: number;
}

/** One file of a fetched dataset. */
export interface FetchedFile {
  readonly name: string;
  readonly path: string;
  readonly bytes: number;
  readonly sha256: string;
  /** False when it was already in the cache. */
  readonly downloaded: boolean;
  /** Bytes reused from an interrupted download (0 when it started from scratch). */
  readonly resumedFrom: number;
}

export interface FetchResult {
  readonly dataset: DownloadableDataset;
  /** The dataset's folder in the cache: give it as `--data` or to `openShd(join(directory, ...))`. */
  readonly directory: string;
  readonly files: readonly FetchedFile[];
}

function sourceOf(name: string): DownloadableDataset {
  if ((DOWNLOADABLE_DATASETS as readonly string[]).includes(name))
    return name as DownloadableDataset;
  throw new DatasetOptionsError(
    `Unknown dataset "${name}" to download; choose one of ${DOWNLOADABLE_DATASETS.join(", ")}.`,
  );
}

/** The folder a dataset is (or would be) cached in: `<dir>/<name>`. */
export function datasetCacheDirectory(
  name: DownloadableDataset,
  options: Pick<FetchDatasetOptions, "dir" | "env" | "platform" | "home"> = {},
): string {
  return join(options.dir ?? defaultDataDirectory(options), sourceOf(name));
}

/**
 * The dataset's cache folder when every file `fetchDataset` puts there is present, else
 * undefined. (Files appear only after their checksum passed: they are renamed into place.)
 */
export function locateCachedDataset(
  name: DownloadableDataset,
  options: Pick<FetchDatasetOptions, "dir" | "env" | "platform" | "home"> = {},
): string | undefined {
  const directory = datasetCacheDirectory(name, options);
  return DATASET_SOURCES[name].files.every((f) => existsSync(join(directory, f.local)))
    ? directory
    : undefined;
}

function joinUrl(base: string, file: string): string {
  return `${base.endsWith("/") ? base : `${base}/`}${file}`;
}

/** Whether `file` is already in the cache, checked (returns its manifest entry), else undefined. */
async function cachedEntry(
  file: DatasetFileSource,
  path: string,
  manifest: Manifest,
  verify: boolean,
  url: string,
): Promise<ManifestEntry | undefined> {
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch {
    return undefined;
  }
  const entry = manifest.files[file.local];
  if (
    entry !== undefined &&
    entry.bytes === size &&
    (file.sha256 === undefined || entry.sha256 === file.sha256)
  ) {
    if (!verify) return entry;
    return (await hashFile(path, "sha256")) === entry.sha256 ? entry : undefined;
  }
  // Not recorded (e.g. copied in by hand): usable only when it matches a built-in checksum.
  if (
    file.sha256 !== undefined &&
    file.bytes === size &&
    (await hashFile(path, "sha256")) === file.sha256
  ) {
    return {
      from: file.remote,
      md5: file.md5 ?? "",
      bytes: size,
      sha256: file.sha256,
      url,
      fetchedAt: new Date().toISOString(),
    };
  }
  return undefined;
}

function filesystemError(error: unknown, what: string): DatasetDownloadError {
  const code = (error as { code?: string }).code;
  return new DatasetDownloadError(
    `Cannot ${what} (${code ?? (error instanceof Error ? error.message : String(error))}); choose a writable data directory with SNN_DATA_DIR (or the dir option).`,
    "filesystem",
  );
}

/**
 * Downloads a dataset (`shd`, `ssc` or `mnist`) into the data cache and returns where its files
 * are. Files already there are kept. Each download goes to a `.part` file that a later call
 * resumes (HTTP `Range`); a complete one is checked against its MD5 (built in for MNIST, from the
 * server's `md5sums.txt` for SHD/SSC), unpacked from gzip into a temporary file and renamed into
 * place; for MNIST the unpacked file's size and SHA-256 are checked too. A file that fails a
 * check is deleted, never left in place. Errors are `DatasetDownloadError`s (`reason`: offline,
 * http, interrupted, aborted, checksum, unverifiable, format, filesystem).
 *
 * ```ts
 * const { directory } = await fetchDataset("shd", { onProgress: (p) => console.log(p.file, p.phase, p.bytes) });
 * const train = await openShd(join(directory, "shd_train.h5"));
 * ```
 */
export async function fetchDataset(
  name: DownloadableDataset,
  options: FetchDatasetOptions = {},
): Promise<FetchResult> {
  const dataset = sourceOf(name);
  const source = DATASET_SOURCES[dataset];
  const baseUrl = options.baseUrl ?? source.baseUrl;
  const directory = datasetCacheDirectory(dataset, options);
  try {
    await mkdir(directory, { recursive: true });
  } catch (error) {
    throw filesystemError(error, `create the data directory ${directory}`);
  }
  const transfer = { signal: options.signal, stallTimeoutMs: options.stallTimeoutMs };
  const count = source.files.length;
  const emit = (p: Omit<FetchProgress, "dataset" | "count">): void =>
    options.onProgress?.({ dataset, count, ...p });
  const manifest = await readManifest(directory, dataset);
  const files = { ...manifest.files };
  const results: FetchedFile[] = [];

  let published: Map<string, string> | undefined;
  const expectedMd5 = async (file: DatasetFileSource): Promise<string> => {
    if (file.md5 !== undefined) return file.md5;
    if (source.checksumList === undefined)
      throw new DatasetDownloadError(
        `No checksum is known for ${file.remote}; refusing to download it unchecked.`,
        "unverifiable",
      );
    const listUrl = joinUrl(baseUrl, source.checksumList);
    published ??= parseChecksumList(await fetchText(listUrl, transfer));
    const md5 = published.get(file.remote);
    if (md5 === undefined) {
      throw new DatasetDownloadError(
        `The server's checksum list ${listUrl} does not list ${file.remote}, so the download cannot be checked; refusing it. Check the dataset's homepage (${source.homepage}).`,
        "unverifiable",
        { url: listUrl },
      );
    }
    return md5;
  };

  for (const [k, file] of source.files.entries()) {
    const index = k + 1;
    const path = join(directory, file.local);
    const url = joinUrl(baseUrl, file.remote);
    const cached = await cachedEntry(file, path, { dataset, files }, options.verify === true, url);
    if (cached !== undefined) {
      if (files[file.local] === undefined) {
        files[file.local] = cached;
        await writeManifest(directory, { dataset, files });
      }
      results.push({
        name: file.local,
        path,
        bytes: cached.bytes,
        sha256: cached.sha256,
        downloaded: false,
        resumedFrom: 0,
      });
      emit({
        file: file.local,
        index,
        phase: "done",
        bytes: cached.bytes,
        totalBytes: cached.bytes,
        cached: true,
      });
      continue;
    }
    const md5 = await expectedMd5(file);
    const part = join(directory, `${file.remote}.part`);
    const { bytes: downloaded, resumedFrom } = await downloadResumable(url, part, {
      ...transfer,
      onProgress: (p) =>
        emit({
          file: file.local,
          index,
          phase: "download",
          bytes: p.bytes,
          totalBytes: p.totalBytes,
          resumedFrom: p.resumedFrom,
        }),
    });
    emit({ file: file.local, index, phase: "verify", bytes: downloaded, totalBytes: downloaded });
    const actual = await hashFile(part, "md5");
    if (actual !== md5) {
      await rm(part, { force: true });
      throw new DatasetDownloadError(
        `${file.remote} from ${url} failed its checksum (MD5 ${actual}, published ${md5}); the damaged download was deleted. Run again to download it afresh; if it fails again, the file on the server differs from the published one.`,
        "checksum",
        { url, file: part },
      );
    }
    let unpacked: { bytes: number; sha256: string };
    try {
      unpacked = await unpackAtomically(part, path, {
        gzip: file.remote.endsWith(".gz"),
        signal: options.signal,
        onBytes: (read) =>
          emit({ file: file.local, index, phase: "unpack", bytes: read, totalBytes: downloaded }),
      });
    } catch (error) {
      if (options.signal?.aborted)
        throw new DatasetDownloadError(
          `Unpacking ${file.remote} was stopped; run again to finish (the download is kept).`,
          "aborted",
          { file: part },
        );
      const code = (error as { code?: string }).code;
      if (typeof code === "string" && code.startsWith("Z_")) {
        await rm(part, { force: true });
        throw new DatasetDownloadError(
          `${file.remote} from ${url} passed its checksum but is not a valid gzip file (${code}); it was deleted. Run again; if it fails again, report it.`,
          "format",
          { url },
        );
      }
      throw filesystemError(error, `write ${path}`);
    }
    if (
      file.sha256 !== undefined &&
      (unpacked.sha256 !== file.sha256 || unpacked.bytes !== file.bytes)
    ) {
      await rm(path, { force: true });
      await rm(part, { force: true });
      throw new DatasetDownloadError(
        `${file.local} unpacked from ${url} is not the published file (${unpacked.bytes} bytes, SHA-256 ${unpacked.sha256}; expected ${file.bytes} bytes, ${file.sha256}); it was deleted. Run again; if it fails again, report it.`,
        "checksum",
        { url, file: path },
      );
    }
    files[file.local] = {
      from: file.remote,
      md5,
      bytes: unpacked.bytes,
      sha256: unpacked.sha256,
      url,
      fetchedAt: new Date().toISOString(),
    };
    await writeManifest(directory, { dataset, files });
    await rm(part, { force: true });
    results.push({
      name: file.local,
      path,
      bytes: unpacked.bytes,
      sha256: unpacked.sha256,
      downloaded: true,
      resumedFrom,
    });
    emit({
      file: file.local,
      index,
      phase: "done",
      bytes: unpacked.bytes,
      totalBytes: unpacked.bytes,
      cached: false,
    });
  }
  return { dataset, directory, files: results };
}
