import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { collateBatch, stepsForDuration, type SpikeDataset } from "@snn/datasets";
import type { EpropBatch } from "@snn/eprop";
import type { Command } from "../command";
import type { Split } from "../data";
import { DataError, UsageError } from "../errors";
import { readJsonFile } from "../json-file";
import {
  MODEL_OPTIONS,
  RUN_POSITIONAL,
  describeModel,
  loadModel,
  openModelData,
} from "../model-source";
import { checkTrialMemory, maxTrialSteps } from "../budget";
import { checkDataTrial, checkFixedTrial } from "../engine";
import { inferenceThreads, requestedThreads, THREADS_OPTION } from "../inference-threads";
import { jsonReplacer } from "../progress";
import { escapeControlCharacters } from "../terminal-text";

interface Prediction {
  readonly sample: number | string;
  readonly label?: number;
  readonly predicted: number;
  readonly readoutSumPredicted: number;
  readonly batch: number;
}

/** Parses `--samples 0,5,10-12` into indices. */
export function parseSampleList(text: string, numSamples: number): number[] {
  const out: number[] = [];
  for (const part of text
    .split(",")
    .map((p) => p.trim())
    .filter((p) => p !== "")) {
    const range = /^(\d+)-(\d+)$/.exec(part);
    const [from, to] = range
      ? [Number(range[1]), Number(range[2])]
      : /^\d+$/.test(part)
        ? [Number(part), Number(part)]
        : [Number.NaN, Number.NaN];
    if (!Number.isInteger(from) || !Number.isInteger(to) || to < from) {
      throw new UsageError(`--samples: "${part}" is not an index or a range like 3-7.`, "infer");
    }
    for (let i = from; i <= to; i++) {
      if (i >= numSamples)
        throw new UsageError(
          `--samples: index ${i} is outside the split's 0..${numSamples - 1}.`,
          "infer",
        );
      out.push(i);
    }
  }
  if (out.length === 0)
    throw new UsageError("--samples needs at least one index (e.g. 0,5,10-12).", "infer");
  return out;
}

/**
 * Reads `--events FILE.json`: `{ "numSteps": T, "inputs": [{ "steps": [...], "units": [...] }, ...] }`.
 * Without `numSteps` the trial is the model's length (`defaultSteps`) or, when longer, up to the last
 * event; `minSteps` is what the model's loss mask needs. A missing file is a `UsageError`; a file
 * that is damaged or does not fit the network (a channel it lacks, too few steps) is a `DataError`.
 */
export function readEventsFile(
  file: string,
  cwd: string,
  numChannels: number,
  options: { readonly defaultSteps?: number; readonly minSteps?: number } = {},
): { inputs: { steps: Int32Array; units: Int32Array }[]; numSteps: number } {
  const path = resolve(cwd, file);
  if (!existsSync(path)) throw new UsageError(`--events ${file}: no such file.`, "infer");
  const json = readJsonFile(path, file, (message) => new DataError(message));
  const shapeHelp = `${file} must hold { "numSteps": T, "inputs": [{ "steps": [...], "units": [...] }, ...] }`;
  if (typeof json !== "object" || json === null) throw new DataError(`${shapeHelp}.`);
  const list = (json as { inputs?: unknown }).inputs;
  if (!Array.isArray(list) || list.length === 0) throw new DataError(`${shapeHelp}.`);
  const maxSteps = maxTrialSteps();
  let latest = 0;
  const inputs = list.map((entry: unknown, i) => {
    const e = entry as { steps?: unknown; units?: unknown };
    if (!Array.isArray(e?.steps) || !Array.isArray(e.units) || e.steps.length !== e.units.length) {
      throw new DataError(
        `${file}: inputs[${i}] needs "steps" and "units" arrays of equal length.`,
      );
    }
    // Checked as JSON numbers before they go into Int32Arrays, where 2^32 would wrap to 0.
    const rawSteps = e.steps as unknown[];
    const rawUnits = e.units as unknown[];
    for (let k = 0; k < rawSteps.length; k++) {
      const step = rawSteps[k];
      if (
        !Number.isInteger(step) ||
        (step as number) < 0 ||
        (k > 0 && (step as number) < (rawSteps[k - 1] as number))
      ) {
        throw new DataError(
          `${file}: inputs[${i}].steps must be non-negative integers in ascending order (entry ${k}).`,
        );
      }
      if ((step as number) >= maxSteps) {
        throw new DataError(
          `${file}: inputs[${i}].steps[${k}] is ${String(step)}, beyond the limit of ${maxSteps} steps per trial (SNN_MAX_TRIAL_STEPS changes it); steps count from 0 in units of the network's dt.`,
        );
      }
      const unit = rawUnits[k];
      if (!Number.isInteger(unit) || (unit as number) < 0 || (unit as number) >= numChannels) {
        throw new DataError(
          `${file}: inputs[${i}].units[${k}] must be a channel in 0..${numChannels - 1}.`,
        );
      }
    }
    const steps = Int32Array.from(rawSteps as number[]);
    const units = Int32Array.from(rawUnits as number[]);
    for (let k = 0; k < steps.length; k++) {
      latest = Math.max(latest, steps[k]! + 1);
    }
    return { steps, units };
  });
  const given = (json as { numSteps?: unknown }).numSteps;
  if (
    given !== undefined &&
    (!Number.isInteger(given) ||
      (given as number) < latest ||
      (given as number) < 1 ||
      (given as number) > maxSteps)
  ) {
    throw new DataError(
      `${file}: numSteps must be a positive integer covering every event (at least ${latest}) and at most the limit of ${maxSteps} steps (SNN_MAX_TRIAL_STEPS changes it).`,
    );
  }
  const numSteps = (given as number | undefined) ?? Math.max(1, latest, options.defaultSteps ?? 0);
  if (options.minSteps !== undefined && numSteps < options.minSteps) {
    throw new DataError(
      `${file}: its trials are ${numSteps} steps, but the network's loss covers the last ${options.minSteps}; give "numSteps": ${options.minSteps} or more.`,
    );
  }
  return { inputs, numSteps };
}

/** `snn infer RUN|CHECKPOINT` or `snn infer --pretrained NAME`: classify given samples and report the latency of each batch. */
export const inferCommand: Command = {
  spec: {
    name: "infer",
    summary: "Classify samples with a trained network and report the latency per batch.",
    description: [
      "Classifies samples of the run's dataset (--samples, or the first --count of a split) or spike",
      "trains from a JSON file (--events), and prints each prediction (argmax of the masked sum of",
      "softmax outputs, and the sum-of-readout prediction), the time of every batch in the thread that ran",
      "it, and the wall time of all (with compiling the network and starting the threads). The batches",
      "run in --threads N threads (default: the cores available), with the same predictions as one thread.",
      "With --pretrained smnist instead of RUN it runs the LSNN shipped with @snn/pretrained on MNIST in",
      "the encoding it was trained with.",
    ].join("\n"),
    positionals: [RUN_POSITIONAL],
    options: [
      ...MODEL_OPTIONS,
      {
        name: "samples",
        kind: "string",
        valueName: "LIST",
        description: "Sample indices of the split, e.g. 0,5,10-12.",
      },
      {
        name: "count",
        kind: "integer",
        positive: true,
        valueName: "N",
        description: "Classify the first N samples of the split (without --samples).",
        defaultText: "8",
      },
      {
        name: "split",
        kind: "choice",
        choices: ["test", "train"],
        description: "Which split --samples and --count refer to.",
        defaultText: "test",
      },
      {
        name: "events",
        kind: "string",
        valueName: "FILE.json",
        description:
          'Classify spike trains from a file: {"numSteps": T, "inputs": [{"steps": [...], "units": [...]}, ...]}.',
      },
      {
        name: "batch-size",
        kind: "integer",
        positive: true,
        valueName: "N",
        description: "Samples per batch.",
        defaultText: "8",
      },
      THREADS_OPTION,
      { name: "json", kind: "boolean", description: "Print predictions and latencies as JSON." },
    ],
    examples: [
      { comment: "The first 8 test samples", command: "snn infer runs/smnist-2024-05-06T07-08-09" },
      {
        comment: "Chosen samples, one at a time (latency at batch size 1)",
        command: "snn infer runs/r1 --samples 0,7,42 --batch-size 1",
      },
      {
        comment: "Spike trains from a file",
        command: "snn infer runs/r1/best.safetensors --events my-spikes.json --json",
      },
      {
        comment: "The pretrained sequential-MNIST LSNN on test digits 0-9",
        command: "snn infer --pretrained smnist --samples 0-9",
      },
      {
        comment: "Latency of one digit at a time, in the main thread only",
        command: "snn infer --pretrained smnist --count 16 --batch-size 1 --threads 1",
      },
    ],
  },
  async run(parsed, io) {
    const v = parsed.values;
    if (v["events"] !== undefined && (v["samples"] !== undefined || v["count"] !== undefined)) {
      throw new UsageError("give either --events or --samples/--count, not both.", "infer");
    }
    if (v["samples"] !== undefined && v["count"] !== undefined)
      throw new UsageError("give either --samples or --count, not both.", "infer");
    const requested = requestedThreads(v["threads"], "infer");
    const model = await loadModel(parsed.positionals[0], v, io.cwd, "infer");
    const batchSize = (v["batch-size"] as number | undefined) ?? 8;
    let dataset: SpikeDataset | undefined;
    try {
      const threads = inferenceThreads(requested, model.backend, "infer");
      const batches: { batch: EpropBatch; ids: (number | string)[] }[] = [];
      let classNames: readonly string[] | undefined;
      let source: string;
      if (v["events"] !== undefined) {
        const lossMask = model.trainer.trainingConfig.lossMask;
        const events = readEventsFile(
          v["events"] as string,
          io.cwd,
          model.trainer.description.input.size,
          {
            ...(model.numSteps !== undefined ? { defaultSteps: model.numSteps } : {}),
            ...(lossMask !== null && typeof lossMask === "object" && "lastSteps" in lossMask
              ? { minSteps: lossMask.lastSteps }
              : {}),
          },
        );
        source = v["events"] as string;
        // Before any trial's per-step arrays exist: a long trial (the step limit raised by
        // SNN_MAX_TRIAL_STEPS) must fit in memory.
        checkTrialMemory(events.numSteps, Math.min(batchSize, events.inputs.length), {
          source: `--events ${source}`,
          shorter: `a smaller "numSteps" in ${source} (and no later events)`,
          batchOption: "--batch-size",
          from: "file",
        });
        for (let start = 0; start < events.inputs.length; start += batchSize) {
          const inputs = events.inputs.slice(start, start + batchSize);
          batches.push({
            batch: { inputs, labels: new Int32Array(0), numSteps: events.numSteps },
            ids: inputs.map((_, i) => `${source}[${start + i}]`),
          });
        }
      } else {
        const split = ((v["split"] as string | undefined) ?? "test") as Split;
        dataset = await openModelData(model, split, io.cwd);
        classNames = dataset.classNames;
        source = `${dataset.name}, ${split} split`;
        const indices =
          v["samples"] !== undefined
            ? parseSampleList(v["samples"] as string, dataset.numSamples)
            : Array.from(
                { length: Math.min((v["count"] as number | undefined) ?? 8, dataset.numSamples) },
                (_, i) => i,
              );
        // The trial length training used: the run's, else the dataset's fixed duration (as its batches have).
        const numSteps =
          model.numSteps ??
          (dataset.trialDurationMs !== undefined
            ? stepsForDuration(dataset.trialDurationMs, model.config.dt)
            : undefined);
        if (numSteps !== undefined)
          checkFixedTrial(numSteps, Math.min(batchSize, Math.max(1, indices.length)));
        for (let start = 0; start < indices.length; start += batchSize) {
          const ids = indices.slice(start, start + batchSize);
          const samples = await dataset.getMany(ids);
          const batch = collateBatch(samples, Int32Array.from(ids), {
            dt: model.config.dt,
            numSteps,
            lossWindowMs: dataset.lossWindowMs,
          });
          if (numSteps === undefined)
            checkDataTrial(dataset, batch.numSteps, ids.length, model.config.dt);
          batches.push({ batch, ids });
        }
      }
      const predictions: Prediction[] = [];
      const latencies: { batch: number; samples: number; ms: number; thread: number }[] = [];
      const start = performance.now();
      const results = await model.trainer.predictBatches(
        batches.map((b) => b.batch),
        { batchSize, threads },
      );
      const wallMs = performance.now() - start;
      // Threads that ran batches: a single batch runs in the main thread.
      const ran = batches.length > 1 ? threads : 1;
      for (const [b, { batch, ids }] of batches.entries()) {
        const result = results[b]!;
        latencies.push({ batch: b + 1, samples: ids.length, ms: result.ms, thread: result.thread });
        ids.forEach((id, i) => {
          const label = batch.labels.length === ids.length ? batch.labels[i] : undefined;
          predictions.push({
            sample: id,
            ...(label !== undefined ? { label } : {}),
            predicted: result.classes[i]!,
            readoutSumPredicted: result.readoutSumClasses[i]!,
            batch: b + 1,
          });
        });
      }
      const name = (k: number): string => escapeControlCharacters(classNames?.[k] ?? String(k));
      if (v["json"] === true) {
        io.stdout.write(
          `${JSON.stringify({ checkpoint: model.checkpoint, ...(model.pretrained ? { pretrained: model.pretrained.name } : {}), source, backend: model.backend.name, threads: ran, predictions, latencies, wallMs }, jsonReplacer, 2)}\n`,
        );
      } else {
        const lines = [
          describeModel(model),
          `data: ${source} (backend ${model.backend.name}, ${ran} thread${ran === 1 ? "" : "s"})`,
        ];
        for (const p of predictions) {
          const verdict =
            p.label === undefined
              ? ""
              : p.label === p.predicted
                ? `  label ${name(p.label)}  correct`
                : `  label ${name(p.label)}  wrong`;
          lines.push(
            `sample ${String(p.sample)}: predicted ${name(p.predicted)} (sum of readout: ${name(p.readoutSumPredicted)})${verdict}`,
          );
        }
        for (const l of latencies) {
          lines.push(
            `batch ${l.batch}: ${l.samples} sample${l.samples === 1 ? "" : "s"} in ${l.ms.toFixed(1)} ms (${(l.ms / l.samples).toFixed(2)} ms per sample)${ran > 1 ? `, thread ${l.thread + 1}` : ""}`,
          );
        }
        lines.push(
          `all ${predictions.length} sample${predictions.length === 1 ? "" : "s"} in ${wallMs.toFixed(1)} ms in ${ran} thread${ran === 1 ? "" : "s"} (${((predictions.length * 1000) / wallMs).toFixed(1)} samples/s), including compiling the network${ran > 1 ? " and starting the threads" : ""}`,
        );
        io.stdout.write(`${lines.join("\n")}\n`);
      }
      return 0;
    } finally {
      model.trainer.dispose();
      await dataset?.close();
    }
  },
};
