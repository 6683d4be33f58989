import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  SweepError,
  barChartSvg,
  claimSweepDirectory,
  collectResults,
  formatResultsTable,
  meanSd,
  parseSweep,
} from "../src/index";

const dir = mkdtempSync(join(tmpdir(), "snn-sweep-results-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A finished run directory as `snn train` writes it (run.json and epoch lines). */
function writeFinishedRun(runDir: string, accuracies: readonly number[], epochMs: number): void {
  mkdirSync(runDir, { recursive: true });
  writeFileSync(
    join(runDir, "run.json"),
    JSON.stringify({ version: 1, status: "finished", epochsCompleted: accuracies.length, step: 4 }),
  );
  writeFileSync(
    join(runDir, "metrics.jsonl"),
    accuracies
      .map(
        (a, i) =>
          `{"kind":"batch","epoch":${i + 1},"step":1}\n{"kind":"epoch","epoch":${i + 1},"testAccuracy":${a},"durationMs":${epochMs}}\n`,
      )
      .join(""),
  );
}

describe("meanSd", () => {
  it("is the mean and the sample standard deviation", () => {
    expect(meanSd([])).toEqual({ mean: Number.NaN, sd: Number.NaN, n: 0 });
    expect(meanSd([0.5])).toEqual({ mean: 0.5, sd: 0, n: 1 });
    const m = meanSd([2, 4, 4, 4, 5, 5, 7, 9]);
    expect(m.mean).toBe(5);
    expect(m.sd).toBeCloseTo(Math.sqrt(32 / 7), 12);
  });
});

describe("collectResults", () => {
  it("leaves out a finished run whose last epoch line is torn or missing, saying why, instead of reporting an earlier epoch", () => {
    const spec = parseSweep({ name: "torn", seeds: [1, 2, 3] }, "torn.json");
    claimSweepDirectory(dir, spec);
    writeFinishedRun(join(dir, "torn", "base-seed1"), [0.1, 0.8], 1000);
    writeFinishedRun(join(dir, "torn", "base-seed2"), [0.2, 0.9], 1000);
    writeFinishedRun(join(dir, "torn", "base-seed3"), [0.3, 0.7], 1000);
    const metrics = join(dir, "torn", "base-seed2", "metrics.jsonl");
    // The last epoch line cut in the middle (a full disk, a copy interrupted).
    const text = readFileSync(metrics, "utf8");
    writeFileSync(metrics, text.slice(0, text.lastIndexOf('"testAccuracy"')));
    // And one whose last epoch line is gone altogether.
    const gone = join(dir, "torn", "base-seed3", "metrics.jsonl");
    const lines = readFileSync(gone, "utf8").trimEnd().split("\n");
    writeFileSync(gone, `${lines.slice(0, -1).join("\n")}\n`);
    const [base] = collectResults(dir, "torn").configs;
    expect(base!.finished).toBe(1);
    expect(base!.testAccuracy.mean).toBe(0.8);
    const status = (seed: number) => base!.seeds.find((s) => s.seed === seed)!.status;
    expect(status(2)).toMatch(
      /^finished, but left out: .*metrics\.jsonl holds 1 epoch result \(the last of epoch 1\) but run\.json says 2 epochs finished \(1 unreadable line\)$/,
    );
    expect(status(3)).toMatch(/holds 1 epoch result \(the last of epoch 1\) but run\.json says 2/);
  });

  it("aggregates finished runs per configuration and counts the rest", () => {
    const spec = parseSweep({ name: "agg", grid: { hidden: [8, 16] }, seeds: [1, 2] }, "agg.json");
    claimSweepDirectory(dir, spec);
    writeFinishedRun(join(dir, "agg", "hidden-8-seed1"), [0.1, 0.5], 1000);
    writeFinishedRun(join(dir, "agg", "hidden-8-seed2"), [0.2, 0.7], 3000);
    writeFinishedRun(join(dir, "agg", "hidden-16-seed1"), [0.9], 500);
    const results = collectResults(dir, "agg");
    const [small, large] = results.configs;
    expect(small!.finished).toBe(2);
    expect(small!.testAccuracy.mean).toBeCloseTo(0.6, 12);
    expect(small!.testAccuracy.sd).toBeCloseTo(Math.sqrt(0.02), 12);
    expect(small!.trainSeconds.mean).toBe(4);
    expect(large!.finished).toBe(1);
    expect(large!.seeds.find((s) => s.seed === 2)!.status).toBe("not started");
    const table = formatResultsTable(results).split("\n");
    expect(table[1]).toMatch(/^hidden-8 +2\/2 +60\.0 ± 14\.1 % +4\.0 ± 2\.8 s$/);
    expect(table[2]).toMatch(/^hidden-16 +1\/2 +90\.0 ± 0\.0 % +0\.5 ± 0\.0 s$/);
  });

  it("refuses a different sweep under a used name, and names a missing one", () => {
    claimSweepDirectory(dir, parseSweep({ name: "taken", seeds: 1 }, "a.json"));
    expect(() =>
      claimSweepDirectory(dir, parseSweep({ name: "taken", seeds: 1 }, "a.json")),
    ).not.toThrow();
    expect(() =>
      claimSweepDirectory(dir, parseSweep({ name: "taken", seeds: 2 }, "b.json")),
    ).toThrow(/a different sweep named "taken" already exists/);
    expect(() => collectResults(dir, "nothing")).toThrow(SweepError);
    expect(() => collectResults(dir, "nothing")).toThrow(/no sweep "nothing"/);
  });
});

describe("barChartSvg", () => {
  it("draws a bar per configuration with a ± sd whisker", () => {
    const svg = barChartSvg({
      title: "t <1>",
      yLabel: "acc",
      bars: [
        { label: "a", mean: 50, sd: 10, n: 3 },
        { label: "b", mean: 0, sd: 0, n: 0 },
      ],
      yMax: 100,
    });
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg).toContain("t &lt;1&gt;");
    expect(svg.match(/class="error-bar"/g)).toHaveLength(1);
    // plot height 260 from y=40: mean 50 at y=170, whisker from 60 (y=144) to 40 (y=196)
    expect(svg).toContain('y1="144.0" y2="196.0"');
    expect(svg).toContain("no runs");
  });
});
