/**
 * The WGSL kernel of a neuron step (core's step-program.ts): one thread per neuron and batch
 * element runs the step's sites in order, and one lane per 32 neurons stores the spike bits the
 * workgroup collected. What is WGSL's own: the workgroup skeleton, the state loaded into locals
 * (`n_`, `ps_`, `pre_`, `post_`) and how storage is addressed in the arenas.
 */
import type {
  AdditionalInputRef,
  ApplySite,
  NeuronModelSite,
  NeuronSideSite,
  NeuronStep,
  SiteSnippet,
  SnippetAnalysis,
  ZeroInputsSite,
} from "@snn/core/internal";
import { WgslPrinter } from "../wgsl/printer";
import { type KernelBuilder, WORKGROUP_SIZE } from "./kernel-builder";
import { entry, type Generator, threadIdFunction } from "./generator";
import { StorageRef } from "./storage";
import { builtinName, type Names, namesUsed, namesWritten, scope } from "./wgsl-names";

/** The kernel of a neuron step; returns its instance. */
export function neuronKernel(g: Generator, step: NeuronStep): number {
  const plan = g.plan;
  const q = step.population;
  const pop = plan.populations[q]!;
  const model = pop.model;
  const k = g.builder("neurons");
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
    out.indent(() => neuronBody(g, k, step, n));
    out.line("}");
    out.line("// One lane per word stores this step's spike bits (and records them).");
    out.line("workgroupBarrier();");
    out.line("let word = id / 32u;");
    out.block(`if (lane % 32u == 0u && word < ${words})`, () => {
      out.line("let bits = atomicLoad(&spike_words[lane / 32u]);");
      const spikes = g.alloc(StorageRef.spikes(q));
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
  return g.finish(k, title, pop.name, `neurons '${pop.name}'`, {
    kind: "elements",
    elements: pop.size,
    batches: plan.batchSize,
  });
}

/** The update of one neuron (thread `id`, batch element `batch`): the step's sites; sets `spike`. */
function neuronBody(g: Generator, k: KernelBuilder, step: NeuronStep, n: string): void {
  const plan = g.plan;
  const q = step.population;
  const pop = plan.populations[q]!;
  const model = pop.model;
  const out = k.body;
  const neuronRefOf = (name: string): StorageRef => {
    const ref = step.vars.find((v) => v.name === name);
    if (ref === undefined) throw new Error(`internal: population ${q} has no variable ${name}`);
    return ref;
  };
  const neuronSite = step.sites.find((s): s is NeuronModelSite => s.kind === "neuron");
  // Every additional input of the population, as the step program types them (zeroed by this site).
  const zeroInputs = step.sites.find((s): s is ZeroInputsSite => s.kind === "zeroInputs")!;
  const neuronWritten = namesWritten(analyses(neuronSite?.snippets ?? []), "var");
  if (pop.vars.length > 0) out.line(`// State of the population (model ${model.name})`);
  g.loadVars(
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
  // Postsynaptic models of incoming projections.
  if (!pop.spikeSource || step.sites.some((s) => s.kind === "apply"))
    out.line("var Isyn: f32 = 0.0f;");
  const additional = (ref: AdditionalInputRef): string => {
    const a = g.alloc(ref);
    return k.element(a, k.offset(`a_${ref.name}`, a), `batch * ${n} + id`);
  };
  for (const site of step.sites) {
    switch (site.kind) {
      case "apply":
        applyInput(g, k, site, n);
        break;
      case "spikeSource":
      case "neuron": {
        // The additional inputs as the neuron model reads them.
        for (const input of zeroInputs.inputs)
          out.line(`let a_${input.name} = ${additional(input)};`);
        if (site.kind === "neuron") neuronModel(g, k, step, site);
        else spikeSource(k, step, pop.size);
        g.storeVars(
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
        break;
      }
      case "zeroInputs":
        for (const input of site.inputs) out.line(`${additional(input)} = 0.0f;`);
        break;
      case "neuronSide":
        neuronSideCode(g, k, site, n);
        break;
    }
  }
}

/** The postsynaptic model of an incoming projection: `Isyn` from its input, which is then zeroed. */
function applyInput(g: Generator, k: KernelBuilder, site: ApplySite, n: string): void {
  const p = site.projection;
  const proj = g.plan.projections[p]!;
  const ps = proj.postsynaptic!;
  const out = k.body;
  const prefix = `in${site.slot}_`;
  out.line(`// Input from an incoming projection (postsynaptic model ${ps.model.name})`);
  out.block("", () => {
    const inSyn = g.alloc(StorageRef.inSyn(p));
    const inSynElement = k.element(inSyn, k.offset(`${prefix}insyn`, inSyn), `batch * ${n} + id`);
    out.line(`let inSyn = ${inSynElement};`);
    const written = namesWritten([site.apply.analysis], "var");
    const refOf = (name: string): StorageRef => g.siteRef(site, { kind: "var", name });
    g.loadVars(
      k,
      ps.vars,
      namesUsed([site.apply.analysis], "var"),
      written,
      (x) => `ps_${x}`,
      (x) => `${prefix}ps_o_${x}`,
      refOf,
      "id",
      n,
    );
    const param = g.paramNames(ps.params, ps.derivedParams, k, `${prefix}ps_p_`);
    const rng = g.rngInit(
      k,
      site.usage.random,
      "id",
      `${prefix}rng`,
      site.rngStream,
      site.apply.field,
    );
    new WgslPrinter(
      out,
      scope(
        site.apply.snippet,
        ps.model.name,
        "apply",
        {
          builtin: (name) => builtinName(name, "id"),
          param,
          derivedParam: param,
          var: (x) => `ps_${x}`,
          input: (x) => x,
        },
        rng,
      ),
    ).statements(site.apply.snippet);
    g.storeVars(
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
}

/** A spike source array's spike: this step's events of this batch element contain the neuron. */
function spikeSource(k: KernelBuilder, step: NeuronStep, size: number): void {
  const out = k.body;
  const events = k.spikeEvents(step.population);
  const words = k.field("words", "u32", Math.ceil(size / 32));
  const steps = k.field("event_steps", "u32", 0);
  out.line(
    "// Spike source array: a spike when this step's events of this batch element contain the neuron.",
  );
  out.line(`if (trial_step < ${steps}) {`);
  out.line(`  let word = ${events}[(trial_step * BATCH + batch) * ${words} + id / 32u];`);
  out.line("  spike = ((word >> (id % 32u)) & 1u) != 0u;");
  out.line("}");
}

/** `sim`, `threshold` and `reset` of the neuron model (one execution for random numbers). */
function neuronModel(
  g: Generator,
  k: KernelBuilder,
  step: NeuronStep,
  site: NeuronModelSite,
): void {
  const pop = g.plan.populations[step.population]!;
  const model = pop.model;
  const out = k.body;
  if (!site.sim && !site.threshold) return;
  const param = g.paramNames(pop.params, pop.derivedParams, k, "p_", pop.name);
  const names: Names = {
    builtin: (name) => builtinName(name, "id"),
    param,
    derivedParam: param,
    var: (x) => `n_${x}`,
    additionalInput: (x) => `a_${x}`,
    input: () => "Isyn",
  };
  const print = (s: SiteSnippet, rng: { rng?: string }) =>
    new WgslPrinter(out, scope(s.snippet, model.name, s.hook, names, rng));
  out.block("", () => {
    const rng = g.rngInit(
      k,
      site.usage.random,
      "id",
      "rng",
      site.rngStream,
      site.snippets[0]!.field,
    );
    if (site.sim) {
      const sim = site.sim;
      out.line("// sim");
      out.block("", () => print(sim, rng).statements(sim.snippet));
    }
    if (site.threshold) {
      out.line("// threshold");
      const condition = print(site.threshold, rng).expression(site.threshold.snippet);
      out.line(`spike = ${condition};`);
    }
    if (site.reset) {
      const reset = site.reset;
      out.line("// reset");
      out.block("if (spike)", () => print(reset, rng).statements(reset.snippet));
    }
  });
}

/** preSpikeCode + preDynamics (side pre) or postSpikeCode + postDynamics (side post) of a projection, per neuron. */
function neuronSideCode(g: Generator, k: KernelBuilder, site: NeuronSideSite, n: string): void {
  const p = site.projection;
  const proj = g.plan.projections[p]!;
  const side = site.side;
  const { spikeCode, dynamics } = site;
  const prefix = `${side === "pre" ? "out" : "in"}${site.slot}_`;
  const out = k.body;
  const vars = side === "pre" ? proj.preVars : proj.postVars;
  const kind = side === "pre" ? "preVar" : "postVar";
  const refOf = (name: string): StorageRef => g.siteRef(site, { kind, name });
  const written = namesWritten(analyses(site.snippets), kind);
  const local = (x: string): string => `${side}_${x}`;
  const field = (x: string): string => `${prefix}o_${side}_${x}`;
  out.line(
    `// ${side === "pre" ? "Presynaptic" : "Postsynaptic"} code of a projection (model ${proj.model.name})`,
  );
  out.block("", () => {
    g.loadVars(
      k,
      vars,
      namesUsed(analyses(site.snippets), kind),
      written,
      local,
      field,
      refOf,
      "id",
      n,
    );
    const param = g.paramNames(proj.params, proj.derivedParams, k, `${prefix}p_`, proj.name);
    const names: Names = {
      builtin: (name) => builtinName(name, "id"),
      param,
      derivedParam: param,
      [kind]: local,
      neuronVarRef: (x: string) => `n_${x}`,
    };
    const run = (s: SiteSnippet): void => {
      out.block("", () => {
        const rng = g.rngInit(k, s.analysis.random, "id", `${prefix}rng`, site.rngStream, s.field);
        new WgslPrinter(out, scope(s.snippet, proj.model.name, s.hook, names, rng)).statements(
          s.snippet,
        );
      });
    };
    if (spikeCode) out.block("if (spike)", () => run(spikeCode));
    if (dynamics) run(dynamics);
    g.storeVars(k, vars, written, local, field, refOf, "id", n);
  });
}

/** Core's analyses of a site's snippets. */
function analyses(snippets: readonly SiteSnippet[]): SnippetAnalysis[] {
  return snippets.map((s) => s.analysis);
}
