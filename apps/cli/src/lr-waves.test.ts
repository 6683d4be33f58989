import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readCheckpointFile } from "@snn/eprop";
import { afterAll, describe, expect, it } from "vitest";
import { resolveTrainConfig } from "./config";
import { epochLearningRate, parseLrWaves, restartsAtEpoch } from "./lr-schedule";
import type { CliIO } from "./io";
import { main } from "./main";

describe("--lr-waves: cosine waves with warm restarts", () => {
  it("parses EPOCHS@LR lists and refuses anything else, naming the bad wave", () => {
    expect(parseLrWaves("30@0.002, 20@1e-3")).toEqual([
      { epochs: 30, lr: 0.002 },
      { epochs: 20, lr: 0.001 },
    ]);
    for (const bad of ["30", "0@0.1", "2@0", "2@-1", "1.5@0.1", "3@x", ""])
      expect(() => parseLrWaves(bad), bad).toThrow(/is not a wave; give EPOCHS@LR/);
  });

  it("runs half a cosine per wave from the wave's own rate, restarting at each later wave's first epoch", () => {
    const config = { lr: 1, lrDecay: 1, epochs: 6, lrWaves: "2@0.004,4@0.002" };
    const rates = [1, 2, 3, 4, 5, 6].map((e) => epochLearningRate(config, e));
    expect(rates[0]).toBe(0.004);
    expect(rates[1]).toBeCloseTo(0.002, 15);
    expect(rates[2]).toBe(0.002);
    expect(rates[3]).toBeCloseTo((0.002 * (1 + Math.SQRT1_2)) / 2, 15);
    expect(rates[4]).toBeCloseTo(0.001, 15);
    expect(rates[5]).toBeCloseTo((0.002 * (1 - Math.SQRT1_2)) / 2, 15);
    expect([1, 2, 3, 4, 5, 6].map((e) => restartsAtEpoch(config, e))).toEqual([
      false,
      false,
      true,
      false,
      false,
      false,
    ]);
    expect(restartsAtEpoch({}, 3)).toBe(false);
  });

  it("makes --epochs the waves' sum and refuses settings that contradict the waves", () => {
    const config = resolveTrainConfig({ cli: { lrWaves: "3@0.002,2@0.001" } });
    expect(config).toMatchObject({ epochs: 5, lr: 0.002 });
    expect(config.lrSchedule).toBeUndefined();
    expect(resolveTrainConfig({ cli: { lrWaves: "3@0.002,2@0.001", epochs: 5 } }).epochs).toBe(5);
    expect(() => resolveTrainConfig({ cli: { lrWaves: "3@0.002,2@0.001", epochs: 4 } })).toThrow(
      /--epochs 4 does not match --lr-waves 3@0.002,2@0.001, whose waves add up to 5 epochs/,
    );
    expect(() => resolveTrainConfig({ cli: { lrWaves: "3@0.002", lr: 0.1 } })).toThrow(
      /--lr and --lr-waves both set the learning rate/,
    );
    expect(() => resolveTrainConfig({ cli: { lrWaves: "3@0.002", lrSchedule: "cosine" } })).toThrow(
      /--lr-schedule and --lr-waves/,
    );
    expect(() =>
      resolveTrainConfig({ cli: { lrWaves: "3@0.002" }, file: { lrSchedule: "cosine" } }),
    ).toThrow(/sets "lr-schedule" and --lr-waves is given/);
  });
});

/**
 * A CLI io that keeps stderr, calls `onBatch` with each JSON batch event on stdout and passes
 * all of stdout to `onText`.
 */
function io(
  cwd: string,
  onBatch: (event: { epoch: number; batch: number }, interrupt: () => void) => void = () => {},
  onText: (text: string) => void = () => {},
): CliIO & { err: string } {
  let interrupt = (): void => {};
  const state = {
    err: "",
    stdout: {
      write: (text: string) => {
        onText(text);
        for (const line of text.split("\n")) {
          if (!line.startsWith("{")) continue;
          const event = JSON.parse(line) as { event: string; epoch: number; batch: number };
          if (event.event === "batch") onBatch(event, interrupt);
        }
        return true;
      },
    },
    stderr: { write: (t: string) => (state.err += t) },
    env: {},
    cwd,
    onInterrupt: (handler: (signal: "SIGINT") => void) => {
      interrupt = () => handler("SIGINT");
      return () => {};
    },
    exit: () => {},
  };
  return state;
}

const TINY = [
  "--dataset",
  "latency-mnist",
  "--hidden",
  "8",
  "--train-samples",
  "32",
  "--test-samples",
  "16",
  "--batch-size",
  "16",
  "--seed",
  "3",
  "--lr-waves",
  "1@0.01,2@0.005",
  "--log-format",
  "json",
];

describe("snn train --lr-waves", () => {
  const cwd = mkdtempSync(join(tmpdir(), "snn-cli-lr-waves-"));
  afterAll(() => rmSync(cwd, { recursive: true, force: true }));
  const epoch = async (run: string, n: number) =>
    readCheckpointFile(join(cwd, run, "checkpoints", `epoch-000${n}.safetensors`));

  it("restarts Adam at each later wave, and a run interrupted in a restart epoch resumes to the same weights", async () => {
    const whole = io(cwd);
    expect(await main(["train", ...TINY, "--out", "whole"], whole), whole.err).toBe(0);
    const config = JSON.parse(readFileSync(join(cwd, "whole", "config.json"), "utf8")) as Record<
      string,
      unknown
    >;
    expect(config).toMatchObject({ "lr-waves": "1@0.01,2@0.005", epochs: 3, lr: 0.01 });
    // two batches per epoch: Adam's step count starts again with the second wave
    const [first, second, third] = [
      await epoch("whole", 1),
      await epoch("whole", 2),
      await epoch("whole", 3),
    ];
    expect([first.optimizer.step, second.optimizer.step, third.optimizer.step]).toEqual([2, 2, 4]);
    expect(third.progress.optimizerSteps).toBe(6);
    expect(second.training.optimizer.learningRate).toBe(0.005);
    expect(third.training.optimizer.learningRate).toBeCloseTo(0.0025, 15);

    // Ctrl-C after the first batch of epoch 2 (the restart), then --resume
    const stopped = io(cwd, (event, interrupt) => {
      if (event.epoch === 2 && event.batch === 1) interrupt();
    });
    expect(await main(["train", ...TINY, "--out", "stopped"], stopped), stopped.err).toBe(130);
    const resumed = io(cwd);
    expect(
      await main(["train", "--resume", "stopped", "--log-format", "json"], resumed),
      resumed.err,
    ).toBe(0);
    const end = await epoch("stopped", 3);
    expect(end.optimizer.step).toBe(4);
    for (const name of Object.keys(third.parameters))
      expect(Array.from(end.parameters[name]!), name).toEqual(Array.from(third.parameters[name]!));
  }, 60_000);

  it("averages the weights at the ends of the waves after the first (SWA), keeping those checkpoints", async () => {
    const run = io(cwd);
    expect(
      await main(
        [
          "train",
          ...TINY.map((a) => (a === "1@0.01,2@0.005" ? "1@0.01,1@0.005,1@0.003" : a)),
          "--keep-checkpoints",
          "1",
          "--out",
          "swa",
        ],
        run,
      ),
      run.err,
    ).toBe(0);
    const state = JSON.parse(readFileSync(join(cwd, "swa", "run.json"), "utf8")) as {
      swa: { epochs: number[]; accuracy: number; checkpoint: string };
    };
    expect(state.swa).toMatchObject({ epochs: [2, 3], checkpoint: "swa.safetensors" });
    const ends = [
      await epoch("swa", 2), // wave ends are kept despite --keep-checkpoints 1
      await epoch("swa", 3),
    ];
    const average = await readCheckpointFile(join(cwd, "swa", "swa.safetensors"));
    for (const name of Object.keys(average.parameters)) {
      const expected = ends[0]!.parameters[name]!.map((a, i) =>
        Math.fround((a + ends[1]!.parameters[name]![i]!) / 2),
      );
      expect(Array.from(average.parameters[name]!), name).toEqual(Array.from(expected));
    }
    // and the score recorded is the average's own: evaluating the file gives the same accuracy
    let printed = "";
    const evaluated = io(cwd, undefined, (t) => (printed += t));
    expect(
      await main(
        [
          "evaluate",
          join("swa", "swa.safetensors"),
          "--dataset",
          "latency-mnist",
          "--test-samples",
          "16",
        ],
        evaluated,
      ),
      evaluated.err,
    ).toBe(0);
    expect(printed).toContain(`accuracy: ${(state.swa.accuracy * 100).toFixed(2)}%`);
  }, 60_000);

  it("refuses to resume a waves run with other --epochs", async () => {
    const resumed = io(cwd);
    expect(await main(["train", "--resume", "whole", "--epochs", "5"], resumed)).toBe(2);
    expect(resumed.err).toMatch(/--epochs 5 does not match --lr-waves 1@0.01,2@0.005/);
  }, 30_000);
});
