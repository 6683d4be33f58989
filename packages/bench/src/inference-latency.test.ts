import { cpuBackend } from "@snn/backend-cpu";
import type { Backend } from "@snn/core";
import { describe, expect, it } from "vitest";
import { runInferenceBenchmark } from "./inference-latency";

describe("inference benchmark", () => {
  it("times the sMNIST LSNN on real digits at each hidden and batch size", async () => {
    const lines: string[] = [];
    const results = await runInferenceBenchmark({
      backend: cpuBackend(),
      hiddenSizes: [16],
      batchSizes: [1, 2],
      repeats: 2,
      warmupSeconds: 0,
      minSeconds: 0,
      digits: 4,
      pytorchReference: false,
      trained: false,
      throughputThreads: [],
      log: (line) => lines.push(line),
    });
    expect(results.map((r) => r.case)).toEqual([
      "lsnn inference 79-16ALIF-10 batch 1 T=784",
      "lsnn inference 79-16ALIF-10 batch 2 T=784",
    ]);
    for (const result of results) {
      expect(result.timedBatches).toBe(2);
      expect(result.msPerSample as number).toBeGreaterThan(0);
      expect(result.msPerSample).toBeCloseTo(
        (result.msPerBatch as number) / (result.batchSize as number),
        10,
      );
      // real digits drive the hidden layer
      expect(result.hiddenRateHz as number).toBeGreaterThan(0.5);
      // one hidden ALIF layer on the CPU backend: @snn/eprop's fused inference
      expect(result.fusedInference).toBe(true);
    }
    expect(lines.join("\n")).toMatch(/lsnn 16 ALIF, batch 2: .* ms\/sample/);
  });

  it("times batches for at least minSeconds where `repeats` of them take less", async () => {
    const lines: string[] = [];
    const [result] = await runInferenceBenchmark({
      backend: cpuBackend(),
      hiddenSizes: [16],
      batchSizes: [1],
      repeats: 2,
      warmupSeconds: 0.05,
      minSeconds: 0.1,
      digits: 4,
      pytorchReference: false,
      trained: false,
      throughputThreads: [],
      log: (line) => lines.push(line),
    });
    // A 16-neuron trial takes well under a millisecond: 0.1 s holds many more than 2.
    const timed = result!.timedBatches as number;
    expect(timed).toBeGreaterThan(2);
    expect(timed * (result!.minMsPerBatch as number)).toBeLessThanOrEqual(1000 * 0.1 + 100);
    expect(lines.join("\n")).toContain(`(median of ${timed})`);
  });

  it("times the trained network of @snn/pretrained too, in its own encoding and trial length", async () => {
    const lines: string[] = [];
    const results = await runInferenceBenchmark({
      backend: cpuBackend(),
      hiddenSizes: [],
      batchSizes: [2],
      repeats: 1,
      warmupSeconds: 0,
      minSeconds: 0,
      digits: 2,
      pytorchReference: false,
      throughputThreads: [],
      log: (line) => lines.push(line),
    });
    expect(results.map((r) => r.case)).toEqual([
      "lsnn inference pretrained smnist 80-256ALIF-10 batch 2 T=794",
    ]);
    const [trained] = results;
    expect(trained).toMatchObject({ model: "lsnn-trained", hidden: 256, batchSize: 2 });
    expect(trained!.msPerSample as number).toBeGreaterThan(0);
    // a trained network's hidden layer fires at around the regulariser's 10 Hz target
    expect(trained!.hiddenRateHz as number).toBeGreaterThan(2);
    expect(trained!.hiddenRateHz as number).toBeLessThan(40);
    expect(lines.join("\n")).toMatch(
      /trained lsnn \(pretrained smnist, 256 ALIF, 794 steps of 2 ms\), batch 2/,
    );
  });

  it("measures the batched throughput in 1 and 2 threads, for the seeded and the trained network", async () => {
    const lines: string[] = [];
    const results = await runInferenceBenchmark({
      backend: cpuBackend(),
      hiddenSizes: [16],
      batchSizes: [2],
      repeats: 1,
      warmupSeconds: 0,
      minSeconds: 0,
      digits: 4,
      pytorchReference: false,
      throughputBatches: 3,
      throughputRuns: 1,
      log: (line) => lines.push(line),
    });
    const throughput = results.filter((r) => String(r.case).startsWith("lsnn throughput"));
    expect(throughput.map((r) => r.case)).toEqual([
      "lsnn throughput 79-16ALIF-10 batch 2 threads 1 T=784",
      "lsnn throughput 79-16ALIF-10 batch 2 threads 2 T=784",
      "lsnn throughput pretrained smnist 80-256ALIF-10 batch 2 threads 1 T=794",
      "lsnn throughput pretrained smnist 80-256ALIF-10 batch 2 threads 2 T=794",
    ]);
    for (const [k, result] of throughput.entries()) {
      expect(result).toMatchObject({ batchSize: 2, digits: 6, timedRuns: 1, threads: 1 + (k % 2) });
      expect(result.digitsPerSecond as number).toBeGreaterThan(0);
      expect(result.msPerSample).toBeCloseTo(1000 / (result.digitsPerSecond as number), 10);
      const one = throughput[k - (k % 2)]!;
      expect(result.scalingOverOneThread).toBeCloseTo(
        (result.digitsPerSecond as number) / (one.digitsPerSecond as number),
        10,
      );
    }
    expect(throughput[0]!.scalingOverOneThread).toBe(1);
    expect(lines.join("\n")).toMatch(
      /trained lsnn pretrained smnist 80-256ALIF-10, batch 2 in 2 threads: \d+ digits\/s \(median of 1 runs of 6 digits\), [\d.]+x one thread/,
    );
  });

  it("times 1 thread only on a backend that cannot run in worker threads", async () => {
    const { worker: _, ...oneThread } = cpuBackend();
    const lines: string[] = [];
    const results = await runInferenceBenchmark({
      backend: { ...oneThread, name: "one-thread" } as Backend,
      hiddenSizes: [16],
      batchSizes: [1],
      repeats: 1,
      warmupSeconds: 0,
      minSeconds: 0,
      digits: 2,
      pytorchReference: false,
      trained: false,
      throughputBatches: 2,
      throughputRuns: 1,
      log: (line) => lines.push(line),
    });
    expect(results.filter((r) => r.threads !== undefined).map((r) => r.threads)).toEqual([1]);
    expect(lines.join("\n")).toMatch(
      /the one-thread backend runs in one thread; timing 1 thread only/,
    );
  });
});
