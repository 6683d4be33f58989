import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { DatasetFormatError, DatasetOptionsError } from "../errors";
import { limitImages, type MnistImages } from "./images";

async function readMaybeGzip(file: string): Promise<Uint8Array> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(file);
  } catch (e) {
    throw new DatasetFormatError(`Cannot read ${file}: ${(e as Error).message}.`, { file });
  }
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = gunzipSync(bytes);
    } catch (e) {
      throw new DatasetFormatError(
        `${file} looks gzip-compressed but does not decompress (${(e as Error).message}); the download is probably incomplete.`,
        { file },
      );
    }
  }
  return bytes;
}

function parseIdx(
  file: string,
  bytes: Uint8Array,
  expectedDims: number,
): { dims: number[]; data: Uint8Array } {
  const what = expectedDims === 3 ? "an idx3 image file" : "an idx1 label file";
  const tooShort = () =>
    new DatasetFormatError(`${file} is too short (${bytes.length} bytes) to be ${what}.`, { file });
  if (bytes.length < 4) throw tooShort();
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0, false);
  const expectedMagic = 0x0800 + expectedDims; // unsigned byte data, N dimensions
  if (magic !== expectedMagic) {
    throw new DatasetFormatError(
      `${file} is not ${what}: magic number 0x${magic.toString(16).padStart(8, "0")}, expected 0x${expectedMagic.toString(16).padStart(8, "0")}. Check that images and labels are not swapped.`,
      { file },
    );
  }
  if (bytes.length < 4 + 4 * expectedDims) throw tooShort();
  const dims: number[] = [];
  for (let i = 0; i < expectedDims; i++) dims.push(view.getUint32(4 + 4 * i, false));
  const header = 4 + 4 * expectedDims;
  const size = dims.reduce((a, b) => a * b, 1);
  if (bytes.length - header < size) {
    throw new DatasetFormatError(
      `${file} is truncated: its header announces ${dims.join("x")} values but only ${bytes.length - header} bytes follow.`,
      { file },
    );
  }
  return { dims, data: bytes.subarray(header, header + size) };
}

/**
 * Reads MNIST-style images and labels from idx files (`train-images-idx3-ubyte`,
 * `train-labels-idx1-ubyte`, ...), raw or gzip-compressed (detected from the content).
 * `limit` keeps the first images.
 */
export async function readMnistIdx(options: {
  imagesFile: string;
  labelsFile: string;
  limit?: number;
}): Promise<MnistImages> {
  const { imagesFile, labelsFile } = options;
  const images = parseIdx(imagesFile, await readMaybeGzip(imagesFile), 3);
  const labels = parseIdx(labelsFile, await readMaybeGzip(labelsFile), 1);
  const [count, rows, cols] = images.dims as [number, number, number];
  if (labels.dims[0] !== count) {
    throw new DatasetFormatError(
      `${imagesFile} has ${count} images but ${labelsFile} has ${labels.dims[0]} labels; use files of the same split.`,
      {
        file: labelsFile,
      },
    );
  }
  for (let i = 0; i < count; i++) {
    if (labels.data[i]! > 9) {
      throw new DatasetFormatError(
        `${labelsFile}: sample ${i} has label ${labels.data[i]}, outside 0..9.`,
        { file: labelsFile, sample: i },
      );
    }
  }
  const result: MnistImages = {
    count,
    rows,
    cols,
    pixels: images.data,
    labels: labels.data,
    source: imagesFile,
  };
  return limitImages(result, options.limit);
}

/**
 * Reads the standard MNIST files of one split from a directory: `train-*` or `t10k-*`
 * (`-images-idx3-ubyte` / `-labels-idx1-ubyte`, each optionally `.gz`).
 */
export async function readMnistIdxDirectory(
  directory: string,
  split: "train" | "test",
  options: { limit?: number } = {},
): Promise<MnistImages> {
  const prefix = split === "train" ? "train" : split === "test" ? "t10k" : undefined;
  if (prefix === undefined)
    throw new DatasetOptionsError(`split must be "train" or "test", got ${JSON.stringify(split)}.`);
  const find = (base: string): string => {
    for (const name of [
      base,
      `${base}.gz`,
      base.replace("-idx", ".idx"),
      `${base.replace("-idx", ".idx")}.gz`,
    ]) {
      const path = join(directory, name);
      if (existsSync(path)) return path;
    }
    throw new DatasetFormatError(
      `No ${base} (or ${base}.gz) in ${directory}; put the four MNIST idx files there (train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte; raw or .gz).`,
      {
        file: join(directory, base),
      },
    );
  };
  const imagesFile = find(`${prefix}-images-idx3-ubyte`);
  const labelsFile = find(`${prefix}-labels-idx1-ubyte`);
  return readMnistIdx({
    imagesFile,
    labelsFile,
    ...(options.limit !== undefined ? { limit: options.limit } : {}),
  });
}
