/**
 * The `inference` suite's throughput figures: digits per second of batched inference through
 * @snn/eprop's `Trainer.predictBatches` in 1, 2, ... threads (1: the calling thread; more: worker
 * threads, each with its own copy of the network, the batches shared out as they come), and the
 * scaling over one thread.
 * The time is the wall time of a whole `predictBatches` call after an untimed one (which starts
 * the workers and compiles the network): reading and preparing the batches included.
 */
import type { EpropBatch, Trainer } from "@snn/eprop";
import type { BenchResult } from "./report";

export interface ThroughputCase {
  /** The network in case names and logs, e.g. `pretrained smnist 80-256ALIF-10`. */
  readonly name: string;
  /** `lsnn` or `lsnn-trained`. */
  readonly model: string;
  readonly hidden: number;
  readonly numSteps: number;
  readonly backend: string;
  /** Builds the trainer to time (disposed here). */
  readonly trainer: () => Trainer;
  /** The batches of one timed call, each of `batchSize` digits. */
  readonly batches: readonly EpropBatch[];
  readonly batchSize: number;
}

export interface ThroughputOptions {
  /** Thread counts (each with the same batches). */
  readonly threads: readonly number[];
  /** Timed calls per thread count; the report gives the median and the best. */
  readonly runs: number;
  readonly log: (line: string) => void;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
}

/** Digits per second of `item` at each thread count, with the scaling over the first (1 thread). */
export async function timeThroughput(
  item: ThroughputCase,
  options: ThroughputOptions,
): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  const digits = item.batches.length * item.batchSize;
  let oneThread: number | null = null;
  for (const threads of options.threads) {
    const trainer = item.trainer();
    try {
      const call = () =>
        trainer.predictBatches(item.batches, { batchSize: item.batchSize, threads });
      await call(); // starts the workers, compiles the network
      const rates: number[] = [];
      for (let run = 0; run < options.runs; run++) {
        const start = performance.now();
        await call();
        rates.push((digits * 1000) / (performance.now() - start));
      }
      const digitsPerSecond = median(rates);
      if (threads === 1) oneThread = digitsPerSecond;
      const scaling = oneThread !== null ? digitsPerSecond / oneThread : null;
      results.push({
        case: `lsnn throughput ${item.name} batch ${item.batchSize} threads ${threads} T=${item.numSteps}`,
        model: item.model,
        backend: item.backend,
        hidden: item.hidden,
        batchSize: item.batchSize,
        numSteps: item.numSteps,
        threads,
        digits,
        timedRuns: rates.length,
        digitsPerSecond,
        bestDigitsPerSecond: Math.max(...rates),
        msPerSample: 1000 / digitsPerSecond,
        scalingOverOneThread: scaling,
      });
      options.log(
        `  ${item.model === "lsnn-trained" ? "trained lsnn" : "lsnn"} ${item.name}, batch ${item.batchSize} in ${threads} thread${threads === 1 ? "" : "s"}: ${digitsPerSecond.toFixed(0)} digits/s (median of ${rates.length} runs of ${digits} digits)${scaling !== null && threads !== 1 ? `, ${scaling.toFixed(2)}x one thread` : ""}`,
      );
    } finally {
      trainer.dispose();
    }
  }
  return results;
}
