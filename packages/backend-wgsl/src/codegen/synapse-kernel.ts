/**
 * The WGSL kernels of a synapse step (core's step-program.ts) and of a population's postSpike
 * sites: one thread per postsynaptic neuron and batch element loops over the synapses onto it
 * (dense, sparse by column, one-to-one) and runs the site's code, summing `addToPost` in a
 * local; and the kernel that sums `addToPre` values per presynaptic neuron. What is WGSL's own:
 * the post-parallel skeleton, the locals and how storage is addressed in the arenas.
 */
import type { PlannedPopulation } from "@snn/core";
import type { PreSpikeSite, SynapseSite, SynapseStep } from "@snn/core/internal";
import { WgslPrinter } from "../wgsl/printer";
import { entry, type Generator, threadIdFunction } from "./generator";
import { StorageRef } from "./storage";
import { builtinName, type Names, namesUsed, namesWritten, scope } from "./wgsl-names";

/** The sites one synapse kernel runs: a synapse step's `preSpike` and `synapseDynamics`, or one `postSpike` site. */
export type SynapseKernelSites =
  | {
      readonly preSpike: PreSpikeSite | null;
      readonly synapseDynamics: SynapseSite | null;
      readonly postSpike?: undefined;
    }
  | {
      readonly preSpike?: undefined;
      readonly synapseDynamics?: undefined;
      readonly postSpike: SynapseSite;
    };

/**
 * Delivers spikes (a synapse step's `preSpike`) and runs its `synapseDynamics`, one thread per
 * postsynaptic neuron and batch element; or, for a `postSpike` site (after the postsynaptic
 * population's update), runs the postSpike code on the synapses of each postsynaptic neuron
 * that spiked in this step. Null when there is no code to run.
 */
export function synapseKernel(g: Generator, sites: SynapseKernelSites): number | null {
  const preSpike = sites.preSpike ?? null;
  const synapseDynamics = sites.synapseDynamics ?? null;
  const postSpike = sites.postSpike ?? null;
  const mode = postSpike ? "postSpike" : "synapses";
  const code = preSpike ?? synapseDynamics ?? postSpike;
  if (!code) return null;
  const plan = g.plan;
  const p = code.projection;
  const proj = plan.projections[p]!;
  const pre = plan.populations[proj.pre]!;
  const post = plan.populations[proj.post]!;
  const k = g.builder("synapses");
  const out = k.body;
  const clock = k.clock();
  const nPre = k.field("n_pre", "u32", pre.size);
  const nPost = k.field("n_post", "u32", post.size);
  const kind = proj.connectivity.kind;
  const usesPost = [preSpike, synapseDynamics].some(
    (s) => s !== null && s.usage.calls.includes("addToPost"),
  );
  const usesPre = synapseDynamics?.usage.calls.includes("addToPre") ?? false;

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
        const colStart = g.alloc(StorageRef.sparse(p, "colStart"));
        const colSynapse = g.alloc(StorageRef.sparse(p, "colSynapse"));
        const colPre = g.alloc(StorageRef.sparse(p, "colPre"));
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
    const param = g.paramNames(proj.params, proj.derivedParams, k, "p_", proj.name);
    const synapseBlock = (site: SynapseSite): void => {
      const { snippet, hook: field, analysis } = site.code;
      const written = namesWritten([analysis], "var");
      const refOf = (name: string): StorageRef => g.siteRef(site, { kind: "var", name });
      g.loadVars(
        k,
        proj.vars,
        namesUsed([analysis], "var"),
        written,
        (x) => `s_${x}`,
        (x) => `o_s_${x}`,
        refOf,
        "syn",
        nSyn,
      );
      g.loadVars(
        k,
        proj.preVars,
        namesUsed([analysis], "preVar"),
        new Set(),
        (x) => `pre_${x}`,
        (x) => `o_pre_${x}`,
        (x) => g.siteRef(site, { kind: "preVar", name: x }),
        "id_pre",
        nPre,
      );
      g.loadVars(
        k,
        proj.postVars,
        namesUsed([analysis], "postVar"),
        new Set(),
        (x) => `post_${x}`,
        (x) => `o_post_${x}`,
        (x) => g.siteRef(site, { kind: "postVar", name: x }),
        "id_post",
        nPost,
      );
      const popOf = (side: "pre" | "post"): PlannedPopulation => (side === "pre" ? pre : post);
      for (const side of ["pre", "post"] as const) {
        const population = popOf(side);
        g.loadVars(
          k,
          population.vars,
          namesUsed([analysis], "neuronVarRef", side),
          new Set(),
          (x) => `n${side}_${x}`,
          (x) => `o_n${side}_${x}`,
          (x) => g.siteRef(site, { kind: "neuronVarRef", side, name: x }),
          `id_${side}`,
          side === "pre" ? nPre : nPost,
        );
      }
      if (field === "synapseDynamics" && usesPre) out.line("var add_pre: f32 = 0.0f;");
      // (postSpike code draws no random numbers: the planner refuses it)
      const rng =
        field === "postSpike"
          ? {}
          : g.rngInit(k, site.usage.random, "syn", "rng", site.rngStream, site.code.field);
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
      g.storeVars(
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
        const scratch = g.alloc(StorageRef.preScratch(p));
        out.line(
          `${k.element(scratch, k.offset("pre_scratch", scratch), `batch * ${nSyn} + syn`)} = add_pre;`,
        );
      }
    };
    if (preSpike) {
      const spikes = g.alloc(StorageRef.spikes(proj.pre));
      const slot = preSpike.delayed ? "((global_step + 1u) & 1u)" : "(global_step & 1u)";
      out.line(
        `// Spikes of the presynaptic population, ${preSpike.delayed ? "of the previous step (delay 1)" : "of this step (delay 0)"}`,
      );
      out.line(
        `let spike_base = ${k.offset("pre_spikes", spikes)} + (${slot} * BATCH + batch) * ${preWords};`,
      );
      out.line(`// preSpike (model ${proj.model.name}), ${kind} connectivity`);
      loop(() => synapseBlock(preSpike), {
        base: "spike_base",
        bits: k.arena(spikes.arena, spikes.chunk),
      });
    }
    if (synapseDynamics) {
      out.line(`// synapseDynamics (model ${proj.model.name}), ${kind} connectivity`);
      loop(() => out.block("", () => synapseBlock(synapseDynamics)), null);
    }
    if (postSpike) {
      const spikes = g.alloc(StorageRef.spikes(proj.post));
      const postWords = k.field("post_words", "u32", Math.ceil(post.size / 32));
      out.line("// Spikes of the postsynaptic population in this step (its update has run)");
      out.line(
        `let post_base = ${k.offset("post_spikes", spikes)} + ((global_step & 1u) * BATCH + batch) * ${postWords};`,
      );
      out.block(
        `if (((${k.arena(spikes.arena, spikes.chunk)}[post_base + id_post / 32u] >> (id_post % 32u)) & 1u) != 0u)`,
        () => {
          out.line(`// postSpike (model ${proj.model.name}), ${kind} connectivity`);
          loop(() => out.block("", () => synapseBlock(postSpike)), null);
        },
      );
    }
    if (usesPost) {
      const target = g.alloc(code.addToPost);
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
  return g.finish(
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
export function preReduceKernel(g: Generator, step: SynapseStep): number | null {
  if (!step.synapseDynamics?.usage.calls.includes("addToPre")) return null;
  const plan = g.plan;
  const p = step.projection;
  const proj = plan.projections[p]!;
  const pre = plan.populations[proj.pre]!;
  const post = plan.populations[proj.post]!;
  const k = g.builder("addToPre");
  const out = k.body;
  const nPre = k.field("n_pre", "u32", pre.size);
  const nPost = k.field("n_post", "u32", post.size);
  const nSyn = k.field("n_syn", "u32", proj.numSynapses);
  const scratch = g.alloc(StorageRef.preScratch(p));
  const so = k.offset("pre_scratch", scratch);
  const addToPre = step.synapseDynamics.addToPre;
  if (addToPre === null)
    throw new Error(`internal: projection '${proj.name}' calls addToPre without a preTarget`);
  const target = g.alloc(addToPre);
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
      const rowStart = g.alloc(StorageRef.sparse(p, "rowStart"));
      const rs = k.offset("row_start", rowStart);
      out.block(
        `for (var syn = ${k.element(rowStart, rs, "id_pre")}; syn < ${k.element(rowStart, rs, "id_pre + 1u")}; syn++)`,
        () => out.line(`sum += ${k.element(scratch, so, `batch * ${nSyn} + syn`)};`),
      );
    }
    out.line(`${k.element(target, k.offset("dest", target), `batch * ${nPre} + id_pre`)} += sum;`);
  });
  out.line("}");
  out.line("");
  threadIdFunction(out);
  return g.finish(
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
