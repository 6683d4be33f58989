/**
 * A projection's synapse step (core's step-program.ts) compiled to a WebAssembly function with
 * the loops and order of the generated JavaScript (js-synapses.ts): per batch element, the
 * `preSpike` code for each synapse of each presynaptic neuron that spikes (unless the
 * `addToPost(g)` delivery kernel of wasm-delivery.ts does it), then the `synapseDynamics` code
 * for every synapse, each synapse's variables loaded before its code and stored after it.
 * Along a dense row the postsynaptic neurons go four at a time (SIMD, wasm-vector-snippet.ts), the
 * rest one by one: every postsynaptic element receives the same float32 operations in the same
 * order, and `addToPre` adds a row's values to the presynaptic input lane by lane, in order.
 *
 * Sparse rows (in the order of their synapses) and one-to-one synapses go one at a time.
 * Random numbers are counted per synapse, as in the JavaScript. Returns null (the kernel stays
 * in JavaScript) for code that writes a presynaptic variable along a dense row, and code the
 * snippet compilers do not compile bit-identically.
 */
import type { Binding, KernelPlan, PlannedProjection, ScalarType } from "@snn/core";
import {
  bindingKey,
  wasm,
  type PreSpikeSite,
  type SynapseSite,
  type SynapseStep,
} from "@snn/core/internal";
import type { NetworkStorage } from "./storage";
import { effectTarget, siteVar } from "./stored-vars";
import { StorageLocals } from "./wasm-neurons";
import { ElementKernel } from "./wasm-element-kernel";
import {
  NotCompilable,
  SnippetCompiler,
  type EffectCompiler,
  type ResolvedBinding,
} from "./wasm-snippet";
import {
  elementLoops,
  LANES,
  VectorSnippetCompiler,
  type ElementKernelDefinition,
} from "./wasm-vector-snippet";
import { RandomSite, type RandomCounter } from "./wasm-random";

const { op, forLoop } = wasm;
const { get, set, i32, f32, v128, f32x4, i32x4 } = op;
type Code = wasm.Code;

/** The WebAssembly version of a projection's synapse kernel (without the delivery kernel's part): `name(trialStep: i32)`, or null. */
export function synapseKernelWasm(
  plan: KernelPlan,
  storage: NetworkStorage,
  step: SynapseStep,
  name: string,
  preSpikeDelivered: boolean,
  philox: number,
): ElementKernelDefinition | null {
  if (storage.memory === null) return null;
  const projection = plan.projections[step.projection]!;
  if (
    projection.connectivity.kind === "sparse" &&
    storage.projections[projection.index]!.rows === null
  )
    return null;
  const preSpike = preSpikeDelivered ? null : step.preSpike;
  const dynamics = step.synapseDynamics;
  if (!preSpike && !dynamics) return null;
  try {
    return compileSynapseKernel(plan, storage, projection, name, preSpike, dynamics, philox);
  } catch (error) {
    if (error instanceof NotCompilable) return null;
    throw error;
  }
}

function compileSynapseKernel(
  plan: KernelPlan,
  storage: NetworkStorage,
  projection: PlannedProjection,
  name: string,
  preSpike: PreSpikeSite | null,
  dynamics: SynapseSite | null,
  philox: number,
): ElementKernelDefinition {
  const kernel = new ElementKernel(plan.dt);
  const { locals, batch: b, element: j } = kernel;
  const i = locals.local("i32"); // presynaptic neuron
  const k = locals.local("i32"); // spike of the step
  const syn = locals.local("i32"); // i * nPost + j
  const synapseIndex = locals.local("i32"); // b * numSynapses + syn
  const postIndex = locals.local("i32"); // b * nPost + j
  const preIndex = locals.local("i32"); // b * nPre + i
  const pre = plan.populations[projection.pre]!;
  const post = plan.populations[projection.post]!;
  const nPre = pre.size;
  const nPost = post.size;
  const projectionStorage = storage.projections[projection.index]!;
  const preStorage = storage.populations[projection.pre]!;
  // The targets of addToPost and addToPre (the same for both sites of the step).
  const targets = (preSpike ?? dynamics)!;
  const postTarget = effectTarget(storage, targets.addToPost);
  const preTarget = targets.addToPre === null ? undefined : effectTarget(storage, targets.addToPre);

  const address = (array: { byteOffset: number }, index: number) => (): Code => [
    get(index),
    i32.const(2),
    i32.shl,
    i32.const(array.byteOffset),
    i32.add,
  ];
  /** The code of one synapse (lanes 1) or of the four synapses j .. j+3 of row i (lanes 4). */
  const synapseCode = (s: SynapseSite, lanes: 1 | 4): Code => {
    const vector = lanes === LANES;
    const { usage } = s;
    const field = s.code.field;
    const lookup = (binding: Binding) => siteVar(storage, s.storage, binding).stored;
    // Random numbers: counter (synapse, batch element, global step, ...), the call count per synapse.
    const counter: RandomCounter = {
      element: (lane) => (lane === 0 ? get(syn) : [get(syn), i32.const(lane), i32.add]),
      batch: get(b),
      step: get(kernel.globalStep),
      philox,
    };
    const randomSite = usage.random
      ? new RandomSite(locals, counter, s.rngStream, field, vector)
      : null;
    const draw = randomSite
      ? (kind: "uniform" | "normal", mask: number | null) => randomSite.call(kind, mask)
      : null;
    const writes = usage.stored;
    const site = new StorageLocals(locals, lanes);
    const resolve = (binding: Binding, type: ScalarType): ResolvedBinding => {
      const dynamic = projectionStorage.params;
      const param = vector
        ? kernel.vectorParam(binding, type, projection.params, projection.derivedParams, dynamic)
        : kernel.param(binding, type, projection.params, projection.derivedParams, dynamic);
      if (param) return param;
      const key = bindingKey(binding);
      switch (binding.kind) {
        case "var": {
          const stored = lookup(binding);
          return site.bind(
            key,
            type,
            address(stored.array, stored.planned.batched ? synapseIndex : syn),
            writes.has(key),
          );
        }
        case "postVar": {
          const stored = lookup(binding);
          return site.bind(
            key,
            type,
            address(stored.array, stored.planned.batched ? postIndex : j),
            writes.has(key),
          );
        }
        case "preVar": {
          const stored = lookup(binding);
          const at = address(stored.array, stored.planned.batched ? preIndex : i);
          if (!writes.has(key)) return site.bindUniform(key, type, at);
          // Written by every synapse of the row in turn: only one synapse at a time does that.
          if (vector) throw new NotCompilable("a presynaptic variable written by synapse code");
          return site.bind(key, type, at, true);
        }
        case "neuronVarRef": {
          // Read-only, as in the generated JavaScript.
          const stored = lookup(binding);
          if (binding.side === "pre")
            return site.bindUniform(
              key,
              type,
              address(stored.array, stored.planned.batched ? preIndex : i),
            );
          return site.bind(
            key,
            type,
            address(stored.array, stored.planned.batched ? postIndex : j),
            false,
          );
        }
        case "builtin":
          return builtin(binding, vector);
        default:
          throw new Error(`internal error: weight-update code cannot refer to ${binding.kind}`);
      }
    };
    const compiled = vector
      ? new VectorSnippetCompiler(
          locals,
          resolve,
          effects(vector),
          (lanes) => kernel.vectorConstant(lanes),
          draw,
        ).statements(s.code.snippet)
      : new SnippetCompiler(locals, resolve, effects(vector), draw).statements(s.code.snippet);
    return [
      // dense: the synapse from (i, j); sparse and one-to-one loops set syn and j themselves
      projection.connectivity.kind === "dense"
        ? [get(i), i32.const(nPost), i32.mul, get(j), i32.add, set(syn)]
        : [],
      [get(b), i32.const(projection.numSynapses), i32.mul, get(syn), i32.add, set(synapseIndex)],
      [get(b), i32.const(nPost), i32.mul, get(j), i32.add, set(postIndex)],
      randomSite?.reset(field) ?? [],
      site.wrap(compiled),
    ];
  };

  /** `id` (the synapse), `id_pre`, `id_post` and the element kernel's built-ins. */
  const builtin = (binding: Binding & { kind: "builtin" }, vector: boolean): ResolvedBinding => {
    const lanesFrom = (local: number): Code => [
      get(local),
      i32x4.splat,
      v128.constI32([0, 1, 2, 3]),
      i32x4.add,
    ];
    switch (binding.name) {
      case "id":
        return vector ? { value: lanesFrom(syn) } : { local: syn };
      case "id_pre":
        return vector ? { value: [get(i), i32x4.splat] } : { local: i };
      case "id_post":
        return vector ? { value: lanesFrom(j) } : { local: j };
      default:
        return vector ? kernel.vectorBuiltin(binding) : kernel.builtin(binding);
    }
  };

  /** addToPost into the postsynaptic input at (b, j..), addToPre into the presynaptic input at (b, i), as the JavaScript's `+=`. */
  const effects =
    (vector: boolean): EffectCompiler =>
    (callee, value, mask) => {
      const target = callee === "addToPost" ? postTarget : preTarget;
      if (target === undefined) throw new NotCompilable(`${callee}() without a target`);
      if (callee === "addToPost") {
        const at = address(target, postIndex);
        if (!vector) return [at(), at(), f32.load(), value, f32.add, f32.store()];
        const sum: Code = [at(), v128.load(), value, f32x4.add];
        return mask === null
          ? [at(), sum, v128.store()]
          : [at(), sum, at(), v128.load(), get(mask), v128.bitselect, v128.store()];
      }
      const at = address(target, preIndex);
      if (!vector) return [at(), at(), f32.load(), value, f32.add, f32.store()];
      // The four synapses' values in order of j, each where its lane runs.
      const values = locals.local("v128");
      const lanes: Code[] = [];
      for (let lane = 0; lane < LANES; lane++) {
        const add: Code = [
          at(),
          at(),
          f32.load(),
          get(values),
          f32x4.extractLane(lane),
          f32.add,
          f32.store(),
        ];
        lanes.push(mask === null ? add : [get(mask), i32x4.extractLane(lane), op.if(add)]);
      }
      return [value, set(values), lanes];
    };

  /** The code over the synapses of row i: four at a time along a dense row, else one by one (sparse: the row's synapses in order; one-to-one: synapse i onto neuron i). */
  const overRow = (code: SynapseSite): { loops: Code; simd: boolean } => {
    const connectivity = projection.connectivity.kind;
    if (connectivity === "dense")
      return elementLoops(j, nPost, (lanes) => synapseCode(code, lanes));
    if (connectivity === "oneToOne")
      return {
        loops: [get(i), set(j), get(i), set(syn), synapseCode(code, 1)],
        simd: false,
      };
    const rows = projectionStorage.rows!;
    const rowEnd = locals.local("i32");
    const word = (array: Int32Array, index: Code): Code => [
      index,
      i32.const(2),
      i32.shl,
      i32.const(array.byteOffset),
      i32.add,
      i32.load(),
    ];
    return {
      loops: [
        word(rows.rowStart, [get(i), i32.const(1), i32.add]),
        set(rowEnd),
        forLoop(
          syn,
          word(rows.rowStart, get(i)),
          get(rowEnd),
          1,
          word(rows.postIndex, get(syn)),
          set(j),
          synapseCode(code, 1),
        ),
      ],
      simd: false,
    };
  };
  const rowStart: Code = [get(b), i32.const(nPre), i32.mul, get(i), i32.add, set(preIndex)];
  const parts: Code[] = [];
  let simd = true;
  if (preSpike) {
    const source = preSpike.delayed ? preStorage.previousSpikes : preStorage.spikes;
    const counts = preSpike.delayed ? preStorage.previousSpikeCount : preStorage.spikeCount;
    const count = locals.local("i32");
    const { loops, simd: vectorised } = overRow(preSpike);
    simd &&= vectorised;
    parts.push([
      [
        get(b),
        i32.const(2),
        i32.shl,
        i32.const(counts.byteOffset),
        i32.add,
        i32.load(),
        set(count),
      ],
      forLoop(
        k,
        i32.const(0),
        get(count),
        1,
        [
          get(b),
          i32.const(nPre),
          i32.mul,
          get(k),
          i32.add,
          i32.const(2),
          i32.shl,
          i32.const(source.byteOffset),
          i32.add,
          i32.load(),
          set(i),
        ],
        rowStart,
        loops,
      ),
    ]);
  }
  if (dynamics) {
    const { loops, simd: vectorised } = overRow(dynamics);
    simd &&= vectorised;
    parts.push(forLoop(i, i32.const(0), i32.const(nPre), 1, rowStart, loops));
  }
  const body: Code = [
    kernel.computeTime(),
    forLoop(b, i32.const(0), i32.const(plan.batchSize), 1, parts),
  ];
  return { ...kernel.definition(name, body), simd };
}
