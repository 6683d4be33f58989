import { cpuBackend } from "@snn/backend-cpu";
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
      digits: 4,
      pytorchReference: false,
      trained: false,
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
    }
    expect(lines.join("\n")).toMatch(/lsnn 16 ALIF, batch 2: .* ms\/sample/);
  });

  it("times the trained network of @snn/pretrained too, in its own encoding and trial length", async () => {
    const lines: string[] = [];
    const results = await runInferenceBenchmark({
      backend: cpuBackend(),
      hiddenSizes: [],
      batchSizes: [2],
      repeats: 1,
      digits: 2,
      pytorchReference: false,
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
});
