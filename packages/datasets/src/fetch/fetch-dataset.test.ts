import { createHash } from "node:crypto";
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
  mkdirSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { openShd } from "../hdf5/spiking-audio";
import { defaultDataDirectory } from "./cache-directory";
import { parseChecksumList } from "./checksums";
import { DatasetDownloadError } from "./errors";
import { fetchDataset, locateCachedDataset, type FetchProgress } from "./fetch-dataset";
import { MANIFEST_FILE } from "./manifest";
import { TestFileServer, closedPort } from "./test-server";

const TEST_DATA = fileURLToPath(new URL("../../test-data/", import.meta.url));
/** Real SHD-layout files: the test fixture (8 samples) as train, its float16 sibling as test. */
const TRAIN_H5 = readFileSync(join(TEST_DATA, "shd-float32.h5"));
const TEST_H5 = readFileSync(join(TEST_DATA, "shd-float16.h5"));
const TRAIN_GZ = readFileSync(join(TEST_DATA, "shd-float32.h5.gz"));
const TEST_GZ = gzipSync(TEST_H5);

const md5 = (data: Buffer): string => createHash("md5").update(data).digest("hex");

let server: TestFileServer;
let dir: string;

function serveShd(
  list = `${md5(TRAIN_GZ)}  shd_train.h5.gz\n${md5(TEST_GZ)}  shd_test.h5.gz\n`,
): void {
  server.files.set("shd_train.h5.gz", TRAIN_GZ);
  server.files.set("shd_test.h5.gz", TEST_GZ);
  server.files.set("md5sums.txt", Buffer.from(list));
}

async function failure(promise: Promise<unknown>): Promise<DatasetDownloadError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(DatasetDownloadError);
    return error as DatasetDownloadError;
  }
  throw new Error("expected the download to fail");
}

beforeAll(async () => {
  server = await new TestFileServer().start();
});
afterAll(async () => {
  await server.stop();
});
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "snn-fetch-"));
  server.files.clear();
  server.misbehave.clear();
  server.requests.length = 0;
  server.ignoreRanges = false;
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("fetchDataset from a local HTTP server", () => {
  it("downloads, checks against the server's md5sums.txt, unpacks, and keeps what is there", async () => {
    serveShd();
    const progress: FetchProgress[] = [];
    const result = await fetchDataset("shd", {
      dir,
      baseUrl: server.url,
      onProgress: (p) => progress.push(p),
    });
    const shd = join(dir, "shd");
    expect(result.directory).toBe(shd);
    expect(result.files.map((f) => [f.name, f.downloaded, f.resumedFrom])).toEqual([
      ["shd_train.h5", true, 0],
      ["shd_test.h5", true, 0],
    ]);
    expect(readFileSync(join(shd, "shd_train.h5")).equals(TRAIN_H5)).toBe(true);
    expect(readFileSync(join(shd, "shd_test.h5")).equals(TEST_H5)).toBe(true);
    expect(result.files[0]!.sha256).toBe(createHash("sha256").update(TRAIN_H5).digest("hex"));
    expect(readdirSync(shd).sort()).toEqual(["shd_test.h5", "shd_train.h5", MANIFEST_FILE]); // no .part or temporary files
    const manifest = JSON.parse(readFileSync(join(shd, MANIFEST_FILE), "utf8")) as {
      files: Record<string, { md5: string; bytes: number }>;
    };
    expect(manifest.files["shd_train.h5"]).toMatchObject({
      md5: md5(TRAIN_GZ),
      bytes: TRAIN_H5.length,
    });
    // progress: bytes of each download up to its size, then verify, unpack, done
    const downloads = progress.filter((p) => p.file === "shd_train.h5" && p.phase === "download");
    expect(downloads.at(-1)).toMatchObject({
      bytes: TRAIN_GZ.length,
      totalBytes: TRAIN_GZ.length,
      index: 1,
      count: 2,
    });
    expect([
      ...new Set(progress.filter((p) => p.file === "shd_train.h5").map((p) => p.phase)),
    ]).toEqual(["download", "verify", "unpack", "done"]);
    // the files are real SHD files
    const train = await openShd(join(shd, "shd_train.h5"));
    expect(train.numSamples).toBe(8);
    await train.close();
    expect(locateCachedDataset("shd", { dir })).toBe(shd);

    // A second call downloads nothing.
    server.requests.length = 0;
    const again = await fetchDataset("shd", { dir, baseUrl: server.url });
    expect(again.files.map((f) => f.downloaded)).toEqual([false, false]);
    expect(server.requests).toEqual([]);
  });

  it("resumes an interrupted download with a Range request", async () => {
    serveShd();
    server.misbehave.set("shd_train.h5.gz", { cutAfter: 1000 });
    const broken = await failure(fetchDataset("shd", { dir, baseUrl: server.url }));
    expect(broken.reason).toBe("interrupted");
    expect(broken.message).toMatch(/run again to resume/);
    const part = join(dir, "shd", "shd_train.h5.gz.part");
    const kept = statSync(part).size;
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThan(TRAIN_GZ.length);
    expect(existsSync(join(dir, "shd", "shd_train.h5"))).toBe(false);

    server.requests.length = 0;
    const result = await fetchDataset("shd", { dir, baseUrl: server.url });
    expect(server.requests.find((r) => r.path === "shd_train.h5.gz")?.range).toBe(`bytes=${kept}-`);
    expect(result.files[0]).toMatchObject({
      name: "shd_train.h5",
      downloaded: true,
      resumedFrom: kept,
    });
    expect(readFileSync(join(dir, "shd", "shd_train.h5")).equals(TRAIN_H5)).toBe(true);
    expect(existsSync(part)).toBe(false);
  });

  it("starts over when the server ignores the range", async () => {
    serveShd();
    mkdirSync(join(dir, "shd"));
    writeFileSync(join(dir, "shd", "shd_train.h5.gz.part"), TRAIN_GZ.subarray(0, 700));
    server.ignoreRanges = true;
    const result = await fetchDataset("shd", { dir, baseUrl: server.url });
    expect(result.files[0]).toMatchObject({ downloaded: true, resumedFrom: 0 });
    expect(readFileSync(join(dir, "shd", "shd_train.h5")).equals(TRAIN_H5)).toBe(true);
  });

  it("finishes a download that was complete but not yet checked (the server answers 416)", async () => {
    serveShd();
    mkdirSync(join(dir, "shd"));
    writeFileSync(join(dir, "shd", "shd_train.h5.gz.part"), TRAIN_GZ);
    const result = await fetchDataset("shd", { dir, baseUrl: server.url });
    expect(server.requests.find((r) => r.path === "shd_train.h5.gz")?.range).toBe(
      `bytes=${TRAIN_GZ.length}-`,
    );
    expect(result.files[0]).toMatchObject({ downloaded: true, resumedFrom: TRAIN_GZ.length });
    expect(readFileSync(join(dir, "shd", "shd_train.h5")).equals(TRAIN_H5)).toBe(true);
  });

  it("refuses a file whose checksum differs, and deletes it", async () => {
    serveShd(`${"0".repeat(32)}  shd_train.h5.gz\n${md5(TEST_GZ)}  shd_test.h5.gz\n`);
    const refused = await failure(fetchDataset("shd", { dir, baseUrl: server.url }));
    expect(refused.reason).toBe("checksum");
    expect(refused.message).toMatch(
      /shd_train\.h5\.gz .* failed its checksum \(MD5 [0-9a-f]{32}, published 0{32}\); the damaged download was deleted/,
    );
    expect(readdirSync(join(dir, "shd"))).toEqual([]); // neither the file, nor the download, nor a manifest entry
    expect(locateCachedDataset("shd", { dir })).toBeUndefined();
  });

  it("refuses MNIST files that do not match the built-in checksums", async () => {
    server.files.set("train-images-idx3-ubyte.gz", gzipSync(Buffer.from("not MNIST")));
    const refused = await failure(fetchDataset("mnist", { dir, baseUrl: server.url }));
    expect(refused.reason).toBe("checksum");
    expect(refused.message).toMatch(/published f68b3c2dcbeaaa9fbdd348bbdeb94873/);
    expect(readdirSync(join(dir, "mnist"))).toEqual([]);
  });

  it("refuses a file the checksum list does not name", async () => {
    serveShd(`${md5(TEST_GZ)}  shd_test.h5.gz\n`);
    const refused = await failure(fetchDataset("shd", { dir, baseUrl: server.url }));
    expect(refused.reason).toBe("unverifiable");
    expect(server.requests.map((r) => r.path)).toEqual(["md5sums.txt"]);
  });

  it("says clearly when the server cannot be reached, and changes nothing", async () => {
    const port = await closedPort();
    const offline = await failure(
      fetchDataset("shd", { dir, baseUrl: `http://127.0.0.1:${port}/` }),
    );
    expect(offline.reason).toBe("offline");
    expect(offline.message).toBe(
      `Cannot reach 127.0.0.1:${port} to download http://127.0.0.1:${port}/md5sums.txt (the connection was refused). Check the internet connection (or a proxy or firewall), then run again; partial downloads are kept and resume.`,
    );
    expect(readdirSync(join(dir, "shd"))).toEqual([]);
  });

  it("reports a missing file, a silent connection and an abort", async () => {
    server.files.set(
      "md5sums.txt",
      Buffer.from(`${md5(TRAIN_GZ)}  shd_train.h5.gz\n${md5(TEST_GZ)}  shd_test.h5.gz\n`),
    );
    const missing = await failure(fetchDataset("shd", { dir, baseUrl: server.url }));
    expect(missing.reason).toBe("http");
    expect(missing.message).toMatch(
      /answered 404 Not Found for http:.*shd_train\.h5\.gz; the file is not there/,
    );

    serveShd();
    server.misbehave.set("shd_train.h5.gz", { stallAfter: 500 });
    const stalled = await failure(
      fetchDataset("shd", { dir, baseUrl: server.url, stallTimeoutMs: 300 }),
    );
    expect(stalled.reason).toBe("interrupted");
    expect(statSync(join(dir, "shd", "shd_train.h5.gz.part")).size).toBe(500);

    const controller = new AbortController();
    controller.abort();
    const aborted = await failure(
      fetchDataset("shd", { dir, baseUrl: server.url, signal: controller.signal }),
    );
    expect(aborted.reason).toBe("aborted");
    expect(statSync(join(dir, "shd", "shd_train.h5.gz.part")).size).toBe(500); // still there to resume
  });
});

describe("the data cache directory", () => {
  it("is $SNN_DATA_DIR, else $XDG_CACHE_HOME/snn, else %LOCALAPPDATA%/snn on Windows, else ~/.cache/snn", () => {
    expect(
      defaultDataDirectory({
        env: { SNN_DATA_DIR: "/data/snn", XDG_CACHE_HOME: "/xdg" },
        home: "/home/u",
      }),
    ).toBe("/data/snn");
    expect(defaultDataDirectory({ env: { XDG_CACHE_HOME: "/xdg" }, home: "/home/u" })).toBe(
      "/xdg/snn",
    );
    expect(
      defaultDataDirectory({
        env: { XDG_CACHE_HOME: "relative" },
        home: "/home/u",
        platform: "linux",
      }),
    ).toBe("/home/u/.cache/snn");
    expect(
      defaultDataDirectory({ env: { SNN_DATA_DIR: "" }, home: "/home/u", platform: "linux" }),
    ).toBe("/home/u/.cache/snn");
    expect(
      defaultDataDirectory({
        env: { LOCALAPPDATA: "/appdata" },
        home: "/home/u",
        platform: "win32",
      }),
    ).toBe(join("/appdata", "snn"));
  });
});

describe("parseChecksumList", () => {
  it("reads md5sum lines and skips the rest", () => {
    const list = parseChecksumList(
      `d47c9825dee33347913e8ce0f2be08b0  shd_train.h5.gz\r\nD47C9825DEE33347913E8CE0F2BE08B1 *./shd_test.h5.gz\n# comment\n\nnot a line\n`,
    );
    expect([...list]).toEqual([
      ["shd_train.h5.gz", "d47c9825dee33347913e8ce0f2be08b0"],
      ["shd_test.h5.gz", "d47c9825dee33347913e8ce0f2be08b1"],
    ]);
  });
});
