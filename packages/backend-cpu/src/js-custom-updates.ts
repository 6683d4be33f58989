/** The generated JavaScript of custom updates. */
import type { KernelPlan, PlannedCustomUpdate, ScalarType } from "@snn/core";
import { bindingKey, RANDOM_FIELD } from "@snn/core/internal";
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
import type { NetworkStorage, StoredVar } from "./storage";
import { lookupVar, refTarget, varIndex } from "./stored-vars";

/**
 * The generated JavaScript of a custom update: its update code per element (and batch element
 * where it is batched), with the batch and neuron reductions of its variables and references.
 */
export function customUpdateKernel(
  plan: KernelPlan,
  networkStorage: NetworkStorage,
  update: PlannedCustomUpdate,
): GeneratedKernel {
  const m = new ModuleBuilder(plan.seed);
  const size = update.size;
  const batches = update.batched ? plan.batchSize : 1;
  const storage = networkStorage.customUpdates[update.index]!;
  const builtins = { dt: floatLiteral(plan.dt), t: "t", step: "s", batch: "b", id: "e" };
  let before = "";
  let perBatchStart = "";
  let perBatchEnd = "";
  let after = "";
  const reductions: string[] = [];

  const identity = (access: string, type: ScalarType): string => {
    const max = access.endsWith("Max");
    if (!max) return "0";
    return type === "float" ? "-Infinity" : type === "int" ? "-2147483648" : "0";
  };
  const combine = (
    accumulator: string,
    value: string,
    access: string,
    type: ScalarType,
  ): string => {
    if (access.endsWith("Max")) return `Math.max(${accumulator}, ${value})`;
    if (type === "float") return `Math.fround(${accumulator} + ${value})`;
    return type === "int"
      ? `((${accumulator} + ${value}) | 0)`
      : `((${accumulator} + ${value}) >>> 0)`;
  };

  const reductionAccess = (
    local: string,
    stored: StoredVar,
    access: string,
    type: ScalarType,
  ): Access => {
    if (type === "bool") throw new Error(`internal error: reduction into a bool variable`);
    const target = m.ref(stored.array);
    if (access === "reduceBatchSum" || access === "reduceBatchMax") {
      // Accumulated over batch elements in a scratch array, stored into the shared target at the end.
      const scratch = m.ref(
        type === "float"
          ? new Float32Array(size)
          : type === "int"
            ? new Int32Array(size)
            : new Uint32Array(size),
      );
      before += `  ${scratch}.fill(${identity(access, type)});\n`;
      after += `  ${target}.set(${scratch});\n`;
      reductions.push(`${scratch}[e] = ${combine(`${scratch}[e]`, local, access, type)};`);
    } else {
      const accumulator = `acc_${local}`;
      perBatchStart += `    let ${accumulator} = ${identity(access, type)};\n`;
      perBatchEnd += `    ${target}[${stored.planned.batched ? "b" : "0"}] = ${accumulator};\n`;
      reductions.push(`${accumulator} = ${combine(accumulator, local, access, type)};`);
    }
    return { name: local, declare: `let ${local} = ${identity(access, type)};` };
  };

  const site: CodeSite = new CodeSite(
    (binding, type): Access => {
      const param = paramValue(
        binding,
        update.params,
        update.derivedParams,
        dynamicRef(m, networkStorage.customUpdates[update.index]!.params),
      );
      if (param !== null) return { name: param };
      switch (binding.kind) {
        case "var":
        case "varRef": {
          const isRef = binding.kind === "varRef";
          const stored = isRef
            ? refTarget(networkStorage, update, binding.name)
            : lookupVar(storage.vars, binding.name, `custom update '${update.name}'`);
          const access = isRef
            ? update.varRefs.find((r) => r.name === binding.name)!.access
            : stored.planned.access;
          const local = `${isRef ? "r" : "v"}_${binding.name}`;
          if (access.startsWith("reduce")) return reductionAccess(local, stored, access, type);
          const written = site.usage.stored.has(bindingKey(binding));
          return storageAccess(
            local,
            m.ref(stored.array),
            varIndex(stored, "eb + e", "e"),
            type,
            written,
          );
        }
        case "builtin":
          return { name: builtinValue(binding.name, builtins) };
        default:
          return unknownBinding(binding, `custom update model '${update.model.name}'`);
      }
    },
    {
      element: "e",
      batch: "b",
      step: "gstep",
      stream: update.rngStream,
      field: RANDOM_FIELD.customUpdate,
    },
  ).use(update.update);
  // Reduction targets must exist even when the code never reads them (they are written).
  const prologue = site.prologue("      ");
  const code = printSnippet(update.update, site.scope, "      ");
  const epilogue = site.epilogue("      ");
  const clock = m.ref(networkStorage.clock);
  const runs = m.ref(networkStorage.customUpdateRuns);
  let body = `  const s = ${clock}[0], gstep = ${runs}[${update.index}];\n  const t = Math.fround(s * ${floatLiteral(plan.dt)});\n${before}`;
  body += `  for (let b = 0; b < ${batches}; b++) {\n    const eb = b * ${size};\n${perBatchStart}`;
  body += `    for (let e = 0; e < ${size}; e++) {\n${prologue}${code}${epilogue}${reductions.map((r) => `      ${r}\n`).join("")}    }\n`;
  body += `${perBatchEnd}  }\n${after}`;
  return m.build(
    `custom update ${update.name} (group ${update.group})`,
    functionName("customUpdate", update.name),
    body,
    site.usage.random,
  );
}
