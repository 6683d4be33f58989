/** Spikes into kernel order: the counting sort of a chunk's spikes (with dense rows) and the collection of input events. */
import {
  add,
  type Code,
  forLoop,
  Frame,
  type FunctionDefinition,
  get,
  i32,
  I32_SHR_U,
  numbered,
  op,
  set,
  tee,
} from "./wasm-common";

const SPIKE_PARAMS = [
  "batchSize",
  "numPre",
  "units",
  "steps",
  "batchEnds",
  "rowStart",
  "cursor",
  "offsets",
  "stepBytes",
  "K",
  "seen",
  "denseEnd",
  "denseRows",
  "denseMin",
] as const;

/**
 * The fewest spikes in a chunk of K steps for which a presynaptic neuron's row is applied as
 * the complement (the chunk's total coefficients less those of its silent steps), when each
 * spike or silent step costs `lines` coefficient lines (blocks of post neurons x outputs): the
 * complement saves 2 spikes - K lines per block and output, and costs one pass over the spikes
 * and one over the K steps in the sort (each about as costly as one line, measured); so a row is
 * dense where (2 spikes - K) lines >= spikes + K. The totals of the chunk (K lines per block and
 * output, per batch element with a dense row) are left out: shared by the dense rows.
 */
export function denseThreshold(K: number, lines: number): number {
  return lines < 1 ? K + 1 : Math.ceil((K * (lines + 1)) / (2 * lines - 1));
}

/**
 * sortSpikes(batchSize, numPre, units, steps, batchEnds, rowStart, cursor, offsets, stepBytes,
 *            K, seen, denseEnd, denseRows, denseMin):
 * counting sort of a chunk's spikes (`units`, `steps`: i32 per spike, batch element b's from
 * index batchEnds[b - 1] (0 for b = 0) to batchEnds[b]) by (batch element, presynaptic neuron),
 * keeping step order. Writes `offsets` (step x stepBytes per spike) and `rowStart`
 * `[batch * numPre + 1]` (addresses into offsets); `cursor` `[batch * numPre]` is scratch.
 *
 * Dense rows: where a row (batch element, presynaptic neuron) has at least denseMin spikes
 * ({@link denseThreshold}), all at distinct steps 0 .. K - 1, its entries in `offsets` are replaced by those of its
 * silent steps (ascending), ending at denseEnd[row] (an address into offsets, i32
 * `[batch * numPre]`; 0 for a row left as it is), and denseRows[b] (i32 `[batch + 1]`) counts batch
 * element b's dense rows, denseRows[batch] those of every call so far (never reset here). `seen` (i32, K x stepBytes / 64 entries) is scratch.
 */
export function sortSpikesKernel(): FunctionDefinition {
  const p = numbered(SPIKE_PARAMS);
  const frame = new Frame(SPIKE_PARAMS.length);
  const b = frame.local("i32"),
    e = frame.local("i32"),
    end = frame.local("i32"),
    k = frame.local("i32"),
    slot = frame.local("i32");
  const address = frame.local("i32"),
    rows = frame.local("i32");
  const limit = frame.local("i32"),
    threshold = frame.local("i32"),
    stamp = frame.local("i32"),
    unique = frame.local("i32"),
    count = frame.local("i32"),
    i = frame.local("i32");
  const atIndex = (base: number, index: Code): Code => [
    index,
    i32.const(2),
    i32.shl,
    get(base),
    i32.add,
  ];
  /** Address of seen[offset / 64] (offsets are whole multiples of 64 bytes). */
  const seenAt = (offset: Code): Code => [offset, i32.const(4), I32_SHR_U, get(p.seen), i32.add];
  // Per row: the steps of its spikes marked with the row's stamp; if they are distinct and within the chunk, the silent steps replace them.
  const denseRow: Code = [
    [get(k), i32.const(1), i32.add, set(stamp)],
    [i32.const(1), set(unique)],
    forLoop(e, get(address), get(end), 4, [
      get(e),
      i32.load(),
      tee(slot),
      get(limit),
      i32.geU,
      op.if(
        [i32.const(0), set(unique)],
        [
          [
            seenAt(get(slot)),
            tee(slot),
            i32.load(),
            get(stamp),
            i32.eq,
            op.if([i32.const(0), set(unique)]),
          ],
          [get(slot), get(stamp), i32.store()],
        ],
      ),
    ]),
    [
      get(unique),
      op.if([
        [get(address), set(e)],
        forLoop(
          slot,
          i32.const(0),
          get(limit),
          0, // step: stepBytes, below
          // branch-free: the step is written always, and kept (e advances) if silent
          [get(e), get(slot), i32.store()],
          [
            seenAt(get(slot)),
            i32.load(),
            get(stamp),
            i32.ne,
            i32.const(2),
            i32.shl,
            get(e),
            i32.add,
            set(e),
          ],
          [get(slot), get(p.stepBytes), i32.add, set(slot)],
        ),
        [get(p.denseEnd), get(k), i32.add, get(e), i32.store()],
        add(count, 1),
      ]),
    ],
  ];
  const denseRows: Code = [
    [get(p.K), get(p.stepBytes), i32.mul, set(limit)],
    [get(p.denseMin), i32.const(2), i32.shl, set(threshold)], // in bytes of offsets
    forLoop(e, i32.const(0), [get(limit), i32.const(4), I32_SHR_U], 4, [
      get(p.seen),
      get(e),
      i32.add,
      i32.const(0),
      i32.store(),
    ]),
    i32.const(0),
    set(k),
    forLoop(
      b,
      i32.const(0),
      get(p.batchSize),
      1,
      i32.const(0),
      set(count),
      forLoop(
        i,
        i32.const(0),
        get(p.numPre),
        1,
        [get(p.denseEnd), get(k), i32.add, i32.const(0), i32.store()],
        [get(p.rowStart), get(k), i32.add, tee(address), i32.load(4), set(end)],
        [get(address), i32.load(), set(address)],
        [get(end), get(address), i32.sub, get(threshold), i32.geS, op.if(denseRow)],
        add(k, 4),
      ),
      [atIndex(p.denseRows, get(b)), get(count), i32.store()],
      [
        atIndex(p.denseRows, get(p.batchSize)),
        tee(slot),
        get(slot),
        i32.load(),
        get(count),
        i32.add,
        i32.store(),
      ],
    ),
  ];
  /** For every spike e of every batch element b: body, with `slot` = address of cursor[b * numPre + unit]. */
  const eachSpike = (...body: Code[]): Code => [
    i32.const(0),
    set(e),
    forLoop(
      b,
      i32.const(0),
      get(p.batchSize),
      1,
      [atIndex(p.batchEnds, get(b)), i32.load(), set(end)],
      forLoop(
        e,
        get(e),
        get(end),
        1,
        [get(b), get(p.numPre), i32.mul, atIndex(p.units, get(e)), i32.load(), i32.add, set(slot)],
        [atIndex(p.cursor, get(slot)), set(slot)],
        body,
      ),
    ),
  ];
  const body: Code = [
    [get(p.batchSize), get(p.numPre), i32.mul, i32.const(2), i32.shl, set(rows)],
    forLoop(k, i32.const(0), get(rows), 4, [
      get(p.cursor),
      get(k),
      i32.add,
      i32.const(0),
      i32.store(),
    ]),
    // counts
    eachSpike([get(slot), get(slot), i32.load(), i32.const(1), i32.add, i32.store()]),
    // starts
    [get(p.offsets), set(address)],
    forLoop(
      k,
      i32.const(0),
      get(rows),
      4,
      [get(p.cursor), get(k), i32.add, i32.load(), set(end)],
      [get(p.rowStart), get(k), i32.add, get(address), i32.store()],
      [get(p.cursor), get(k), i32.add, get(address), i32.store()],
      [get(address), get(end), i32.const(2), i32.shl, i32.add, set(address)],
    ),
    [get(p.rowStart), get(rows), i32.add, get(address), i32.store()],
    // scatter
    eachSpike(
      [get(slot), i32.load(), set(address)],
      [get(address), atIndex(p.steps, get(e)), i32.load(), get(p.stepBytes), i32.mul, i32.store()],
      [get(slot), get(address), i32.const(4), i32.add, i32.store()],
    ),
    denseRows,
  ];
  return {
    name: "sortSpikes",
    params: Array(SPIKE_PARAMS.length).fill("i32"),
    locals: frame.declared,
    body,
  };
}

const EVENT_PARAMS = [
  "eventSteps",
  "eventUnits",
  "batchStarts",
  "batchSize",
  "seen",
  "firstStamp",
  "stampsPerBatch",
  "t0",
  "units",
  "steps",
  "batchEnds",
] as const;

/**
 * collectEvents(eventSteps, eventUnits, batchStarts, batchSize, seen, firstStamp, stampsPerBatch,
 *               t0, units, steps, batchEnds)
 * a chunk's input events as spike lists: batch element b's events are at batchStarts[b] ..
 * batchStarts[b + 1] - 1 of eventSteps and eventUnits (i32, steps ascending); each becomes the
 * spike (unit, step - t0) at units and steps (b's end at batchEnds[b]), but a channel counts once
 * per step: seen[unit] (i32 per channel) holds the stamp firstStamp + b stampsPerBatch + step of
 * its last event, and a repeated stamp is dropped.
 */
export function collectEventsKernel(): FunctionDefinition {
  const p = numbered(EVENT_PARAMS);
  const frame = new Frame(EVENT_PARAMS.length);
  const b = frame.local("i32"),
    e = frame.local("i32"),
    end = frame.local("i32"),
    out = frame.local("i32"),
    step = frame.local("i32");
  const unit = frame.local("i32"),
    slot = frame.local("i32"),
    stamp = frame.local("i32");
  const atIndex = (base: number, index: Code): Code => [
    index,
    i32.const(2),
    i32.shl,
    get(base),
    i32.add,
  ];
  const body: Code = [
    i32.const(0),
    set(out),
    forLoop(
      b,
      i32.const(0),
      get(p.batchSize),
      1,
      [atIndex(p.batchStarts, get(b)), i32.load(), set(e)],
      [atIndex(p.batchStarts, get(b)), i32.load(4), set(end)],
      forLoop(
        e,
        get(e),
        get(end),
        1,
        [atIndex(p.eventSteps, get(e)), i32.load(), set(step)],
        [atIndex(p.eventUnits, get(e)), i32.load(), set(unit)],
        [
          get(p.firstStamp),
          get(b),
          get(p.stampsPerBatch),
          i32.mul,
          i32.add,
          get(step),
          i32.add,
          set(stamp),
        ],
        [
          atIndex(p.seen, get(unit)),
          tee(slot),
          i32.load(),
          get(stamp),
          i32.ne,
          op.if([
            [get(slot), get(stamp), i32.store()],
            [atIndex(p.units, get(out)), get(unit), i32.store()],
            [atIndex(p.steps, get(out)), get(step), get(p.t0), i32.sub, i32.store()],
            [get(out), i32.const(1), i32.add, set(out)],
          ]),
        ],
      ),
      [atIndex(p.batchEnds, get(b)), get(out), i32.store()],
    ),
  ];
  return {
    name: "collectEvents",
    params: Array(EVENT_PARAMS.length).fill("i32"),
    locals: frame.declared,
    body,
  };
}
