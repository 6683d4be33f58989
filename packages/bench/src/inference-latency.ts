/**
 * Suite `inference`: how fast a trained-size LSNN classifies spiking sequential MNIST digits,
 * against an LSTM of the same width in PyTorch on the same machine (the comparison the e-prop
 * paper makes: LSNN inference several times faster than an LSTM's). The LSNN is the sMNIST
 * network of @snn/eprop (docs/equations.md) (79 channels, one step per pixel: 784 steps -> recurrent ALIF ->
 * 10 readouts) in @snn/eprop's inference mode on the given backend, fed real digits (the
 * embedded MNIST test digits, encoded by @snn/datasets); the LSTM reads the same 784 x 79 0/1
 * input and classifies from its last hidden state (`reference/lstm_infer.py`). Reports
 * milliseconds per batch and per sample at each batch size, and the LSNN's speed-up.
 * The LSNN's weights are its seeded initial ones: its cost depends on its spikes, so the
 * report gives the hidden firing rate with each figure. With `trained` (the default) the trained
 * network of @snn/pretrained (`smnist`) is timed too, on the same digits in its own encoding.
 * Then the throughput of the batched case, digits per second in 1 and 2 threads (see
 * ./inference-throughput), for each network.
 */
import type { Backend } from "@snn/core";
import {
  encodeSequentialMnist,
  imagePixels,
  loadEmbeddedMnist,
  type MnistImages,
} from "@snn/datasets";
import {
  defineEpropNetwork,
  EpropRuntime,
  prepareTrial,
  Trainer,
  type EpropBatch,
  type PreparedTrial,
} from "@snn/eprop";
import { loadPretrained } from "@snn/pretrained";
import { judgePeer, peerBlasOf, peerFields } from "./fair-peer";
import { timeThroughput, type ThroughputCase } from "./inference-throughput";
import { runPytorchScript } from "./pytorch";
import type { BenchResult } from "./report";

export interface InferenceBenchmarkOptions {
  readonly backend: Backend;
  /** Hidden-layer sizes (default [128, 256]). */
  readonly hiddenSizes?: readonly number[];
  /** Batch sizes (default [1, 32, 128]). */
  readonly batchSizes?: readonly number[];
  /** Timed batches per case, at least (default 20); the report gives their median and minimum. */
  readonly repeats?: number;
  /**
   * Seconds of untimed batches first, at least 3 batches (default 0.25): enough for the JIT to
   * optimise the per-trial JavaScript, as in a process that has classified digits for a while.
   */
  readonly warmupSeconds?: number;
  /** Seconds of timed batches, at least (default 0.5): more than `repeats` where a batch is fast. */
  readonly minSeconds?: number;
  /** Test digits to cycle through (default 64). */
  readonly digits?: number;
  /** Also time the PyTorch LSTM (default true; skipped with a note where python3 has no torch). */
  readonly pytorchReference?: boolean;
  /**
   * Also time the trained sMNIST network of @snn/pretrained (`smnist`: 80-channel cue encoding,
   * 256 ALIF, its own trial length and loss window) at each batch size (default true): the cost
   * of a network whose spikes are a trained one's, not seeded weights'.
   */
  readonly trained?: boolean;
  /**
   * Thread counts of the throughput figures (default [1, 2]; [] for none): digits per second of
   * the batched case through `Trainer.predictBatches` for each network, and the scaling over
   * one thread. Above 1 only on a backend that runs in worker threads (the CPU backend).
   */
  readonly throughputThreads?: readonly number[];
  /** Batch size of the throughput figures (default: the largest of `batchSizes`). */
  readonly throughputBatchSize?: number;
  /** Batches per timed throughput call, cycling through the digits (default 16: 8 per thread at 2 threads, so that the last batch of one thread is a small part of the time). */
  readonly throughputBatches?: number;
  /** Timed throughput calls per thread count, after an untimed one (default 3; the report gives the median). */
  readonly throughputRuns?: number;
  readonly log?: (line: string) => void;
}

const ENCODING = "79-channel" as const;
const NUM_STEPS = 784;
const NUM_CHANNELS = 79;
const NUM_CLASSES = 10;

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
}

/** `count` batches of `batchSize` digits each, cycling through the digits. */
function cycledBatches(
  images: MnistImages,
  count: number,
  batchSize: number,
  batch: (indices: readonly number[]) => EpropBatch,
): EpropBatch[] {
  return Array.from({ length: count }, (_, k) =>
    batch(Array.from({ length: batchSize }, (_, b) => (k * batchSize + b) % images.count)),
  );
}

/** The digits as prepared trials of `batchSize`, in order, whole batches only. */
function digitTrials(
  images: MnistImages,
  description: ReturnType<typeof defineEpropNetwork>,
  batchSize: number,
): PreparedTrial[] {
  const trials: PreparedTrial[] = [];
  for (let first = 0; first + batchSize <= images.count; first += batchSize) {
    const inputs = Array.from({ length: batchSize }, (_, b) =>
      encodeSequentialMnist(imagePixels(images, first + b), ENCODING),
    );
    const labels = Int32Array.from({ length: batchSize }, (_, b) => images.labels[first + b]!);
    trials.push(prepareTrial({ inputs, labels, numSteps: NUM_STEPS }, description, batchSize));
  }
  return trials;
}

/**
 * Times trials of a session, cycling through `trials`: untimed ones for `warmupSeconds` (at least
 * 3), then timed ones for `minSeconds` (at least `repeats`); the median and minimum per batch, per
 * sample, and the first hidden layer's firing rate.
 */
async function timeTrials(
  session: EpropRuntime,
  trials: readonly PreparedTrial[],
  what: {
    readonly case: string;
    readonly model: string;
    readonly hidden: number;
    readonly numSteps: number;
    readonly repeats: number;
    readonly warmupSeconds: number;
    readonly minSeconds: number;
    readonly backend: string;
  },
): Promise<BenchResult> {
  const batchSize = session.batchSize;
  const layer = session.description.hidden[0]!;
  const times: number[] = [];
  let spikes = 0;
  let samples = 0;
  let k = 0;
  for (const warmupEnd = performance.now() + 1000 * what.warmupSeconds; ; k++) {
    if (k >= 3 && performance.now() >= warmupEnd) break;
    await session.runTrial(trials[k % trials.length]!);
  }
  let timed = 0;
  for (; times.length < what.repeats || timed < 1000 * what.minSeconds; k++) {
    const trial = trials[k % trials.length]!;
    const start = performance.now();
    const outputs = await session.runTrial(trial);
    const elapsed = performance.now() - start;
    timed += elapsed;
    times.push(elapsed);
    spikes += Array.from(outputs.spikeCounts[layer.name]!).reduce((a, b) => a + b, 0);
    samples += batchSize;
  }
  const msPerBatch = median(times);
  return {
    case: what.case,
    model: what.model,
    backend: what.backend,
    hidden: what.hidden,
    batchSize,
    numSteps: what.numSteps,
    msPerBatch,
    minMsPerBatch: Math.min(...times),
    msPerSample: msPerBatch / batchSize,
    timedBatches: times.length,
    // One WebAssembly call per run of steps (@snn/eprop's fused inference) or the network stepped.
    fusedInference: session.fusedInference,
    hiddenRateHz: spikes / (samples * layer.size * what.numSteps * session.description.dt * 1e-3),
  };
}

export async function runInferenceBenchmark(
  options: InferenceBenchmarkOptions,
): Promise<BenchResult[]> {
  const log = options.log ?? (() => {});
  const hiddenSizes = options.hiddenSizes ?? [128, 256];
  const batchSizes = options.batchSizes ?? [1, 32, 128];
  const repeats = options.repeats ?? 20;
  const warmupSeconds = options.warmupSeconds ?? 0.25;
  const minSeconds = options.minSeconds ?? 0.5;
  const digits = Math.max(options.digits ?? 64, ...batchSizes);
  const images = await loadEmbeddedMnist("test", { limit: digits });
  const results: BenchResult[] = [];
  for (const hidden of hiddenSizes) {
    const description = defineEpropNetwork({
      input: { size: NUM_CHANNELS },
      hidden: [{ name: "hidden", size: hidden, neuron: "ALIF", recurrent: true }],
      readout: { size: NUM_CLASSES },
      seed: 1,
    });
    for (const batchSize of batchSizes) {
      const session = await EpropRuntime.create(description, {
        backend: options.backend,
        batchSize,
        mode: "inference",
      });
      const result = await timeTrials(session, digitTrials(images, description, batchSize), {
        case: `lsnn inference ${NUM_CHANNELS}-${hidden}ALIF-${NUM_CLASSES} batch ${batchSize} T=${NUM_STEPS}`,
        model: "lsnn",
        hidden,
        numSteps: NUM_STEPS,
        repeats,
        warmupSeconds,
        minSeconds,
        backend: options.backend.name,
      });
      session.dispose();
      log(
        `  lsnn ${hidden} ALIF, batch ${batchSize}: ${(result.msPerBatch as number).toFixed(2)} ms/batch (median of ${result.timedBatches as number}), ${(result.msPerSample as number).toFixed(3)} ms/sample, hidden ${(result.hiddenRateHz as number).toFixed(1)} Hz`,
      );
      results.push(result);
    }
  }
  if (options.trained !== false) {
    const model = await loadPretrained("smnist");
    const { numSteps, lossMask } = model.input;
    const hidden = model.network.hidden[0]!.size;
    for (const batchSize of batchSizes) {
      const session = await model.createRuntime(options.backend, { batchSize });
      const trials: PreparedTrial[] = [];
      for (let first = 0; first + batchSize <= images.count; first += batchSize) {
        const pixels = Array.from({ length: batchSize }, (_, b) => imagePixels(images, first + b));
        const labels = Array.from({ length: batchSize }, (_, b) => images.labels[first + b]!);
        trials.push(
          prepareTrial(
            model.batch(pixels, labels),
            model.network,
            batchSize,
            lossMask ?? undefined,
          ),
        );
      }
      const result = await timeTrials(session, trials, {
        case: `lsnn inference pretrained smnist ${model.network.input.size}-${hidden}ALIF-${NUM_CLASSES} batch ${batchSize} T=${numSteps}`,
        model: "lsnn-trained",
        hidden,
        numSteps,
        repeats,
        warmupSeconds,
        minSeconds,
        backend: options.backend.name,
      });
      session.dispose();
      log(
        `  trained lsnn (pretrained smnist, ${hidden} ALIF, ${numSteps} steps of ${model.network.dt} ms), batch ${batchSize}: ${(result.msPerBatch as number).toFixed(2)} ms/batch (median of ${result.timedBatches as number}), ${(result.msPerSample as number).toFixed(3)} ms/sample, hidden ${(result.hiddenRateHz as number).toFixed(1)} Hz`,
      );
      results.push(result);
    }
  }
  results.push(...(await runThroughput(options, images, hiddenSizes, batchSizes, log)));
  if (options.pytorchReference === false) return results;
  // The LSTM's input: 0/1 at the digits' mean rate per channel and step (its cost does not depend on the values).
  const rate = meanInputRate(images, Math.min(images.count, 64));
  const args = [
    "--steps",
    String(NUM_STEPS),
    "--inputs",
    String(NUM_CHANNELS),
    "--hidden",
    hiddenSizes.join(","),
    "--outputs",
    String(NUM_CLASSES),
    "--batch",
    batchSizes.join(","),
    "--rate",
    rate.toFixed(5),
    "--repeats",
    String(repeats),
  ];
  const lines = runPytorchScript("lstm_infer.py", args, "pytorch LSTM reference", log);
  if (lines === null) return results;
  let warned = false;
  for (const line of lines) {
    const r = line as {
      hidden: number;
      batch: number;
      msPerBatch: number;
      minMsPerBatch: number;
      msPerSample: number;
      parameters: number;
      torch: string;
      threads: number;
    };
    const peer = peerBlasOf(line);
    log(
      `  pytorch LSTM ${r.hidden}, batch ${r.batch}: ${r.msPerBatch.toFixed(2)} ms/batch, ${r.msPerSample.toFixed(3)} ms/sample (torch ${r.torch}, ${r.threads} threads, BLAS ${peer.blas}${peer.blasThreads !== null ? ` (${String(peer.blasThreads)} thread${peer.blasThreads === 1 ? "" : "s"})` : ""})`,
    );
    const lstm: BenchResult = {
      case: `pytorch lstm inference ${NUM_CHANNELS}-${r.hidden}-${NUM_CLASSES} batch ${r.batch} T=${NUM_STEPS}`,
      model: "lstm",
      backend: "pytorch",
      hidden: r.hidden,
      batchSize: r.batch,
      numSteps: NUM_STEPS,
      msPerBatch: r.msPerBatch,
      minMsPerBatch: r.minMsPerBatch,
      msPerSample: r.msPerSample,
      parameters: r.parameters,
      torch: r.torch,
      threads: r.threads,
      blas: peer.blas,
      blasThreads: peer.blasThreads,
      blasLibraries: peer.blasLibraries,
    };
    results.push(lstm);
    for (const kind of ["lsnn", "lsnn-trained"]) {
      const lsnn = results.find(
        (x) => x.model === kind && x.hidden === r.hidden && x.batchSize === r.batch,
      );
      if (!lsnn) continue;
      const speedUp = speedUpOverLstm(lsnn, lstm, warned ? () => {} : log);
      warned ||= speedUp.speedUpOverLstm === null;
      results.push(speedUp);
    }
  }
  return results;
}

/** The throughput figures of every network of the run (see `throughputThreads`). */
async function runThroughput(
  options: InferenceBenchmarkOptions,
  images: MnistImages,
  hiddenSizes: readonly number[],
  batchSizes: readonly number[],
  log: (line: string) => void,
): Promise<BenchResult[]> {
  const requested = options.throughputThreads ?? [1, 2];
  if (requested.length === 0) return [];
  const threads =
    options.backend.worker !== undefined ? requested : requested.filter((t) => t === 1);
  if (threads.length < requested.length)
    log(
      `  throughput: the ${options.backend.name} backend runs in one thread; timing 1 thread only`,
    );
  if (threads.length === 0) return [];
  const batchSize = options.throughputBatchSize ?? Math.max(...batchSizes);
  const count = options.throughputBatches ?? 16;
  const backend = options.backend;
  const cases: ThroughputCase[] = hiddenSizes.map((hidden) => {
    const description = defineEpropNetwork({
      input: { size: NUM_CHANNELS },
      hidden: [{ name: "hidden", size: hidden, neuron: "ALIF", recurrent: true }],
      readout: { size: NUM_CLASSES },
      seed: 1,
    });
    return {
      name: `${NUM_CHANNELS}-${hidden}ALIF-${NUM_CLASSES}`,
      model: "lsnn",
      hidden,
      numSteps: NUM_STEPS,
      backend: backend.name,
      trainer: () => new Trainer({ network: description, backend }),
      batchSize,
      batches: cycledBatches(images, count, batchSize, (indices) => ({
        inputs: indices.map((i) => encodeSequentialMnist(imagePixels(images, i), ENCODING)),
        labels: Int32Array.from(indices, (i) => images.labels[i]!),
        numSteps: NUM_STEPS,
      })),
    };
  });
  if (options.trained !== false) {
    const model = await loadPretrained("smnist");
    const hidden = model.network.hidden[0]!.size;
    cases.push({
      name: `pretrained smnist ${model.network.input.size}-${hidden}ALIF-${NUM_CLASSES}`,
      model: "lsnn-trained",
      hidden,
      numSteps: model.input.numSteps,
      backend: backend.name,
      trainer: () => model.createTrainer(backend),
      batchSize,
      batches: cycledBatches(images, count, batchSize, (indices) =>
        model.batch(
          indices.map((i) => imagePixels(images, i)),
          indices.map((i) => images.labels[i]!),
        ),
      ),
    });
  }
  const results: BenchResult[] = [];
  for (const item of cases)
    results.push(
      ...(await timeThroughput(item, { threads, runs: options.throughputRuns ?? 3, log })),
    );
  return results;
}

/**
 * The LSNN's speed-up over the LSTM of the same hidden and batch size, logged. Where the LSTM's
 * peer is not fair (torch on netlib's reference BLAS, or an unknown one; see ./fair-peer) no
 * ratio is given: `speedUpOverLstm` is null, `noRatioReason` says why, and a warning is logged.
 */
export function speedUpOverLstm(
  lsnn: BenchResult,
  lstm: BenchResult,
  log: (line: string) => void,
): BenchResult {
  const hidden = lstm.hidden as number;
  const batch = lstm.batchSize as number;
  const verdict = judgePeer(lstm, "the PyTorch LSTM");
  const base = {
    case: `speed-up lsnn over lstm ${String(hidden)} hidden batch ${String(batch)}`,
    hidden,
    batchSize: batch,
    ...peerFields(verdict.peer),
  };
  if (!verdict.fair) {
    log(`  ${verdict.warning}`);
    return { ...base, speedUpOverLstm: null, noRatioReason: verdict.reason };
  }
  const speedUp = (lstm.msPerSample as number) / (lsnn.msPerSample as number);
  log(
    `  ${String(hidden)} hidden, batch ${String(batch)}: LSNN inference is ${speedUp.toFixed(1)}x the speed of the LSTM's (same run; ${verdict.describe})`,
  );
  return { ...base, speedUpOverLstm: speedUp };
}

/** Mean spikes per channel and step of the first `count` encoded digits. */
function meanInputRate(images: MnistImages, count: number): number {
  let spikes = 0;
  for (let k = 0; k < count; k++)
    spikes += encodeSequentialMnist(imagePixels(images, k), ENCODING).steps.length;
  return spikes / (count * NUM_CHANNELS * NUM_STEPS);
}
