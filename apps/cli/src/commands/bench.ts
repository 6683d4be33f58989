import { writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import type { BenchOptions, BenchReport, BenchResult } from "@snn/bench";
import type { Command } from "../command";
import { UsageError } from "../errors";
import { BENCH, importOptional } from "../optional-package";

function formatValue(value: unknown): string {
  if (typeof value === "number")
    return Number.isInteger(value) ? String(value) : Number(value.toPrecision(4)).toString();
  if (typeof value === "string" || typeof value === "boolean") return String(value);
  return JSON.stringify(value);
}

/** One line per result: the case and its scalar figures. */
export function formatBenchReports(reports: readonly BenchReport[]): string {
  const lines: string[] = [];
  for (const report of reports) {
    lines.push(
      `${report.name} (${report.machine.cpuModel}, ${report.machine.cpuCount} cores, Node ${report.machine.node})`,
    );
    for (const result of report.results) {
      const fields = Object.entries(result)
        .filter(
          ([k, v]) =>
            k !== "case" &&
            (typeof v === "number" || typeof v === "string" || typeof v === "boolean"),
        )
        .map(([k, v]) => `${k}=${formatValue(v)}`);
      lines.push(`  ${result.case}: ${fields.join(" ")}`);
    }
  }
  return lines.join("\n");
}

function mismatchesOf(reports: readonly BenchReport[]): string[] {
  return reports.flatMap((r) =>
    r.results
      .filter(
        (x: BenchResult) => x["spikeCountsMatch"] === false || x["identicalVoltages"] === false,
      )
      .map((x) => `${r.name}/${x.case}`),
  );
}

/** The optional @snn/bench module; a `UsageError` saying how to install it when it is missing. */
async function loadBench(): Promise<typeof import("@snn/bench")> {
  return importOptional(BENCH, () => import("@snn/bench"), "snn bench", "bench");
}

/** `snn bench`: the @snn/bench suites (an optional package of the CLI), with a summary and JSON reports. */
export const benchCommand: Command = {
  spec: {
    name: "bench",
    summary: "Run benchmark suites (backends, e-prop training, datasets) and report the figures.",
    description: [
      "The suites come from @snn/bench, an optional package of the CLI (npm install -g @snn/bench);",
      "`snn bench --list` lists them with what they measure. `all` (the default) runs every suite.",
      "Benchmarks report figures; they assert nothing about speed. Exit status 1 when a suite finds",
      "results that disagree (e.g. generated and hand-written networks).",
    ].join("\n"),
    positionals: [{ name: "SUITE", description: "Suites to run (default: all).", variadic: true }],
    options: [
      { name: "quick", kind: "boolean", description: "Shorter runs, for a smoke test." },
      {
        name: "out",
        short: "o",
        kind: "string",
        valueName: "FILE",
        description: "Write the JSON reports to FILE.",
      },
      {
        name: "json",
        kind: "boolean",
        description: "Print the JSON reports on stdout (progress goes to stderr).",
      },
      { name: "list", kind: "boolean", description: "List the suites and exit." },
    ],
    examples: [
      {
        comment: "e-prop training time per batch and memory, for T = 250 ... 2000 steps",
        command: "snn bench eprop",
      },
      {
        comment: "A quick pass over the CPU suites, saving the reports",
        command: "snn bench cpu-lif datasets --quick --out bench.json",
      },
    ],
  },
  async run(parsed, io) {
    const v = parsed.values;
    const { BENCHMARK_SUITES, QUICK_BENCH_OPTIONS, runBenchmarks } = await loadBench();
    if (v["list"] === true) {
      io.stdout.write(
        `${BENCHMARK_SUITES.map((s) => `${s.name.padEnd(10)} ${s.description}`).join("\n")}\n`,
      );
      return 0;
    }
    const names = [...parsed.positionals];
    for (const name of names) {
      if (name !== "all" && !BENCHMARK_SUITES.some((s) => s.name === name)) {
        throw new UsageError(
          `unknown benchmark suite '${name}'; the suites are ${BENCHMARK_SUITES.map((s) => s.name).join(", ")} (or all).`,
          "bench",
        );
      }
    }
    const json = v["json"] === true;
    const log = json
      ? (line: string) => io.stderr.write(`${line}\n`)
      : (line: string) => io.stdout.write(`${line}\n`);
    const options: BenchOptions = { log, ...(v["quick"] === true ? QUICK_BENCH_OPTIONS : {}) };
    const reports = await runBenchmarks(names, options);
    const text = JSON.stringify(reports, null, 2);
    if (v["out"] !== undefined) {
      await writeFile(resolve(io.cwd, v["out"] as string), `${text}\n`);
      log(`wrote ${v["out"] as string}`);
    }
    if (json) io.stdout.write(`${text}\n`);
    else io.stdout.write(`${formatBenchReports(reports)}\n`);
    const mismatches = mismatchesOf(reports);
    if (mismatches.length > 0) {
      io.stderr.write(`snn bench: results disagree in ${mismatches.join(", ")}\n`);
      return 1;
    }
    return 0;
  },
};
