/**
 * Generates one JavaScript function per schedule entry (a population's neuron update, a
 * projection's synapse update) and per custom update, from the typed snippet AST, with the
 * loops over batch elements and neurons or synapses around the printed code.
 *
 * Each function is built by a factory made with `new Function`: the factory takes the typed
 * arrays it uses, binds them to constants and returns the step function, so that the step
 * function touches no objects other than its typed arrays and allocates nothing.
 * See docs/decisions/0001-timestep-semantics.md of the project for what each function does.
 */
import type { CheckedSnippet, KernelPlan, PlannedPopulation, PlannedProjection } from "@snn/core";
import { bindingKey, RANDOM_FIELD, type wasm } from "@snn/core/internal";
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
import { floatLiteral, printCondition, printSnippet } from "./printer";
import type { NetworkStorage } from "./storage";
import { lookupVar, varIndex } from "./stored-vars";
import { customUpdateKernel } from "./js-custom-updates";
import { customUpdateKernelName, neuronKernelName, WasmKernels } from "./wasm-kernels";

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

/** Generates every kernel of a plan over the given storage. */
export class CodeGenerator {
  private readonly batchSize: number;
  private readonly dt: string;
  /** What runs as WebAssembly, and the module it runs in. */
  private readonly webAssembly: WasmKernels;

  constructor(
    private readonly plan: KernelPlan,
    private readonly storage: NetworkStorage,
  ) {
    this.batchSize = plan.batchSize;
    this.dt = floatLiteral(plan.dt);
    this.webAssembly = new WasmKernels(plan, storage);
  }

  /**
   * One kernel per schedule entry, in schedule order. Where the state lives in a WebAssembly
   * memory and the engine has WebAssembly SIMD, neuron updates that compile to WebAssembly
   * (wasm-neurons.ts) and dense `addToPost(g)` delivery (wasm-delivery.ts) run as WebAssembly;
   * the rest as generated JavaScript.
   */
  scheduleKernels(): GeneratedKernel[] {
    this.webAssembly.compile();
    return this.plan.schedule.map((entry) => {
      if (entry.op === "synapses")
        return this.webAssembly.synapses(
          this.synapseKernel(this.plan.projections[entry.projection]!),
          this.plan.projections[entry.projection]!,
        );
      const population = this.plan.populations[entry.population]!;
      const neurons = this.webAssembly.run(
        this.neuronKernel(population),
        neuronKernelName(population.index),
      );
      const learning = this.postSpikeKernel(population);
      if (learning === null) return neurons;
      return {
        label: neurons.label,
        source: `${neurons.source}\n${learning.source}`,
        run: () => (neurons.run(), learning.run()),
      };
    });
  }

  /**
   * The functions of the WebAssembly module the kernels run in, in module order after the
   * `Math` imports; empty where the kernels are not compiled to WebAssembly (no state memory or
   * no SIMD) or before `scheduleKernels`/`customUpdateKernels`.
   */
  get wasmFunctions(): readonly wasm.FunctionDefinition[] {
    return this.webAssembly.functions;
  }

  /** One kernel per custom update, by index (their random numbers count the group's runs, not steps). */
  customUpdateKernels(): GeneratedKernel[] {
    this.webAssembly.compile();
    const runs = this.storage.customUpdateRuns;
    return this.plan.customUpdates.map((update) =>
      this.webAssembly.run(
        customUpdateKernel(this.plan, this.storage, update),
        customUpdateKernelName(update.index),
        () => runs[update.index]!,
      ),
    );
  }

  /** Access to a neuron variable of population `population` for neuron `index` in batch offset `offset`. */
  private neuronVarAccess(
    m: ModuleBuilder,
    population: PlannedPopulation,
    name: string,
    local: string,
    offset: string,
    index: string,
    written: boolean,
  ): Access {
    const stored = lookupVar(
      this.storage.populations[population.index]!.vars,
      name,
      `population '${population.name}'`,
    );
    return storageAccess(
      local,
      m.ref(stored.array),
      varIndex(stored, `${offset} + ${index}`, index),
      stored.planned.type,
      written,
    );
  }

  // ------------------------------------------------------------------ neurons

  private neuronKernel(population: PlannedPopulation): GeneratedKernel {
    const m = new ModuleBuilder(this.plan.seed);
    const p = population.index;
    const size = population.size;
    const storage = this.storage.populations[p]!;
    const spikes = m.ref(storage.spikes);
    const spikeCount = m.ref(storage.spikeCount);
    let usesRandom = false;
    const builtins = { dt: this.dt, t: "t", step: "s", batch: "b", id: "j" };

    // Postsynaptic models of incoming projections.
    let applyCode = "";
    for (const projectionIndex of population.incoming) {
      const projection = this.plan.projections[projectionIndex]!;
      const ps = projection.postsynaptic;
      if (!ps) continue;
      const psStorage = this.storage.projections[projectionIndex]!;
      const inSyn = m.ref(psStorage.inSyn!);
      const site: CodeSite = new CodeSite(
        (binding, type): Access => {
          const param = paramValue(binding, ps.params, ps.derivedParams);
          if (param !== null) return { name: param };
          switch (binding.kind) {
            case "var": {
              const stored = lookupVar(
                psStorage.postsynapticVars,
                binding.name,
                `projection '${projection.name}'`,
              );
              return storageAccess(
                `v_${binding.name}`,
                m.ref(stored.array),
                varIndex(stored, "ni", "j"),
                type,
                site.usage.stored.has(bindingKey(binding)),
              );
            }
            case "input":
              return { name: binding.name === "Isyn" ? "Isyn" : "inSyn" };
            case "builtin":
              return { name: builtinValue(binding.name, builtins) };
            default:
              return unknownBinding(binding, `postsynaptic model '${ps.model.name}'`);
          }
        },
        {
          element: "j",
          batch: "b",
          step: "gstep",
          stream: projection.rngStream,
          field: RANDOM_FIELD.apply,
        },
      ).use(ps.apply);
      usesRandom ||= site.usage.random;
      applyCode += `        {\n          const inSyn = ${inSyn}[ni];\n          ${inSyn}[ni] = 0;\n${site.prologue("          ")}${printSnippet(ps.apply, site.scope, "          ")}${site.epilogue("          ")}        }\n`;
    }

    // The neuron model itself.
    let neuronCode = "";
    const additionalInputs = [...storage.additionalInputs.entries()];
    if (!population.spikeSource) {
      const code = population.code;
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
              return this.neuronVarAccess(
                m,
                population,
                binding.name,
                `v_${binding.name}`,
                "nb",
                "j",
                site.usage.stored.has(bindingKey(binding)),
              );
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
              return { name: builtinValue(binding.name, builtins) };
            default:
              return unknownBinding(binding, `neuron model '${population.model.name}'`);
          }
        },
        {
          element: "j",
          batch: "b",
          step: "gstep",
          stream: population.rngStream,
          field: RANDOM_FIELD.neuron,
        },
      ).use(code.sim, code.threshold, code.reset);
      usesRandom ||= site.usage.random;
      const threshold = code.threshold ? printCondition(code.threshold, site.scope) : "false";
      neuronCode += site.prologue("        ");
      neuronCode += printSnippet(code.sim, site.scope, "        ");
      neuronCode += `        spiked = ${threshold};\n`;
      neuronCode += `        if (spiked) {\n${printSnippet(code.reset, site.scope, "          ")}          ${spikes}[nb + count++] = j;\n        }\n`;
      neuronCode += site.epilogue("        ");
    } else {
      neuronCode += `        spiked = cursor < count && ${spikes}[nb + cursor] === j;\n        if (spiked) cursor++;\n`;
    }
    for (const [, input] of additionalInputs) neuronCode += `        ${m.ref(input)}[ni] = 0;\n`;

    // Pre- and postsynaptic spike code and dynamics of connected projections.
    let neuronSideCode = "";
    const sides: [readonly number[], "pre" | "post"][] = [
      [population.outgoing, "pre"],
      [population.incoming, "post"],
    ];
    for (const [projections, side] of sides) {
      for (const projectionIndex of projections) {
        const projection = this.plan.projections[projectionIndex]!;
        const spikeCode =
          side === "pre" ? projection.code.preSpikeCode : projection.code.postSpikeCode;
        const dynamics =
          side === "pre" ? projection.code.preDynamics : projection.code.postDynamics;
        if (!spikeCode && !dynamics) continue;
        const vars =
          side === "pre"
            ? this.storage.projections[projectionIndex]!.preVars
            : this.storage.projections[projectionIndex]!.postVars;
        const kind = side === "pre" ? "preVar" : "postVar";
        const site: CodeSite = new CodeSite(
          (binding, type): Access => {
            const param = paramValue(
              binding,
              projection.params,
              projection.derivedParams,
              dynamicRef(m, this.storage.projections[projectionIndex]!.params),
            );
            if (param !== null) return { name: param };
            switch (binding.kind) {
              case "preVar":
              case "postVar": {
                if (binding.kind !== kind)
                  return unknownBinding(binding, `${side} code of '${projection.name}'`);
                const stored = lookupVar(vars, binding.name, `projection '${projection.name}'`);
                return storageAccess(
                  `pv_${binding.name}`,
                  m.ref(stored.array),
                  varIndex(stored, "ni", "j"),
                  type,
                  site.usage.stored.has(bindingKey(binding)),
                );
              }
              case "neuronVarRef":
                return this.neuronVarAccess(
                  m,
                  population,
                  binding.name,
                  `n_${binding.name}`,
                  "nb",
                  "j",
                  false,
                );
              case "builtin":
                return { name: builtinValue(binding.name, builtins) };
              default:
                return unknownBinding(binding, `${side} code of '${projection.name}'`);
            }
          },
          {
            element: "j",
            batch: "b",
            step: "gstep",
            stream: projection.rngStream,
            field: side === "pre" ? RANDOM_FIELD.preSpikeCode : RANDOM_FIELD.postSpikeCode,
          },
        ).use(spikeCode, dynamics);
        usesRandom ||= site.usage.random;
        let code = site.prologue("          ");
        if (spikeCode) {
          site.setField(side === "pre" ? RANDOM_FIELD.preSpikeCode : RANDOM_FIELD.postSpikeCode);
          code += `          if (spiked) {\n${printSnippet(spikeCode, site.scope, "            ")}          }\n`;
        }
        if (dynamics) {
          code += site.resetRandom(
            "          ",
            side === "pre" ? RANDOM_FIELD.preDynamics : RANDOM_FIELD.postDynamics,
          );
          code += printSnippet(dynamics, site.scope, "          ");
        }
        code += site.epilogue("          ");
        neuronSideCode += `        {\n${code}        }\n`;
      }
    }

    const perNeuron = applyCode !== "" || additionalInputs.length > 0 || neuronSideCode !== "";
    const clock = m.ref(this.storage.clock);
    let body = `  const s = ${clock}[0], gstep = ${clock}[1];\n  const t = Math.fround(s * ${this.dt});\n`;
    body += `  for (let b = 0; b < ${this.batchSize}; b++) {\n    const nb = b * ${size};\n`;
    if (population.spikeSource) {
      const events = m.ref(storage.events!);
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
      usesRandom,
    );
  }

  /**
   * Learning at the population's spikes: each incoming projection's postSpike code, per synapse
   * onto each neuron that spiked this step (ascending), run once the whole population has updated
   * (its spike code and dynamics included), so a recurrent projection sees every neuron's new pre
   * variables. Null when no incoming projection has postSpike code.
   */
  private postSpikeKernel(population: PlannedPopulation): GeneratedKernel | null {
    if (!population.incoming.some((p) => this.plan.projections[p]!.code.postSpike !== null))
      return null;
    const m = new ModuleBuilder(this.plan.seed);
    const size = population.size;
    const storage = this.storage.populations[population.index]!;
    const spikes = m.ref(storage.spikes);
    const spikeCount = m.ref(storage.spikeCount);
    let postSpikeCode = "";
    for (const projectionIndex of population.incoming) {
      const projection = this.plan.projections[projectionIndex]!;
      const code = projection.code.postSpike;
      if (!code) continue;
      const nPre = this.plan.populations[projection.pre]!.size;
      const site = this.synapseSite(m, projection, code, 0);
      const synapse = (indent: string): string =>
        `${indent}{\n${site.prologue(indent + "  ")}${printSnippet(code, site.scope, indent + "  ")}${site.epilogue(indent + "  ")}${indent}}\n`;
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
    const clock = m.ref(this.storage.clock);
    let body = `  const s = ${clock}[0], gstep = ${clock}[1];\n  const t = Math.fround(s * ${this.dt});\n`;
    body += `  for (let b = 0; b < ${this.batchSize}; b++) {\n    const nb = b * ${size}, count = ${spikeCount}[b];\n`;
    body += `    for (let k = 0; k < count; k++) {\n      const j = ${spikes}[nb + k];\n${postSpikeCode}    }\n  }\n`;
    return m.build(
      `postSpike ${population.name}`,
      functionName("postSpike", population.name),
      body,
      false,
    );
  }

  /**
   * A code site of a projection's per-synapse code: its variables by synapse (`sb + syn` or
   * `syn`), presynaptic (`pb + i`), postsynaptic (`qb + j`), the connected neurons' variables,
   * and `addToPost`/`addToPre` into the targets. The code using it names `b`, `s`, `gstep`,
   * `syn`, `i`, `j`, `sb`, `pb` and `qb`.
   */
  private synapseSite(
    m: ModuleBuilder,
    projection: PlannedProjection,
    code: CheckedSnippet | null,
    field: number,
  ): CodeSite {
    const storage = this.storage.projections[projection.index]!;
    const pre = this.plan.populations[projection.pre]!;
    const post = this.plan.populations[projection.post]!;
    const preStorage = this.storage.populations[projection.pre]!;
    const postStorage = this.storage.populations[projection.post]!;
    const builtins = {
      dt: this.dt,
      t: "t",
      step: "s",
      batch: "b",
      id: "syn",
      id_pre: "i",
      id_post: "j",
    };
    const postTarget =
      storage.inSyn ??
      (projection.postTarget !== null
        ? postStorage.additionalInputs.get(projection.postTarget)
        : undefined);
    const preTarget =
      projection.preTarget !== null
        ? preStorage.additionalInputs.get(projection.preTarget)
        : undefined;
    const effects = {
      ...(postTarget
        ? { addToPost: (value: string) => `${m.ref(postTarget)}[qb + j] += ${value};` }
        : {}),
      ...(preTarget
        ? { addToPre: (value: string) => `${m.ref(preTarget)}[pb + i] += ${value};` }
        : {}),
    };
    const site: CodeSite = new CodeSite(
      (binding, type): Access => {
        const param = paramValue(
          binding,
          projection.params,
          projection.derivedParams,
          dynamicRef(m, storage.params),
        );
        if (param !== null) return { name: param };
        const written = site.usage.stored.has(bindingKey(binding));
        switch (binding.kind) {
          case "var": {
            const stored = lookupVar(storage.vars, binding.name, `projection '${projection.name}'`);
            return storageAccess(
              `v_${binding.name}`,
              m.ref(stored.array),
              varIndex(stored, "sb + syn", "syn"),
              type,
              written,
            );
          }
          case "preVar": {
            const stored = lookupVar(
              storage.preVars,
              binding.name,
              `projection '${projection.name}'`,
            );
            return storageAccess(
              `pv_${binding.name}`,
              m.ref(stored.array),
              varIndex(stored, "pb + i", "i"),
              type,
              written,
            );
          }
          case "postVar": {
            const stored = lookupVar(
              storage.postVars,
              binding.name,
              `projection '${projection.name}'`,
            );
            return storageAccess(
              `qv_${binding.name}`,
              m.ref(stored.array),
              varIndex(stored, "qb + j", "j"),
              type,
              written,
            );
          }
          case "neuronVarRef":
            return binding.side === "pre"
              ? this.neuronVarAccess(m, pre, binding.name, `pre_${binding.name}`, "pb", "i", false)
              : this.neuronVarAccess(
                  m,
                  post,
                  binding.name,
                  `post_${binding.name}`,
                  "qb",
                  "j",
                  false,
                );
          case "builtin":
            return { name: builtinValue(binding.name, builtins) };
          default:
            return unknownBinding(binding, `weight-update model '${projection.model.name}'`);
        }
      },
      { element: "syn", batch: "b", step: "gstep", stream: projection.rngStream, field },
      effects,
    ).use(code);
    return site;
  }

  // ------------------------------------------------------------------ synapses

  private synapseKernel(projection: PlannedProjection): GeneratedKernel {
    const m = new ModuleBuilder(this.plan.seed);
    const pre = this.plan.populations[projection.pre]!;
    const post = this.plan.populations[projection.post]!;
    const preStorage = this.storage.populations[projection.pre]!;
    const numSynapses = projection.numSynapses;
    const nPre = pre.size;
    const nPost = post.size;
    const makeSite = (code: CheckedSnippet | null, field: number): CodeSite =>
      this.synapseSite(m, projection, code, field);
    const siteBody = (
      code: CheckedSnippet,
      field: number,
      indent: string,
    ): { text: string; random: boolean } => {
      const site = makeSite(code, field);
      return {
        text: `${indent}{\n${site.prologue(indent + "  ")}${printSnippet(code, site.scope, indent + "  ")}${site.epilogue(indent + "  ")}${indent}}\n`,
        random: site.usage.random,
      };
    };

    let usesRandom = false;
    const wasmDelivery = this.webAssembly.deliveryCall(m, projection);
    let body = `  const s = ${m.ref(this.storage.clock)}[0], gstep = ${m.ref(this.storage.clock)}[1];\n  const t = Math.fround(s * ${this.dt});\n`;
    if (wasmDelivery !== null) body += `  ${wasmDelivery}\n`;
    body += `  for (let b = 0; b < ${this.batchSize}; b++) {\n    const sb = b * ${numSynapses}, pb = b * ${nPre}, qb = b * ${nPost};\n`;
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
    if (projection.code.preSpike && wasmDelivery === null) {
      const source = projection.delaySteps === 0 ? preStorage.spikes : preStorage.previousSpikes;
      const count =
        projection.delaySteps === 0 ? preStorage.spikeCount : preStorage.previousSpikeCount;
      const { text, random } = siteBody(
        projection.code.preSpike,
        RANDOM_FIELD.preSpike,
        "        ",
      );
      usesRandom ||= random;
      body += `    const spikeCount = ${m.ref(count)}[b];\n    for (let k = 0; k < spikeCount; k++) {\n      const i = ${m.ref(source)}[pb + k];\n${overRow(text, "      ")}    }\n`;
    }
    if (projection.code.synapseDynamics) {
      const { text, random } = siteBody(
        projection.code.synapseDynamics,
        RANDOM_FIELD.synapseDynamics,
        "        ",
      );
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
}
