/** The options of `Trainer`: of its constructor, of `train`, and training's callbacks. */
import type { Backend } from "@snn/core";
import type { AdamOptions, EligibilityMode } from "./compile";
import type { EpropNetworkDescription, EpropNetworkOptions } from "./description";
import type { ChunkedTraces } from "./eprop-runtime";
import type { BatchMetrics, EpochMetrics } from "./metrics";
import type { Trainer } from "./trainer";
import type { LossMaskOption } from "./trial";

/** Called after every batch and epoch; may be async (training waits), e.g. to save a checkpoint. */
export interface TrainCallbacks {
  onBatchEnd?(metrics: BatchMetrics, trainer: Trainer): void | Promise<void>;
  onEpochEnd?(metrics: EpochMetrics, trainer: Trainer): void | Promise<void>;
}

export interface TrainOptions {
  /** Train until this many epochs are complete (a resumed trainer continues where it stopped). */
  readonly epochs: number;
  readonly batchSize: number;
  /** Seed of the per-epoch shuffle. Default 0. */
  readonly shuffleSeed?: number;
  /**
   * Runs each batch as trials of at most this many examples and takes one Adam step on their
   * summed gradients: the same training as whole batches (up to float rounding), with the
   * memory of the smaller size, e.g. batch 512 as 4 x 128 where 512 does not fit. Default
   * `batchSize`, or `ceil(batchSize / threads)` with `threads > 1`. It may change between runs
   * and on resume.
   */
  readonly microBatchSize?: number;
  /**
   * Data-parallel training in this many threads (default 1: the calling thread only). Each batch
   * runs as micro-batches (of `microBatchSize`, default `ceil(batchSize / threads)`) shared out
   * in contiguous runs: the first run on the calling thread, the others in worker threads, each
   * with its own runtime of the network. Their gradients are summed in micro-batch order and one
   * Adam step is taken here: the same parameters, to the bit, and the same metrics as
   * `threads: 1` with the same `microBatchSize`. Node only; needs a backend that can be made
   * in a worker (`backend.worker`, e.g. the CPU backend). Evaluation has a `threads` option of
   * its own (`EvaluateOptions.threads`). It may change between runs and on resume.
   */
  readonly threads?: number;
  readonly callbacks?: TrainCallbacks;
}

export interface TrainerOptions {
  /** The network: a description from `defineEpropNetwork`, or its options. */
  readonly network: EpropNetworkDescription | EpropNetworkOptions;
  readonly backend: Backend;
  /** Adam settings; default lr 0.001, beta1 0.9, beta2 0.999, eps 1e-8. */
  readonly optimizer?: AdamOptions;
  /** Loss mask; default the batch's mask when it has one, else every step. */
  readonly lossMask?: LossMaskOption;
  /** Trial length to ask datasets for, in steps; default the dataset's. */
  readonly numSteps?: number;
  /** Initial parameters (spec layout `[post][pre]`), all or some; the rest are drawn from the network's seed. */
  readonly parameters?: Readonly<Record<string, ArrayLike<number>>>;
  /**
   * How hidden-layer eligibility traces are evaluated (both exact): `chunked` per chunk of
   * steps, from per-neuron histories (on the host in WebAssembly, or on the WebGPU backend's
   * device in WGSL), or `perStep` inside the compiled network, every synapse every step.
   * Default `auto`: `chunked` (it does far less work; docs/chunked-eprop.md), except on an
   * engine without WebAssembly SIMD with a backend other than WebGPU, where `perStep`.
   */
  readonly eligibility?: EligibilityMode | "auto";
  /** Steps per chunk for chunked eligibility (default `DEFAULT_CHUNK_STEPS`, 250). */
  readonly chunkSteps?: number;
  /** Where chunked eligibility runs: `host` or `device` (default: the device on WebGPU, else the host); see `EpropRuntimeOptions.chunkedTraces`. */
  readonly chunkedTraces?: ChunkedTraces;
  /**
   * Whether each training runtime evaluates host chunked traces in a worker thread of its own
   * (see `EpropRuntimeOptions.traceThread`; the same gradients either way). Default: yes when
   * training in one thread, no with `threads > 1` (where the training threads already fill
   * the cores; measured in the README's "Threads" section).
   */
  readonly traceThread?: boolean;
}
