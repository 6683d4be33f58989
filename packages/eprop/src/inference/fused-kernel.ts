/**
 * The WebAssembly kernel of fused inference (fused-inference.ts): every step of an e-prop LSNN
 * with one hidden LIF/ALIF layer, for every batch element, in one call. Per element and step it
 * does what the compiled network's six kernels do (spike source, input and recurrent delivery,
 * the hidden neuron update, readout delivery and the readout's leaky integrator), with the same
 * float32 operations in the same order, so that its results are the network's to the bit:
 *
 * - the hidden layer in blocks of 16 neurons (four SIMD vectors): the input rows of this step's
 *   input spikes summed into four registers from zero, in ascending unit order (the spike source
 *   array's order), then the recurrent rows of the last step's hidden spikes in their (ascending)
 *   order into four more, and Isyn = inSyn(input) + inSyn(recurrent), as the network's
 *   postsynaptic models add them (an accumulator that starts at +0 never holds -0, so the
 *   network's `0 + inSyn` is inSyn itself);
 * - the ALIF update of neuron-models.ts (`EpropHidden*Infer`) on those registers, the spiking neurons
 *   appended to this step's spike list in ascending order (two lists per element, this step's
 *   and the last's);
 * - the readout: y = (kappa y + sum of the readout rows of this step's spikes) + bias.
 *
 * Memory (byte addresses in {@link FusedLayout}): weights `[pre][row]` with rows padded to 16
 * hidden neurons (or 4 readout units) with zeros; per element its state, two spike lists, and
 * a header `[count of list 0, count of list 1, spikes in the trial]`; the input events as
 * per-element, per-step ranges `inStart[b][s] .. inStart[b][s + 1]` into `inUnits`.
 */
import { wasm } from "@snn/core/internal";
import type { KernelExtension } from "./fused-kernel-extension";

const { op } = wasm;
const { get, set, tee, i32, f32, v128, f32x4, i32x4 } = op;
type Code = wasm.Code;

/** Hidden neurons per register block (four vectors). */
export const BLOCK_NEURONS = 16;

/** Where everything lives in the kernel's memory, and the network's constants. */
export interface FusedLayout {
  /** Hidden neurons, and the row length padded to {@link BLOCK_NEURONS}. */
  readonly hidden: number;
  readonly hiddenPadded: number;
  /** Readout units, and padded to 4. */
  readonly outputs: number;
  readonly outputsPadded: number;
  /** `[input][hiddenPadded]` weights. */
  readonly inputWeights: number;
  /** `[hidden][hiddenPadded]` weights, or -1 without a recurrent projection. */
  readonly recurrentWeights: number;
  /** `[hidden][outputsPadded]` weights. */
  readonly readoutWeights: number;
  /** `[hiddenPadded]` adaptation strengths and `[outputsPadded]` readout biases. */
  readonly beta: number;
  readonly bias: number;
  /** First element's state, and the bytes per element. */
  readonly state: number;
  readonly elementBytes: number;
  /** Offsets within an element: `[hiddenPadded]` V, A, Z, RefLeft (an i32 count, see the ALIF update); `[outputsPadded]` Y; two `[hiddenPadded]` i32 spike lists; the 16-byte header. */
  readonly offsets: {
    readonly v: number;
    readonly a: number;
    readonly z: number;
    readonly refLeft: number;
    readonly y: number;
    readonly lists: number;
    readonly header: number;
  };
  /** Per-element `[numSteps + 1]` i32 starts into `inUnits` (bytes per element: `inStartStride`). */
  readonly inStart: number;
  readonly inStartStride: number;
  /** i32 input units, ascending and without duplicates within a step. */
  readonly inUnits: number;
  /** `[inputs + hidden]` i32 scratch: one step's row addresses. */
  readonly scratch: number;
  /** 16-byte splats of the constants, in {@link CONSTANTS} order (loaded into locals by the kernel). */
  readonly constants: number;
  /** The neuron parameters (float32 as the network holds them). */
  readonly alpha: number;
  readonly rho: number;
  readonly vThresh: number;
  /** A whole number of steps (checked by `fusablePlan`). */
  readonly refracHold: number;
  readonly kappa: number;
}

const PARAMS = ["first", "count", "batchSize"] as const;

/** The constants' splats in memory at {@link FusedLayout.constants}, in this order. */
export const CONSTANTS = ["alpha", "rho", "vThresh", "one", "kappa", "refracHold"] as const;

/** The constants' values in {@link CONSTANTS} order: float32 but for `refracHold`, an i32. */
export function constantValues(l: FusedLayout): number[] {
  return [l.alpha, l.rho, l.vThresh, 1, l.kappa, l.refracHold];
}

/**
 * `run(first, count, batchSize)`: steps first .. first + count - 1 of every batch element (with
 * `extension`, its parameters follow).
 */
export function fusedInferenceKernel(
  l: FusedLayout,
  extension: KernelExtension | null = null,
): wasm.FunctionDefinition {
  const params = [...PARAMS, ...(extension?.params ?? [])];
  const p = wasm.numbered(PARAMS);
  const frame = new wasm.Frame(params.length);
  const int = (): number => frame.local("i32");
  const vec = (): number => frame.local("v128");
  const [b, s, st, step, prevList, prevCount, curList, cur] = [
    int(),
    int(),
    int(),
    int(),
    int(),
    int(),
    int(),
    int(),
  ];
  const [inBeg, inEnd, blk, e, row, bits] = [int(), int(), int(), int(), int(), int()];
  const [rowsEnd, inRowsEnd, base] = [int(), int(), int()];
  const acc = frame.locals("v128", 4);
  const rec = frame.locals("v128", 4);
  const outVectors = l.outputsPadded / 4;
  const out = frame.locals("v128", outVectors);
  const [z, a, v, refr, spk, rl] = [vec(), vec(), vec(), vec(), vec(), vec()];
  /**
   * The constants' splats, loaded into locals once from memory (see {@link FusedLayout.constants}):
   * splats of `f32.const` would be rebuilt inside the loops (three instructions each use) where
   * registers run short; loaded values are kept or spilled (one load).
   */
  const constLocals = CONSTANTS.map(() => vec());
  const constant = (name: (typeof CONSTANTS)[number]): Code =>
    get(constLocals[CONSTANTS.indexOf(name)]!);
  const [alpha, rho, vth, one, kappa, hold] = CONSTANTS.map(constant) as [
    Code,
    Code,
    Code,
    Code,
    Code,
    Code,
  ];
  /** Whether the last block has padding neurons (which never join a spike list). */
  const padded = l.hiddenPadded !== l.hidden;
  const rowBytes = l.hiddenPadded * 4;
  const outRowBytes = l.outputsPadded * 4;
  const listBytes = l.hiddenPadded * 4;
  const o = l.offsets;
  const recurrent = l.recurrentWeights >= 0;
  const ext = extension?.build({
    frame,
    params: Object.fromEntries(params.map((name, k) => [name, k])),
    ...{ b, s, st, blk, e, cur, v, refr, spk, vth, one },
  });

  /** `acc[k] += row[16k]` for the rows of the units listed at `list[first .. end)`. */
  const sumRows = (
    registers: readonly number[],
    weights: number,
    stride: number,
    units: Code,
    begin: Code,
    end: Code,
    offset: Code,
  ): Code => [
    registers.map((r) => [f32.const(0), f32x4.splat, set(r)]),
    wasm.forLoop(e, begin, end, 1, [
      [units, get(e), i32.const(2), i32.shl, i32.add, i32.load()],
      i32.const(stride),
      i32.mul,
      i32.const(weights),
      i32.add,
      offset,
      i32.add,
      set(row),
      registers.map((r, k) => [get(r), get(row), v128.load(16 * k), f32x4.add, set(r)]),
    ]),
  ];

  /**
   * The row addresses `weights + unit * stride` of the units listed at `units[begin .. end)`,
   * written from `rowsEnd` on (which ends past them).
   */
  const rowAddresses = (
    weights: number,
    stride: number,
    units: Code,
    begin: Code,
    end: Code,
  ): Code =>
    wasm.forLoop(e, begin, end, 1, [
      get(rowsEnd),
      [units, get(e), i32.const(2), i32.shl, i32.add, i32.load()],
      i32.const(stride),
      i32.mul,
      i32.const(weights),
      i32.add,
      i32.store(),
      get(rowsEnd),
      i32.const(4),
      i32.add,
      set(rowsEnd),
    ]);

  /** `registers[k] = sum of row[offset + 16k]` over the row addresses at `from .. to` (bytes), in order. */
  const sumRowsAt = (registers: readonly number[], from: Code, to: Code, offset: Code): Code => [
    registers.map((r) => [f32.const(0), f32x4.splat, set(r)]),
    wasm.forLoop(e, from, to, 4, [
      get(e),
      i32.load(),
      offset,
      i32.add,
      set(row),
      registers.map((r, k) => [get(r), get(row), v128.load(16 * k), f32x4.add, set(r)]),
    ]),
  ];

  /**
   * The ALIF update of vector `k` of the block at byte `blk` of element state `st`; its spike
   * lanes join the block's 16-bit mask `bits` (bit 4k + lane).
   */
  const neuronVector = (k: number): Code => {
    /** The block's address in the element's state (the field's offset is the access's immediate). */
    const at: Code = get(base);
    const off = (offset: number): number => offset + 16 * k;
    return [
      // A = rho A + Z (Z of the last step)
      at,
      v128.load(off(o.z)),
      set(z),
      at,
      rho,
      at,
      v128.load(off(o.a)),
      f32x4.mul,
      get(z),
      f32x4.add,
      tee(a),
      v128.store(off(o.a)),
      // V = (alpha V + Isyn) - vth Z
      alpha,
      at,
      v128.load(off(o.v)),
      f32x4.mul,
      get(acc[k]!),
      f32x4.add,
      vth,
      get(z),
      f32x4.mul,
      f32x4.sub,
      set(v),
      // refractory: RefLeft > 0.5, then RefLeft -= 1. RefracHold is a whole number of steps, so
      // RefLeft is one too (0 .. RefracHold): kept as an i32, refractory is RefLeft > 0, and the
      // lane mask (-1) added to it counts it down.
      at,
      v128.load(off(o.refLeft)),
      tee(rl),
      v128.constI32([0, 0, 0, 0]),
      i32x4.gtS,
      tee(refr),
      get(rl),
      i32x4.add,
      set(rl),
      // spike: not refractory and V > Thr, Thr = vth + beta A
      get(v),
      vth,
      get(blk),
      v128.load(l.beta + 16 * k),
      get(a),
      f32x4.mul,
      f32x4.add,
      ext?.thr != null ? op.tee(ext.thr) : [],
      f32x4.gt,
      get(refr),
      v128.andNot,
      set(spk),
      at,
      get(v),
      v128.store(off(o.v)),
      ext ? ext.vector(k) : [],
      at,
      get(spk),
      one,
      v128.and,
      v128.store(off(o.z)),
      // RefLeft = RefracHold on a spike (where RefLeft is 0: no spike while refractory)
      at,
      hold,
      get(spk),
      v128.and,
      get(rl),
      v128.or,
      v128.store(off(o.refLeft)),
      get(spk),
      i32x4.bitmask,
      k === 0 ? [] : [i32.const(4 * k), i32.shl, get(bits), i32.or],
      set(bits),
    ];
  };

  /** Neuron `e` onto this step's list. */
  const append: Code = [
    ext ? ext.append : [],
    get(curList),
    get(cur),
    i32.const(2),
    i32.shl,
    i32.add,
    get(e),
    i32.store(),
    get(cur),
    i32.const(1),
    i32.add,
    set(cur),
  ];

  /** The block's spiking neurons (mask `bits`) onto this step's list, ascending. */
  const listSpikes: Code = [
    get(bits),
    op.if([
      get(blk),
      i32.const(2),
      i32.shrU,
      set(row),
      op.block(
        op.loop(
          get(bits),
          i32.eqz,
          op.brIf(1),
          get(row),
          get(bits),
          i32.ctz,
          i32.add,
          set(e),
          // padding neurons (spiking only where vth <= 0) are never listed
          padded ? [get(e), i32.const(l.hidden), i32.ltU, op.if(append)] : append,
          get(bits),
          get(bits),
          i32.const(1),
          i32.sub,
          i32.and,
          set(bits),
          op.br(0),
        ),
      ),
    ]),
  ];

  const header = (slot: Code): Code => [get(st), slot, i32.const(2), i32.shl, i32.add];

  const stepBody: Code = [
    // this step's list (s & 1) and the last step's
    get(st),
    i32.const(o.lists),
    i32.add,
    get(s),
    i32.const(1),
    i32.and,
    i32.const(listBytes),
    i32.mul,
    i32.add,
    set(curList),
    ext ? ext.stepStart : [],
    get(st),
    i32.const(o.lists),
    i32.add,
    get(s),
    i32.const(1),
    i32.and,
    i32.const(1),
    i32.xor,
    i32.const(listBytes),
    i32.mul,
    i32.add,
    set(prevList),
    header([get(s), i32.const(1), i32.and, i32.const(1), i32.xor]),
    i32.load(o.header),
    set(prevCount),
    i32.const(0),
    set(cur),
    // this step's input events
    i32.const(l.inStart),
    get(b),
    i32.const(l.inStartStride),
    i32.mul,
    i32.add,
    get(s),
    i32.const(2),
    i32.shl,
    i32.add,
    tee(e),
    i32.load(),
    set(inBeg),
    get(e),
    i32.load(4),
    set(inEnd),
    // the rows of this step's input spikes and of the last step's hidden spikes, once per step
    i32.const(l.scratch),
    set(rowsEnd),
    rowAddresses(l.inputWeights, rowBytes, i32.const(l.inUnits), get(inBeg), get(inEnd)),
    get(rowsEnd),
    set(inRowsEnd),
    recurrent
      ? rowAddresses(l.recurrentWeights, rowBytes, get(prevList), i32.const(0), get(prevCount))
      : [],
    wasm.forLoop(blk, i32.const(0), i32.const(rowBytes), BLOCK_NEURONS * 4, [
      sumRowsAt(acc, i32.const(l.scratch), get(inRowsEnd), get(blk)),
      // Isyn = inSyn(input) + inSyn(recurrent), into acc
      recurrent
        ? [
            sumRowsAt(rec, get(inRowsEnd), get(rowsEnd), get(blk)),
            acc.map((r, k) => [get(r), get(rec[k]!), f32x4.add, set(r)]),
          ]
        : [],
      get(st),
      get(blk),
      i32.add,
      set(base),
      [0, 1, 2, 3].map(neuronVector),
      listSpikes,
    ]),
    header([get(s), i32.const(1), i32.and]),
    get(cur),
    i32.store(o.header),
    get(st),
    get(st),
    i32.load(o.header + 8),
    get(cur),
    i32.add,
    i32.store(o.header + 8),
    // the readout: y = (kappa y + sum of this step's readout rows) + bias
    sumRows(out, l.readoutWeights, outRowBytes, get(curList), i32.const(0), get(cur), i32.const(0)),
    out.map((r, k) => [
      get(st),
      kappa,
      get(st),
      v128.load(o.y + 16 * k),
      f32x4.mul,
      get(r),
      f32x4.add,
      i32.const(l.bias + 16 * k),
      v128.load(),
      f32x4.add,
      v128.store(o.y + 16 * k),
    ]),
    ext ? ext.stepEnd : [],
  ];

  const body: Code = [
    constLocals.map((r, k) => [i32.const(0), v128.load(l.constants + 16 * k), set(r)]),
    ext ? ext.start : [],
    wasm.forLoop(b, i32.const(0), get(p.batchSize), 1, [
      i32.const(l.state),
      get(b),
      i32.const(l.elementBytes),
      i32.mul,
      i32.add,
      set(st),
      get(p.first),
      get(p.count),
      i32.add,
      set(step),
      wasm.forLoop(s, get(p.first), get(step), 1, stepBody),
    ]),
  ];
  return { name: "run", params: params.map(() => "i32"), locals: frame.declared, body };
}
