import { DatasetOptionsError } from "../errors";

/** A set of grey-value images with labels, e.g. MNIST digits. */
export interface MnistImages {
  /** Number of images. */
  readonly count: number;
  readonly rows: number;
  readonly cols: number;
  /** `count * rows * cols` grey values 0..255, image after image, each row-major. */
  readonly pixels: Uint8Array;
  /** Class of each image (0..9 for MNIST). */
  readonly labels: Uint8Array;
  /** Where each image came from (e.g. its index in the source), when known. */
  readonly sourceIds?: Int32Array;
  /** Where the images came from, for messages. */
  readonly source: string;
}

/** The pixels of image `index` (a view, not a copy). */
export function imagePixels(images: MnistImages, index: number): Uint8Array {
  if (!(Number.isInteger(index) && index >= 0 && index < images.count)) {
    throw new DatasetOptionsError(
      `Image index ${index} is out of range: ${images.source} has ${images.count} images.`,
      {
        sample: index,
      },
    );
  }
  const size = images.rows * images.cols;
  return images.pixels.subarray(index * size, (index + 1) * size);
}

/** Keeps the first `limit` images (all when `limit` is absent). */
export function limitImages(images: MnistImages, limit: number | undefined): MnistImages {
  if (limit === undefined || limit >= images.count) return images;
  if (!(Number.isSafeInteger(limit) && limit >= 0)) {
    throw new DatasetOptionsError(`limit must be a non-negative integer, got ${limit}.`);
  }
  const size = images.rows * images.cols;
  const out: MnistImages = {
    count: limit,
    rows: images.rows,
    cols: images.cols,
    pixels: images.pixels.subarray(0, limit * size),
    labels: images.labels.subarray(0, limit),
    source: images.source,
    ...(images.sourceIds ? { sourceIds: images.sourceIds.subarray(0, limit) } : {}),
  };
  return out;
}
