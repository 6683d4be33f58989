/**
 * The plots of a run directory, drawn from its metrics: accuracy and loss curves (per batch
 * and per epoch, train and test), firing rates per epoch, and a spike raster of test samples;
 * and the confusion matrix of `snn evaluate --plot`.
 */
import { join } from "node:path";
import type { EpochRecord, MetricsRecord } from "./run-dir";
import { writeFileAtomic } from "./run-dir";
import {
  confusionMatrix,
  lineChart,
  spikeRaster,
  type LineSeries,
  type RasterPanel,
} from "@snn/plot";

/** Names of the series each plot has (tests check these). */
export const PLOT_SERIES = {
  accuracy: ["train (per batch)", "train", "test", "validation"],
  loss: ["train (per batch)", "train", "test", "validation"],
} as const;

/** The validation curve, only for runs that hold samples out (`--validation`). */
function validationSeries(
  epochs: readonly EpochRecord[],
  name: string,
  pick: (r: EpochRecord) => number | undefined,
): LineSeries[] {
  return epochs.some((r) => pick(r) !== undefined)
    ? [epochSeries(epochs, name, pick, "#009E73")]
    : [];
}

function batchX(r: { epoch: number; batch: number; batches: number }): number {
  return r.epoch - 1 + r.batch / r.batches;
}

function epochSeries(
  epochs: readonly EpochRecord[],
  name: string,
  pick: (r: EpochRecord) => number | undefined,
  color: string,
): LineSeries {
  return {
    name,
    x: epochs.map((r) => r.epoch),
    y: epochs.map((r) => pick(r) ?? Number.NaN),
    color,
  };
}

/** accuracy.svg: running batch accuracy, epoch train accuracy and test accuracy (fraction) over epochs. */
export function accuracyChart(records: readonly MetricsRecord[], title: string): string {
  const batches = records.filter((r) => r.kind === "batch");
  const epochs = records.filter((r): r is EpochRecord => r.kind === "epoch");
  return lineChart({
    title: `${title}: accuracy`,
    xLabel: "epoch",
    yLabel: "accuracy",
    yRange: [0, 1],
    markers: false,
    series: [
      {
        name: PLOT_SERIES.accuracy[0],
        x: batches.map(batchX),
        y: batches.map((r) => r.accuracy),
        color: "#9ecae1",
      },
      epochSeries(epochs, PLOT_SERIES.accuracy[1], (r) => r.trainAccuracy, "#0072B2"),
      epochSeries(epochs, PLOT_SERIES.accuracy[2], (r) => r.testAccuracy, "#D55E00"),
      ...validationSeries(epochs, PLOT_SERIES.accuracy[3], (r) => r.validationAccuracy),
    ],
  });
}

/** loss.svg: loss per sample (cross-entropy summed over the masked steps) over epochs. */
export function lossChart(records: readonly MetricsRecord[], title: string): string {
  const batches = records.filter((r) => r.kind === "batch");
  const epochs = records.filter((r): r is EpochRecord => r.kind === "epoch");
  return lineChart({
    title: `${title}: loss`,
    xLabel: "epoch",
    yLabel: "loss per sample",
    markers: false,
    series: [
      {
        name: PLOT_SERIES.loss[0],
        x: batches.map(batchX),
        y: batches.map((r) => r.loss),
        color: "#9ecae1",
      },
      epochSeries(epochs, PLOT_SERIES.loss[1], (r) => r.trainLoss, "#0072B2"),
      epochSeries(epochs, PLOT_SERIES.loss[2], (r) => r.testLoss, "#D55E00"),
      ...validationSeries(epochs, PLOT_SERIES.loss[3], (r) => r.validationLoss),
    ],
  });
}

/** firing-rate.svg: mean firing rate per hidden population per batch (Hz). */
export function firingRateChart(records: readonly MetricsRecord[], title: string): string {
  const batches = records.filter((r) => r.kind === "batch");
  const names = [...new Set(batches.flatMap((r) => Object.keys(r.firingRatesHz)))];
  return lineChart({
    title: `${title}: firing rates`,
    xLabel: "epoch",
    yLabel: "mean rate (Hz)",
    markers: false,
    series: names.map((name) => ({
      name,
      x: batches.map(batchX),
      y: batches.map((r) => r.firingRatesHz[name] ?? Number.NaN),
    })),
  });
}

/** Writes accuracy.svg, loss.svg and firing-rate.svg into `dir`. */
export async function writeCurvePlots(
  dir: string,
  records: readonly MetricsRecord[],
  title: string,
): Promise<string[]> {
  const files = [
    ["accuracy.svg", accuracyChart(records, title)],
    ["loss.svg", lossChart(records, title)],
    ["firing-rate.svg", firingRateChart(records, title)],
  ] as const;
  for (const [name, svg] of files) await writeFileAtomic(join(dir, name), svg);
  return files.map(([name]) => join(dir, name));
}

/** Writes raster.svg: input and hidden spikes of a few test samples. */
export async function writeRasterPlot(
  dir: string,
  panels: readonly RasterPanel[],
  title: string,
  dt: number,
): Promise<string> {
  const file = join(dir, "raster.svg");
  await writeFileAtomic(
    file,
    spikeRaster({
      title: `${title}: spikes of test samples`,
      panels,
      dt,
      yLabel: "neuron / channel",
    }),
  );
  return file;
}

/**
 * The confusion matrix of `snn evaluate --plot` (`confusion[true][predicted]`): counts in the
 * cells, each shaded by its share of the true class. Class names default to 0, 1, 2, ….
 */
export function confusionChart(
  confusion: readonly (readonly number[])[],
  classNames: readonly string[] | undefined,
  title: string,
): string {
  return confusionMatrix({
    counts: confusion,
    classNames: confusion.map((_, k) => classNames?.[k] ?? String(k)),
    title,
  });
}
