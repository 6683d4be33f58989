import { planNetwork } from "@snn/core";
import { describe, expect, it } from "vitest";
import { cpuLifNetwork, handWrittenLif, runCpuLifBenchmark } from "./cpu-lif";
import { runBenchmarks, UnknownBenchmarkError } from "./index";

describe("cpu-lif benchmark", () => {
  it("runs the generated and hand-written networks to identical spikes and voltages", async () => {
    const results = await runCpuLifBenchmark({
      neurons: 300,
      connectionProbability: 0.1,
      batchSizes: [1, 3],
      steps: 60,
      warmupSteps: 10,
    });
    expect(results).toHaveLength(2);
    for (const result of results) {
      expect(result.spikeCountsMatch).toBe(true);
      expect(result.identicalVoltages).toBe(true);
      expect(result.spikeCount as number).toBeGreaterThan(100);
      expect(result.measuredSteps).toBe(60);
      expect(
        (result.generated as { neuronUpdatesPerSecond: number }).neuronUpdatesPerSecond,
      ).toBeGreaterThan(0);
    }
  });

  it("the hand-written loop reacts to its recurrent weights (it is not a copy of a fixed pattern)", async () => {
    const plan = planNetwork(cpuLifNetwork(200, 0.2, 1));
    const silentWeights = {
      ...plan,
      projections: [
        {
          ...plan.projections[0]!,
          vars: plan.projections[0]!.vars.map((v) => ({ ...v, initial: 0 })),
        },
      ],
    };
    const a = handWrittenLif(plan);
    const b = handWrittenLif(silentWeights);
    a.step(100);
    b.step(100);
    expect(await a.spikeCount()).not.toBe(await b.spikeCount());
  });

  it("rejects unknown suites by name", async () => {
    await expect(runBenchmarks(["nope"])).rejects.toThrow(UnknownBenchmarkError);
    await expect(runBenchmarks(["nope"])).rejects.toThrow(/Suites: cpu-lif, datasets/);
  });
});
