import { cpuBackend } from "@snn/backend-cpu";
import { describe, expect, it } from "vitest";
import { compareGradients, runAlignmentBenchmark } from "./gradient-alignment";
import { findTorchPython, noTorchReason } from "./pytorch";

describe("compareGradients", () => {
  it("gives the cosine, the norm ratio and the share of equal signs", () => {
    expect(compareGradients([1, 0, 0], [2, 0, 0])).toEqual({
      cosine: 1,
      normRatio: 0.5,
      signAgreement: 1,
    });
    const g = compareGradients([1, 1, 0, 0], [1, -1, 0, 0]);
    expect(g.cosine).toBeCloseTo(0, 12);
    expect(g.normRatio).toBe(1);
    expect(g.signAgreement).toBe(0.5);
    // entries that are zero in both do not count towards the sign agreement
    expect(compareGradients([0, 3, -1], [0, 1, 1]).signAgreement).toBe(0.5);
    expect(() => compareGradients([1], [1, 2])).toThrow(/1 against 2 entries/);
  });
});

const python = findTorchPython();
describe(
  python === null ? `alignment suite (skipped: ${noTorchReason()})` : "alignment suite",
  () => {
    it.runIf(python !== null)(
      "measures e-prop against BPTT on real digits: exact readout gradients, approximate hidden ones",
      async () => {
        const results = await runAlignmentBenchmark({
          backend: cpuBackend(),
          samples: 4,
          threads: 1,
        });
        expect(results.map((r) => r["state"])).toEqual(["initial", "trained"]);
        for (const r of results) {
          // the two forward passes are the same network on the same spikes
          expect(r["forwardAgreement"]).toBe(1);
          const groups = r["groups"] as Record<string, { cosine: number; normRatio: number }>;
          expect(groups["hidden->output"]!.cosine).toBeGreaterThan(0.9999);
          expect(Math.abs(groups["hidden->output"]!.normRatio - 1)).toBeLessThan(1e-3);
          for (const name of ["input->hidden", "hidden->hidden"]) {
            // e-prop approximates these: aligned, but not equal
            expect(groups[name]!.cosine).toBeGreaterThan(0.3);
            expect(groups[name]!.cosine).toBeLessThan(0.9999);
          }
        }
      },
      120_000,
    );
  },
);
