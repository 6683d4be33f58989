/**
 * A sweep's results, read from its run directories: per configuration, the mean and standard
 * deviation over seeds of the final test accuracy and of the training time.
 */
import { manifestFile, readManifest } from "./manifest";
import { inspectRun, readRunState } from "./run-result";
import { runDirectory } from "./runs";
import type { ConfigObject } from "./sweep-file";

/** Mean and sample standard deviation (n - 1; 0 for one value, NaN for none). */
export interface MeanSd {
  readonly mean: number;
  readonly sd: number;
  readonly n: number;
}

/** Mean and sample standard deviation of `values`. */
export function meanSd(values: readonly number[]): MeanSd {
  const n = values.length;
  if (n === 0) return { mean: Number.NaN, sd: Number.NaN, n };
  const mean = values.reduce((a, b) => a + b, 0) / n;
  if (n === 1) return { mean, sd: 0, n };
  const variance = values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1);
  return { mean, sd: Math.sqrt(variance), n };
}

/** One run's line in the results. */
export interface RunRow {
  readonly runId: string;
  readonly seed: number;
  readonly status: string;
  readonly testAccuracy?: number;
  readonly trainSeconds?: number;
}

/** One configuration's results over its seeds (finished runs only). */
export interface ConfigResults {
  readonly config: string;
  readonly overrides: ConfigObject;
  readonly runs: number;
  readonly finished: number;
  readonly testAccuracy: MeanSd;
  readonly trainSeconds: MeanSd;
  readonly seeds: readonly RunRow[];
}

/** The results of the sweep `name` under `runsRoot`. */
export interface SweepResults {
  readonly sweep: string;
  readonly manifest: string;
  readonly configs: readonly ConfigResults[];
}

/** Reads every run directory of the sweep and aggregates per configuration. */
export function collectResults(runsRoot: string, name: string): SweepResults {
  const manifest = readManifest(runsRoot, name);
  const configs = manifest.spec.configs.map((c): ConfigResults => {
    const rows = manifest.runs
      .filter((r) => r.config === c.name)
      .map((r): RunRow => {
        const dir = runDirectory(runsRoot, name, r.id);
        const { result, problem } = inspectRun(dir);
        const status = readRunState(dir).status;
        return {
          runId: r.id,
          seed: r.seed,
          // A run that says it finished but whose results cannot be trusted is left out, saying why.
          status:
            status === "missing"
              ? "not started"
              : problem !== undefined
                ? `${status}, but left out: ${problem}`
                : status,
          ...(result
            ? { testAccuracy: result.testAccuracy, trainSeconds: result.trainSeconds }
            : {}),
        };
      });
    const done = rows.filter((r) => r.testAccuracy !== undefined);
    return {
      config: c.name,
      overrides: c.overrides,
      runs: rows.length,
      finished: done.length,
      testAccuracy: meanSd(done.map((r) => r.testAccuracy!)),
      trainSeconds: meanSd(done.map((r) => r.trainSeconds!)),
      seeds: rows,
    };
  });
  return { sweep: name, manifest: manifestFile(runsRoot, name), configs };
}

function pad(text: string, width: number, right = false): string {
  return right ? text.padStart(width) : text.padEnd(width);
}

/** `81.2 ± 1.3 %` (accuracy as percent), `-` without finished runs. */
export function formatAccuracy(m: MeanSd): string {
  return m.n === 0 ? "-" : `${(m.mean * 100).toFixed(1)} ± ${(m.sd * 100).toFixed(1)} %`;
}

/** `12.3 ± 0.4 s`, `-` without finished runs. */
export function formatSeconds(m: MeanSd): string {
  return m.n === 0 ? "-" : `${m.mean.toFixed(1)} ± ${m.sd.toFixed(1)} s`;
}

/** The results as a text table, one line per configuration. */
export function formatResultsTable(results: SweepResults): string {
  const header = [
    "configuration",
    "runs done",
    "test accuracy (mean ± sd)",
    "training time (mean ± sd)",
  ];
  const rows = results.configs.map((c) => [
    c.config,
    `${c.finished}/${c.runs}`,
    formatAccuracy(c.testAccuracy),
    formatSeconds(c.trainSeconds),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, i) => pad(cell, widths[i]!, i > 0))
      .join("  ")
      .trimEnd();
  return [line(header), ...rows.map(line)].join("\n");
}
