import type { Backend, CompileOptions } from "@snn/core";
import type { AdamOptions, EligibilityMode, ReadoutSoftmaxPlace } from "./compile";
import type { ParameterSet } from "./parameters";

/** What one trial produced, per batch element (padding elements included, with zeros). */
export interface TrialOutputs {
  readonly numSteps: number;
  /** Batch elements with data. */
  readonly count: number;
  /** Cross-entropy summed over the masked steps, per element. */
  readonly loss: Float64Array;
  /** argmax_k sum_t m(t) pi_k(t), per element. */
  readonly predictions: Int32Array;
  /** argmax_k sum_t m(t) y_k(t) (sum-of-readout prediction), per element. */
  readonly readoutSumPredictions: Int32Array;
  /** Spikes in the trial's T steps per hidden layer and element (summed over neurons). */
  readonly spikeCounts: Readonly<Record<string, Float64Array>>;
}

/** Adam state in the spec layout: the step count and both moments of every trainable parameter. */
export interface OptimizerState {
  readonly step: number;
  readonly m: ParameterSet;
  readonly v: ParameterSet;
}

export interface EpropRuntimeOptions {
  readonly backend: Backend;
  readonly batchSize: number;
  /** Default `train`. */
  readonly mode?: "train" | "inference";
  readonly optimizer?: AdamOptions;
  /** Initial parameters in the spec layout, all or some; the rest are drawn from the description's seed. */
  readonly parameters?: Readonly<Record<string, ArrayLike<number>>>;
  readonly compileOptions?: CompileOptions;
  /**
   * Training: evaluate hidden-layer eligibility traces every step in the compiled network
   * (`perStep`), or per chunk of `chunkSteps` steps on the host with WebAssembly SIMD
   * (`chunked`, docs/chunked-eprop.md; the forward pass still runs on the backend, whose
   * per-step state is read back). Default `perStep`.
   */
  readonly eligibility?: EligibilityMode;
  /** Steps per chunk for `chunked` eligibility. Default {@link DEFAULT_CHUNK_STEPS}. */
  readonly chunkSteps?: number;
  /**
   * `chunked` eligibility: evaluate each chunk's traces in a worker thread while the next
   * chunk's forward pass runs (default true; used where the engine has shared WebAssembly
   * memory and worker threads, i.e. Node 20.16+). The gradients are the same to the bit.
   */
  readonly traceThread?: boolean;
  /**
   * Where `chunked` eligibility is evaluated: on the host in WebAssembly (`host`; the backend's
   * per-step state is read back every step), or on the backend's own device in WGSL (`device`,
   * WebGPU only: nothing is read back inside a trial). Default: `device` where the backend
   * offers it (the WebGPU backend), else `host`.
   */
  readonly chunkedTraces?: ChunkedTraces;
  /**
   * Inference: where the readout's softmax, loss and output sums are computed. `host`: from y,
   * read after every step, with the max-subtracted softmax of chunked training
   * (readout-softmax.ts; 10 exp per step and batch element for 10 outputs), the network holding
   * only the leaky-integrator readout; `network`: by the readout's own softmax projection in the
   * network (an exp per output pair), with no per-step reads. Default: `network` on the WebGPU
   * backend (a read per step would cost a device round trip), else `host`. Training fixes it
   * (host with chunked eligibility, network per step): give it only in inference.
   */
  readonly readoutSoftmax?: ReadoutSoftmaxPlace;
  /**
   * Inference: run trials (those without `afterStep`) as fused inference where it reproduces
   * the compiled network, one WebAssembly call per run of steps instead of the network's kernels
   * step by step (inference/fused-inference.ts; the CPU backend, one hidden layer, the softmax on
   * the host), with the same results to the bit. Default true; false always steps the network.
   */
  readonly fusedInference?: boolean;
  /**
   * Chunked training on the host (`chunkedTraces: 'host'`): run trials (those without
   * `afterStep`) as fused training where the fused forward pass reproduces the compiled network
   * (the conditions of {@link fusedInference}: the CPU backend with WebAssembly SIMD, one hidden
   * LIF/ALIF layer): one WebAssembly call per run of steps within a chunk, instead of the
   * network's kernels step by step, that also does the host step (psi, firing rate and r(u) into
   * the chunk history), with the rest of the host's per-step work on its outputs after it
   * (inference/fused-training.ts). Gradients, losses and parameters are the same to the bit.
   * Default true; false always steps the network.
   */
  readonly fusedTraining?: boolean;
}

/** Where chunked eligibility is evaluated (see {@link EpropRuntimeOptions.chunkedTraces}). */
export type ChunkedTraces = "host" | "device";

/**
 * Default chunk length (steps) of chunked eligibility, chosen from the `eprop` benchmark: on
 * two cores 250 steps beat 100, 125, 200 and 300 at T = 250 (one chunk: no per-synapse state
 * crosses a boundary) and 100 and 200 at T = 500 to 2000, where each boundary streams the
 * per-synapse state (62 MB at the benchmark size) through memory; 500 was no faster.
 * The histories grow with K, O(neurons x batch x K): the state is 144 MiB at the benchmark size
 * with K = 250, against 99.6 MiB with K = 100 (59 MiB of it the per-synapse state).
 */
export const DEFAULT_CHUNK_STEPS = 250;
