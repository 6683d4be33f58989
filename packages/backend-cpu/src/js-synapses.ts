/**
 * The generated JavaScript of a synapse entry of the step program (core's step-program.ts):
 * `preSpike` over the synapses of the presynaptic neurons that spiked, then `synapseDynamics`
 * over every synapse, per batch element; and the code site every per-synapse snippet is printed
 * with (also the postSpike pass's, js-neurons.ts). What is the JavaScript's own: the loops over
 * rows, the locals (`syn`, `i`, `j`, `sb`, `pb`, `qb`) and how a stored variable is indexed.
 */
import type { KernelPlan } from "@snn/core";
import type { SynapseSite, SynapseStep } from "@snn/core/internal";
import { ModuleBuilder, type GeneratedKernel } from "./js-module";
import {
  builtinValue,
  CodeSite,
  dynamicRef,
  functionName,
  paramValue,
  storageAccess,
  unknownBinding,
  type Access,
} from "./js-site";
import { floatLiteral, printSnippet } from "./printer";
import type { NetworkStorage } from "./storage";
import { effectTarget, siteVar, varIndex } from "./stored-vars";
import type { WasmKernels } from "./wasm-kernels";

/**
 * A code site of a projection's per-synapse code: its variables by synapse (`sb + syn` or
 * `syn`), presynaptic (`pb + i`), postsynaptic (`qb + j`), the connected neurons' variables,
 * and `addToPost`/`addToPre` into the targets. The code using it names `b`, `s`, `gstep`,
 * `syn`, `i`, `j`, `sb`, `pb` and `qb`.
 */
export function synapseSite(
  plan: KernelPlan,
  networkStorage: NetworkStorage,
  m: ModuleBuilder,
  s: SynapseSite,
): CodeSite {
  const projection = plan.projections[s.projection]!;
  const storage = networkStorage.projections[projection.index]!;
  const builtins = {
    dt: floatLiteral(plan.dt),
    t: "t",
    step: "s",
    batch: "b",
    id: "syn",
    id_pre: "i",
    id_post: "j",
  };
  const postTarget = effectTarget(networkStorage, s.addToPost);
  const preTarget = s.addToPre === null ? undefined : effectTarget(networkStorage, s.addToPre);
  const effects = {
    ...(postTarget
      ? { addToPost: (value: string) => `${m.ref(postTarget)}[qb + j] += ${value};` }
      : {}),
    ...(preTarget
      ? { addToPre: (value: string) => `${m.ref(preTarget)}[pb + i] += ${value};` }
      : {}),
  };
  /** A stored variable indexed by `batched` (one copy per batch element) or `shared`. */
  const variable = (
    binding: Parameters<typeof siteVar>[2],
    local: string,
    batched: string,
    shared: string,
    type: Parameters<typeof storageAccess>[3],
    writable: boolean,
  ): Access => {
    const { stored, written } = siteVar(networkStorage, s.storage, binding);
    return storageAccess(
      local,
      m.ref(stored.array),
      varIndex(stored, batched, shared),
      type,
      writable && written,
    );
  };
  return new CodeSite(
    (binding, type): Access => {
      const param = paramValue(
        binding,
        projection.params,
        projection.derivedParams,
        dynamicRef(m, storage.params),
      );
      if (param !== null) return { name: param };
      switch (binding.kind) {
        case "var":
          return variable(binding, `v_${binding.name}`, "sb + syn", "syn", type, true);
        case "preVar":
          return variable(binding, `pv_${binding.name}`, "pb + i", "i", type, true);
        case "postVar":
          return variable(binding, `qv_${binding.name}`, "qb + j", "j", type, true);
        case "neuronVarRef": {
          const { stored } = siteVar(networkStorage, s.storage, binding);
          return binding.side === "pre"
            ? variable(binding, `pre_${binding.name}`, "pb + i", "i", stored.planned.type, false)
            : variable(binding, `post_${binding.name}`, "qb + j", "j", stored.planned.type, false);
        }
        case "builtin":
          return { name: builtinValue(binding.name, builtins) };
        default:
          return unknownBinding(binding, `weight-update model '${projection.model.name}'`);
      }
    },
    { element: "syn", batch: "b", step: "gstep", stream: s.rngStream, field: s.code.field },
    effects,
  ).of(s);
}

/** The function of a synapse step (without the `preSpike` delivery where WebAssembly does it). */
export function synapseKernel(
  plan: KernelPlan,
  storage: NetworkStorage,
  webAssembly: WasmKernels,
  step: SynapseStep,
): GeneratedKernel {
  const m = new ModuleBuilder(plan.seed);
  const projection = plan.projections[step.projection]!;
  const pre = plan.populations[projection.pre]!;
  const post = plan.populations[projection.post]!;
  const preStorage = storage.populations[projection.pre]!;
  const numSynapses = projection.numSynapses;
  const nPre = pre.size;
  const nPost = post.size;
  const dt = floatLiteral(plan.dt);
  const siteBody = (s: SynapseSite, indent: string): { text: string; random: boolean } => {
    const site = synapseSite(plan, storage, m, s);
    return {
      text: `${indent}{\n${site.prologue(indent + "  ")}${printSnippet(s.code.snippet, site.scope, indent + "  ")}${site.epilogue(indent + "  ")}${indent}}\n`,
      random: site.usage.random,
    };
  };

  let usesRandom = false;
  const wasmDelivery = webAssembly.deliveryCall(m, projection);
  let body = `  const s = ${m.ref(storage.clock)}[0], gstep = ${m.ref(storage.clock)}[1];\n  const t = Math.fround(s * ${dt});\n`;
  if (wasmDelivery !== null) body += `  ${wasmDelivery}\n`;
  body += `  for (let b = 0; b < ${plan.batchSize}; b++) {\n    const sb = b * ${numSynapses}, pb = b * ${nPre}, qb = b * ${nPost};\n`;
  const connectivity = projection.connectivity;
  const rowStart = connectivity.kind === "sparse" ? m.ref(connectivity.rowStart) : "";
  const postIndex = connectivity.kind === "sparse" ? m.ref(connectivity.postIndex) : "";
  /** Loops over the synapses of presynaptic neuron `i` with `syn` and `j` set. */
  const overRow = (inner: string, indent: string): string => {
    switch (connectivity.kind) {
      case "dense":
        return `${indent}const row = i * ${nPost};\n${indent}for (let j = 0; j < ${nPost}; j++) {\n${indent}  const syn = row + j;\n${inner}${indent}}\n`;
      case "sparse":
        return `${indent}const rowEnd = ${rowStart}[i + 1];\n${indent}for (let syn = ${rowStart}[i]; syn < rowEnd; syn++) {\n${indent}  const j = ${postIndex}[syn];\n${inner}${indent}}\n`;
      case "oneToOne":
        return `${indent}{\n${indent}  const j = i, syn = i;\n${inner}${indent}}\n`;
    }
  };
  if (step.preSpike && wasmDelivery === null) {
    const source = step.preSpike.delayed ? preStorage.previousSpikes : preStorage.spikes;
    const count = step.preSpike.delayed ? preStorage.previousSpikeCount : preStorage.spikeCount;
    const { text, random } = siteBody(step.preSpike, "        ");
    usesRandom ||= random;
    body += `    const spikeCount = ${m.ref(count)}[b];\n    for (let k = 0; k < spikeCount; k++) {\n      const i = ${m.ref(source)}[pb + k];\n${overRow(text, "      ")}    }\n`;
  }
  if (step.synapseDynamics) {
    const { text, random } = siteBody(step.synapseDynamics, "        ");
    usesRandom ||= random;
    body += `    for (let i = 0; i < ${nPre}; i++) {\n${overRow(text, "      ")}    }\n`;
  }
  body += `  }\n`;
  return m.build(
    `synapses ${projection.name}`,
    functionName("synapses", projection.name),
    body,
    usesRandom,
  );
}
