/**
 * The cache's record of what `fetchDataset` downloaded and checked: `snn-fetch.json` in each
 * dataset's folder, written atomically (a temporary file renamed over the old one).
 */
import { readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";

export const MANIFEST_FILE = "snn-fetch.json";

/** One unpacked file, as checked when it was downloaded. */
export interface ManifestEntry {
  /** The file downloaded (`shd_train.h5.gz`) and its MD5 as checked. */
  readonly from: string;
  readonly md5: string;
  /** Size and SHA-256 of the unpacked file in the cache. */
  readonly bytes: number;
  readonly sha256: string;
  readonly url: string;
  readonly fetchedAt: string;
}

export interface Manifest {
  readonly dataset: string;
  /** Keyed by the unpacked file's name. */
  readonly files: Readonly<Record<string, ManifestEntry>>;
}

/** The manifest in `directory`, or an empty one when it is missing or unreadable. */
export async function readManifest(directory: string, dataset: string): Promise<Manifest> {
  try {
    const parsed = JSON.parse(
      await readFile(join(directory, MANIFEST_FILE), "utf8"),
    ) as Partial<Manifest>;
    if (parsed && typeof parsed === "object" && parsed.files && typeof parsed.files === "object")
      return { dataset, files: parsed.files };
  } catch {
    // missing or damaged: the files it described are checked again
  }
  return { dataset, files: {} };
}

/** Writes the manifest atomically. */
export async function writeManifest(directory: string, manifest: Manifest): Promise<void> {
  const path = join(directory, MANIFEST_FILE);
  const temp = `${path}.${process.pid}.tmp`;
  try {
    await writeFile(temp, `${JSON.stringify(manifest, null, 2)}\n`);
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}
