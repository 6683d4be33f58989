import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { DatasetFormatError } from "../errors";
import { readMnistIdx, readMnistIdxDirectory } from "./idx";

function idx(dims: number[], data: Uint8Array): Uint8Array {
  const header = new DataView(new ArrayBuffer(4 + 4 * dims.length));
  header.setUint32(0, 0x0800 + dims.length, false);
  dims.forEach((d, i) => header.setUint32(4 + 4 * i, d, false));
  return Buffer.concat([new Uint8Array(header.buffer), data]);
}

const pixels = Uint8Array.from({ length: 3 * 2 * 2 }, (_, i) => i * 20);
const labels = Uint8Array.from([7, 0, 9]);

describe("readMnistIdx", () => {
  const dir = mkdtempSync(join(tmpdir(), "snn-idx-"));
  writeFileSync(join(dir, "train-images-idx3-ubyte"), idx([3, 2, 2], pixels));
  writeFileSync(join(dir, "train-labels-idx1-ubyte"), idx([3], labels));
  writeFileSync(join(dir, "t10k-images-idx3-ubyte.gz"), gzipSync(idx([3, 2, 2], pixels)));
  writeFileSync(join(dir, "t10k-labels-idx1-ubyte.gz"), gzipSync(idx([3], labels)));

  it("reads raw and gzip-compressed files", async () => {
    for (const split of ["train", "test"] as const) {
      const m = await readMnistIdxDirectory(dir, split);
      expect([m.count, m.rows, m.cols]).toEqual([3, 2, 2]);
      expect(Array.from(m.pixels)).toEqual(Array.from(pixels));
      expect(Array.from(m.labels)).toEqual([7, 0, 9]);
    }
    const limited = await readMnistIdxDirectory(dir, "train", { limit: 2 });
    expect(limited.count).toBe(2);
    expect(limited.pixels.length).toBe(8);
  });

  it("reports swapped, truncated, mismatched and missing files", async () => {
    const f = (name: string, bytes: Uint8Array) => {
      const path = join(dir, name);
      writeFileSync(path, bytes);
      return path;
    };
    const images = join(dir, "train-images-idx3-ubyte");
    const lab = join(dir, "train-labels-idx1-ubyte");
    await expect(readMnistIdx({ imagesFile: lab, labelsFile: images })).rejects.toThrow(
      /is not an idx3 image file.*swapped/,
    );
    await expect(
      readMnistIdx({
        imagesFile: f("short.idx", idx([3, 2, 2], pixels.subarray(0, 5))),
        labelsFile: lab,
      }),
    ).rejects.toThrow(/short\.idx is truncated/);
    await expect(
      readMnistIdx({
        imagesFile: images,
        labelsFile: f("two.idx", idx([2], labels.subarray(0, 2))),
      }),
    ).rejects.toThrow(/3 images but .*two\.idx has 2 labels/);
    await expect(
      readMnistIdx({
        imagesFile: images,
        labelsFile: f("ten.idx", idx([3], Uint8Array.from([1, 10, 2]))),
      }),
    ).rejects.toThrow(/sample 1 has label 10/);
    await expect(
      readMnistIdx({
        imagesFile: f("bad.gz", Uint8Array.from([0x1f, 0x8b, 1, 2, 3])),
        labelsFile: lab,
      }),
    ).rejects.toThrow(/does not decompress/);
    await expect(readMnistIdx({ imagesFile: join(dir, "nope"), labelsFile: lab })).rejects.toThrow(
      DatasetFormatError,
    );
    await expect(readMnistIdxDirectory(join(dir, "empty"), "train")).rejects.toThrow(
      /No train-images-idx3-ubyte/,
    );
  });
});
