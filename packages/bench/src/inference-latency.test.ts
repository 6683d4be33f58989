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
});
