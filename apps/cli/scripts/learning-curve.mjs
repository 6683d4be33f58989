#!/usr/bin/env node
// Draws test accuracy against training digits seen for sMNIST runs, with @snn/plot.
//
//   node apps/cli/scripts/learning-curve.mjs [RUNS.json ...] [RUN_DIR[=LABEL] ...] > curve.svg
//
// A JSON file holds measured runs ({ runs: [{ name, label, color?, epochs: [{ epoch, digits, testAccuracy }] }] },
// as apps/cli/docs/smnist-runs.json); a run directory of `snn train` is read from its
// metrics.jsonl (digits seen = the training samples of the epochs done). Without arguments it
// draws apps/cli/docs/smnist-runs.json: `... > apps/cli/docs/smnist-learning-curve.svg` is how
// the README's figure is made.
import { readFileSync, statSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { lineChart } from "@snn/plot";

const PUBLISHED = [
  { accuracy: 0.899, label: "published e-prop, 256 ALIF (89.9 %)", color: "#444444" },
  { accuracy: 0.923, label: "published e-prop, 512 ALIF (92.3 %)", color: "#999999" },
];

function fail(message) {
  process.stderr.write(`learning-curve: ${message}\n`);
  process.exit(2);
}

function runsFromJson(path) {
  let json;
  try {
    json = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    fail(`cannot read ${path}: ${error.message}`);
  }
  if (!Array.isArray(json?.runs)) fail(`${path} has no "runs" array`);
  return json.runs.map((run) => ({
    label: `${run.name}: ${run.label}`,
    epochs: run.epochs,
    ...(typeof run.color === "string" ? { color: run.color } : {}),
  }));
}

function runFromDirectory(dir, label) {
  let text;
  try {
    text = readFileSync(join(dir, "metrics.jsonl"), "utf8");
  } catch (error) {
    fail(`${dir} is not a run directory of snn train (${error.message})`);
  }
  const perEpoch = new Map();
  const epochs = [];
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    const record = JSON.parse(line);
    if (record.kind === "batch")
      perEpoch.set(record.epoch, (perEpoch.get(record.epoch) ?? 0) + record.examples);
    else if (record.kind === "epoch" && typeof record.testAccuracy === "number") {
      // A resumed run repeats no epoch records, but keep the last one of an epoch to be safe.
      const index = epochs.findIndex((e) => e.epoch === record.epoch);
      const entry = { epoch: record.epoch, testAccuracy: record.testAccuracy };
      if (index >= 0) epochs[index] = entry;
      else epochs.push(entry);
    }
  }
  let digits = 0;
  const withDigits = epochs
    .sort((a, b) => a.epoch - b.epoch)
    .map((e) => {
      digits = 0;
      for (let k = 1; k <= e.epoch; k++) digits += perEpoch.get(k) ?? 0;
      return { ...e, digits };
    });
  if (withDigits.length === 0) fail(`${dir}/metrics.jsonl has no epoch with a test accuracy yet`);
  return { label: label ?? basename(dir), epochs: withDigits };
}

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const sources = args.length > 0 ? args : [join(here, "..", "docs", "smnist-runs.json")];
const runs = [];
for (const source of sources) {
  const [path, label] = source.split("=");
  let isDirectory = false;
  try {
    isDirectory = statSync(path).isDirectory();
  } catch {
    fail(`${path} does not exist`);
  }
  if (isDirectory) runs.push(runFromDirectory(path, label));
  else runs.push(...runsFromJson(path));
}

const maxDigits = Math.max(...runs.flatMap((r) => r.epochs.map((e) => e.digits))) / 1e6;
const series = runs.map((run) => ({
  name: run.label,
  x: run.epochs.map((e) => e.digits / 1e6),
  y: run.epochs.map((e) => 100 * e.testAccuracy),
  ...(run.color !== undefined ? { color: run.color } : {}),
}));
for (const p of PUBLISHED)
  series.push({
    name: p.label,
    x: [0, maxDigits],
    y: [100 * p.accuracy, 100 * p.accuracy],
    dashed: true,
    lineWidth: 1,
    color: p.color,
  });

process.stdout.write(
  lineChart({
    title: "e-prop LSNNs, spiking sequential MNIST: accuracy on the 10,000 test digits",
    xLabel: "training digits seen (millions)",
    yLabel: "test accuracy (%)",
    yRange: [60, 95],
    xRange: [0, maxDigits],
    markers: true,
    width: 760,
    height: 460,
    series,
  }),
);
