import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { parseXml, seriesOf } from "../test/xml";
import { resolveTrainConfig } from "./config";
import { writeCurvePlots } from "./plots";
import { RunLock } from "./run-lock";
import {
  RunDirectory,
  defaultRunDirectory,
  parseMetrics,
  writeFileAtomic,
  type MetricsRecord,
} from "./run-dir";

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "snn-cli-run-"));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function batchRecord(epoch: number, batch: number, step: number): MetricsRecord {
  return {
    kind: "batch",
    epoch,
    batch,
    batches: 2,
    step,
    examples: 4,
    loss: 2 - step * 0.1,
    accuracy: 0.1 * step,
    firingRatesHz: { hidden: 10 + step },
    durationMs: 5,
  };
}

describe("RunDirectory", () => {
  it("creates, reopens with the same config, and refuses to overwrite", async () => {
    const run = new RunDirectory(join(tempDir(), "r"));
    const config = resolveTrainConfig({ cli: { hidden: 12, epochs: 2 } });
    const { state, lock } = await run.create(config);
    expect(state.status).toBe("running");
    lock.release();
    const reopened = await run.open();
    expect(reopened.config).toEqual(config);
    expect(reopened.state.epochsCompleted).toBe(0);
    await expect(run.create(config)).rejects.toThrow(/holds a run that stopped/);
    expect(existsSync(run.plotsDir)).toBe(true);
  });

  it("sends a stopped run to --resume only when it has a checkpoint to resume from", async () => {
    const run = new RunDirectory(join(tempDir(), "r"));
    const { state, lock } = await run.create(resolveTrainConfig({ cli: {} }));
    lock.release();
    // "running" with no lock: its process stopped (killed, or run.json could not be written).
    expect(() => run.checkNewRun("r")).toThrow(
      "--out r holds a run that stopped before its first checkpoint (its process stopped without saying why, e.g. it was killed), so there is nothing to resume: delete r to start over, or choose another --out.",
    );
    await run.saveState({ ...state, status: "interrupted" });
    expect(() => run.checkNewRun("r")).toThrow(
      "--out r holds a run that stopped before its first checkpoint (interrupted), so there is nothing to resume: delete r to start over, or choose another --out.",
    );
    writeFileSync(run.checkpointDir("epoch-0001.safetensors"), "");
    await run.saveState({
      ...state,
      status: "running",
      latestCheckpoint: "checkpoints/epoch-0001.safetensors",
    });
    expect(() => run.checkNewRun("r")).toThrow(
      "--out r holds an unfinished run (its process stopped without saying why, e.g. it was killed); continue it with: snn train --resume r; or delete r to start over; or choose another --out.",
    );
  });

  it("remembers the state it last wrote, which a failed write leaves on disk", async () => {
    const run = new RunDirectory(join(tempDir(), "r"));
    const { state, lock } = await run.create(resolveTrainConfig({ cli: {} }));
    lock.release();
    expect(run.lastWrittenState).toEqual(run.readState());
    const written = run.lastWrittenState;
    // run.json turned into a folder: the write fails for real (EISDIR), also as root.
    rmSync(run.stateFile);
    mkdirSync(run.stateFile);
    await expect(run.markFailed({ ...state, epochsCompleted: 1 }, "x", true)).resolves.toBe(false);
    expect(run.lastWrittenState).toEqual(written);
    expect(run.lastWrittenState?.status).toBe("running");
  });

  it("appends metrics, ignores a torn last line, and truncates to a step", async () => {
    const run = new RunDirectory(join(tempDir(), "r"));
    (await run.create(resolveTrainConfig({ cli: {} }))).lock.release();
    await run.appendMetrics([batchRecord(1, 1, 1), batchRecord(1, 2, 2), batchRecord(2, 1, 3)]);
    writeFileSync(run.metricsFile, readFileSync(run.metricsFile, "utf8") + '{"kind":"batch","ep');
    expect((await run.readMetrics()).map((r) => r.step)).toEqual([1, 2, 3]);
    await run.truncateMetrics(2);
    expect((await run.readMetrics()).map((r) => r.step)).toEqual([1, 2]);
  });

  it("a folder another process is still setting up (locked, no run.json yet) is refused naming that process, not as 'not a run'", async () => {
    const root = join(tempDir(), "r");
    mkdirSync(join(root, "checkpoints"), { recursive: true });
    const lock = RunLock.acquire(root, "snn train");
    try {
      // What a new run's folder holds while its first files are being written.
      writeFileSync(join(root, `.config.json.${process.pid}.1.tmp`), "{");
      const held = new RegExp(`^.*r is being written by snn train \\(pid ${process.pid} on `);
      const run = new RunDirectory(root);
      expect(() => run.checkNewRun("r")).toThrow(held);
      await expect(run.open()).rejects.toThrow(held);
      await expect(run.open()).rejects.toMatchObject({ exitCode: 1 });
    } finally {
      lock.release();
    }
  });

  it("rejects a directory that is not a run", async () => {
    await expect(new RunDirectory(tempDir()).open()).rejects.toThrow(/not a run directory/);
  });
});

describe("helpers", () => {
  it("writes atomically without leaving temporary files", async () => {
    const dir = tempDir();
    await writeFileAtomic(join(dir, "a", "b.txt"), "x");
    expect(readFileSync(join(dir, "a", "b.txt"), "utf8")).toBe("x");
    expect(readdirSync(join(dir, "a"))).toEqual(["b.txt"]);
  });

  it("names default run directories uniquely", () => {
    const dir = tempDir();
    const when = new Date("2024-05-06T07:08:09.123Z");
    const first = defaultRunDirectory(dir, "smnist", when);
    expect(first).toBe(join(dir, "runs", "smnist-2024-05-06T07-08-09"));
    mkdirSync(first, { recursive: true });
    expect(defaultRunDirectory(dir, "smnist", when)).toBe(`${first}-2`);
  });

  it("parses JSON lines and skips junk", () => {
    expect(
      parseMetrics('{"kind":"epoch","epoch":1,"step":2}\n\nnot json\n{"kind":"other"}\n'),
    ).toHaveLength(1);
  });
});

describe("curve plots", () => {
  it("write accuracy, loss and firing-rate SVGs with their series", async () => {
    const dir = tempDir();
    const records: MetricsRecord[] = [
      batchRecord(1, 1, 1),
      batchRecord(1, 2, 2),
      {
        kind: "epoch",
        epoch: 1,
        step: 2,
        trainLoss: 1.5,
        trainAccuracy: 0.2,
        testLoss: 1.4,
        testAccuracy: 0.3,
        firingRatesHz: { hidden: 11 },
        durationMs: 10,
      },
      batchRecord(2, 1, 3),
      batchRecord(2, 2, 4),
      {
        kind: "epoch",
        epoch: 2,
        step: 4,
        trainLoss: 1.2,
        trainAccuracy: 0.4,
        testLoss: 1.1,
        testAccuracy: 0.5,
        firingRatesHz: { hidden: 12 },
        durationMs: 10,
      },
    ];
    const files = await writeCurvePlots(dir, records, "run");
    expect(files.map((f) => f.slice(dir.length + 1))).toEqual([
      "accuracy.svg",
      "loss.svg",
      "firing-rate.svg",
    ]);
    const accuracy = seriesOf(parseXml(readFileSync(files[0]!, "utf8")));
    expect([...accuracy.keys()]).toEqual(["train (per batch)", "train", "test"]);
    expect(accuracy.get("test")!.attributes["data-points"]).toBe("2");
    expect(accuracy.get("train (per batch)")!.attributes["data-points"]).toBe("4");
    const rates = seriesOf(parseXml(readFileSync(files[2]!, "utf8")));
    expect([...rates.keys()]).toEqual(["hidden"]);
  });
});
