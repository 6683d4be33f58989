/**
 * The run directory of `snn train`:
 *
 * ```
 * DIR/config.json          resolved configuration (loadable with --config)
 * DIR/run.json             state: status, epochs done, best epoch, latest checkpoint, backend
 * DIR/metrics.jsonl        one JSON object per line: {"kind":"batch",...} and {"kind":"epoch",...}
 * DIR/checkpoints/NAME/    checkpoints (epoch-0001, ..., interrupted), each written atomically
 * DIR/best/                the checkpoint with the best test accuracy
 * DIR/plots/*.svg          accuracy.svg, loss.svg, firing-rate.svg, raster.svg
 * ```
 */
import { existsSync, readFileSync } from "node:fs";
import { appendFile, mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { configToJson, parseConfigObject, resolveTrainConfig, type TrainConfig } from "./config";
import { UsageError } from "./errors";
import { jsonReplacer } from "./progress";

/** A line of metrics.jsonl for one training batch. */
export interface BatchRecord {
  readonly kind: "batch";
  readonly epoch: number;
  /** 1-based batch within the epoch, of `batches`. */
  readonly batch: number;
  readonly batches: number;
  /** Batches done since the start of training (1-based). */
  readonly step: number;
  /** Samples in the batch. */
  readonly examples: number;
  /** Mean loss per sample and fraction correct in this batch. */
  readonly loss: number;
  readonly accuracy: number;
  readonly firingRatesHz: Readonly<Record<string, number>>;
  readonly durationMs: number;
}

/** A line of metrics.jsonl for one finished epoch. */
export interface EpochRecord {
  readonly kind: "epoch";
  readonly epoch: number;
  /** Batches done since the start of training at the end of this epoch. */
  readonly step: number;
  readonly trainLoss: number;
  readonly trainAccuracy: number;
  readonly testLoss?: number;
  readonly testAccuracy?: number;
  readonly firingRatesHz: Readonly<Record<string, number>>;
  readonly durationMs: number;
}

export type MetricsRecord = BatchRecord | EpochRecord;

/** DIR/run.json. */
export interface RunState {
  readonly version: 1;
  status: "running" | "interrupted" | "finished";
  /** Epochs fully done. */
  epochsCompleted: number;
  /** Batches done since the start of training. */
  step: number;
  /** Checkpoint to resume from (relative to the run directory). */
  latestCheckpoint?: string;
  best?: { epoch: number; accuracy: number; checkpoint: string };
  backend?: string;
  device?: string;
  createdAt: string;
  updatedAt: string;
}

/** Files of a run directory. */
export class RunDirectory {
  readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  get configFile(): string {
    return join(this.root, "config.json");
  }
  get stateFile(): string {
    return join(this.root, "run.json");
  }
  get metricsFile(): string {
    return join(this.root, "metrics.jsonl");
  }
  get plotsDir(): string {
    return join(this.root, "plots");
  }
  get bestDir(): string {
    return join(this.root, "best");
  }
  checkpointDir(name: string): string {
    return join(this.root, "checkpoints", name);
  }

  /** Creates a fresh run directory; an existing non-empty one is an error (use --resume). */
  async create(config: TrainConfig): Promise<RunState> {
    if (existsSync(this.stateFile)) {
      throw new UsageError(`${this.root} already holds a run; continue it with --resume ${this.root}, or choose another --out.`, "train");
    }
    await mkdir(join(this.root, "checkpoints"), { recursive: true });
    await mkdir(this.plotsDir, { recursive: true });
    await writeFileAtomic(this.configFile, `${JSON.stringify(configToJson(config), null, 2)}\n`);
    await writeFile(this.metricsFile, "");
    const now = new Date().toISOString();
    const state: RunState = { version: 1, status: "running", epochsCompleted: 0, step: 0, createdAt: now, updatedAt: now };
    await this.saveState(state);
    return state;
  }

  /** Reads config and state of an existing run (for --resume and evaluate). */
  async open(): Promise<{ config: TrainConfig; state: RunState }> {
    if (!existsSync(this.stateFile) || !existsSync(this.configFile)) {
      throw new UsageError(`${this.root} is not a run directory of 'snn train' (no run.json and config.json).`);
    }
    const config = resolveTrainConfig({ cli: {}, file: parseConfigObject(readJson(this.configFile), this.configFile) });
    const state = readJson(this.stateFile) as RunState;
    if (state.version !== 1 || typeof state.epochsCompleted !== "number") {
      throw new UsageError(`${this.stateFile} is not a run state this version of snn understands.`);
    }
    return { config, state };
  }

  async saveState(state: RunState): Promise<void> {
    state.updatedAt = new Date().toISOString();
    await writeFileAtomic(this.stateFile, `${JSON.stringify(state, null, 2)}\n`);
  }

  async appendMetrics(records: readonly MetricsRecord[]): Promise<void> {
    if (records.length === 0) return;
    await appendFile(this.metricsFile, records.map((r) => `${JSON.stringify(r, jsonReplacer)}\n`).join(""));
  }

  /** All records of metrics.jsonl (a torn last line from a crash is ignored). */
  async readMetrics(): Promise<MetricsRecord[]> {
    if (!existsSync(this.metricsFile)) return [];
    return parseMetrics(await readFile(this.metricsFile, "utf8"));
  }

  /** Drops records beyond `step` (work after the checkpoint a resume starts from). */
  async truncateMetrics(step: number): Promise<void> {
    const kept = (await this.readMetrics()).filter((r) => r.step <= step);
    await writeFileAtomic(this.metricsFile, kept.map((r) => `${JSON.stringify(r, jsonReplacer)}\n`).join(""));
  }
}

/** Parses JSON lines, skipping blank and unparsable (torn) lines. */
export function parseMetrics(text: string): MetricsRecord[] {
  const out: MetricsRecord[] = [];
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    try {
      const record = JSON.parse(line) as MetricsRecord;
      if (record.kind === "batch" || record.kind === "epoch") out.push(record);
    } catch {
      // A line cut short by a crash: ignore it.
    }
  }
  return out;
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    throw new UsageError(`${file} is not valid JSON: ${(e as Error).message}.`);
  }
}

/** Writes a file through a temporary file and a rename, so readers never see half of it. */
export async function writeFileAtomic(file: string, content: string | Uint8Array): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const temp = `${file}.tmp-${process.pid}-${Date.now()}`;
  try {
    await writeFile(temp, content);
    await rename(temp, file);
  } catch (e) {
    await rm(temp, { force: true });
    throw e;
  }
}

/** A new run directory under `cwd`: `runs/<dataset>-<date>T<time>` (with `-2`, `-3`, ... if taken). */
export function defaultRunDirectory(cwd: string, dataset: string, now = new Date()): string {
  const stamp = now.toISOString().replace(/\.\d+Z$/, "").replace(/:/g, "-");
  const base = join(cwd, "runs", `${dataset}-${stamp}`);
  let dir = base;
  for (let k = 2; existsSync(dir); k++) dir = `${base}-${k}`;
  return dir;
}
