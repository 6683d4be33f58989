/**
 * The chunked e-prop evaluation (docs/chunked-eprop.md) in WebAssembly with SIMD. A hidden
 * layer's per-neuron histories and chunk coefficients (`WasmTraceLayer`, trace-layer.ts), its
 * learning signal (`WasmFeedback`, trace-feedback.ts) and each incoming projection's carried
 * state and gradient (`WasmTraceProjection`, trace-projection.ts) live in the one module memory
 * of a `WasmTraceEngine` (this file), rows padded to whole register blocks of 16 neurons
 * (wasm-kernels.ts gives the layouts).
 *
 * Per synapse (post j, pre i) and batch element, every step t (@snn/eprop's docs/chunked-eprop.md):
 *   a(t) = psi(t-1) p(t-1) + (rho - psi(t-1) beta) a(t-1),  e(t) = psi(t) (p(t) - beta a(t)),
 *   b(t) = kappa b(t-1) + e(t),  g += L(t) b(t) + r(t) e(t),  p(t) = alpha p(t-1) + s(t).
 * Over a chunk of K steps each output is linear in the carried-in state and the chunk's
 * presynaptic spikes, with per-neuron coefficients from three backward passes.
 */
import { EpropConfigError } from "../errors";
import { KernelQueue } from "./trace-thread";
import { sharedMemory } from "./trace-thread-hosts";
import { BLOCK_BYTES, BLOCK_FLOATS } from "./wasm-common";
import { chunkKernelModule, SHARED_MAXIMUM_PAGES } from "./wasm-kernels";

/**
 * Presynaptic spikes of one chunk for one batch element: parallel arrays sorted by step,
 * `steps` relative to the chunk's first step (0..K-1), `units` the presynaptic neuron;
 * `count` valid entries (the arrays may be longer, reused buffers).
 */
export interface ChunkSpikes {
  readonly steps: Int32Array;
  readonly units: Int32Array;
  readonly count: number;
}

/** Where a chunk lies in its trial: the first starts from zero state, the last need not carry state out. */
export interface ChunkPosition {
  /** The carried-in state is zero (first chunk of a trial): its terms are skipped. */
  readonly first: boolean;
  /** The carried-out state is not needed (last chunk of a trial): only the gradient is computed. */
  readonly last: boolean;
}

/** Bytes of a float32. */
export const FLOAT_BYTES = 4;
const PAGE_BYTES = 65536;
/** Allocations start on a cache line (one register block). */
const ALIGNMENT = BLOCK_BYTES;

/** Rows of `n` floats padded to a multiple of {@link BLOCK_FLOATS} (one register block, one cache line). */
export function paddedRow(n: number): number {
  return Math.ceil(n / BLOCK_FLOATS) * BLOCK_FLOATS;
}

/** The kernels of the chunk module (wasm-kernels.ts), called with addresses and sizes. */
export interface Kernels {
  backward(...args: number[]): void;
  apply(...args: number[]): void;
  feedback(...args: number[]): void;
  sortSpikes(...args: number[]): void;
  advanceTraces(...args: number[]): void;
  hostStep(...args: number[]): void;
  learningSignal(...args: number[]): void;
  unblock(...args: number[]): void;
  readoutGradient(...args: number[]): void;
  collectEvents(...args: number[]): void;
}

export interface TraceEngineOptions {
  /**
   * Evaluate each chunk's traces in a worker thread while the next chunk's forward pass runs
   * (default true; used where the engine has shared WebAssembly memory and Node's worker
   * threads, see trace-thread.ts). The results are the same to the bit either way.
   */
  readonly thread?: boolean;
}

/** One WebAssembly instance and a bump allocator over its memory, and the queue of chunk-end kernel calls. */
export class WasmTraceEngine {
  /** The module memory (fused training runs its forward kernel in it too). */
  readonly memory: WebAssembly.Memory;
  /** Whether {@link memory} is shared (with the worker thread). */
  readonly shared: boolean;
  /** Kernels called directly on this thread (the per-step learning signal, and tests). */
  readonly kernels: Kernels;
  /** The chunk-end calls (backward, sort, apply, traces), run as one job (trace-thread.ts). */
  readonly queue: KernelQueue;
  private top = ALIGNMENT;

  constructor(options: TraceEngineOptions = {}) {
    const shared = options.thread === false ? null : sharedMemory(SHARED_MAXIMUM_PAGES);
    this.memory = shared ?? new WebAssembly.Memory({ initial: 1 });
    this.shared = shared !== null;
    const module = chunkKernelModule(shared ? "shared" : "plain");
    const instance = new WebAssembly.Instance(module, { env: { memory: this.memory } });
    this.kernels = instance.exports as unknown as Kernels;
    this.grownBuffer = this.memory.buffer;
    this.queue = new KernelQueue(this.memory, module, this.kernels, shared !== null);
  }

  /** Runs the queued chunk-end calls and waits for them: call before reading or changing state they use. */
  wait(): void {
    this.queue.wait();
  }

  /** Stops the worker thread, if any. */
  dispose(): void {
    this.queue.dispose();
  }

  /**
   * Reserves `bytes` (cache-line aligned, zeroed) and returns the address. Throws
   * {@link EpropConfigError} when the memory cannot hold them (a WebAssembly memory holds 4 GiB).
   */
  allocate(bytes: number): number {
    const address = this.top;
    const top = Math.ceil((this.top + bytes) / ALIGNMENT) * ALIGNMENT;
    const needed = top - this.memory.buffer.byteLength;
    if (needed > 0) {
      try {
        this.memory.grow(Math.ceil(needed / PAGE_BYTES));
        this.grownBuffer = this.memory.buffer;
      } catch (error) {
        if (!(error instanceof RangeError)) throw error;
        const gib = (n: number): string => `${(n / 2 ** 30).toFixed(2)} GiB`;
        throw new EpropConfigError(
          `Chunked e-prop on the host needs more memory than a WebAssembly memory holds (4 GiB): ${gib(this.top)} in use, ${gib(bytes)} more asked for. ` +
            "Its per-synapse state takes batch x synapses x 2 floats (ALIF) and its histories batch x neurons x chunkSteps x 3 floats (twice). " +
            "Use a smaller batch size (or keep it and train in micro-batches: Trainer's microBatchSize, snn train --micro-batch), a smaller chunkSteps, fewer neurons, or the WebGPU backend (chunkedTraces: 'device').",
        );
      }
    }
    this.top = top;
    return address;
  }

  /** Bytes of memory in use. */
  get bytes(): number {
    return this.top;
  }

  /** Bytes of memory reserved (in use or free); allocating beyond it grows the memory. */
  get capacityBytes(): number {
    return this.memory.buffer.byteLength;
  }

  private heap: Float32Array = new Float32Array(0);

  /** The memory's buffer since it last grew (only {@link allocate} grows it). */
  private grownBuffer: ArrayBufferLike;

  /**
   * The memory's buffer now: a view of an older one is detached (a shared memory's is not, but
   * it does not reach the new pages). Read once per growth: a shared memory's `buffer` is slow.
   */
  get buffer(): ArrayBufferLike {
    return this.grownBuffer;
  }

  /** A float view of the whole memory (index = address / 4), renewed when the memory has grown. */
  get heapFloats(): Float32Array {
    if (this.heap.buffer !== this.grownBuffer) this.heap = new Float32Array(this.grownBuffer);
    return this.heap;
  }

  private heapInt: Int32Array = new Int32Array(0);

  /** An int32 view of the whole memory (index = address / 4), renewed when the memory has grown. */
  get heapInts(): Int32Array {
    if (this.heapInt.buffer !== this.grownBuffer) this.heapInt = new Int32Array(this.grownBuffer);
    return this.heapInt;
  }

  floats(address: number, length: number): Float32Array {
    return new Float32Array(this.memory.buffer, address, length);
  }

  doubles(address: number, length: number): Float64Array {
    return new Float64Array(this.memory.buffer, address, length);
  }

  ints(address: number, length: number): Int32Array {
    return new Int32Array(this.memory.buffer, address, length);
  }
}
