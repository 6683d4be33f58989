import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import {
  barChartSvg,
  collectResults,
  formatResultsTable,
  sweepDirectory,
  type SweepResults,
} from "@snn/sweep";
import type { Command } from "../command";
import { RUNS_OPTION } from "./sweep-common";

function writeAtomic(file: string, text: string): void {
  const temp = `${file}.tmp-${process.pid}`;
  writeFileSync(temp, text);
  renameSync(temp, file);
}

/** Writes accuracy.svg and train-time.svg; returns their paths. */
function writeCharts(results: SweepResults, dir: string): string[] {
  mkdirSync(dir, { recursive: true });
  const accuracy = join(dir, "accuracy.svg");
  const time = join(dir, "train-time.svg");
  writeAtomic(
    accuracy,
    barChartSvg({
      title: `${results.sweep}: test accuracy (mean ± sd over seeds)`,
      yLabel: "test accuracy (%)",
      bars: results.configs.map((c) => ({
        label: c.config,
        mean: c.testAccuracy.mean * 100,
        sd: c.testAccuracy.sd * 100,
        n: c.testAccuracy.n,
      })),
      yMax: 100,
    }),
  );
  writeAtomic(
    time,
    barChartSvg({
      title: `${results.sweep}: training time (mean ± sd over seeds)`,
      yLabel: "training time (s)",
      bars: results.configs.map((c) => ({
        label: c.config,
        mean: c.trainSeconds.mean,
        sd: c.trainSeconds.sd,
        n: c.trainSeconds.n,
      })),
    }),
  );
  return [accuracy, time];
}

/** `snn sweep results NAME`: mean ± sd per configuration, as text or JSON, and SVG bar charts. */
export const sweepResultsCommand: Command = {
  spec: {
    name: "sweep results",
    summary:
      "Aggregate a sweep: mean ± sd of test accuracy and training time per configuration (text, JSON, SVG).",
    description: [
      "Reads the run directories of the sweep under --runs (finished runs only; a configuration shows how many of its",
      "seeds are done), prints a table or JSON, and writes bar charts with ± sd error bars: accuracy.svg and",
      "train-time.svg in --svg DIR. The test accuracy is that after the last epoch; the training time sums the epochs.",
    ].join("\n"),
    positionals: [{ name: "NAME", description: "The sweep's name.", required: true }],
    options: [
      { ...RUNS_OPTION, defaultText: "runs" },
      {
        name: "format",
        kind: "choice",
        choices: ["text", "json"],
        description: "Table as text or JSON (with every run).",
        defaultText: "text",
      },
      {
        name: "svg",
        kind: "string",
        valueName: "DIR",
        description: "Folder for the SVG charts.",
        defaultText: "RUNS/NAME/plots",
      },
    ],
    examples: [
      {
        comment: "The table and the charts",
        command: "snn sweep results sizes --runs /shared/runs",
      },
    ],
  },
  async run(parsed, io) {
    const v = parsed.values;
    const name = parsed.positionals[0]!;
    const runsRoot = resolve(io.cwd, (v["runs"] as string | undefined) ?? "runs");
    const results = collectResults(runsRoot, name);
    const svgDir =
      v["svg"] !== undefined
        ? resolve(io.cwd, v["svg"] as string)
        : join(sweepDirectory(runsRoot, name), "plots");
    const charts = writeCharts(results, svgDir);
    if (v["format"] === "json") {
      io.stdout.write(
        `${JSON.stringify({ ...results, charts }, (_k, value: unknown) => (typeof value === "number" && !Number.isFinite(value) ? null : value), 2)}\n`,
      );
    } else {
      io.stdout.write(`${formatResultsTable(results)}\n`);
      io.stderr.write(`charts: ${charts.map((c) => relative(io.cwd, c) || c).join(", ")}\n`);
    }
    return 0;
  },
};
