import type {
  Binding,
  CheckedSnippet,
  KernelPlan,
  PlannedCustomUpdate,
  PlannedPopulation,
  PlannedProjection,
  PlannedVar,
  PlannedVarRef,
} from "@snn/core";
import { analyseSnippet, RANDOM_FIELD } from "@snn/core/internal";
import { MATH_WGSL, PHILOX_WGSL, RNG_WGSL, SPECIAL_FLOATS_WGSL } from "../wgsl/philox";
import { type PrintScope, WgslPrinter, wgslType } from "../wgsl/printer";
import type { CodeWriter } from "../wgsl/code-writer";
import {
  type BindingRef,
  type DispatchShape,
  type KernelInstance,
  KernelBuilder,
  type Shader,
  WORKGROUP_SIZE,
} from "./kernel-builder";
import {
  type Allocation,
  type Arena,
  planStorage,
  type StorageLayout,
  type StorageRequest,
} from "./layout";
import { plannedVariables, StorageRef, type VarStorageRef } from "./storage";

/** Everything a runtime needs: storage layout, shaders, kernel instances and the order to run them. */
export interface GeneratedKernels {
  readonly layout: StorageLayout;
  readonly shaders: readonly Shader[];
  readonly instances: readonly KernelInstance[];
  /** Instances run in every timestep, in order (the clock update last). */
  readonly stepSequence: readonly number[];
  /** Per custom update group: for each update, its instances in order and where its run counter lives. */
  readonly customUpdates: Readonly<Record<string, readonly CustomUpdateSequence[]>>;
  /** Words per (step, batch element) of each population's spike bit fields: ceil(size / 32). */
  readonly spikeWords: readonly number[];
}

export interface CustomUpdateSequence {
  readonly update: number;
  readonly instances: readonly number[];
  /** Instance whose uniform block holds `run_count`, and the byte offset of that field; null when the update draws no random numbers. */
  readonly runCount: { readonly instance: number; readonly byteOffset: number } | null;
}

export interface GenerateOptions {
  /** Largest storage buffer binding, bytes (the device's maxStorageBufferBindingSize). */
  readonly maxBindingBytes: number;
}

/** The arena a scalar type is stored in. */
export function arenaOf(type: PlannedVar["type"]): Arena {
  return type === "float" ? "f32" : "u32";
}

/** Sparse connectivity tables: CSR by pre (rows), and by post (columns) for post-parallel delivery. */
export interface SparseTables {
  readonly rowStart: Uint32Array;
  readonly colStart: Uint32Array;
  /** Synapse indices sorted by post, then pre. */
  readonly colSynapse: Uint32Array;
  /** The presynaptic neuron of each entry of `colSynapse`. */
  readonly colPre: Uint32Array;
}

export function sparseTables(projection: PlannedProjection, nPost: number): SparseTables | null {
  const c = projection.connectivity;
  if (c.kind !== "sparse") return null;
  const colStart = new Uint32Array(nPost + 1);
  for (let s = 0; s < c.postIndex.length; s++) colStart[c.postIndex[s]! + 1]!++;
  for (let j = 0; j < nPost; j++) colStart[j + 1]! += colStart[j]!;
  const fill = colStart.slice(0, nPost);
  const colSynapse = new Uint32Array(c.postIndex.length);
  for (let s = 0; s < c.postIndex.length; s++) colSynapse[fill[c.postIndex[s]!]!++] = s;
  const colPre = colSynapse.map((synapse) => c.preIndex[synapse]!);
  return { rowStart: Uint32Array.from(c.rowStart), colStart, colSynapse, colPre };
}

function storageRequests(plan: KernelPlan): StorageRequest[] {
  const B = plan.batchSize;
  const requests: StorageRequest[] = [];
  const describeOwner = ({ owner, role }: VarStorageRef): string => {
    const i = owner.index;
    if (owner.kind === "population") return `population '${plan.populations[i]!.name}'`;
    if (owner.kind === "customUpdate") return `custom update '${plan.customUpdates[i]!.name}'`;
    const what =
      role === "synapse"
        ? ""
        : role === "postsynaptic"
          ? "postsynaptic model of "
          : `${role}synaptic variables of `;
    return `${what}projection '${plan.projections[i]!.name}'`;
  };
  for (const { variable, ref } of plannedVariables(plan)) {
    const copies = variable.batched ? B : 1;
    requests.push({
      ref,
      label: `Variable '${variable.name}' of ${describeOwner(ref)} (${copies > 1 ? `batch ${copies} x ` : ""}${variable.size} elements)`,
      arena: arenaOf(variable.type),
      length: variable.size * copies,
      batchCopies: copies,
    });
  }
  plan.populations.forEach((p) => {
    requests.push({
      ref: StorageRef.spikes(p.index),
      label: `The spike bits of population '${p.name}' (2 steps x batch ${B} x ${p.size} neurons)`,
      arena: "u32",
      length: 2 * B * Math.ceil(p.size / 32),
      batchCopies: B,
    });
    for (const name of p.additionalInputs) {
      requests.push({
        ref: StorageRef.additionalInput(p.index, name),
        label: `Additional input '${name}' of population '${p.name}' (batch ${B} x ${p.size})`,
        arena: "f32",
        length: B * p.size,
        batchCopies: B,
      });
    }
  });
  plan.projections.forEach((p) => {
    const nPre = plan.populations[p.pre]!.size;
    const nPost = plan.populations[p.post]!.size;
    if (p.postsynaptic) {
      requests.push({
        ref: StorageRef.inSyn(p.index),
        label: `The input (inSyn) of projection '${p.name}' (batch ${B} x ${nPost})`,
        arena: "f32",
        length: B * nPost,
        batchCopies: B,
      });
    }
    if (analyseSnippet(p.code.synapseDynamics).calls.includes("addToPre")) {
      requests.push({
        ref: StorageRef.preScratch(p.index),
        label: `The addToPre values of projection '${p.name}' (batch ${B} x ${p.numSynapses} synapses)`,
        arena: "f32",
        length: B * p.numSynapses,
        batchCopies: B,
      });
    }
    if (p.connectivity.kind === "sparse") {
      const n = p.numSynapses;
      requests.push(
        {
          ref: StorageRef.sparse(p.index, "rowStart"),
          label: `Row starts of projection '${p.name}'`,
          arena: "u32",
          length: nPre + 1,
          batchCopies: 1,
        },
        {
          ref: StorageRef.sparse(p.index, "colStart"),
          label: `Column starts of projection '${p.name}'`,
          arena: "u32",
          length: nPost + 1,
          batchCopies: 1,
        },
        {
          ref: StorageRef.sparse(p.index, "colSynapse"),
          label: `Synapses by post of projection '${p.name}' (${n} synapses)`,
          arena: "u32",
          length: n,
          batchCopies: 1,
        },
        {
          ref: StorageRef.sparse(p.index, "colPre"),
          label: `Pre indices by post of projection '${p.name}' (${n} synapses)`,
          arena: "u32",
          length: n,
          batchCopies: 1,
        },
      );
    }
  });
  plan.customUpdates.forEach((c) => {
    const copies = c.batched ? B : 1;
    for (const target of reductionTargets(plan, c)) {
      if (target.reduction === "batch" && !c.batched) continue;
      requests.push({
        ref: StorageRef.reduction(c.index, target.name),
        label: `Partial results of the ${target.reduction} reduction into '${target.name}' of custom update '${c.name}' (batch ${copies} x ${c.size})`,
        arena: arenaOf(target.type),
        length: copies * c.size,
        batchCopies: copies,
      });
    }
  });
  return requests;
}

// Naming ---------------------------------------------------------------------------------

function builtinName(name: string, id: string): string {
  switch (name) {
    case "dt":
      return "DT";
    case "t":
      return "t";
    case "step":
      return "trial_step";
    case "batch":
      return "batch";
    case "id":
      return id;
    default:
      return name; // id_pre, id_post
  }
}

type Names = Partial<Record<Binding["kind"], (name: string, binding: Binding) => string>>;

function scope(
  snippet: CheckedSnippet,
  model: string,
  field: string,
  names: Names,
  extras: Partial<PrintScope> = {},
): PrintScope {
  return {
    model,
    field,
    source: snippet.source,
    name: (binding) => {
      if (binding.kind === "local") return `l_${binding.name}`;
      const map = names[binding.kind];
      if (!map)
        throw new Error(
          `internal: ${binding.kind} '${"name" in binding ? binding.name : ""}' is not available in ${model}.${field}`,
        );
      return map(binding.name, binding);
    },
    ...extras,
  };
}

function uniq<T>(values: readonly T[]): T[] {
  return [...new Set(values)];
}

function namesUsed(
  snippets: readonly (CheckedSnippet | null)[],
  kind: Binding["kind"],
  side?: "pre" | "post",
): string[] {
  const names: string[] = [];
  for (const s of snippets) {
    const { reads, writes } = analyseSnippet(s);
    for (const b of reads.concat(writes)) {
      if (b.kind === kind && (side === undefined || (b.kind === "neuronVarRef" && b.side === side)))
        names.push(b.name);
    }
  }
  return uniq(names);
}

function namesWritten(
  snippets: readonly (CheckedSnippet | null)[],
  kind: Binding["kind"],
): Set<string> {
  return new Set(
    snippets.flatMap((s) =>
      analyseSnippet(s)
        .writes.filter((b) => b.kind === kind)
        .map((b) => (b as { name: string }).name),
    ),
  );
}

const drawsRandom = (snippets: readonly (CheckedSnippet | null)[]): boolean =>
  snippets.some((s) => analyseSnippet(s).random);

// The generator --------------------------------------------------------------------------

class Generator {
  readonly shaders: Shader[] = [];
  readonly instances: KernelInstance[] = [];
  private readonly shaderByCode = new Map<string, number>();

  constructor(
    readonly plan: KernelPlan,
    readonly layout: StorageLayout,
  ) {}

  alloc(ref: StorageRef): Allocation {
    return this.layout.allocation(ref);
  }

  builder(kind: string): KernelBuilder {
    return new KernelBuilder(kind, {
      dt: this.plan.dt,
      batchSize: this.plan.batchSize,
      seed: this.plan.seed,
    });
  }

  /** Assembles a kernel and merges it with an earlier one of identical code. */
  finish(
    k: KernelBuilder,
    title: string,
    groupName: string,
    label: string,
    dispatch: DispatchShape,
  ): number {
    const assembled = k.assemble(title, {
      rng: RNG_WGSL,
      philox: PHILOX_WGSL,
      math: MATH_WGSL,
      special: SPECIAL_FLOATS_WGSL,
    });
    let shader = this.shaderByCode.get(assembled.code);
    if (shader === undefined) {
      shader = this.shaders.length;
      this.shaderByCode.set(assembled.code, shader);
      this.shaders.push({
        label: `${title} (${groupName})`,
        kind: k.kind,
        code: assembled.code,
        origins: assembled.origins,
        access: assembled.access,
        instances: [],
      });
    } else {
      const s = this.shaders[shader]!;
      s.label = s.label.replace(/\)$/, `, ${groupName})`);
    }
    const instance = this.instances.length;
    this.shaders[shader]!.instances.push(instance);
    this.instances.push({
      label,
      shader,
      uniforms: assembled.uniforms,
      bindings: assembled.bindings as BindingRef[],
      dispatch,
    });
    return instance;
  }

  /** Loads variables into locals (`var` when written, else `let`). */
  loadVars(
    k: KernelBuilder,
    vars: readonly PlannedVar[],
    names: readonly string[],
    written: ReadonlySet<string>,
    local: (name: string) => string,
    field: (name: string) => string,
    refOf: (name: string) => StorageRef,
    element: string,
    size: string,
  ): void {
    for (const name of names) {
      const v = vars.find((x) => x.name === name);
      if (!v) throw new Error(`internal: unknown variable ${name}`);
      const a = this.alloc(refOf(name));
      const lvalue = k.element(a, k.offset(field(name), a), index(v.batched, size, element));
      k.body.line(
        `${written.has(name) ? "var" : "let"} ${local(name)}: ${wgslType(v.type)} = ${k.load(v.type, lvalue)};`,
      );
    }
  }

  storeVars(
    k: KernelBuilder,
    vars: readonly PlannedVar[],
    written: ReadonlySet<string>,
    local: (name: string) => string,
    field: (name: string) => string,
    refOf: (name: string) => StorageRef,
    element: string,
    size: string,
  ): void {
    for (const v of vars) {
      if (!written.has(v.name)) continue;
      const a = this.alloc(refOf(v.name));
      k.body.line(
        k.store(
          v.type,
          k.element(a, k.offset(field(v.name), a), index(v.batched, size, element)),
          local(v.name),
        ),
      );
    }
  }

  /** Params as uniform fields; `owner`: the group whose model they belong to (their fields are rewritten by `setParam`). */
  paramNames(
    params: Readonly<Record<string, number>>,
    derived: Readonly<Record<string, number>>,
    k: KernelBuilder,
    prefix: string,
    owner?: string,
  ): (name: string) => string {
    return (name) => {
      const value = name in params ? params[name]! : derived[name];
      if (value === undefined) throw new Error(`internal: unknown param ${name}`);
      return k.field(
        `${prefix}${name}`,
        "f32",
        Math.fround(value),
        owner === undefined ? undefined : { owner, name },
      );
    };
  }

  // Neuron update ------------------------------------------------------------------------

  neuronKernel(q: number): number {
    const plan = this.plan;
    const pop = plan.populations[q]!;
    const model = pop.model;
    const k = this.builder("neurons");
    const out = k.body;
    const n = k.field("n", "u32", pop.size);
    const clock = k.clock();

    const words = k.field("words", "u32", Math.ceil(pop.size / 32));
    out.line(
      `// Spikes of this workgroup's ${WORKGROUP_SIZE} neurons as ${WORKGROUP_SIZE / 32} words of bits.`,
    );
    out.line(`var<workgroup> spike_words: array<atomic<u32>, ${WORKGROUP_SIZE / 32}>;`);
    out.line("");
    entry(out);
    out.indent(() => {
      out.line("let id = thread_id(wg, groups, lane);");
      out.line("let batch = wg.z;");
      out.line(`let trial_step = ${clock}.trial_step;`);
      out.line(`let global_step = ${clock}.global_step;`);
      out.line("let t = f32(trial_step) * DT;");
      out.line("var spike = false;");
      out.line(`if (id < ${n}) {`);
      out.indent(() => this.neuronBody(k, q, n));
      out.line("}");
      out.line("// One lane per word stores this step's spike bits (and records them).");
      out.line("workgroupBarrier();");
      out.line("let word = id / 32u;");
      out.block(`if (lane % 32u == 0u && word < ${words})`, () => {
        out.line("let bits = atomicLoad(&spike_words[lane / 32u]);");
        const spikes = this.alloc(StorageRef.spikes(q));
        out.line(
          `${k.element(spikes, k.offset("spikes", spikes), `((global_step & 1u) * BATCH + batch) * ${words} + word`)} = bits;`,
        );
        if (pop.recordSpikes)
          out.line(`${k.recording(q)}[(trial_step * BATCH + batch) * ${words} + word] = bits;`);
      });
    });
    out.line("}");
    out.line("");
    threadIdFunction(out);
    const title = `Neuron update: model ${model.name}`;
    return this.finish(k, title, pop.name, `neurons '${pop.name}'`, {
      kind: "elements",
      elements: pop.size,
      batches: plan.batchSize,
    });
  }

  /** The update of one neuron (thread `id`, batch element `batch`); sets `spike`. */
  private neuronBody(k: KernelBuilder, q: number, n: string): void {
    const plan = this.plan;
    const pop = plan.populations[q]!;
    const model = pop.model;
    const out = k.body;
    const popOwner = { kind: "population" as const, index: q };
    const neuronRefOf = (name: string): StorageRef => StorageRef.variable(popOwner, "neuron", name);
    const code = [pop.code.sim, pop.code.threshold, pop.code.reset];
    const neuronWritten = namesWritten(code, "var");
    {
      if (pop.vars.length > 0) out.line(`// State of the population (model ${model.name})`);
      this.loadVars(
        k,
        pop.vars,
        pop.vars.map((v) => v.name),
        neuronWritten,
        (x) => `n_${x}`,
        (x) => `o_${x}`,
        neuronRefOf,
        "id",
        n,
      );
      const builtins = { builtin: (name: string) => builtinName(name, "id") };
      // Postsynaptic models of incoming projections.
      if (!pop.spikeSource || pop.incoming.some((p) => plan.projections[p]!.postsynaptic))
        out.line("var Isyn: f32 = 0.0f;");
      pop.incoming.forEach((p, slot) => {
        const proj = plan.projections[p]!;
        const ps = proj.postsynaptic;
        if (!ps) return;
        const prefix = `in${slot}_`;
        const owner = { kind: "projection" as const, index: p };
        out.line(`// Input from an incoming projection (postsynaptic model ${ps.model.name})`);
        out.block("", () => {
          const inSyn = this.alloc(StorageRef.inSyn(p));
          const inSynElement = k.element(
            inSyn,
            k.offset(`${prefix}insyn`, inSyn),
            `batch * ${n} + id`,
          );
          out.line(`let inSyn = ${inSynElement};`);
          const written = namesWritten([ps.apply], "var");
          const refOf = (name: string): StorageRef =>
            StorageRef.variable(owner, "postsynaptic", name);
          this.loadVars(
            k,
            ps.vars,
            namesUsed([ps.apply], "var"),
            written,
            (x) => `ps_${x}`,
            (x) => `${prefix}ps_o_${x}`,
            refOf,
            "id",
            n,
          );
          const param = this.paramNames(ps.params, ps.derivedParams, k, `${prefix}ps_p_`);
          const rng = this.rngInit(
            k,
            [ps.apply],
            "id",
            `${prefix}rng`,
            proj.rngStream,
            RANDOM_FIELD.apply,
          );
          new WgslPrinter(
            out,
            scope(
              ps.apply,
              ps.model.name,
              "apply",
              { ...builtins, param, derivedParam: param, var: (x) => `ps_${x}`, input: (x) => x },
              rng,
            ),
          ).statements(ps.apply);
          this.storeVars(
            k,
            ps.vars,
            written,
            (x) => `ps_${x}`,
            (x) => `${prefix}ps_o_${x}`,
            refOf,
            "id",
            n,
          );
          out.line(`${inSynElement} = 0.0f;`);
        });
      });
      // Additional inputs.
      const additional = (name: string): string => {
        const a = this.alloc(StorageRef.additionalInput(q, name));
        return k.element(a, k.offset(`a_${name}`, a), `batch * ${n} + id`);
      };
      for (const name of pop.additionalInputs) out.line(`let a_${name} = ${additional(name)};`);
      // sim, threshold, reset (one execution for random numbers).
      const param = this.paramNames(pop.params, pop.derivedParams, k, "p_", pop.name);
      const neuronNames: Names = {
        ...builtins,
        param,
        derivedParam: param,
        var: (x) => `n_${x}`,
        additionalInput: (x) => `a_${x}`,
        input: () => "Isyn",
      };
      if (pop.spikeSource) {
        const events = k.spikeEvents(q);
        const words = k.field("words", "u32", Math.ceil(pop.size / 32));
        const steps = k.field("event_steps", "u32", 0);
        out.line(
          "// Spike source array: a spike when this step's events of this batch element contain the neuron.",
        );
        out.line(`if (trial_step < ${steps}) {`);
        out.line(`  let word = ${events}[(trial_step * BATCH + batch) * ${words} + id / 32u];`);
        out.line("  spike = ((word >> (id % 32u)) & 1u) != 0u;");
        out.line("}");
      } else if (pop.code.sim || pop.code.threshold) {
        out.block("", () => {
          const rng = this.rngInit(k, code, "id", "rng", pop.rngStream, RANDOM_FIELD.neuron);
          if (pop.code.sim) {
            out.line("// sim");
            out.block("", () =>
              new WgslPrinter(
                out,
                scope(pop.code.sim!, model.name, "sim", neuronNames, rng),
              ).statements(pop.code.sim!),
            );
          }
          if (pop.code.threshold) {
            out.line("// threshold");
            const condition = new WgslPrinter(
              out,
              scope(pop.code.threshold, model.name, "threshold", neuronNames, rng),
            ).expression(pop.code.threshold);
            out.line(`spike = ${condition};`);
          }
          if (pop.code.reset) {
            out.line("// reset");
            out.block("if (spike)", () =>
              new WgslPrinter(
                out,
                scope(pop.code.reset!, model.name, "reset", neuronNames, rng),
              ).statements(pop.code.reset!),
            );
          }
        });
      }
      this.storeVars(
        k,
        pop.vars,
        neuronWritten,
        (x) => `n_${x}`,
        (x) => `o_${x}`,
        neuronRefOf,
        "id",
        n,
      );
      out.block("if (spike)", () =>
        out.line("atomicOr(&spike_words[lane / 32u], 1u << (lane % 32u));"),
      );
      for (const name of pop.additionalInputs) out.line(`${additional(name)} = 0.0f;`);
      // Pre code of outgoing projections, post code of incoming ones.
      pop.outgoing.forEach((p, slot) => this.neuronSideCode(k, p, "pre", `out${slot}_`, n));
      pop.incoming.forEach((p, slot) => this.neuronSideCode(k, p, "post", `in${slot}_`, n));
    }
  }

  /** preSpikeCode + preDynamics (side pre) or postSpikeCode + postDynamics (side post) of projection p, per neuron. */
  private neuronSideCode(
    k: KernelBuilder,
    p: number,
    side: "pre" | "post",
    prefix: string,
    n: string,
  ): void {
    const proj = this.plan.projections[p]!;
    const spikeCode = side === "pre" ? proj.code.preSpikeCode : proj.code.postSpikeCode;
    const dynamics = side === "pre" ? proj.code.preDynamics : proj.code.postDynamics;
    if (!spikeCode && !dynamics) return;
    const out = k.body;
    const vars = side === "pre" ? proj.preVars : proj.postVars;
    const kind = side === "pre" ? "preVar" : "postVar";
    const owner = { kind: "projection" as const, index: p };
    const refOf = (name: string): StorageRef => StorageRef.variable(owner, side, name);
    const written = namesWritten([spikeCode, dynamics], kind);
    const local = (x: string): string => `${side}_${x}`;
    const field = (x: string): string => `${prefix}o_${side}_${x}`;
    out.line(
      `// ${side === "pre" ? "Presynaptic" : "Postsynaptic"} code of a projection (model ${proj.model.name})`,
    );
    out.block("", () => {
      this.loadVars(
        k,
        vars,
        namesUsed([spikeCode, dynamics], kind),
        written,
        local,
        field,
        refOf,
        "id",
        n,
      );
      const param = this.paramNames(proj.params, proj.derivedParams, k, `${prefix}p_`, proj.name);
      const names: Names = {
        builtin: (name) => builtinName(name, "id"),
        param,
        derivedParam: param,
        [kind]: local,
        neuronVarRef: (x: string) => `n_${x}`,
      };
      const run = (
        snippet: CheckedSnippet,
        field: "preSpikeCode" | "postSpikeCode" | "preDynamics" | "postDynamics",
      ): void => {
        out.block("", () => {
          const rng = this.rngInit(
            k,
            [snippet],
            "id",
            `${prefix}rng`,
            proj.rngStream,
            RANDOM_FIELD[field],
          );
          new WgslPrinter(out, scope(snippet, proj.model.name, field, names, rng)).statements(
            snippet,
          );
        });
      };
      if (spikeCode)
        out.block("if (spike)", () =>
          run(spikeCode, side === "pre" ? "preSpikeCode" : "postSpikeCode"),
        );
      if (dynamics) run(dynamics, side === "pre" ? "preDynamics" : "postDynamics");
      this.storeVars(k, vars, written, local, field, refOf, "id", n);
    });
  }

  /** Declares `var rng` for one execution when the snippets draw random numbers; returns the printer option. */
  private rngInit(
    k: KernelBuilder,
    snippets: readonly (CheckedSnippet | null)[],
    element: string,
    streamField: string,
    stream: number,
    field: number,
    step = "global_step",
    batch = "batch",
  ): { rng?: string } {
    if (!drawsRandom(snippets)) return {};
    const s = k.field(streamField, "u32", stream);
    k.body.line(`var rng = Rng(${element}, ${batch}, ${step}, ${s}, ${field}u, 0u);`);
    return { rng: "rng" };
  }

  // Synapses -----------------------------------------------------------------------------

  /**
   * Delivers spikes (preSpike) and runs synapseDynamics, one thread per postsynaptic neuron and
   * batch element; or (`mode` "postSpike", after the postsynaptic population's update) runs the
   * postSpike code on the synapses of each postsynaptic neuron that spiked in this step.
   */
  synapseKernel(p: number, mode: "synapses" | "postSpike" = "synapses"): number | null {
    const plan = this.plan;
    const proj = plan.projections[p]!;
    const preSpike = mode === "synapses" ? proj.code.preSpike : null;
    const synapseDynamics = mode === "synapses" ? proj.code.synapseDynamics : null;
    const postSpike = mode === "postSpike" ? proj.code.postSpike : null;
    if (!preSpike && !synapseDynamics && !postSpike) return null;
    const pre = plan.populations[proj.pre]!;
    const post = plan.populations[proj.post]!;
    const k = this.builder("synapses");
    const out = k.body;
    const clock = k.clock();
    const nPre = k.field("n_pre", "u32", pre.size);
    const nPost = k.field("n_post", "u32", post.size);
    const kind = proj.connectivity.kind;
    const owner = { kind: "projection" as const, index: p };
    const usesPost = [preSpike, synapseDynamics].some((s) =>
      analyseSnippet(s).calls.includes("addToPost"),
    );
    const usesPre = analyseSnippet(synapseDynamics).calls.includes("addToPre");

    entry(out);
    out.indent(() => {
      out.line("let id_post = thread_id(wg, groups, lane);");
      out.line(`if (id_post >= ${nPost}) {`);
      out.line("  return;");
      out.line("}");
      out.line("let batch = wg.z;");
      out.line(`let trial_step = ${clock}.trial_step;`);
      out.line(`let global_step = ${clock}.global_step;`);
      out.line("let t = f32(trial_step) * DT;");
      out.line("var add_post: f32 = 0.0f;");
      const preWords = k.field("pre_words", "u32", Math.ceil(pre.size / 32));
      /** Runs `body` for every synapse (with `syn`, `id_pre` set), or with `spikes` only for those whose pre neuron spiked. */
      const loop = (body: () => void, spikes: { base: string; bits: string } | null): void => {
        const spiked = (pre: string): string =>
          `((${spikes!.bits}[${spikes!.base} + ${pre} / 32u] >> (${pre} % 32u)) & 1u) != 0u`;
        if (kind === "dense") {
          if (spikes) {
            out.line("// Only the words of spiking presynaptic neurons, in ascending order.");
            out.block(`for (var w = 0u; w < ${preWords}; w++)`, () => {
              out.line(`var bits = ${spikes.bits}[${spikes.base} + w];`);
              out.block("while (bits != 0u)", () => {
                out.line("let id_pre = w * 32u + firstTrailingBit(bits);");
                out.line("bits &= bits - 1u;");
                out.line(`let syn = id_pre * ${nPost} + id_post;`);
                body();
              });
            });
          } else {
            out.block(`for (var id_pre = 0u; id_pre < ${nPre}; id_pre++)`, () => {
              out.line(`let syn = id_pre * ${nPost} + id_post;`);
              body();
            });
          }
        } else if (kind === "oneToOne") {
          out.block("", () => {
            out.line("let id_pre = id_post;");
            out.line("let syn = id_post;");
            if (spikes) out.block(`if (${spiked("id_pre")})`, body);
            else body();
          });
        } else {
          const colStart = this.alloc(StorageRef.sparse(p, "colStart"));
          const colSynapse = this.alloc(StorageRef.sparse(p, "colSynapse"));
          const colPre = this.alloc(StorageRef.sparse(p, "colPre"));
          const cs = k.offset("col_start", colStart);
          out.block("", () => {
            out.line(`let col_end = ${k.element(colStart, cs, "id_post + 1u")};`);
            out.block(
              `for (var col = ${k.element(colStart, cs, "id_post")}; col < col_end; col++)`,
              () => {
                out.line(`let id_pre = ${k.element(colPre, k.offset("col_pre", colPre), "col")};`);
                const inner = (): void => {
                  out.line(
                    `let syn = ${k.element(colSynapse, k.offset("col_synapse", colSynapse), "col")};`,
                  );
                  body();
                };
                if (spikes) out.block(`if (${spiked("id_pre")})`, inner);
                else inner();
              },
            );
          });
        }
      };
      const nSyn = k.field("n_syn", "u32", proj.numSynapses);
      const param = this.paramNames(proj.params, proj.derivedParams, k, "p_", proj.name);
      const synapseBlock = (
        snippet: CheckedSnippet,
        field: "preSpike" | "synapseDynamics" | "postSpike",
      ): void => {
        const written = namesWritten([snippet], "var");
        const refOf = (name: string): StorageRef => StorageRef.variable(owner, "synapse", name);
        this.loadVars(
          k,
          proj.vars,
          namesUsed([snippet], "var"),
          written,
          (x) => `s_${x}`,
          (x) => `o_s_${x}`,
          refOf,
          "syn",
          nSyn,
        );
        this.loadVars(
          k,
          proj.preVars,
          namesUsed([snippet], "preVar"),
          new Set(),
          (x) => `pre_${x}`,
          (x) => `o_pre_${x}`,
          (x) => StorageRef.variable(owner, "pre", x),
          "id_pre",
          nPre,
        );
        this.loadVars(
          k,
          proj.postVars,
          namesUsed([snippet], "postVar"),
          new Set(),
          (x) => `post_${x}`,
          (x) => `o_post_${x}`,
          (x) => StorageRef.variable(owner, "post", x),
          "id_post",
          nPost,
        );
        const popOf = (side: "pre" | "post"): PlannedPopulation => (side === "pre" ? pre : post);
        for (const side of ["pre", "post"] as const) {
          const population = popOf(side);
          this.loadVars(
            k,
            population.vars,
            namesUsed([snippet], "neuronVarRef", side),
            new Set(),
            (x) => `n${side}_${x}`,
            (x) => `o_n${side}_${x}`,
            (x) =>
              StorageRef.variable({ kind: "population", index: population.index }, "neuron", x),
            `id_${side}`,
            side === "pre" ? nPre : nPost,
          );
        }
        if (field === "synapseDynamics" && usesPre) out.line("var add_pre: f32 = 0.0f;");
        // (postSpike code draws no random numbers: the planner refuses it)
        const rng =
          field === "postSpike"
            ? {}
            : this.rngInit(k, [snippet], "syn", "rng", proj.rngStream, RANDOM_FIELD[field]);
        const names: Names = {
          builtin: (name) => builtinName(name, "syn"),
          param,
          derivedParam: param,
          var: (x) => `s_${x}`,
          preVar: (x) => `pre_${x}`,
          postVar: (x) => `post_${x}`,
          neuronVarRef: (x, b) => `n${(b as { side: string }).side}_${x}`,
        };
        new WgslPrinter(
          out,
          scope(snippet, proj.model.name, field, names, {
            ...rng,
            effect: (callee, argument) =>
              callee === "addToPost" ? `add_post += ${argument};` : `add_pre += ${argument};`,
          }),
        ).statements(snippet);
        this.storeVars(
          k,
          proj.vars,
          written,
          (x) => `s_${x}`,
          (x) => `o_s_${x}`,
          refOf,
          "syn",
          nSyn,
        );
        if (field === "synapseDynamics" && usesPre) {
          const scratch = this.alloc(StorageRef.preScratch(p));
          out.line(
            `${k.element(scratch, k.offset("pre_scratch", scratch), `batch * ${nSyn} + syn`)} = add_pre;`,
          );
        }
      };
      if (preSpike) {
        const spikes = this.alloc(StorageRef.spikes(proj.pre));
        const slot = proj.delaySteps === 1 ? "((global_step + 1u) & 1u)" : "(global_step & 1u)";
        out.line(
          `// Spikes of the presynaptic population, ${proj.delaySteps === 1 ? "of the previous step (delay 1)" : "of this step (delay 0)"}`,
        );
        out.line(
          `let spike_base = ${k.offset("pre_spikes", spikes)} + (${slot} * BATCH + batch) * ${preWords};`,
        );
        out.line(`// preSpike (model ${proj.model.name}), ${kind} connectivity`);
        loop(() => synapseBlock(preSpike, "preSpike"), {
          base: "spike_base",
          bits: k.arena(spikes.arena, spikes.chunk),
        });
      }
      if (synapseDynamics) {
        out.line(`// synapseDynamics (model ${proj.model.name}), ${kind} connectivity`);
        loop(() => out.block("", () => synapseBlock(synapseDynamics, "synapseDynamics")), null);
      }
      if (postSpike) {
        const spikes = this.alloc(StorageRef.spikes(proj.post));
        const postWords = k.field("post_words", "u32", Math.ceil(post.size / 32));
        out.line("// Spikes of the postsynaptic population in this step (its update has run)");
        out.line(
          `let post_base = ${k.offset("post_spikes", spikes)} + ((global_step & 1u) * BATCH + batch) * ${postWords};`,
        );
        out.block(
          `if (((${k.arena(spikes.arena, spikes.chunk)}[post_base + id_post / 32u] >> (id_post % 32u)) & 1u) != 0u)`,
          () => {
            out.line(`// postSpike (model ${proj.model.name}), ${kind} connectivity`);
            loop(() => out.block("", () => synapseBlock(postSpike, "postSpike")), null);
          },
        );
      }
      if (usesPost) {
        const target = proj.postsynaptic
          ? this.alloc(StorageRef.inSyn(p))
          : this.alloc(StorageRef.additionalInput(proj.post, proj.postTarget!));
        out.line(
          `${k.element(target, k.offset("dest", target), `batch * ${nPost} + id_post`)} += add_post;`,
        );
      }
    });
    out.line("}");
    out.line("");
    threadIdFunction(out);
    const title =
      mode === "postSpike"
        ? `Learning at postsynaptic spikes: model ${proj.model.name}, ${kind}`
        : `Synapses: model ${proj.model.name}, ${kind}, delay ${proj.delaySteps}`;
    return this.finish(
      k,
      title,
      proj.name,
      mode === "postSpike" ? `postSpike '${proj.name}'` : `synapses '${proj.name}'`,
      {
        kind: "elements",
        elements: post.size,
        batches: plan.batchSize,
      },
    );
  }

  /** Sums the addToPre values of each presynaptic neuron's synapses into its additional input. */
  preReduceKernel(p: number): number | null {
    const plan = this.plan;
    const proj = plan.projections[p]!;
    if (!analyseSnippet(proj.code.synapseDynamics).calls.includes("addToPre")) return null;
    const pre = plan.populations[proj.pre]!;
    const post = plan.populations[proj.post]!;
    const k = this.builder("addToPre");
    const out = k.body;
    const nPre = k.field("n_pre", "u32", pre.size);
    const nPost = k.field("n_post", "u32", post.size);
    const nSyn = k.field("n_syn", "u32", proj.numSynapses);
    const scratch = this.alloc(StorageRef.preScratch(p));
    const so = k.offset("pre_scratch", scratch);
    const target = this.alloc(StorageRef.additionalInput(proj.pre, proj.preTarget!));
    entry(out);
    out.indent(() => {
      out.line("let id_pre = thread_id(wg, groups, lane);");
      out.line(`if (id_pre >= ${nPre}) {`);
      out.line("  return;");
      out.line("}");
      out.line("let batch = wg.z;");
      out.line("var sum: f32 = 0.0f;");
      const kind = proj.connectivity.kind;
      if (kind === "dense") {
        out.block(`for (var id_post = 0u; id_post < ${nPost}; id_post++)`, () =>
          out.line(
            `sum += ${k.element(scratch, so, `batch * ${nSyn} + id_pre * ${nPost} + id_post`)};`,
          ),
        );
      } else if (kind === "oneToOne") {
        out.line(`sum = ${k.element(scratch, so, `batch * ${nSyn} + id_pre`)};`);
      } else {
        const rowStart = this.alloc(StorageRef.sparse(p, "rowStart"));
        const rs = k.offset("row_start", rowStart);
        out.block(
          `for (var syn = ${k.element(rowStart, rs, "id_pre")}; syn < ${k.element(rowStart, rs, "id_pre + 1u")}; syn++)`,
          () => out.line(`sum += ${k.element(scratch, so, `batch * ${nSyn} + syn`)};`),
        );
      }
      out.line(
        `${k.element(target, k.offset("dest", target), `batch * ${nPre} + id_pre`)} += sum;`,
      );
    });
    out.line("}");
    out.line("");
    threadIdFunction(out);
    return this.finish(
      k,
      `addToPre: ${proj.connectivity.kind} connectivity`,
      proj.name,
      `addToPre '${proj.name}'`,
      {
        kind: "elements",
        elements: pre.size,
        batches: plan.batchSize,
      },
    );
  }

  clockKernel(): number {
    const k = this.builder("clock");
    const clock = k.clock(true);
    k.body.line("@compute @workgroup_size(1)");
    k.body.block("fn main()", () => {
      k.body.line(`${clock}.trial_step += 1u;`);
      k.body.line(`${clock}.global_step += 1u;`);
    });
    return this.finish(k, "Clock: advance the step counters", "step", "clock", {
      kind: "elements",
      elements: 1,
      batches: 1,
    });
  }

  // Custom updates -----------------------------------------------------------------------

  customUpdate(c: number): CustomUpdateSequence {
    const plan = this.plan;
    const cu = plan.customUpdates[c]!;
    const k = this.builder("customUpdate");
    const out = k.body;
    const B = cu.batched ? plan.batchSize : 1;
    const size = k.field("size", "u32", cu.size);
    const owner = { kind: "customUpdate" as const, index: c };
    const clock = k.clock();
    const targets = reductionTargets(plan, cu);
    const written = namesWritten([cu.update], "var");
    const refsWritten = namesWritten([cu.update], "varRef");
    const used = new Set([...namesUsed([cu.update], "var"), ...namesUsed([cu.update], "varRef")]);
    let runCountField: string | null = null;

    entry(out);
    out.indent(() => {
      out.line("let id = thread_id(wg, groups, lane);");
      out.line(`if (id >= ${size}) {`);
      out.line("  return;");
      out.line("}");
      out.line(cu.batched ? "let batch = wg.z;" : "let batch = 0u;");
      out.line(`let trial_step = ${clock}.trial_step;`);
      out.line("let t = f32(trial_step) * DT;");
      // Own variables and references: load (reduction targets start at the identity).
      const slots = [
        ...cu.vars.map((v) => ({
          local: `c_${v.name}`,
          name: v.name,
          kind: "var" as const,
          type: v.type,
          access: v.access,
          target: v,
          ref: StorageRef.variable(owner, "customUpdate", v.name),
          written: written.has(v.name),
        })),
        ...cu.varRefs.map((r) => {
          const target = lookupVar(plan, r);
          return {
            local: `r_${r.name}`,
            name: r.name,
            kind: "varRef" as const,
            type: r.type,
            access: r.access,
            target,
            ref: StorageRef.variable(r.owner, r.role, r.var),
            written: refsWritten.has(r.name),
          };
        }),
      ];
      for (const slot of slots) {
        const reduction = targets.find((t) => t.local === slot.local);
        if (reduction) {
          out.line(
            `var ${slot.local}: ${wgslType(slot.type)} = ${identity(slot.type, reduction.op)};`,
          );
          continue;
        }
        if (!used.has(slot.name)) continue;
        const a = this.alloc(slot.ref);
        const lvalue = k.element(
          a,
          k.offset(`o_${slot.local}`, a),
          index(slot.target.batched, size, "id"),
        );
        out.line(
          `${slot.written ? "var" : "let"} ${slot.local}: ${wgslType(slot.type)} = ${k.load(slot.type, lvalue)};`,
        );
      }
      const param = this.paramNames(cu.params, cu.derivedParams, k, "p_", cu.name);
      let rng: { rng?: string } = {};
      if (drawsRandom([cu.update])) {
        runCountField = "run_count";
        const count = k.field(runCountField, "u32", 0);
        const stream = k.field("rng", "u32", cu.rngStream);
        out.line(
          `var rng = Rng(id, batch, ${count}, ${stream}, ${RANDOM_FIELD.customUpdate}u, 0u);`,
        );
        rng = { rng: "rng" };
      }
      out.line(`// update (model ${cu.model.name})`);
      out.block("", () =>
        new WgslPrinter(
          out,
          scope(
            cu.update,
            cu.model.name,
            "update",
            {
              builtin: (name) => builtinName(name, "id"),
              param,
              derivedParam: param,
              var: (x) => `c_${x}`,
              varRef: (x) => `r_${x}`,
            },
            rng,
          ),
        ).statements(cu.update),
      );
      // Store: written state; reduction targets to their partial-result buffers (or directly when nothing is left to reduce).
      for (const slot of slots) {
        const reduction = targets.find((t) => t.local === slot.local);
        if (reduction) {
          if (reduction.reduction === "batch" && !cu.batched) {
            const a = this.alloc(slot.ref);
            out.line(
              k.store(slot.type, k.element(a, k.offset(`o_${slot.local}`, a), "id"), slot.local),
            );
          } else {
            const a = this.alloc(StorageRef.reduction(c, reduction.name));
            out.line(
              k.store(
                slot.type,
                k.element(a, k.offset(`partial_${slot.local}`, a), index(cu.batched, size, "id")),
                slot.local,
              ),
            );
          }
          continue;
        }
        if (!slot.written) continue;
        const a = this.alloc(slot.ref);
        const store = k.store(
          slot.type,
          k.element(a, k.offset(`o_${slot.local}`, a), index(slot.target.batched, size, "id")),
          slot.local,
        );
        if (cu.batched && !slot.target.batched) {
          // A shared variable written by every batch element: the last one wins, as in a sequential loop.
          out.block("if (batch == BATCH - 1u)", () => out.line(store));
        } else {
          out.line(store);
        }
      }
    });
    out.line("}");
    out.line("");
    threadIdFunction(out);
    const instances = [
      this.finish(
        k,
        `Custom update: model ${cu.model.name}`,
        cu.name,
        `custom update '${cu.name}'`,
        { kind: "elements", elements: cu.size, batches: B },
      ),
    ];
    for (const target of targets) {
      if (target.reduction === "batch" && cu.batched)
        instances.push(this.batchReduceKernel(cu, target));
      if (target.reduction === "neuron") instances.push(this.neuronReduceKernel(cu, target));
    }
    let runCount: CustomUpdateSequence["runCount"] = null;
    if (runCountField) {
      const fields = this.instances[instances[0]!]!.uniforms;
      runCount = {
        instance: instances[0]!,
        byteOffset: fields.findIndex((f) => f.name === runCountField) * 4,
      };
    }
    return { update: c, instances, runCount };
  }

  /** Reduces the per-batch partial results of one target over the batch into the shared variable. */
  private batchReduceKernel(cu: PlannedCustomUpdate, target: ReductionTarget): number {
    const k = this.builder("batchReduction");
    const out = k.body;
    const size = k.field("size", "u32", cu.size);
    const partial = this.alloc(StorageRef.reduction(cu.index, target.name));
    const dest = this.alloc(target.ref);
    const po = k.offset("partial", partial);
    entry(out);
    out.indent(() => {
      out.line("let id = thread_id(wg, groups, lane);");
      out.line(`if (id >= ${size}) {`);
      out.line("  return;");
      out.line("}");
      out.line(`var value: ${wgslType(target.type)} = ${identity(target.type, target.op)};`);
      out.block("for (var b = 0u; b < BATCH; b++)", () => {
        const v = k.load(target.type, k.element(partial, po, `b * ${size} + id`));
        out.line(target.op === "sum" ? `value += ${v};` : `value = max(value, ${v});`);
      });
      out.line(k.store(target.type, k.element(dest, k.offset("dest", dest), "id"), "value"));
    });
    out.line("}");
    out.line("");
    threadIdFunction(out);
    return this.finish(
      k,
      `Batch reduction (${target.op}) of a custom update`,
      `${cu.name}.${target.name}`,
      `batch ${target.op} of '${cu.name}.${target.name}'`,
      {
        kind: "elements",
        elements: cu.size,
        batches: 1,
      },
    );
  }

  /** Reduces one target over the elements, per batch element: one workgroup per batch element, a tree in workgroup memory. */
  private neuronReduceKernel(cu: PlannedCustomUpdate, target: ReductionTarget): number {
    const k = this.builder("neuronReduction");
    const out = k.body;
    const size = k.field("size", "u32", cu.size);
    const partial = this.alloc(StorageRef.reduction(cu.index, target.name));
    const dest = this.alloc(target.ref);
    const po = k.offset("partial", partial);
    const type = wgslType(target.type);
    const combine = (a: string, b: string): string =>
      target.op === "sum" ? `${a} + ${b}` : `max(${a}, ${b})`;
    out.line(`var<workgroup> lanes: array<${type}, ${WORKGROUP_SIZE}>;`);
    out.line("");
    out.line(`@compute @workgroup_size(${WORKGROUP_SIZE})`);
    out.line(
      "fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lane: u32) {",
    );
    out.indent(() => {
      out.line("let batch = wg.z;");
      out.line(
        "// Each lane reduces a contiguous run of elements, then the lanes are combined pairwise.",
      );
      out.line(`let per_lane = (${size} + ${WORKGROUP_SIZE - 1}u) / ${WORKGROUP_SIZE}u;`);
      out.line(`let first = min(lane * per_lane, ${size});`);
      out.line(`let last = min(first + per_lane, ${size});`);
      out.line(`var value: ${type} = ${identity(target.type, target.op)};`);
      out.block("for (var i = first; i < last; i++)", () => {
        out.line(
          `value = ${combine("value", k.load(target.type, k.element(partial, po, `batch * ${size} + i`)))};`,
        );
      });
      out.line("lanes[lane] = value;");
      out.line("workgroupBarrier();");
      out.block(
        `for (var stride = ${WORKGROUP_SIZE / 2}u; stride > 0u; stride = stride / 2u)`,
        () => {
          out.block("if (lane < stride)", () =>
            out.line(`lanes[lane] = ${combine("lanes[lane]", "lanes[lane + stride]")};`),
          );
          out.line("workgroupBarrier();");
        },
      );
      out.block("if (lane == 0u)", () =>
        out.line(
          k.store(
            target.type,
            k.element(dest, k.offset("dest", dest), index(target.batched, "1u", "0u")),
            "lanes[0]",
          ),
        ),
      );
    });
    out.line("}");
    return this.finish(
      k,
      `Neuron reduction (${target.op}) of a custom update`,
      `${cu.name}.${target.name}`,
      `neuron ${target.op} of '${cu.name}.${target.name}'`,
      {
        kind: "workgroupPerBatch",
        batches: cu.batched ? this.plan.batchSize : 1,
      },
    );
  }
}

interface ReductionTarget {
  readonly name: string;
  readonly local: string;
  readonly reduction: "batch" | "neuron";
  readonly op: "sum" | "max";
  readonly type: PlannedVar["type"];
  /** Storage of the reduced result. */
  readonly ref: StorageRef;
  readonly batched: boolean;
}

function reductionTargets(plan: KernelPlan, cu: PlannedCustomUpdate): ReductionTarget[] {
  const out: ReductionTarget[] = [];
  const classify = (
    access: string,
  ): { reduction: "batch" | "neuron"; op: "sum" | "max" } | null => {
    switch (access) {
      case "reduceBatchSum":
        return { reduction: "batch", op: "sum" };
      case "reduceBatchMax":
        return { reduction: "batch", op: "max" };
      case "reduceNeuronSum":
        return { reduction: "neuron", op: "sum" };
      case "reduceNeuronMax":
        return { reduction: "neuron", op: "max" };
      default:
        return null;
    }
  };
  for (const v of cu.vars) {
    const r = classify(v.access);
    if (r)
      out.push({
        name: v.name,
        local: `c_${v.name}`,
        ...r,
        type: v.type,
        ref: StorageRef.variable({ kind: "customUpdate", index: cu.index }, "customUpdate", v.name),
        batched: v.batched,
      });
  }
  for (const ref of cu.varRefs) {
    const r = classify(ref.access);
    if (r)
      out.push({
        name: ref.name,
        local: `r_${ref.name}`,
        ...r,
        type: ref.type,
        ref: StorageRef.variable(ref.owner, ref.role, ref.var),
        batched: lookupVar(plan, ref).batched,
      });
  }
  return out;
}

/** The planned variable a custom update reference points at. */
export function lookupVar(plan: KernelPlan, ref: PlannedVarRef): PlannedVar {
  const { owner, role } = ref;
  let vars: readonly PlannedVar[];
  if (owner.kind === "population") vars = plan.populations[owner.index]!.vars;
  else if (owner.kind === "customUpdate") vars = plan.customUpdates[owner.index]!.vars;
  else {
    const p = plan.projections[owner.index]!;
    vars =
      role === "pre"
        ? p.preVars
        : role === "post"
          ? p.postVars
          : role === "postsynaptic"
            ? (p.postsynaptic?.vars ?? [])
            : p.vars;
  }
  const v = vars.find((x) => x.name === ref.var);
  if (!v) throw new Error(`internal: reference to unknown variable ${ref.var}`);
  return v;
}

function identity(type: PlannedVar["type"], op: "sum" | "max"): string {
  if (op === "sum") return type === "float" ? "0.0f" : type === "int" ? "0i" : "0u";
  return type === "float" ? "f32_neg_infinity()" : type === "int" ? "i32(-2147483647 - 1)" : "0u";
}

function index(batched: boolean, size: string, element: string): string {
  if (batched && size === "1u" && element === "0u") return "batch";
  return batched ? `batch * ${size} + ${element}` : element;
}

function entry(out: CodeWriter): void {
  out.line(`@compute @workgroup_size(${WORKGROUP_SIZE})`);
  out.line(
    "fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>, @builtin(local_invocation_index) lane: u32) {",
  );
}

function threadIdFunction(out: CodeWriter): void {
  out.line("// Element index from a 2-D grid of workgroups (x, y); z is the batch element.");
  out.block("fn thread_id(wg: vec3<u32>, groups: vec3<u32>, lane: u32) -> u32", () =>
    out.line(`return (wg.y * groups.x + wg.x) * ${WORKGROUP_SIZE}u + lane;`),
  );
}

/**
 * Generates every kernel of a plan: one per population (neuron update with its postsynaptic
 * inputs and pre/post code), per projection (spike delivery and synapse dynamics; addToPre
 * reduction), per custom update (with batch and neuron reductions), and the clock. Kernels
 * whose code is identical share one shader (merged groups).
 */
export function generateKernels(plan: KernelPlan, options: GenerateOptions): GeneratedKernels {
  const layout = planStorage(storageRequests(plan), options.maxBindingBytes);
  const g = new Generator(plan, layout);
  const stepSequence: number[] = [];
  for (const entry of plan.schedule) {
    if (entry.op === "synapses") {
      const synapses = g.synapseKernel(entry.projection);
      if (synapses !== null) stepSequence.push(synapses);
      const preReduce = g.preReduceKernel(entry.projection);
      if (preReduce !== null) stepSequence.push(preReduce);
    } else {
      stepSequence.push(g.neuronKernel(entry.population));
      // learning at this population's spikes, after its update (and its per-neuron spike code)
      for (const incoming of plan.populations[entry.population]!.incoming) {
        const postSpike = g.synapseKernel(incoming, "postSpike");
        if (postSpike !== null) stepSequence.push(postSpike);
      }
    }
  }
  stepSequence.push(g.clockKernel());
  const customUpdates: Record<string, CustomUpdateSequence[]> = {};
  for (const [group, members] of Object.entries(plan.customUpdateGroups)) {
    customUpdates[group] = members.map((c) => g.customUpdate(c));
  }
  return {
    layout,
    shaders: g.shaders,
    instances: g.instances,
    stepSequence,
    customUpdates,
    spikeWords: plan.populations.map((p) => Math.ceil(p.size / 32)),
  };
}
