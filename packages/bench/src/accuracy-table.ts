/** The figures of the `accuracy` suite: means and deviations, and its table as text lines. */
import type { AccuracyMethod } from "./accuracy-settings";
import type { BenchResult } from "./report";

/** Published sMNIST test accuracies, quoted for reference (different protocol: full MNIST, many epochs). */
export const PAPER_SMNIST_ACCURACY = { eprop256: 0.899, eprop512: 0.923, bptt: 0.964 } as const;

/** How the table names each method. */
export const METHOD_NAMES: Record<AccuracyMethod, string> = { eprop: "e-prop", bptt: "BPTT" };

/** Mean and sample standard deviation (null for fewer than two values). */
export function meanAndSd(values: readonly number[]): { mean: number; sd: number | null } {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  if (values.length < 2) return { mean, sd: null };
  const variance = values.reduce((a, b) => a + (b - mean) ** 2, 0) / (values.length - 1);
  return { mean, sd: Math.sqrt(variance) };
}

/** A fraction as a percentage, or "-" where there is none. */
export function percent(value: number | null | undefined, digits = 1): string {
  return typeof value === "number" ? `${(100 * value).toFixed(digits)} %` : "-";
}

/** The table of runs, the mean ± sd per method and size, and the published figures, as text lines. */
export function formatAccuracyTable(results: readonly BenchResult[]): string[] {
  const runs = results.filter((r) => r.kind === "run");
  const header = ["method", "hidden", "seed", "samples seen", "test acc", "wall s"];
  const rows = runs.map((r) => [
    String(r.method),
    String(r.hidden),
    String(r.seed),
    String(r.trainSamplesSeen),
    percent(r.testAccuracy as number),
    (r.wallSeconds as number).toFixed(1),
  ]);
  const widths = header.map((h, k) => Math.max(h.length, ...rows.map((row) => row[k]!.length)));
  const line = (cells: readonly string[]): string =>
    cells.map((c, k) => (k === 0 ? c.padEnd(widths[k]!) : c.padStart(widths[k]!))).join("  ");
  const out = [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)];
  const summaries = results.filter((r) => r.kind === "summary");
  if (summaries.length > 0) {
    out.push("", "mean ± sd of the test accuracy per method and hidden size:");
    for (const s of summaries) {
      const sd = s.testAccuracySd as number | null;
      out.push(
        `  ${String(s.method).padEnd(6)} ${String(s.hidden).padStart(4)}: ${percent(s.testAccuracyMean as number)} ± ${sd === null ? "- (one run)" : percent(sd)} over ${String(s.runs)} seed${s.runs === 1 ? "" : "s"}, wall ${(s.wallSecondsMean as number).toFixed(1)} s`,
      );
    }
  }
  out.push(
    "",
    `published sMNIST figures, for reference (full MNIST, many epochs): e-prop LSNN 256: ${percent(PAPER_SMNIST_ACCURACY.eprop256)}, 512: ${percent(PAPER_SMNIST_ACCURACY.eprop512)}; BPTT LSNN: ${percent(PAPER_SMNIST_ACCURACY.bptt)}`,
  );
  return out;
}
