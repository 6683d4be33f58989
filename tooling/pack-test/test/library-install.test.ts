/**
 * A CPU-only library install from the tarballs with npm, outside the workspace: what it pulls
 * in, its size, a script that builds, runs, trains and checkpoints, require() from CommonJS, and
 * the same script on WebGPU once @snn/backend-wgsl is added.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, inject, it } from "vitest";
import { BUDGET, CPU_LIBRARY } from "./expectations";
import {
  fromTarballs,
  installedPackages,
  mb,
  npmInstall,
  ROOT,
  run,
  runOk,
  treeBytes,
} from "./support";

const work = inject("packWork");
const tarballs = inject("tarballs");

describe("a CPU-only library install (@snn/core, @snn/backend-cpu, @snn/eprop)", () => {
  const app = join(work, "library-app");

  it("pulls in no other @snn package and nothing third-party, within its size budget", () => {
    mkdirSync(app);
    npmInstall(app, fromTarballs(tarballs, CPU_LIBRARY), tarballs);
    const installed = installedPackages(join(app, "node_modules"));
    expect([...installed].sort()).toEqual([...CPU_LIBRARY].sort());
    const bytes = treeBytes(join(app, "node_modules"));
    console.log(
      `CPU-only library install (${CPU_LIBRARY.join(", ")}): ${mb(bytes)} (budget ${mb(BUDGET.cpuLibrary)})`,
    );
    expect(bytes, `installed ${mb(bytes)}`).toBeLessThan(BUDGET.cpuLibrary);
  }, 240_000);

  it("builds and runs a network, trains with e-prop and writes and reloads a checkpoint (CPU)", () => {
    writeFileSync(
      join(app, "train.mjs"),
      readFileSync(join(ROOT, "tooling", "pack-test", "fixtures", "train-and-checkpoint.mjs")),
    );
    const ran = runOk("node", ["train.mjs", "cpu", "run.safetensors"], { cwd: app });
    const result = JSON.parse(ran.stdout) as {
      hiddenSpikes: number;
      losses: number[];
      loss: number;
      reloadedLoss: number;
      checkpointBytes: number;
    };
    expect(result.hiddenSpikes).toBeGreaterThan(0);
    expect(result.losses).toHaveLength(4);
    for (const loss of result.losses) expect(Number.isFinite(loss)).toBe(true);
    expect(result.checkpointBytes).toBeGreaterThan(1000);
    expect(result.reloadedLoss).toBe(result.loss);
  }, 120_000);

  it("works from CommonJS through require(), or says to use import where Node cannot", () => {
    writeFileSync(
      join(app, "use.cjs"),
      'const { Network } = require("@snn/core");\nconst { Trainer } = require("@snn/eprop");\nconsole.log(typeof Network, typeof Trainer);\n',
    );
    expect(runOk("node", ["use.cjs"], { cwd: app }).stdout.trim()).toBe("function function");
    const refused = run("node", ["--no-experimental-require-module", "use.cjs"], { cwd: app });
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(
      /@snn\/core is an ES module and this Node \(v[\d.]+\) cannot load it with require\(\)\. Use import instead/,
    );
  });

  it("loads @snn/core/internal with import and require(), sharing the main entry's modules", () => {
    writeFileSync(
      join(app, "internal.mjs"),
      [
        'import { createRequire } from "node:module";',
        'import * as core from "@snn/core";',
        'import { expandVarValues, wasm } from "@snn/core/internal";',
        'const required = createRequire(import.meta.url)("@snn/core/internal");',
        "let sharedErrors = false;",
        "try {",
        '  expandVarValues({ name: "V", size: 2, batched: true, type: "float" }, 1, [1, 2, 3], "p");',
        "} catch (error) {",
        "  sharedErrors = error instanceof core.RuntimeUsageError;",
        "}",
        "console.log(JSON.stringify({",
        "  assembler: typeof wasm.assembleModule,",
        "  sameAssembler: required.wasm === wasm,",
        "  sharedErrors,",
        '  mainHasWasm: "wasm" in core,',
        "}));",
        "",
      ].join("\n"),
    );
    const ran = runOk("node", ["internal.mjs"], { cwd: app });
    expect(JSON.parse(ran.stdout)).toEqual({
      assembler: "function",
      sameAssembler: true,
      sharedErrors: true,
      mainHasWasm: false,
    });
  });

  it("runs the same script on WebGPU once @snn/backend-wgsl is added", () => {
    npmInstall(app, fromTarballs(tarballs, [...CPU_LIBRARY, "@snn/backend-wgsl"]), tarballs);
    const installed = [...installedPackages(join(app, "node_modules"))].filter((n) =>
      n.startsWith("@snn/"),
    );
    expect(installed.sort()).toEqual([...CPU_LIBRARY, "@snn/backend-wgsl"].sort());
    const ran = runOk("node", ["train.mjs", "webgpu", "run-webgpu.safetensors"], {
      cwd: app,
      env: { EGL_PLATFORM: process.env["EGL_PLATFORM"] ?? "surfaceless" },
    });
    const result = JSON.parse(ran.stdout) as {
      hiddenSpikes: number;
      losses: number[];
      reloadedLoss: number;
      loss: number;
      checkpointBytes: number;
    };
    expect(result.hiddenSpikes).toBeGreaterThan(0);
    expect(result.losses).toHaveLength(4);
    for (const loss of result.losses) expect(Number.isFinite(loss)).toBe(true);
    expect(result.checkpointBytes).toBeGreaterThan(1000);
    expect(Math.abs(result.reloadedLoss - result.loss)).toBeLessThan(1e-5);
  }, 240_000);
});
