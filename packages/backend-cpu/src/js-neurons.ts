/**
 * The generated JavaScript of a neuron entry of the step program (core's step-program.ts): one
 * function that loops over the batch and the neurons and prints each site of the entry in
 * order, and the postSpike pass after it. What is the JavaScript's own: the loops, the locals
 * (`j`, `ni`, `nb`, `Isyn`, `spiked`) and how a stored variable is indexed.
 */
import type { Binding, KernelPlan } from "@snn/core";
import type {
  ApplySite,
  NeuronModelSite,
  NeuronSideSite,
  NeuronStep,
  NeuronStepSite,
} from "@snn/core/internal";
import type { GeneratedKernel } from "./js-module";
import { ModuleBuilder } from "./js-module";
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
import { synapseSite } from "./js-synapses";
import { floatLiteral, printCondition, printSnippet } from "./printer";
import type { NetworkStorage } from "./storage";
import { siteVar, varIndex } from "./stored-vars";

/** The synapses of each postsynaptic neuron, in synapse order: `colSynapse[colStart[j] .. colStart[j + 1])`. */
function columnsOf(
  postIndex: Int32Array | Uint32Array,
  numPost: number,
): { colStart: Int32Array; colSynapse: Int32Array } {
  const colStart = new Int32Array(numPost + 1);
  for (let syn = 0; syn < postIndex.length; syn++) colStart[postIndex[syn]! + 1]!++;
  for (let j = 0; j < numPost; j++) colStart[j + 1]! += colStart[j]!;
  const next = colStart.slice(0, numPost);
  const colSynapse = new Int32Array(postIndex.length);
  for (let syn = 0; syn < postIndex.length; syn++) colSynapse[next[postIndex[syn]!]!++] = syn;
  return { colStart, colSynapse };
}

/** Prints the per-neuron code of a neuron step; the code names `b`, `j`, `nb`, `ni`, `Isyn`, `spiked` and `count`. */
class NeuronSitePrinter {
  private readonly builtins: Readonly<Record<string, string>>;
  /** Whether any site draws random numbers. */
  usesRandom = false;

  constructor(
    private readonly plan: KernelPlan,
    private readonly storage: NetworkStorage,
    private readonly m: ModuleBuilder,
    private readonly step: NeuronStep,
    dt: string,
  ) {
    this.builtins = { dt, t: "t", step: "s", batch: "b", id: "j" };
  }

  /** The code of one site. */
  site(site: NeuronStepSite): string {
    switch (site.kind) {
      case "apply":
        return this.apply(site);
      case "neuron":
        return this.neuron(site);
      case "spikeSource":
        return `        spiked = cursor < count && ${this.spikes}[nb + cursor] === j;\n        if (spiked) cursor++;\n`;
      case "zeroInputs": {
        const inputs = this.storage.populations[this.step.population]!.additionalInputs;
        return site.inputs
          .map((input) => `        ${this.m.ref(inputs.get(input.name)!)}[ni] = 0;\n`)
          .join("");
      }
      case "neuronSide":
        return this.neuronSide(site);
    }
  }

  private get spikes(): string {
    return this.m.ref(this.storage.populations[this.step.population]!.spikes);
  }

  /** A variable of this population, `writable` where the site may write it back. */
  private neuronVar(
    site: NeuronModelSite | NeuronSideSite,
    binding: Binding,
    local: string,
    writable: boolean,
  ): Access {
    const { stored, written } = siteVar(this.storage, site.storage, binding);
    return storageAccess(
      local,
      this.m.ref(stored.array),
      varIndex(stored, "nb + j", "j"),
      stored.planned.type,
      writable && written,
    );
  }

  private apply(s: ApplySite): string {
    const { m } = this;
    const projection = this.plan.projections[s.projection]!;
    const ps = projection.postsynaptic!;
    const psStorage = this.storage.projections[s.projection]!;
    const inSyn = m.ref(psStorage.inSyn!);
    const site: CodeSite = new CodeSite(
      (binding, type): Access => {
        const param = paramValue(binding, ps.params, ps.derivedParams);
        if (param !== null) return { name: param };
        switch (binding.kind) {
          case "var": {
            const { stored, written } = siteVar(this.storage, s.storage, binding);
            return storageAccess(
              `v_${binding.name}`,
              m.ref(stored.array),
              varIndex(stored, "ni", "j"),
              type,
              written,
            );
          }
          case "input":
            return { name: binding.name === "Isyn" ? "Isyn" : "inSyn" };
          case "builtin":
            return { name: builtinValue(binding.name, this.builtins) };
          default:
            return unknownBinding(binding, `postsynaptic model '${ps.model.name}'`);
        }
      },
      { element: "j", batch: "b", step: "gstep", stream: s.rngStream, field: s.apply.field },
    ).of(s);
    this.usesRandom ||= site.usage.random;
    return `        {\n          const inSyn = ${inSyn}[ni];\n          ${inSyn}[ni] = 0;\n${site.prologue("          ")}${printSnippet(s.apply.snippet, site.scope, "          ")}${site.epilogue("          ")}        }\n`;
  }

  private neuron(s: NeuronModelSite): string {
    const { m } = this;
    const population = this.plan.populations[this.step.population]!;
    const storage = this.storage.populations[population.index]!;
    const site: CodeSite = new CodeSite(
      (binding): Access => {
        const param = paramValue(
          binding,
          population.params,
          population.derivedParams,
          dynamicRef(m, storage.params),
        );
        if (param !== null) return { name: param };
        switch (binding.kind) {
          case "var":
            return this.neuronVar(s, binding, `v_${binding.name}`, true);
          case "additionalInput": {
            const input = storage.additionalInputs.get(binding.name);
            if (!input) return unknownBinding(binding, `population '${population.name}'`);
            return {
              name: `ai_${binding.name}`,
              declare: `const ai_${binding.name} = ${m.ref(input)}[ni];`,
            };
          }
          case "input":
            return { name: "Isyn" };
          case "builtin":
            return { name: builtinValue(binding.name, this.builtins) };
          default:
            return unknownBinding(binding, `neuron model '${population.model.name}'`);
        }
      },
      {
        element: "j",
        batch: "b",
        step: "gstep",
        stream: s.rngStream,
        field: s.snippets[0]?.field ?? 0,
      },
    ).of(s);
    this.usesRandom ||= site.usage.random;
    const threshold = s.threshold ? printCondition(s.threshold.snippet, site.scope) : "false";
    let code = site.prologue("        ");
    code += printSnippet(s.sim?.snippet ?? null, site.scope, "        ");
    code += `        spiked = ${threshold};\n`;
    code += `        if (spiked) {\n${printSnippet(s.reset?.snippet ?? null, site.scope, "          ")}          ${this.spikes}[nb + count++] = j;\n        }\n`;
    code += site.epilogue("        ");
    return code;
  }

  private neuronSide(s: NeuronSideSite): string {
    const { m } = this;
    const projection = this.plan.projections[s.projection]!;
    const side = s.side;
    const kind = side === "pre" ? "preVar" : "postVar";
    const site: CodeSite = new CodeSite(
      (binding, type): Access => {
        const param = paramValue(
          binding,
          projection.params,
          projection.derivedParams,
          dynamicRef(m, this.storage.projections[s.projection]!.params),
        );
        if (param !== null) return { name: param };
        switch (binding.kind) {
          case "preVar":
          case "postVar": {
            if (binding.kind !== kind)
              return unknownBinding(binding, `${side} code of '${projection.name}'`);
            const { stored, written } = siteVar(this.storage, s.storage, binding);
            return storageAccess(
              `pv_${binding.name}`,
              m.ref(stored.array),
              varIndex(stored, "ni", "j"),
              type,
              written,
            );
          }
          case "neuronVarRef":
            return this.neuronVar(s, binding, `n_${binding.name}`, false);
          case "builtin":
            return { name: builtinValue(binding.name, this.builtins) };
          default:
            return unknownBinding(binding, `${side} code of '${projection.name}'`);
        }
      },
      { element: "j", batch: "b", step: "gstep", stream: s.rngStream, field: s.snippets[0]!.field },
    ).of(s);
    this.usesRandom ||= site.usage.random;
    let code = site.prologue("          ");
    if (s.spikeCode) {
      site.setField(s.spikeCode.field);
      code += `          if (spiked) {\n${printSnippet(s.spikeCode.snippet, site.scope, "            ")}          }\n`;
    }
    if (s.dynamics) {
      code += site.resetRandom("          ", s.dynamics.field);
      code += printSnippet(s.dynamics.snippet, site.scope, "          ");
    }
    code += site.epilogue("          ");
    return `        {\n${code}        }\n`;
  }
}

/** The function of a neuron step: every site, per batch element and neuron. */
export function neuronKernel(
  plan: KernelPlan,
  storage: NetworkStorage,
  step: NeuronStep,
): GeneratedKernel {
  const m = new ModuleBuilder(plan.seed);
  const population = plan.populations[step.population]!;
  const size = population.size;
  const dt = floatLiteral(plan.dt);
  const popStorage = storage.populations[step.population]!;
  const spikes = m.ref(popStorage.spikes);
  const spikeCount = m.ref(popStorage.spikeCount);
  const printer = new NeuronSitePrinter(plan, storage, m, step, dt);
  // The sites before the neuron model's (inputs), the model's with zeroing, and the projections' after it.
  let applyCode = "";
  let neuronCode = "";
  let neuronSideCode = "";
  let zeroesInputs = false;
  for (const site of step.sites) {
    const code = printer.site(site);
    if (site.kind === "apply") applyCode += code;
    else if (site.kind === "neuronSide") neuronSideCode += code;
    else neuronCode += code;
    if (site.kind === "zeroInputs") zeroesInputs = site.inputs.length > 0;
  }

  const perNeuron = applyCode !== "" || zeroesInputs || neuronSideCode !== "";
  const clock = m.ref(storage.clock);
  let body = `  const s = ${clock}[0], gstep = ${clock}[1];\n  const t = Math.fround(s * ${dt});\n`;
  body += `  for (let b = 0; b < ${plan.batchSize}; b++) {\n    const nb = b * ${size};\n`;
  if (population.spikeSource) {
    const events = m.ref(popStorage.events!);
    body += `    const evSteps = ${events}.steps, evUnits = ${events}.units, evEnd = ${events}.end[b];
    let e = ${events}.cursor[b];
    while (e < evEnd && evSteps[e] < s) e++;
    let count = 0;
    while (e < evEnd && evSteps[e] === s) {
      // insert in ascending order, dropping duplicates
      const unit = evUnits[e++];
      let k = count;
      while (k > 0 && ${spikes}[nb + k - 1] > unit) k--;
      if (k > 0 && ${spikes}[nb + k - 1] === unit) continue;
      for (let q = count; q > k; q--) ${spikes}[nb + q] = ${spikes}[nb + q - 1];
      ${spikes}[nb + k] = unit;
      count++;
    }
    ${events}.cursor[b] = e;
    ${spikeCount}[b] = count;
`;
    if (perNeuron) {
      body += `    let cursor = 0;\n    for (let j = 0; j < ${size}; j++) {\n      const ni = nb + j;\n      let spiked = false;\n      let Isyn = 0;\n      {\n${applyCode}${neuronCode}${neuronSideCode}      }\n    }\n`;
    }
  } else {
    body += `    let count = 0;\n    for (let j = 0; j < ${size}; j++) {\n      const ni = nb + j;\n      let spiked = false;\n`;
    body += `      let Isyn = 0;\n`;
    body += `      {\n${applyCode}${neuronCode}${neuronSideCode}      }\n    }\n    ${spikeCount}[b] = count;\n`;
  }
  body += `  }\n`;
  return m.build(
    `neurons ${population.name}`,
    functionName("neurons", population.name),
    body,
    printer.usesRandom,
  );
}

/**
 * Learning at the population's spikes (the step's `postSpike` sites): each incoming projection's
 * postSpike code, per synapse onto each neuron that spiked this step (ascending), run once the
 * whole population has updated (its spike code and dynamics included), so a recurrent projection
 * sees every neuron's new pre variables. Null when no incoming projection has postSpike code.
 */
export function postSpikeKernel(
  plan: KernelPlan,
  storage: NetworkStorage,
  step: NeuronStep,
): GeneratedKernel | null {
  if (step.postSpike.length === 0) return null;
  const m = new ModuleBuilder(plan.seed);
  const population = plan.populations[step.population]!;
  const size = population.size;
  const dt = floatLiteral(plan.dt);
  const popStorage = storage.populations[population.index]!;
  const spikes = m.ref(popStorage.spikes);
  const spikeCount = m.ref(popStorage.spikeCount);
  let postSpikeCode = "";
  for (const s of step.postSpike) {
    const projection = plan.projections[s.projection]!;
    const nPre = plan.populations[projection.pre]!.size;
    const site = synapseSite(plan, storage, m, s);
    const synapse = (indent: string): string =>
      `${indent}{\n${site.prologue(indent + "  ")}${printSnippet(s.code.snippet, site.scope, indent + "  ")}${site.epilogue(indent + "  ")}${indent}}\n`;
    const connectivity = projection.connectivity;
    let loop: string;
    if (connectivity.kind === "dense") {
      loop = `          for (let i = 0; i < ${nPre}; i++) {\n            const syn = i * ${size} + j;\n${synapse("            ")}          }\n`;
    } else if (connectivity.kind === "oneToOne") {
      loop = `          {\n            const i = j, syn = j;\n${synapse("            ")}          }\n`;
    } else {
      // the synapses of each postsynaptic neuron, in synapse order
      const { colStart, colSynapse } = columnsOf(connectivity.postIndex, size);
      loop = `          for (let c = ${m.ref(colStart)}[j]; c < ${m.ref(colStart)}[j + 1]; c++) {\n            const syn = ${m.ref(colSynapse)}[c], i = ${m.ref(connectivity.preIndex)}[syn];\n${synapse("            ")}          }\n`;
    }
    postSpikeCode += `        {\n          const sb = b * ${projection.numSynapses}, pb = b * ${nPre}, qb = nb;\n${loop}        }\n`;
  }
  const clock = m.ref(storage.clock);
  let body = `  const s = ${clock}[0], gstep = ${clock}[1];\n  const t = Math.fround(s * ${dt});\n`;
  body += `  for (let b = 0; b < ${plan.batchSize}; b++) {\n    const nb = b * ${size}, count = ${spikeCount}[b];\n`;
  body += `    for (let k = 0; k < count; k++) {\n      const j = ${spikes}[nb + k];\n${postSpikeCode}    }\n  }\n`;
  return m.build(
    `postSpike ${population.name}`,
    functionName("postSpike", population.name),
    body,
    false,
  );
}
