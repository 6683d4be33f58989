/**
 * What the fused forward pass (fused-kernel.ts) adds for chunked training on the host
 * (fused-training.ts): the training neuron's pseudo-derivative and its `PsiSpike` encoding
 * (neuron-models.ts `EpropHidden*Chunked`, models.ts), and the per-step outputs the host's chunk
 * evaluation reads (`PsiSpike` and the readout's y of every step of a run). The same float32
 * operations in the same order as the compiled network's neuron kernel:
 *
 *   Psi0 = refractory ? 0 : PsiScale * max(0, 1 - abs(V - Thr) / Vthresh)
 *   PsiSpike = spike ? -max(Psi0, 2^-126) : Psi0
 */
import { wasm } from "@snn/core/internal";

const { op } = wasm;
const { get, set, i32, v128, f32x4 } = op;
type Code = wasm.Code;

/** The registers of one vector of the neuron update (locals) and the constants (code that pushes them). */
export interface PsiRegisters {
  /** V after the update, the threshold Thr = v_th + beta A, the refractory lanes (before the count-down), the spiking lanes. */
  readonly v: number;
  readonly thr: number;
  readonly refr: number;
  readonly spk: number;
  readonly vth: Code;
  readonly one: Code;
  readonly psiScale: Code;
  readonly psiFloor: Code;
}

/** Pushes the vector's `PsiSpike` (see the file's comment). */
export function psiSpikeVector(r: PsiRegisters): Code {
  const zero: Code = v128.constI32([0, 0, 0, 0]);
  return [
    // -max(Psi0, floor) at a spike, Psi0 elsewhere
    zero,
    r.psiScale,
    zero,
    r.one,
    get(r.v),
    get(r.thr),
    f32x4.sub,
    f32x4.abs,
    r.vth,
    f32x4.div,
    f32x4.sub,
    f32x4.max,
    f32x4.mul,
    get(r.refr),
    v128.bitselect,
    // Psi0 on the stack: keep it for both arms of the select
    op.tee(r.thr),
    r.psiFloor,
    f32x4.max,
    f32x4.neg,
    get(r.thr),
    get(r.spk),
    v128.bitselect,
  ];
}

/**
 * Sets `psiAt` and `yAt`, the byte addresses of this step's `PsiSpike` and y rows of element `b`
 * (locals), for step `s` of the run that began at parameter `first`: row (s - first) * batchSize + b.
 */
export function trainingStepAddresses(
  training: { readonly psiSpike: number; readonly y: number },
  locals: { readonly psiAt: number; readonly yAt: number; readonly s: number; readonly b: number },
  params: { readonly first: number; readonly batchSize: number },
  rowBytes: number,
  outRowBytes: number,
): Code {
  const row: Code = [
    get(locals.s),
    get(params.first),
    i32.sub,
    get(params.batchSize),
    i32.mul,
    get(locals.b),
    i32.add,
  ];
  return [
    row,
    i32.const(rowBytes),
    i32.mul,
    i32.const(training.psiSpike),
    i32.add,
    set(locals.psiAt),
    row,
    i32.const(outRowBytes),
    i32.mul,
    i32.const(training.y),
    i32.add,
    set(locals.yAt),
  ];
}

/** Copies the element's y (`vectors` vectors at `state + offset`) to its row at `yAt`. */
export function yOutput(yAt: number, state: Code, offset: number, vectors: number): Code {
  return Array.from({ length: vectors }, (_, k) => [
    get(yAt),
    state,
    v128.load(offset + 16 * k),
    v128.store(16 * k),
  ]);
}
