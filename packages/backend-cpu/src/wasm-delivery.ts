/**
 * WebAssembly spike delivery for the commonest weight update, `addToPost(g)` with a float
 * per-synapse weight `g`: each presynaptic spike adds its row of weights to the postsynaptic
 * input. Dense rows use SIMD (below); sparse (compressed) rows are added one synapse at a time. In generated JavaScript that is one scalar float32 add per
 * synapse and event; here the row is added four lanes at a time, 32 postsynaptic neurons per
 * block kept in registers while all of the step's spikes are summed into them.
 *
 * The results are bit-identical to the JavaScript kernel: every postsynaptic element receives
 * the same float32 additions in the same (spike) order.
 */
import type { CheckedSnippet } from "@snn/core";
import { wasm } from "@snn/core/internal";

const { op, forLoop, numbered } = wasm;
const { get, set, i32, f32, v128, f32x4 } = op;

/**
 * The weight variable's name when `preSpike` is exactly `addToPost(g)` for a per-synapse
 * variable `g` of type float; null for any other code.
 */
export function accumulatedWeight(preSpike: CheckedSnippet | null): string | null {
  if (!preSpike || preSpike.kind !== "statements") return null;
  const statements = preSpike.body.statements;
  if (statements.length !== 1) return null;
  const statement = statements[0]!;
  if (statement.kind !== "expression") return null;
  const call = statement.expression;
  if (call.callee !== "addToPost" || call.args.length !== 1) return null;
  const argument = call.args[0]!;
  if (
    argument.kind !== "identifier" ||
    argument.binding.kind !== "var" ||
    argument.type !== "float"
  )
    return null;
  return argument.binding.name;
}

/** Vectors (of 4 floats) per register block. */
const BLOCK_VECTORS = 8;
const BLOCK_BYTES = BLOCK_VECTORS * 16;

/**
 * accumulateDense(spikes, counts, weights, weightBatchBytes, target, batchSize, spikeBatchBytes, rowBytes):
 * for each batch element b and each of its `counts[b]` spikes i (listed at `spikes + b * spikeBatchBytes`),
 * target[b][j] += weights[b][i][j] for every j, in spike order. Addresses and strides are in bytes;
 * `rowBytes` is 4 x the number of postsynaptic neurons (also the target's batch stride);
 * `weightBatchBytes` is 0 for weights shared by the batch.
 */
export function accumulateDenseKernel(): wasm.FunctionDefinition {
  const params = [
    "spikes",
    "counts",
    "weights",
    "weightBatchBytes",
    "target",
    "batchSize",
    "spikeBatchBytes",
    "rowBytes",
  ] as const;
  const p = numbered(params);
  const localNames = [
    "b",
    "count",
    "spikeList",
    "targetRow",
    "weightBase",
    "j",
    "k",
    "row",
    "blockEnd",
    "vectorEnd",
  ] as const;
  const l = numbered(localNames, params.length);
  const accumulators = Array.from(
    { length: BLOCK_VECTORS },
    (_, m) => params.length + localNames.length + m,
  );
  const targetAddress: wasm.Code = [get(l.targetRow), get(l.j), i32.add];
  /** row = address of element j in the weight row of the k-th spike. */
  const spikeRow: wasm.Code = [
    get(l.spikeList),
    get(l.k),
    i32.const(2),
    i32.shl,
    i32.add,
    i32.load(),
    get(p.rowBytes),
    i32.mul,
    get(l.weightBase),
    i32.add,
    get(l.j),
    i32.add,
    set(l.row),
  ];
  /** Sums every spike's row into `vectors` registers over the block at j, then stores them. */
  const block = (vectors: number): wasm.Code => {
    const used = accumulators.slice(0, vectors);
    return [
      used.map((acc, m) => [targetAddress, v128.load(16 * m), set(acc)]),
      forLoop(
        l.k,
        i32.const(0),
        get(l.count),
        1,
        spikeRow,
        used.map((acc, m) => [get(acc), get(l.row), v128.load(16 * m), f32x4.add, set(acc)]),
      ),
      used.map((acc, m) => [targetAddress, get(acc), v128.store(16 * m)]),
    ];
  };
  const body: wasm.Code = [
    [get(p.rowBytes), i32.const(-BLOCK_BYTES), i32.and, set(l.blockEnd)],
    [get(p.rowBytes), i32.const(-16), i32.and, set(l.vectorEnd)],
    forLoop(
      l.b,
      i32.const(0),
      get(p.batchSize),
      1,
      [get(p.counts), get(l.b), i32.const(2), i32.shl, i32.add, i32.load(), set(l.count)],
      [get(p.spikes), get(l.b), get(p.spikeBatchBytes), i32.mul, i32.add, set(l.spikeList)],
      [get(p.target), get(l.b), get(p.rowBytes), i32.mul, i32.add, set(l.targetRow)],
      [get(p.weights), get(l.b), get(p.weightBatchBytes), i32.mul, i32.add, set(l.weightBase)],
      forLoop(l.j, i32.const(0), get(l.blockEnd), BLOCK_BYTES, block(BLOCK_VECTORS)),
      forLoop(l.j, get(l.blockEnd), get(l.vectorEnd), 16, block(1)),
      // scalar tail: element by element, spikes in order
      forLoop(
        l.j,
        get(l.vectorEnd),
        get(p.rowBytes),
        4,
        forLoop(
          l.k,
          i32.const(0),
          get(l.count),
          1,
          spikeRow,
          targetAddress,
          targetAddress,
          f32.load(),
          get(l.row),
          f32.load(),
          f32.add,
          f32.store(),
        ),
      ),
    ),
  ];
  return {
    name: "accumulateDense",
    params: params.map(() => "i32" as const),
    locals: [...localNames.map(() => "i32" as const), ...accumulators.map(() => "v128" as const)],
    body,
  };
}

/**
 * accumulateSparse(spikes, counts, weights, weightBatchBytes, target, batchSize, spikeBatchBytes, rowBytes, rowStart, postIndex):
 * as {@link accumulateDenseKernel} over compressed rows: for each spike i, target[b][postIndex[s]] += weights[b][s]
 * for the synapses s of rowStart[i] .. rowStart[i + 1] - 1, in spike order, then row order (as the JavaScript).
 */
export function accumulateSparseKernel(): wasm.FunctionDefinition {
  const params = [
    "spikes",
    "counts",
    "weights",
    "weightBatchBytes",
    "target",
    "batchSize",
    "spikeBatchBytes",
    "rowBytes",
    "rowStart",
    "postIndex",
  ] as const;
  const p = numbered(params);
  const localNames = [
    "b",
    "count",
    "spikeList",
    "targetRow",
    "weightBase",
    "k",
    "synapse",
    "rowEnd",
    "address",
  ] as const;
  const l = numbered(localNames, params.length);
  /** Loads rowStart[i + offset] for the k-th spike's i. */
  const rowBound = (offset: number): wasm.Code => [
    get(l.spikeList),
    get(l.k),
    i32.const(2),
    i32.shl,
    i32.add,
    i32.load(),
    i32.const(2),
    i32.shl,
    get(p.rowStart),
    i32.add,
    i32.load(4 * offset),
  ];
  const body: wasm.Code = forLoop(
    l.b,
    i32.const(0),
    get(p.batchSize),
    1,
    [get(p.counts), get(l.b), i32.const(2), i32.shl, i32.add, i32.load(), set(l.count)],
    [get(p.spikes), get(l.b), get(p.spikeBatchBytes), i32.mul, i32.add, set(l.spikeList)],
    [get(p.target), get(l.b), get(p.rowBytes), i32.mul, i32.add, set(l.targetRow)],
    [get(p.weights), get(l.b), get(p.weightBatchBytes), i32.mul, i32.add, set(l.weightBase)],
    forLoop(
      l.k,
      i32.const(0),
      get(l.count),
      1,
      rowBound(1),
      set(l.rowEnd),
      forLoop(
        l.synapse,
        rowBound(0),
        get(l.rowEnd),
        1,
        // address = target row + 4 * postIndex[synapse]
        [
          get(l.synapse),
          i32.const(2),
          i32.shl,
          get(p.postIndex),
          i32.add,
          i32.load(),
          i32.const(2),
          i32.shl,
          get(l.targetRow),
          i32.add,
          set(l.address),
        ],
        get(l.address),
        get(l.address),
        f32.load(),
        get(l.synapse),
        i32.const(2),
        i32.shl,
        get(l.weightBase),
        i32.add,
        f32.load(),
        f32.add,
        f32.store(),
      ),
    ),
  );
  return {
    name: "accumulateSparse",
    params: params.map(() => "i32" as const),
    locals: localNames.map(() => "i32" as const),
    body,
  };
}
