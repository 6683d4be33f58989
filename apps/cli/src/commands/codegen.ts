import { existsSync, statSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import { planNetwork } from "@snn/core";
import { cpuBackend } from "@snn/backend-cpu";
import { Trainer, compileEpropNetwork, type EpropNetworkDescription } from "@snn/eprop";
import { loadWgslBackend } from "../backends";
import type { OptionSpec } from "../args";
import type { Command } from "../command";
import { CONFIG_KEYS } from "../config-keys";
import type { DatasetName, TrainConfig } from "../train-config";
import { networkFor } from "../engine";
import { UsageError } from "../errors";
import { loadModel } from "../model-source";
import { configForOptions } from "./train-setup";

/** Input channels and classes of each dataset (without reading it). */
export function datasetShape(config: Pick<TrainConfig, "dataset" | "encoding">): {
  numChannels: number;
  numClasses: number;
} {
  const shapes: Record<DatasetName, { numChannels: number; numClasses: number }> = {
    smnist: { numChannels: config.encoding === "80" ? 80 : 79, numClasses: 10 },
    "latency-mnist": { numChannels: 196, numClasses: 10 },
    shd: { numChannels: 700, numClasses: 20 },
    ssc: { numChannels: 700, numClasses: 35 },
  };
  return shapes[config.dataset];
}

const NETWORK_FIELDS = new Set([
  "dataset",
  "encoding",
  "hidden",
  "neuron",
  "feedforward",
  "feedback",
  "tauMem",
  "tauAdapt",
  "tauOut",
  "beta",
  "regularisation",
  "targetRate",
  "dt",
  "seed",
]);

const CODEGEN_OPTIONS: readonly OptionSpec[] = [
  ...CONFIG_KEYS.filter((k) => NETWORK_FIELDS.has(k.field)).map((k) => k.option),
  {
    name: "config",
    kind: "string",
    valueName: "FILE.json",
    description: "Network options from a JSON file (as for snn train).",
  },
  {
    name: "backend",
    kind: "choice",
    choices: ["cpu", "webgpu"],
    description:
      "Whose code to print: the CPU backend's JavaScript or the WebGPU backend's WGSL (no GPU needed).",
    defaultText: "cpu",
  },
  {
    name: "mode",
    kind: "choice",
    choices: ["train", "inference"],
    description: "The training network (e-prop traces, gradients, Adam) or the forward-only one.",
    defaultText: "train",
  },
  {
    name: "batch-size",
    kind: "integer",
    positive: true,
    valueName: "N",
    description: "Batch size compiled for.",
    defaultText: "1",
  },
  { name: "list", kind: "boolean", description: "Print only the kernel names." },
  {
    name: "kernel",
    kind: "string",
    valueName: "TEXT",
    description: "Print only kernels whose name contains TEXT.",
  },
  {
    name: "out",
    short: "o",
    kind: "string",
    valueName: "FILE",
    description: "Write the code to FILE instead of stdout.",
  },
];

/** `snn codegen`: the code a backend generates for a network. */
export const codegenCommand: Command = {
  spec: {
    name: "codegen",
    summary:
      "Print the code a backend generates for a network (JavaScript for cpu, WGSL for webgpu).",
    description: [
      "Builds the e-prop LSNN that 'snn train' would build for the same options (or the network of a",
      "run directory or checkpoint), runs the e-prop compiler pass, and prints every generated kernel:",
      "neuron and synapse updates and the custom updates (resets, batch reductions, Adam).",
    ].join("\n"),
    positionals: [
      { name: "RUN", description: "Optional: a run directory or checkpoint whose network to use." },
    ],
    options: CODEGEN_OPTIONS,
    examples: [
      { comment: "JavaScript of the default training network", command: "snn codegen" },
      {
        comment: "WGSL of a small feedforward LIF network, forward pass only",
        command:
          "snn codegen --backend webgpu --mode inference --hidden 32 --neuron lif --feedforward",
      },
      { comment: "Kernel names of a trained run's network", command: "snn codegen runs/r1 --list" },
    ],
  },
  async run(parsed, io) {
    const v = parsed.values;
    let description: EpropNetworkDescription;
    let learningRate: number | undefined;
    const target = parsed.positionals[0];
    if (target !== undefined) {
      const extra = Object.keys(v).filter(
        (k) => v[k] !== undefined && CONFIG_KEYS.some((c) => c.option.name === k),
      );
      if (extra.length > 0)
        throw new UsageError(
          `--${extra[0]} cannot change the network of ${target}; drop it or leave out RUN.`,
          "codegen",
        );
      const path = resolve(io.cwd, target);
      if (!existsSync(path))
        throw new UsageError(`${target}: no such run directory or checkpoint.`, "codegen");
      if (statSync(path).isDirectory()) {
        const model = await loadModel(target, {}, io.cwd, "codegen");
        description = model.trainer.description;
        learningRate = model.trainer.trainingConfig.optimizer.learningRate;
        model.trainer.dispose();
      } else {
        const trainer = await Trainer.fromCheckpoint(path, { backend: cpuBackend() });
        description = trainer.description;
        learningRate = trainer.trainingConfig.optimizer.learningRate;
        trainer.dispose();
      }
    } else {
      const config = configForOptions({ ...v, backend: undefined }, io);
      const shape = datasetShape(config);
      description = networkFor(config, shape.numChannels, shape.numClasses);
      learningRate = config.lr;
    }
    const batchSize = (v["batch-size"] as number | undefined) ?? 1;
    const mode = ((v["mode"] as string | undefined) ?? "train") as "train" | "inference";
    const { network } = compileEpropNetwork(description, {
      batchSize,
      mode,
      ...(learningRate !== undefined ? { optimizer: { learningRate } } : {}),
    });
    const plan = planNetwork(network);
    const kernels: { label: string; code: string }[] = [];
    const backendName = (v["backend"] as string | undefined) ?? "cpu";
    if (backendName === "webgpu") {
      const { generateWgsl } = await loadWgslBackend("codegen --backend webgpu", "codegen");
      for (const shader of generateWgsl(plan))
        kernels.push({ label: shader.label, code: shader.code });
    } else {
      const runtime = await cpuBackend().compile(plan, {
        recordingSteps: 0,
        printCode: (label, code) => kernels.push({ label, code }),
      });
      runtime.dispose();
    }
    const filter = v["kernel"] as string | undefined;
    const chosen =
      filter === undefined
        ? kernels
        : kernels.filter((k) => k.label.toLowerCase().includes(filter.toLowerCase()));
    if (chosen.length === 0)
      throw new UsageError(
        `--kernel ${filter}: no kernel name contains it (case-insensitive); list them with --list.`,
        "codegen",
      );
    const comment = "//";
    const header = `${comment} ${backendName === "webgpu" ? "WGSL" : "JavaScript"} generated by the ${backendName} backend for ${description.input.size} inputs -> ${description.hidden.map((h) => `${h.size} ${h.neuron}`).join(", ")} -> ${description.readout.size} readouts (${mode}, batch ${batchSize}); ${chosen.length} kernel${chosen.length === 1 ? "" : "s"}\n`;
    const text =
      v["list"] === true
        ? `${chosen.map((k) => k.label).join("\n")}\n`
        : `${header}${chosen.map((k) => `\n${comment} ---- ${k.label}\n${k.code.trimEnd()}\n`).join("")}`;
    if (v["out"] !== undefined) {
      await writeFile(resolve(io.cwd, v["out"] as string), text);
      io.stderr.write(
        `wrote ${chosen.length} kernel${chosen.length === 1 ? "" : "s"} to ${v["out"] as string}\n`,
      );
    } else io.stdout.write(text);
    return 0;
  },
};
