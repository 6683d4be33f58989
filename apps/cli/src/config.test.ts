import { describe, expect, it } from "vitest";
import { parseCommand } from "./args";
import { configFromOptions, configToJson, parseConfigObject, resolveTrainConfig } from "./config";
import { CONFIG_KEYS } from "./config-keys";
import { datasetDefaults } from "./train-config";
import { resumeConfig } from "./commands/train-setup";
import { UsageError } from "./errors";

describe("resolveTrainConfig", () => {
  it("uses the sequential-MNIST defaults without arguments", () => {
    const config = resolveTrainConfig({ cli: {} });
    expect(config).toEqual(datasetDefaults("smnist"));
    expect(config.dataset).toBe("smnist");
    expect(config.backend).toBe("cpu");
    expect(config.data).toBeUndefined();
    // the values the READMEs document
    expect(config).toMatchObject({
      hidden: 256,
      neuron: "alif",
      epochs: 2,
      batchSize: 32,
      dt: 2,
      lossSteps: 28,
      lr: 0.002,
      lrDecay: 0.85,
      tauAdapt: 700,
      beta: 0.15,
      encoding: "79",
      seed: 1,
    });
  });

  it("says each dataset's defaults in the help of the options whose defaults depend on it", () => {
    const text = (name: string) =>
      CONFIG_KEYS.find((k) => k.option.name === name)!.option.defaultText;
    expect(text("dt")).toBe("2 (smnist, shd, ssc), 1 (latency-mnist)");
    expect(text("lr")).toBe("0.002 (smnist), 0.001 (shd, ssc), 0.005 (latency-mnist)");
    expect(text("loss-steps")).toBe("28 (smnist), 0 (shd, ssc, latency-mnist)");
    expect(text("hidden")).toBe("256 (smnist, shd, ssc), 128 (latency-mnist)");
    expect(text("tau-adapt")).toBe("700 (smnist), 2000 (shd, ssc, latency-mnist)");
  });

  it("layers defaults < preset < file < command line", () => {
    const config = resolveTrainConfig({
      preset: "paper",
      file: { hidden: 100, epochs: 7 },
      cli: { epochs: 3 },
    });
    expect(config.batchSize).toBe(512); // preset
    expect(config.encoding).toBe("80"); // preset
    expect(config.hidden).toBe(100); // file over preset
    expect(config.epochs).toBe(3); // command line over file
    expect(config.trainSamples).toBeUndefined(); // the preset uses the whole training set
    expect(config.beta).toBeUndefined(); // the preset is the spec's adaptation, not the smnist default
    expect(config.tauAdapt).toBe(2000);
  });

  it("takes the dataset's defaults from the dataset the command line names", () => {
    const config = resolveTrainConfig({ cli: { dataset: "latency-mnist" } });
    expect(config).toEqual(datasetDefaults("latency-mnist"));
  });

  it("reads SNN_MAX_BATCHES unless --max-batches is given", () => {
    expect(resolveTrainConfig({ cli: {}, env: { SNN_MAX_BATCHES: "3" } }).maxBatches).toBe(3);
    expect(
      resolveTrainConfig({ cli: { maxBatches: 5 }, env: { SNN_MAX_BATCHES: "3" } }).maxBatches,
    ).toBe(5);
    expect(() => resolveTrainConfig({ cli: {}, env: { SNN_MAX_BATCHES: "many" } })).toThrow(
      /\$SNN_MAX_BATCHES must be a number/,
    );
  });

  it("lets a file remove a default with null", () => {
    const file = parseConfigObject({ "train-samples": null }, "c.json");
    expect(resolveTrainConfig({ cli: {}, file }).trainSamples).toBeUndefined();
  });

  it("rejects SHD without --data, and --preset paper for latency-mnist", () => {
    expect(() => resolveTrainConfig({ cli: { dataset: "shd" } })).toThrow(/needs --data PATH/);
    expect(() =>
      resolveTrainConfig({ cli: { dataset: "latency-mnist" }, preset: "paper" }),
    ).toThrow(UsageError);
  });

  it("takes --cue-ms with the 80-channel encoding only", () => {
    expect(resolveTrainConfig({ cli: { encoding: "80", cueMs: 56 } }).cueMs).toBe(56);
    expect(resolveTrainConfig({ cli: { encoding: "80" } }).cueMs).toBeUndefined();
    expect(() => resolveTrainConfig({ cli: { cueMs: 56 } })).toThrow(
      /--cue-ms sets the answer period of the 80-channel sequential MNIST encoding; add --dataset smnist --encoding 80/,
    );
    expect(() =>
      resolveTrainConfig({ cli: { dataset: "latency-mnist", encoding: "80", cueMs: 56 } }),
    ).toThrow(UsageError);
  });
});

describe("resumeConfig", () => {
  it("keeps the run's settings, applies allowed overrides and $SNN_MAX_BATCHES", () => {
    const stored = resolveTrainConfig({ cli: { hidden: 12, maxBatches: 4 }, preset: "paper" });
    expect(resumeConfig(stored, {}, {})).toEqual(stored);
    expect(resumeConfig(stored, { epochs: 200 }, {}).epochs).toBe(200);
    expect(resumeConfig(stored, { microBatch: 16 }, {}).microBatch).toBe(16);
    expect(resumeConfig(stored, {}, { SNN_MAX_BATCHES: "2" }).maxBatches).toBe(2);
    expect(resumeConfig(stored, { maxBatches: 9 }, { SNN_MAX_BATCHES: "2" }).maxBatches).toBe(9);
    // Settings the run removed (the preset's full training set) are not filled in again.
    expect(resumeConfig(stored, {}, {}).trainSamples).toBeUndefined();
  });
});

describe("config files", () => {
  it("accept option names and camelCase fields", () => {
    expect(
      parseConfigObject(
        { "batch-size": 8, hidden: 20, tauMem: 30, feedforward: true, encoding: 80 },
        "c.json",
      ),
    ).toEqual({
      batchSize: 8,
      hidden: 20,
      tauMem: 30,
      feedforward: true,
      encoding: "80",
    });
  });

  it("reject unknown keys and bad values with the file name", () => {
    expect(() => parseConfigObject({ hiden: 3 }, "c.json")).toThrow(/c.json: unknown key "hiden"/);
    expect(() => parseConfigObject({ hidden: -3 }, "c.json")).toThrow(
      /c.json: "hidden" must be greater than 0/,
    );
    expect(() => parseConfigObject({ dataset: "cifar" }, "c.json")).toThrow(
      /must be one of smnist, shd, ssc, latency-mnist/,
    );
    expect(() => parseConfigObject([1], "c.json")).toThrow(/JSON object/);
    expect(() => parseConfigObject({ hidden: [1] }, "c.json")).toThrow(/string, number or boolean/);
  });

  it("round-trip: the resolved config written as JSON resolves to itself", () => {
    const config = resolveTrainConfig({
      cli: { hidden: 33, feedforward: true, lr: 0.01 },
      env: {},
    });
    const json = JSON.parse(JSON.stringify(configToJson(config)));
    expect(resolveTrainConfig({ cli: {}, file: parseConfigObject(json, "config.json") })).toEqual(
      config,
    );
  });

  it("every config key is a command-line option with a description", () => {
    for (const k of CONFIG_KEYS) {
      expect(k.option.name).toMatch(/^[a-z][a-z-]*$/);
      expect(k.option.description.length).toBeGreaterThan(5);
    }
    expect(configFromOptions({ "batch-size": 4, unrelated: 1 })).toEqual({ batchSize: 4 });
  });
});

describe("--threads", () => {
  const spec = { name: "train", summary: "", options: CONFIG_KEYS.map((k) => k.option) };
  it("parses N threads from the command line and config files, and may change on resume", () => {
    const values = parseCommand(spec, ["--threads", "2"]).values;
    expect(values["threads"]).toBe(2);
    expect(configFromOptions(values).threads).toBe(2);
    expect(resolveTrainConfig({ cli: configFromOptions(values) }).threads).toBe(2);
    // absent by default: one thread
    expect(resolveTrainConfig({ cli: {} }).threads).toBeUndefined();
    expect(parseConfigObject({ threads: 3 }, "c.json")).toEqual({ threads: 3 });
    const stored = resolveTrainConfig({ cli: {} });
    expect(resumeConfig(stored, { threads: 2 }, {}).threads).toBe(2);
  });

  it("rejects a thread count that is not a positive integer", () => {
    for (const bad of ["0", "-1", "1.5", "two"])
      expect(() => parseCommand(spec, ["--threads", bad])).toThrow(UsageError);
    expect(() => parseCommand(spec, ["--threads", "0"])).toThrow(/--threads/);
    expect(() => parseConfigObject({ threads: 0 }, "c.json")).toThrow(
      /c.json: "threads" must be greater than 0/,
    );
  });
});
