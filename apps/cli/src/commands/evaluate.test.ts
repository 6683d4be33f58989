/**
 * `snn evaluate` and `snn infer` score a run only on data that fits its network, and read the
 * data the run was trained on from any folder (in this process, on real runs).
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CliIO } from "../io";
import { main } from "../main";

const SHD_FIXTURE = join(import.meta.dirname, "..", "..", "test", "fixtures", "shd");

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "snn-cli-evaluate-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function io(cwd: string): CliIO & { out: string; err: string } {
  const state = {
    out: "",
    err: "",
    stdout: { write: (t: string) => ((state.out += t), true) },
    stderr: { write: (t: string) => ((state.err += t), true) },
    env: {},
    cwd,
    onInterrupt: () => () => {},
    exit: () => {},
  };
  return state;
}

async function cli(
  cwd: string,
  args: readonly string[],
): Promise<{ code: number; out: string; err: string }> {
  const streams = io(cwd);
  const code = await main([...args], streams);
  return { code, out: streams.out, err: streams.err };
}

describe("data that does not fit the run's network is refused", () => {
  /** A latency-MNIST run: 196 input channels. */
  const RUN = "latency";
  beforeAll(async () => {
    const trained = await cli(dir, [
      "train",
      "--dataset",
      "latency-mnist",
      "--hidden",
      "8",
      "--epochs",
      "1",
      "--train-samples",
      "16",
      "--test-samples",
      "8",
      "--batch-size",
      "8",
      "--out",
      RUN,
      "-q",
    ]);
    expect(trained.code, trained.err).toBe(0);
  }, 60_000);

  const REFUSAL =
    /^snn (evaluate|infer): error: sequential MNIST \(79-channel\), .* has 79 input channels but the network reads 196; choose data that fits it\.$/m;

  it("--dataset smnist on a latency-MNIST run: exit 1 (data that does not fit), no usage, no accuracy printed", async () => {
    for (const command of ["evaluate", "infer"]) {
      const result = await cli(dir, [command, RUN, "--dataset", "smnist", "--test-samples", "8"]);
      expect(result.code, result.err).toBe(1);
      expect(result.err).toMatch(REFUSAL);
      expect(result.err).not.toMatch(/^Usage: /m);
      expect(result.out).toBe("");
    }
  }, 60_000);

  it("an edited config.json that names another dataset: exit 1", async () => {
    const file = join(dir, RUN, "config.json");
    const original = readFileSync(file, "utf8");
    try {
      const config = JSON.parse(original) as Record<string, unknown>;
      writeFileSync(file, JSON.stringify({ ...config, dataset: "smnist" }));
      const result = await cli(dir, ["evaluate", RUN]);
      expect(result.code, result.err).toBe(1);
      expect(result.err).toMatch(REFUSAL);
      expect(result.err).not.toMatch(/^Usage: /m);
      expect(result.out).toBe("");
    } finally {
      writeFileSync(file, original);
    }
  }, 60_000);

  it("a damaged checkpoint, a damaged config.json and a run without a checkpoint: exit 1, no usage", async () => {
    const expectBadData = async (args: string[], message: RegExp): Promise<void> => {
      const result = await cli(dir, args);
      expect(result.code, result.err).toBe(1);
      expect(result.err.split("\n")[0]).toMatch(message);
      expect(result.err).not.toMatch(/^Usage: /m);
      expect(result.out).toBe("");
    };
    const checkpoint = readFileSync(join(dir, RUN, "best.safetensors"));
    writeFileSync(join(dir, "cut.safetensors"), checkpoint.subarray(0, checkpoint.length - 9));
    await expectBadData(
      ["evaluate", "cut.safetensors"],
      /^snn evaluate: error: .*the checkpoint is truncated or corrupt/,
    );

    const copy = join(dir, "copy");
    cpSync(join(dir, RUN), copy, { recursive: true });
    const configFile = join(copy, "config.json");
    const config = JSON.parse(readFileSync(configFile, "utf8")) as Record<string, unknown>;
    writeFileSync(configFile, JSON.stringify({ ...config, colour: "red" }));
    await expectBadData(
      ["evaluate", "copy"],
      /^snn evaluate: error: .*config\.json is damaged: unknown key "colour"/,
    );
    writeFileSync(configFile, JSON.stringify(config));

    const stateFile = join(copy, "run.json");
    const state = JSON.parse(readFileSync(stateFile, "utf8")) as Record<string, unknown>;
    delete state["latestCheckpoint"];
    delete state["best"];
    writeFileSync(stateFile, JSON.stringify(state));
    rmSync(join(copy, "best.safetensors"));
    await expectBadData(
      ["infer", "copy", "--count", "1"],
      /^snn infer: error: copy has no checkpoint yet/,
    );
  }, 60_000);
});

describe("a checkpoint trained on its dataset's own trial length", () => {
  it("is refused data of another length (exit 1, naming both), and takes it with --steps", async () => {
    const run = "short";
    const trained = await cli(dir, [
      "train",
      "--dataset",
      "latency-mnist",
      "--hidden",
      "8",
      "--steps",
      "40",
      "--epochs",
      "1",
      "--train-samples",
      "8",
      "--test-samples",
      "8",
      "--batch-size",
      "8",
      "--out",
      run,
      "-q",
    ]);
    expect(trained.code, trained.err).toBe(0);
    // config.json edited so that it no longer says the run cut its trials to 40 steps: the
    // checkpoint's 40 steps are then its dataset's own length, which the data now is not.
    const file = join(dir, run, "config.json");
    const config = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
    expect(config["steps"]).toBe(40);
    delete config["steps"];
    writeFileSync(file, JSON.stringify(config));
    const refused = await cli(dir, ["evaluate", run]);
    expect(refused.code, refused.err).toBe(1);
    expect(refused.err).toMatch(
      /^snn evaluate: error: .* gives trials of \d+ steps of 1 ms but the network was trained on trials of 40 \(give --steps 40 .*\); choose data that fits it\.$/m,
    );
    expect(refused.out).toBe("");
    const given = await cli(dir, ["evaluate", run, "--steps", "40"]);
    expect(given.code, given.err).toBe(0);
    expect(given.out).toMatch(/accuracy: /);
  }, 60_000);
});

describe("a run trained with a relative --data", () => {
  it("stores it absolutely, so evaluating from another folder reads the same files", async () => {
    const project = join(dir, "project");
    mkdirSync(project);
    cpSync(SHD_FIXTURE, join(project, "data"), { recursive: true });
    const args = [
      "--dataset",
      "shd",
      "--hidden",
      "8",
      "--epochs",
      "1",
      "--batch-size",
      "4",
      "--max-batches",
      "1",
    ];
    const trained = await cli(project, ["train", ...args, "--data", "data", "--out", "run", "-q"]);
    expect(trained.code, trained.err).toBe(0);
    const config = JSON.parse(readFileSync(join(project, "run", "config.json"), "utf8")) as Record<
      string,
      unknown
    >;
    expect(config["data"]).toBe(join(project, "data"));

    // Elsewhere, "data" is another folder: the run's data is still the one it was trained on.
    const elsewhere = join(dir, "elsewhere");
    mkdirSync(join(elsewhere, "data"), { recursive: true });
    const here = await cli(project, ["evaluate", "run", "--json"]);
    const there = await cli(elsewhere, ["evaluate", join(project, "run"), "--json"]);
    expect(here.code, here.err).toBe(0);
    expect(there.code, there.err).toBe(0);
    const pick = (text: string): unknown => {
      const report = JSON.parse(text) as Record<string, unknown>;
      return [report["dataset"], report["examples"], report["accuracy"], report["confusion"]];
    };
    expect(pick(there.out)).toEqual(pick(here.out));

    // A run made before paths were stored absolutely keeps "data" as typed: from its own folder
    // it still reads the files; from a folder without them the error says where the path came from.
    const configFile = join(project, "run", "config.json");
    writeFileSync(configFile, JSON.stringify({ ...config, data: "data" }));
    const old = await cli(project, ["evaluate", "run", "--json"]);
    expect(old.code, old.err).toBe(0);
    expect(pick(old.out)).toEqual(pick(here.out));
    const lost = await cli(join(dir), ["evaluate", join(project, "run")]);
    expect(lost.code, lost.err).toBe(1);
    expect(lost.err).toMatch(
      /^snn evaluate: error: .*config\.json stores the data path "data" relative to the folder the run was trained in .*does not exist from .*; run the command from that folder, give --data, or write the absolute path into config\.json\.$/m,
    );
    expect(lost.err).not.toMatch(/^Usage: /m);
  }, 120_000);
});
