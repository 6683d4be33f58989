import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { cpuBackend } from "@snn/backend-cpu";
import {
  CheckpointError,
  decodeCheckpoint,
  decodeSafetensors,
  defineEpropNetwork,
  encodeCheckpoint,
  encodeSafetensors,
  Trainer,
  type ParameterSet,
} from "./index";
import { patternTask } from "./test-support/tasks";
import { crc32Hex } from "./crc32";

const directory = mkdtempSync(join(tmpdir(), "eprop-checkpoint-"));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

const network = defineEpropNetwork({
  input: { size: 12 },
  hidden: [{ name: "hidden", size: 10, neuron: "ALIF" }],
  readout: { size: 2 },
  feedback: "random",
  seed: 5,
});
const dataset = patternTask({
  numChannels: 12,
  numClasses: 2,
  numSteps: 25,
  examples: 20,
  seed: 9,
});
const makeTrainer = (): Trainer =>
  new Trainer({ network, backend: cpuBackend(), optimizer: { learningRate: 0.005 } });

function expectSameParameters(a: ParameterSet, b: ParameterSet): void {
  expect(Object.keys(a).sort()).toEqual(Object.keys(b).sort());
  for (const name of Object.keys(a)) expect(Array.from(b[name]!)).toEqual(Array.from(a[name]!));
}

describe("safetensors", () => {
  it("writes the documented layout: u64 LE header length, JSON header, aligned little-endian data", () => {
    const bytes = encodeSafetensors(
      {
        b: { shape: [3], data: Float32Array.of(1, -2, 0.5) },
        a: { shape: [2, 2], data: Float32Array.of(1, 2, 3, 4) },
      },
      { note: "hello" },
    );
    const view = new DataView(bytes.buffer);
    const headerLength = view.getUint32(0, true);
    expect(view.getUint32(4, true)).toBe(0);
    expect((8 + headerLength) % 8).toBe(0);
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength)));
    // The metadata given, and the per-tensor CRC-32s (of the little-endian bytes in the file).
    expect(header.__metadata__).toEqual({
      note: "hello",
      "snn.crc32": JSON.stringify({
        a: crc32Hex(bytes.subarray(8 + headerLength, 8 + headerLength + 16)),
        b: crc32Hex(bytes.subarray(8 + headerLength + 16, 8 + headerLength + 28)),
      }),
    });
    expect(header.a).toEqual({ dtype: "F32", shape: [2, 2], data_offsets: [0, 16] });
    expect(header.b).toEqual({ dtype: "F32", shape: [3], data_offsets: [16, 28] });
    expect(bytes.length).toBe(8 + headerLength + 28);
    expect(view.getFloat32(8 + headerLength + 16 + 4, true)).toBe(-2);
    const decoded = decodeSafetensors(bytes);
    expect(Array.from(decoded.tensors.a!.data)).toEqual([1, 2, 3, 4]);
    expect(decoded.tensors.b!.shape).toEqual([3]);
    expect(decoded.metadata).toEqual({ note: "hello" });
  });
});

describe("checkpoints", () => {
  it("round-trip parameters, Adam state, settings and progress through a file written atomically", async () => {
    const trainer = makeTrainer();
    await trainer.train(dataset, { epochs: 1, batchSize: 4, shuffleSeed: 3 });
    const path = join(directory, "round-trip.safetensors");
    await trainer.saveCheckpoint(path);
    expect(readdirSync(directory).filter((f) => f.includes(".tmp"))).toEqual([]);
    const data = decodeCheckpoint(new Uint8Array(readFileSync(path)));
    expect(data.network).toEqual(network);
    expect(data.progress).toEqual({ epoch: 1, batchInEpoch: 0, optimizerSteps: 5 });
    expect(data.optimizer.step).toBe(5);
    expect(data.training.batchSize).toBe(4);
    expect(data.training.shuffleSeed).toBe(3);
    expect(data.training.optimizer.learningRate).toBe(0.005);
    expectSameParameters(data.parameters, await trainer.getParameters());
    const original = await trainer.checkpoint();
    expectSameParameters(data.optimizer.m, original.optimizer.m);
    expectSameParameters(data.optimizer.v, original.optimizer.v);
    // the random feedback matrix is stored (it is part of the network's state) and is not trained
    expect(Object.keys(data.parameters)).toContain("output->hidden.feedback");
    expect(Object.keys(data.optimizer.m)).not.toContain("output->hidden.feedback");

    const restored = await Trainer.fromCheckpoint(path, { backend: cpuBackend() });
    expect(restored.progress).toEqual(trainer.progress);
    expectSameParameters(await restored.getParameters(), await trainer.getParameters());
    trainer.dispose();
    restored.dispose();
  });

  it("resuming from a checkpoint taken mid-epoch gives exactly the uninterrupted run", async () => {
    const uninterrupted = makeTrainer();
    const lossesA: number[] = [];
    await uninterrupted.train(dataset, {
      epochs: 2,
      batchSize: 4,
      shuffleSeed: 11,
      callbacks: { onBatchEnd: (m) => void lossesA.push(m.loss) },
    });

    const first = makeTrainer();
    const path = join(directory, "resume.safetensors");
    const lossesB: number[] = [];
    await first.train(dataset, {
      epochs: 2,
      batchSize: 4,
      shuffleSeed: 11,
      callbacks: {
        onBatchEnd: async (m, t) => {
          lossesB.push(m.loss);
          if (m.epoch === 0 && m.batch === 2) {
            await t.saveCheckpoint(path);
            t.stop();
          }
        },
      },
    });
    expect(first.progress).toEqual({ epoch: 0, batchInEpoch: 3, optimizerSteps: 3 });
    first.dispose();

    const resumed = await Trainer.fromCheckpoint(path, { backend: cpuBackend() });
    await resumed.train(dataset, {
      epochs: 2,
      batchSize: 4,
      shuffleSeed: 11,
      callbacks: { onBatchEnd: (m) => void lossesB.push(m.loss) },
    });
    expect(lossesB).toEqual(lossesA);
    expect(resumed.progress).toEqual(uninterrupted.progress);
    expectSameParameters(await resumed.getParameters(), await uninterrupted.getParameters());
    const a = await uninterrupted.checkpoint();
    const b = await resumed.checkpoint();
    expect(b.optimizer.step).toBe(a.optimizer.step);
    expectSameParameters(b.optimizer.m, a.optimizer.m);
    expectSameParameters(b.optimizer.v, a.optimizer.v);
    uninterrupted.dispose();
    resumed.dispose();
  });

  it("where Node's file system is missing (a browser), saving and loading by path say what to use instead, and encoding still works", async () => {
    const trainer = makeTrainer();
    const data = await trainer.checkpoint();
    vi.stubGlobal("process", undefined);
    try {
      await expect(trainer.saveCheckpoint(join(directory, "browser.safetensors"))).rejects.toThrow(
        CheckpointError,
      );
      await expect(trainer.saveCheckpoint(join(directory, "browser.safetensors"))).rejects.toThrow(
        /writeCheckpointFile needs Node's file system.*encodeCheckpoint\(data\).*decodeCheckpoint\(bytes\)/,
      );
      await expect(
        Trainer.fromCheckpoint("runs/x.safetensors", { backend: cpuBackend() }),
      ).rejects.toThrow(/readCheckpointFile needs Node's file system/);
    } finally {
      vi.unstubAllGlobals();
    }
    expect(decodeCheckpoint(encodeCheckpoint(data)).parameters).toEqual(data.parameters);
    expect(readdirSync(directory).filter((f) => f.startsWith("browser"))).toEqual([]);
    trainer.dispose();
  });

  it("a checkpoint saved mid-epoch refuses to resume with another batch size or shuffle seed", async () => {
    const trainer = makeTrainer();
    await trainer.train(dataset, {
      epochs: 1,
      batchSize: 4,
      shuffleSeed: 1,
      callbacks: { onBatchEnd: (_m, t) => t.stop() },
    });
    await expect(
      trainer.train(dataset, { epochs: 1, batchSize: 5, shuffleSeed: 1 }),
    ).rejects.toThrow(/same values/);
    trainer.dispose();
  });

  it("changes the learning rate between epochs in place, exactly as a checkpoint restored with the new rate would", async () => {
    const decayed = makeTrainer();
    await decayed.train(dataset, { epochs: 1, batchSize: 4, shuffleSeed: 3 });
    const data = await decayed.checkpoint();
    // the rate is a dynamic param of the compiled optimizer: the training runtime stays
    const runtimeOf = (trainer: Trainer): unknown =>
      (trainer as unknown as { trainRuntime: unknown }).trainRuntime;
    const before = runtimeOf(decayed);
    expect(before).not.toBeNull();
    await decayed.setLearningRate(0.002);
    expect(runtimeOf(decayed)).toBe(before);
    expect(decayed.trainingConfig.optimizer.learningRate).toBe(0.002);
    await decayed.train(dataset, { epochs: 2, batchSize: 4, shuffleSeed: 3 });
    expect(runtimeOf(decayed)).toBe(before);

    const restored = await Trainer.fromCheckpoint(
      {
        ...data,
        training: {
          ...data.training,
          optimizer: { ...data.training.optimizer, learningRate: 0.002 },
        },
      },
      { backend: cpuBackend() },
    );
    await restored.train(dataset, { epochs: 2, batchSize: 4, shuffleSeed: 3 });
    expectSameParameters(await decayed.getParameters(), await restored.getParameters());
    // and the rate mattered: training on at the old rate ends elsewhere
    const undecayed = await Trainer.fromCheckpoint(data, { backend: cpuBackend() });
    await undecayed.train(dataset, { epochs: 2, batchSize: 4, shuffleSeed: 3 });
    const flat = (set: ParameterSet): number[] =>
      Object.keys(set)
        .sort()
        .flatMap((name) => Array.from(set[name]!));
    expect(flat(await undecayed.getParameters())).not.toEqual(flat(await decayed.getParameters()));
    await expect(decayed.setLearningRate(-1)).rejects.toThrow(/positive number, got -1/);
    for (const trainer of [decayed, restored, undecayed]) trainer.dispose();
  });

  it("resets Adam for a warm restart: training goes on as from the same weights with fresh moments", async () => {
    const restarted = makeTrainer();
    await restarted.train(dataset, { epochs: 1, batchSize: 4, shuffleSeed: 3 });
    const data = await restarted.checkpoint();
    expect(data.optimizer.step).toBeGreaterThan(0);
    await restarted.resetOptimizer();
    const reset = await restarted.checkpoint();
    expect(reset.optimizer.step).toBe(0);
    for (const name of Object.keys(data.optimizer.m)) {
      expect(reset.optimizer.m[name]!.every((x) => x === 0)).toBe(true);
      expect(reset.optimizer.v[name]!.every((x) => x === 0)).toBe(true);
    }
    expectSameParameters(data.parameters, reset.parameters);
    expect(reset.progress).toEqual(data.progress);
    await restarted.train(dataset, { epochs: 2, batchSize: 4, shuffleSeed: 3 });

    // the expectation, built by hand: the checkpoint with zero moments and step 0
    const zeros = (set: ParameterSet): ParameterSet =>
      Object.fromEntries(Object.entries(set).map(([k, v]) => [k, new Float32Array(v.length)]));
    const fresh = await Trainer.fromCheckpoint(
      { ...data, optimizer: { step: 0, m: zeros(data.optimizer.m), v: zeros(data.optimizer.v) } },
      { backend: cpuBackend() },
    );
    await fresh.train(dataset, { epochs: 2, batchSize: 4, shuffleSeed: 3 });
    expectSameParameters(await fresh.getParameters(), await restarted.getParameters());
    // and the reset mattered: going on with the old moments ends elsewhere
    const continued = await Trainer.fromCheckpoint(data, { backend: cpuBackend() });
    await continued.train(dataset, { epochs: 2, batchSize: 4, shuffleSeed: 3 });
    const flat = (set: ParameterSet): number[] =>
      Object.keys(set)
        .sort()
        .flatMap((name) => Array.from(set[name]!));
    expect(flat(await continued.getParameters())).not.toEqual(
      flat(await restarted.getParameters()),
    );
    for (const trainer of [restarted, fresh, continued]) trainer.dispose();
  });
});
