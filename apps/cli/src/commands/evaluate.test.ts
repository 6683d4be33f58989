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
/** SHD files whose labels are out of range: reading them fails with {@link TRAP_READ}. */
const TRAP_FILE = join(
  import.meta.dirname,
  "..",
  "..",
  "..",
  "..",
  "packages",
  "datasets",
  "test-data",
  "bad-label-out-of-range.h5",
);
const TRAP_READ = /label 4 is outside the class range/;

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

    // A run made before paths were stored absolutely keeps "data" as typed: it is looked up
    // from the run folder and the folders above it, so it is found from anywhere (see the
    // tests of stored-data below); "elsewhere" names other files "data", so it is refused there.
    const configFile = join(project, "run", "config.json");
    writeFileSync(configFile, JSON.stringify({ ...config, data: "data" }));
    for (const cwd of [project, dir]) {
      const old = await cli(cwd, ["evaluate", join(project, "run"), "--json"]);
      expect(old.code, old.err).toBe(0);
      expect(pick(old.out)).toEqual(pick(here.out));
    }
    const ambiguous = await cli(elsewhere, ["evaluate", join(project, "run")]);
    expect(ambiguous.code, ambiguous.err).toBe(1);
    expect(ambiguous.err).toMatch(
      /^snn evaluate: error: .*config\.json stores the data path "data" relative to the folder the run was trained in, which it does not record .*names different data from different folders .*so it is ambiguous; give --data PATH with the run's data, or write its absolute path into config\.json \("data"\)\.$/m,
    );
    expect(ambiguous.err).not.toMatch(/^Usage: /m);
  }, 120_000);
});

describe("a run whose config.json stores a relative data path (made before paths were stored absolutely)", () => {
  /** A unique name, so that no folder above the test's folder holds it by chance. */
  const DATA = "shd-data-of-a-stored-data-test";
  const ARGS = ["--dataset", "shd", "--hidden", "8", "--epochs", "1", "--batch-size", "4"];
  let root: string;
  let project: string;
  let run: string;
  let report: unknown;
  const pick = (text: string): unknown => {
    const r = JSON.parse(text) as Record<string, unknown>;
    return [r["dataset"], r["examples"], r["accuracy"], r["confusion"]];
  };
  /** Writes `data` into the run's config.json, as an older snn did. */
  const storeRelative = (runDir: string, data = DATA): void => {
    const file = join(runDir, "config.json");
    const config = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
    writeFileSync(file, JSON.stringify({ ...config, data }));
  };
  /** A folder `name` under `parent` holding other SHD files under the run's data name. */
  const trap = (parent: string): string => {
    const other = join(parent, DATA);
    mkdirSync(other, { recursive: true });
    // Files of the same layout whose labels stop a read (detectably: a tiny untrained network
    // scores any SHD-shaped data alike), so that reading them shows in the test.
    for (const split of ["train", "test"]) cpSync(TRAP_FILE, join(other, `shd_${split}.h5`));
    return parent;
  };

  beforeAll(async () => {
    root = join(dir, "stored");
    project = join(root, "project");
    mkdirSync(project, { recursive: true });
    cpSync(SHD_FIXTURE, join(project, DATA), { recursive: true });
    const trained = await cli(project, ["train", ...ARGS, "--data", DATA, "--out", "run", "-q"]);
    expect(trained.code, trained.err).toBe(0);
    run = join(project, "run");
    const evaluated = await cli(project, ["evaluate", run, "--json"]);
    expect(evaluated.code, evaluated.err).toBe(0);
    report = pick(evaluated.out);
    // The same command on the trap's files: reading them shows.
    const other = trap(join(root, "other"));
    const wrong = await cli(root, ["evaluate", run, "--json", "--data", join(other, DATA)]);
    expect(wrong.code, wrong.err).toBe(1);
    expect(wrong.err).toMatch(TRAP_READ);
    storeRelative(run);
  }, 120_000);

  it("is read from the folder above the run, whichever folder the command runs in", async () => {
    for (const cwd of [project, root, dir]) {
      const result = await cli(cwd, ["evaluate", run, "--json"]);
      expect(result.code, result.err).toBe(0);
      expect(pick(result.out)).toEqual(report);
    }
  }, 120_000);

  it("is refused (exit 1, naming the files) when the current folder names other data, or only the current folder has it", async () => {
    const trapped = trap(join(root, "trapped"));
    for (const command of [["evaluate"], ["infer", "--count", "1"]]) {
      const ambiguous = await cli(trapped, [...command, run]);
      expect(ambiguous.code, ambiguous.err).toBe(1);
      expect(ambiguous.err).toMatch(
        new RegExp(
          `^snn ${command[0]}: error: .*config\\.json stores the data path "${DATA}" relative .*names different data from different folders \\(${join(project, DATA)}, ${join(trapped, DATA)}\\), so it is ambiguous; give --data PATH .*$`,
          "m",
        ),
      );
      expect(ambiguous.out).toBe("");
    }
    // The run moved away from its data: the trap in the current folder is no longer taken for it.
    const moved = join(root, "moved", "deep", "run");
    cpSync(run, moved, { recursive: true });
    const onlyHere = await cli(trapped, ["evaluate", moved]);
    expect(onlyHere.code, onlyHere.err).toBe(1);
    expect(onlyHere.err).toMatch(
      /^snn evaluate: error: .*names nothing from the run folder or the folders above it, only .*trapped\/shd-data-of-a-stored-data-test from the current folder, which need not be where the run was trained; if that is the run's data, give --data PATH .*$/m,
    );
    const nowhere = await cli(root, ["evaluate", moved]);
    expect(nowhere.code, nowhere.err).toBe(1);
    expect(nowhere.err).toMatch(/names nothing from the run folder, the folders above it or /);
    // --data says which: the moved run evaluates on its own data again.
    const given = await cli(trapped, ["evaluate", moved, "--json", "--data", join(project, DATA)]);
    expect(given.code, given.err).toBe(0);
    expect(pick(given.out)).toEqual(report);
  }, 120_000);

  it("--resume records the path it resolves absolutely in config.json, or the --data given for an ambiguous one", async () => {
    const copy = join(project, "resumed");
    cpSync(run, copy, { recursive: true });
    const resumed = await cli(root, ["train", "--resume", copy, "--epochs", "2", "-q"]);
    expect(resumed.code, resumed.err).toBe(0);
    const config = (): Record<string, unknown> =>
      JSON.parse(readFileSync(join(copy, "config.json"), "utf8")) as Record<string, unknown>;
    expect(config()["data"]).toBe(join(project, DATA));
    expect(config()["hidden"]).toBe(8);

    // Ambiguous from here: refused before anything is written; --data settles it.
    const trapped = trap(join(root, "trapped2"));
    const again = join(project, "resumed2");
    cpSync(run, again, { recursive: true });
    const before = readFileSync(join(again, "config.json"), "utf8");
    const refused = await cli(trapped, ["train", "--resume", again, "--epochs", "2", "-q"]);
    expect(refused.code, refused.err).toBe(1);
    expect(refused.err).toMatch(/so it is ambiguous; give --data PATH/);
    expect(readFileSync(join(again, "config.json"), "utf8")).toBe(before);
    const settled = await cli(trapped, [
      "train",
      "--resume",
      again,
      "--epochs",
      "2",
      "--data",
      join(project, DATA),
      "-q",
    ]);
    expect(settled.code, settled.err).toBe(0);
    expect(
      (JSON.parse(readFileSync(join(again, "config.json"), "utf8")) as Record<string, unknown>)[
        "data"
      ],
    ).toBe(join(project, DATA));

    // A run that stores its path absolutely keeps its data: --data with --resume is a usage error.
    const changed = await cli(root, [
      "train",
      "--resume",
      again,
      "--epochs",
      "3",
      "--data",
      join(trapped, DATA),
      "-q",
    ]);
    expect(changed.code, changed.err).toBe(2);
    expect(changed.err).toMatch(/--resume continues a run with its own data \(.*\); drop --data\./);
  }, 180_000);
});
