/** A projection's carried state and gradient in chunked e-prop on the host (see trace-engine.ts). */
import { FLOAT_BYTES, type ChunkPosition, type ChunkSpikes } from "./trace-engine";
import type { WasmTraceLayer } from "./trace-layer";
import { BLOCK_BYTES, BLOCK_FLOATS, spikeOutputs, stateQuantities } from "./wasm-common";
import { denseThreshold } from "./wasm-spikes";

/** Carried state and gradient of one projection into a `WasmTraceLayer`. */
export class WasmTraceProjection {
  /** Presynaptic traces p(t0) `[batch][numPre]`. */
  readonly p: number;
  /** Per-synapse state b (, a) `[batch][block][numPre][b, a][16]`. */
  readonly state: number;
  /** Gradient `[block][numPre][16]`. */
  readonly gradient: number;
  /** The gradient in core layout `[numPre][numPost]`, written by {@link readGradient}. */
  private readonly gradientOut: number;
  /** Bytes of one presynaptic neuron's state in one block. */
  private readonly stateRowBytes: number;
  /** Start of each (batch element, presynaptic neuron)'s spikes, as addresses into the offsets, `[batch * numPre + 1]`. */
  private readonly rowStart: number;
  /** Counting-sort scratch, `[batch * numPre]`. */
  private readonly cursor: number;
  /** End of each batch element's spikes in `units` and `steps`, `[batch]`. */
  private readonly batchEnds: number;
  /**
   * Dense rows (sortSpikes in wasm-spikes.ts): per (batch element, presynaptic neuron) the end
   * of its silent steps in the offsets, or 0 on the event path `[batch * numPre]`; per batch
   * element the number of dense rows of the chunk, and those of all chunks so far `[batch + 1]`; the sort's step marks `[maxSteps x outputs]`; the
   * application's per-block totals `[block][3][16]`.
   */
  private readonly denseEnd: number;
  private readonly denseRowCounts: number;
  private readonly seenSteps: number;
  private readonly totals: number;
  /** The chunk's spikes (presynaptic neuron, step), and their offsets sorted by (batch element, presynaptic neuron). */
  private units = 0;
  private steps = 0;
  private offsets = 0;
  private spikeCapacity = 0;

  constructor(
    readonly layer: WasmTraceLayer,
    readonly numPre: number,
  ) {
    const { engine, batchSize, numBlocks } = layer;
    this.stateRowBytes = stateQuantities(layer.adaptive) * BLOCK_BYTES;
    this.p = engine.allocate(batchSize * numPre * FLOAT_BYTES);
    this.state = engine.allocate(batchSize * numBlocks * numPre * this.stateRowBytes);
    this.gradient = engine.allocate(numBlocks * numPre * BLOCK_BYTES);
    this.gradientOut = engine.allocate(numPre * layer.numNeurons * FLOAT_BYTES);
    this.rowStart = engine.allocate((batchSize * numPre + 1) * 4);
    this.cursor = engine.allocate(batchSize * numPre * 4);
    this.batchEnds = engine.allocate(batchSize * 4);
    this.denseEnd = engine.allocate(batchSize * numPre * 4);
    this.denseRowCounts = engine.allocate((batchSize + 1) * 4);
    this.seenSteps = engine.allocate(layer.maxSteps * spikeOutputs(layer.adaptive) * 4);
    this.totals = engine.allocate(numBlocks * 3 * BLOCK_BYTES);
    this.eventCursor = new Int32Array(batchSize);
    this.eventEnds = new Int32Array(batchSize);
    this.seen = engine.allocate(numPre * 4);
    this.eventStarts = engine.allocate((batchSize + 1) * 4);
  }

  /** Bytes of per-synapse state (independent of the trial length). */
  get stateBytes(): number {
    const { batchSize, numBlocks } = this.layer;
    return (batchSize * this.stateRowBytes + BLOCK_BYTES) * numBlocks * this.numPre;
  }

  /** The job that reads the spike scratch (the last `apply`'s). */
  private lastJob = 0;

  /** Room for `count` spikes in the scratch arrays (may grow the memory, detaching views). */
  private reserveSpikes(count: number): void {
    if (count > this.spikeCapacity) {
      const engine = this.layer.engine;
      this.spikeCapacity = Math.max(count, 2 * this.spikeCapacity, 1024);
      this.units = engine.allocate(this.spikeCapacity * 4);
      this.steps = engine.allocate(this.spikeCapacity * 4);
      this.offsets = engine.allocate(this.spikeCapacity * 4);
    }
  }

  /** Applies the layer's current chunk with the presynaptic spikes of each batch element. */
  apply(spikes: readonly ChunkSpikes[], position: ChunkPosition): void {
    const layer = this.layer;
    const { engine, batchSize, steps: K } = layer;
    this.checkPosition(position);
    if (spikes.length !== batchSize)
      throw new Error(
        `WasmTraceProjection: expected spikes of ${batchSize} batch elements, got ${spikes.length}.`,
      );
    let total = 0;
    for (const events of spikes) total += events.count;
    // The spike scratch below is read by this projection's calls of the last chunk: wait for them.
    engine.queue.waitFor(this.lastJob);
    // Reserve scratch space first: growing the memory detaches every view made before.
    this.reserveSpikes(total);
    const alphaPowers = layer.alphaPowerTable(K);
    const units = engine.ints(this.units, this.spikeCapacity);
    const steps = engine.ints(this.steps, this.spikeCapacity);
    const batchEnds = engine.ints(this.batchEnds, batchSize);
    let end = 0;
    for (let batch = 0; batch < batchSize; batch++) {
      const events = spikes[batch]!;
      units.set(events.units.subarray(0, events.count), end);
      steps.set(events.steps.subarray(0, events.count), end);
      end += events.count;
      batchEnds[batch] = end;
    }
    this.queueChunk(position, alphaPowers);
  }

  /** Events of a trial taken by the chunks so far: per batch element, the index of the first not taken. */
  private readonly eventCursor: Int32Array;
  /** Per batch element, the end of the chunk's events (scratch). */
  private readonly eventEnds: Int32Array;
  /** collectEvents: per presynaptic neuron, the stamp of its last event `[numPre]`; the chunk's events `[batch + 1]` starts, steps and units. */
  private readonly seen: number;
  private readonly eventStarts: number;
  private eventSteps = 0;
  private eventUnits = 0;
  private eventCapacity = 0;

  /** Starts taking a new trial's events ({@link applyEvents}) from its first step. */
  startEvents(): void {
    this.eventCursor.fill(0);
    this.layer.engine.ints(this.seen, this.numPre).fill(0);
  }

  /**
   * Applies the layer's current chunk with presynaptic spikes given as the trial's events of
   * each batch element (steps ascending, units below numPre): those of the chunk's steps
   * t0 .. t0 + K - 1, taken in order since {@link startEvents}. A presynaptic neuron counts once
   * per step, however often an event repeats (as a spike source does). `numSteps` is the trial length.
   */
  applyEvents(
    events: readonly { readonly steps: Int32Array; readonly units: Int32Array }[],
    t0: number,
    numSteps: number,
    position: ChunkPosition,
  ): void {
    const layer = this.layer;
    const { engine, batchSize, steps: K } = layer;
    this.checkPosition(position);
    if (events.length !== batchSize)
      throw new Error(
        `WasmTraceProjection: expected events of ${batchSize} batch elements, got ${events.length}.`,
      );
    const end = t0 + K;
    const cursor = this.eventCursor;
    const ends = this.eventEnds;
    let total = 0;
    for (let b = 0; b < batchSize; b++) {
      // the first event at or after `end` (steps ascending)
      const steps = events[b]!.steps;
      let lo = cursor[b]!;
      let hi = steps.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (steps[mid]! < end) lo = mid + 1;
        else hi = mid;
      }
      ends[b] = lo;
      total += lo - cursor[b]!;
    }
    // The spike scratch is read by this projection's calls of the last chunk: wait for them.
    engine.queue.waitFor(this.lastJob);
    // Reserve first: growing the memory detaches every view made before.
    this.reserveSpikes(total);
    if (total > this.eventCapacity) {
      this.eventCapacity = Math.max(total, 2 * this.eventCapacity, 1024);
      this.eventSteps = engine.allocate(this.eventCapacity * 4);
      this.eventUnits = engine.allocate(this.eventCapacity * 4);
    }
    const alphaPowers = layer.alphaPowerTable(K);
    const eventSteps = engine.ints(this.eventSteps, this.eventCapacity);
    const eventUnits = engine.ints(this.eventUnits, this.eventCapacity);
    const starts = engine.ints(this.eventStarts, batchSize + 1);
    let at = 0;
    for (let b = 0; b < batchSize; b++) {
      const from = cursor[b]!;
      const to = ends[b]!;
      starts[b] = at;
      eventSteps.set(events[b]!.steps.subarray(from, to), at);
      eventUnits.set(events[b]!.units.subarray(from, to), at);
      at += to - from;
      cursor[b] = to;
    }
    starts[batchSize] = at;
    engine.kernels.collectEvents(
      this.eventSteps,
      this.eventUnits,
      this.eventStarts,
      batchSize,
      this.seen,
      1,
      numSteps,
      t0,
      this.units,
      this.steps,
      this.batchEnds,
    );
    this.queueChunk(position, alphaPowers);
  }

  private checkPosition(position: ChunkPosition): void {
    if (this.layer.gradientOnly && !position.last) {
      throw new Error(
        "WasmTraceProjection: the layer's coefficients are the gradient's only (computeCoefficients({ last: true })); this chunk carries state out.",
      );
    }
  }

  /** Queues the chunk's calls on the spikes in the scratch: the spike sort, the application and the presynaptic traces. */
  private queueChunk(position: ChunkPosition, alphaPowers: number): void {
    const layer = this.layer;
    const { engine, batchSize, steps: K } = layer;
    const numPre = this.numPre;
    const { queue } = engine;
    this.lastJob = queue.pendingJob;
    const spikeArgs = [batchSize, numPre, this.units, this.steps, this.batchEnds] as const;
    queue.call(
      "sortSpikes",
      ...spikeArgs,
      this.rowStart,
      this.cursor,
      this.offsets,
      layer.stepBytes,
      K,
      this.seenSteps,
      this.denseEnd,
      this.denseRowCounts,
      denseThreshold(K, layer.numBlocks * (position.last ? 1 : spikeOutputs(layer.adaptive))),
    );
    // One task per block of post neurons: the worker thread and this one (while it waits) share them.
    queue.callShared(
      "apply",
      layer.numBlocks,
      batchSize,
      numPre,
      layer.numBlocks,
      this.rowStart,
      this.offsets,
      layer.spikeCoefficients,
      layer.historyBatchBytes,
      layer.historyBlockBytes,
      layer.carriedCoefficients,
      this.p,
      this.state,
      this.gradient,
      position.first ? 0 : 1,
      position.last ? 0 : 1,
      layer.adaptive ? 1 : 0,
      K,
      this.denseEnd,
      this.denseRowCounts,
      this.totals,
    );
    // p(t1) = alpha^K p(t0) + sum over spikes alpha^(K - 1 - step)
    if (!position.last)
      queue.call("advanceTraces", ...spikeArgs, this.p, alphaPowers, K, position.first ? 1 : 0);
  }

  /** Copies `[block][pre][16]`-blocked values of one batch element into `[pre][numNeurons]`. */
  private unblock(
    address: number,
    quantity: number,
    quantities: number,
    out: Float32Array,
    outOffset: number,
  ): void {
    const { engine, numNeurons, numBlocks } = this.layer;
    const numPre = this.numPre;
    const view = engine.floats(address, numBlocks * numPre * quantities * BLOCK_FLOATS);
    for (let block = 0; block < numBlocks; block++) {
      const width = Math.min(BLOCK_FLOATS, numNeurons - block * BLOCK_FLOATS);
      let from = quantity * BLOCK_FLOATS + block * numPre * quantities * BLOCK_FLOATS;
      let to = outOffset + block * BLOCK_FLOATS;
      for (let i = 0; i < numPre; i++, from += quantities * BLOCK_FLOATS, to += numNeurons) {
        for (let l = 0; l < width; l++) out[to + l] = view[from + l]!;
      }
    }
  }

  /** The gradient summed over batch and trials so far, `[numPre][numPost]` (a copy). */
  readGradient(): Float32Array {
    return this.gradientView().slice();
  }

  /**
   * The gradient summed over batch and trials so far, `[numPre][numPost]`, as a view of the
   * module memory: valid (and free to change) until the next chunk is queued or the memory grows.
   */
  gradientView(): Float32Array {
    const { engine, numBlocks, numNeurons } = this.layer;
    engine.wait();
    engine.kernels.unblock(
      this.gradient,
      this.numPre,
      numBlocks,
      BLOCK_BYTES,
      this.gradientOut,
      numNeurons,
    );
    return engine.floats(this.gradientOut, this.numPre * numNeurons);
  }

  /**
   * The carried per-synapse state after the last applied chunk, `[batch][numPre][numPost]` each
   * (a copy; `a` is empty for a non-adaptive layer). Meaningful after a chunk that carried state out.
   */
  readState(): { b: Float32Array; a: Float32Array } {
    this.layer.engine.wait();
    const { batchSize, numNeurons, numBlocks, adaptive } = this.layer;
    const quantities = stateQuantities(adaptive);
    const perBatch = this.numPre * numNeurons;
    const b = new Float32Array(batchSize * perBatch);
    const a = new Float32Array(adaptive ? batchSize * perBatch : 0);
    const batchBytes = numBlocks * this.numPre * this.stateRowBytes;
    for (let batch = 0; batch < batchSize; batch++) {
      this.unblock(this.state + batch * batchBytes, 0, quantities, b, batch * perBatch);
      if (adaptive)
        this.unblock(this.state + batch * batchBytes, 1, quantities, a, batch * perBatch);
    }
    return { b, a };
  }

  /**
   * How many (batch element, presynaptic neuron) rows took the dense path (their sum formed as
   * the chunk's total less the silent steps; wasm-spikes.ts `sortSpikes`): in the last applied
   * chunk, and in all chunks since the projection was made. Waits for the queued jobs. For tests
   * and benchmarks.
   */
  denseRows(): { readonly lastChunk: number; readonly total: number } {
    const { engine, batchSize } = this.layer;
    engine.wait();
    const counts = engine.ints(this.denseRowCounts, batchSize + 1);
    return {
      lastChunk: counts.subarray(0, batchSize).reduce((sum, count) => sum + count, 0),
      total: counts[batchSize]!,
    };
  }

  zeroGradient(): void {
    this.layer.engine.wait();
    this.layer.engine
      .floats(this.gradient, this.layer.numBlocks * this.numPre * BLOCK_FLOATS)
      .fill(0);
  }
}
