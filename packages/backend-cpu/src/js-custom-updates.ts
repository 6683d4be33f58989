/** The generated JavaScript of custom updates. */
import type { KernelPlan, ScalarType } from "@snn/core";
import { customUpdateSlot, type CustomUpdateSite, type Reduction } from "@snn/core/internal";
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
import { siteVar, varIndex } from "./stored-vars";

/**
 * The generated JavaScript of a custom update's site of the step program (core's
 * custom-update-site.ts): its update code per element (and batch element where it is batched),
 * with the batch and neuron reductions of its variables and references.
 */
export function customUpdateKernel(
  plan: KernelPlan,
  networkStorage: NetworkStorage,
  cu: CustomUpdateSite,
): GeneratedKernel {
  const update = plan.customUpdates[cu.update]!;
  const m = new ModuleBuilder(plan.seed);
  const size = update.size;
  const batches = update.batched ? plan.batchSize : 1;
  const builtins = { dt: floatLiteral(plan.dt), t: "t", step: "s", batch: "b", id: "e" };
  let before = "";
  let perBatchStart = "";
  let perBatchEnd = "";
  let after = "";
  const reductions: string[] = [];

  const identity = (reduction: Reduction, type: ScalarType): string => {
    if (reduction.op !== "max") return "0";
    return type === "float" ? "-Infinity" : type === "int" ? "-2147483648" : "0";
  };
  const combine = (
    accumulator: string,
    value: string,
    reduction: Reduction,
    type: ScalarType,
  ): string => {
    if (reduction.op === "max") return `Math.max(${accumulator}, ${value})`;
    if (type === "float") return `Math.fround(${accumulator} + ${value})`;
    return type === "int"
      ? `((${accumulator} + ${value}) | 0)`
      : `((${accumulator} + ${value}) >>> 0)`;
  };

  const reductionAccess = (
    local: string,
    stored: StoredVar,
    reduction: Reduction,
    type: ScalarType,
  ): Access => {
    if (type === "bool") throw new Error(`internal error: reduction into a bool variable`);
    const target = m.ref(stored.array);
    if (reduction.over === "batch") {
      // Accumulated over batch elements in a scratch array, stored into the shared target at the end.
      const scratch = m.ref(
        type === "float"
          ? new Float32Array(size)
          : type === "int"
            ? new Int32Array(size)
            : new Uint32Array(size),
      );
      before += `  ${scratch}.fill(${identity(reduction, type)});\n`;
      after += `  ${target}.set(${scratch});\n`;
      reductions.push(`${scratch}[e] = ${combine(`${scratch}[e]`, local, reduction, type)};`);
    } else {
      const accumulator = `acc_${local}`;
      perBatchStart += `    let ${accumulator} = ${identity(reduction, type)};\n`;
      perBatchEnd += `    ${target}[${stored.planned.batched ? "b" : "0"}] = ${accumulator};\n`;
      reductions.push(`${accumulator} = ${combine(accumulator, local, reduction, type)};`);
    }
    return { name: local, declare: `let ${local} = ${identity(reduction, type)};` };
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
          const { stored, written } = siteVar(networkStorage, cu.storage, binding);
          const { reduction } = customUpdateSlot(cu, binding);
          const local = `${binding.kind === "varRef" ? "r" : "v"}_${binding.name}`;
          if (reduction !== null) return reductionAccess(local, stored, reduction, type);
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
      stream: cu.rngStream,
      field: cu.code.field,
    },
  ).of(cu);
  // Reduction targets must exist even when the code never reads them (they are written).
  const prologue = site.prologue("      ");
  const code = printSnippet(cu.code.snippet, site.scope, "      ");
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
