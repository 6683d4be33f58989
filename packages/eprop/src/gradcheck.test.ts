import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { cpuBackend } from "@snn/backend-cpu";
import { formatGradcheckReport, runGradcheck } from "./index";

const fixture = JSON.parse(readFileSync(new URL("../test-data/eprop-gradient.json", import.meta.url), "utf8"));

describe("gradient fixture on the CPU backend", () => {
  it("matches all six cases", async () => {
    const report = await runGradcheck(fixture, { backend: cpuBackend() });
    console.log(formatGradcheckReport(report));
    expect(report.cases).toHaveLength(6);
    for (const c of report.cases) {
      expect(c.spikesMatch).toBe(true);
      for (const g of c.gradients) expect(g.relativeError).toBeLessThan(1e-4);
    }
    expect(report.passed).toBe(true);
  });
});
