/**
 * Golden files of the code the CPU backend generates: the JavaScript of every kernel (as the
 * JavaScript engine runs it, `webAssembly: false`, and beside the WebAssembly module, where it
 * calls the delivery kernels), and a listing of every function of the WebAssembly module
 * (core's `wasm.listFunctions`). The networks are those of backend-wgsl's golden WGSL files,
 * plus one with learning rules and a custom update that compile to WebAssembly; all three are
 * in the private test-support package `@snn/golden-networks` (tooling/golden-networks).
 *
 * The files under `golden/` are reviewed by a person: when generated code changes, read the
 * diff before updating them with `vitest run -u`. A missing file fails the test (vitest would
 * otherwise write it and pass); write a new kernel's file with `SNN_WRITE_GOLDEN=1 vitest run -u`,
 * then review it.
 */
import { planNetwork, type KernelPlan, type Network } from "@snn/core";
import { wasm } from "@snn/core/internal";
import { builtinNetwork, learningNetwork, reductionNetwork } from "@snn/golden-networks";
import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { CodeGenerator } from "./codegen";
import { compileCpu } from "./index";
import { NetworkStorage } from "./storage";
import { mathImports } from "./wasm-snippet";

const NETWORKS: readonly (readonly [string, () => Network])[] = [
  ["builtins", builtinNetwork],
  ["reductions", reductionNetwork],
  ["learning", learningNetwork],
];

function fileName(label: string): string {
  return label
    .replace(/([a-z])([A-Z])/g, "$1-$2")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-|-$/g, "");
}

/** Each kernel's label and JavaScript, in the order the runtime prints them. */
function javascript(plan: KernelPlan, webAssembly: boolean): [string, string][] {
  const kernels: [string, string][] = [];
  compileCpu(
    plan,
    { printCode: (label, source) => kernels.push([label, source]) },
    { webAssembly },
  );
  return kernels;
}

/** The group a kernel function of the module runs (`neurons2` is population 2's update). */
function groupOf(plan: KernelPlan, functionName: string): string {
  const match = /^(neurons|synapses|customUpdate)(\d+)$/.exec(functionName);
  if (!match) return functionName;
  const index = Number(match[2]);
  const groups =
    match[1] === "neurons"
      ? plan.populations
      : match[1] === "synapses"
        ? plan.projections
        : plan.customUpdates;
  return `${match[1]} ${groups[index]!.name}`;
}

/** Functions of every module, not of a group (delivery, random numbers). */
const LIBRARY = ["accumulateDense", "accumulateSparse", "philox"];

/**
 * Each function of the WebAssembly module, by the group it runs, and its listing; the
 * {@link LIBRARY} functions only with `library` (they differ between networks by the seed only).
 */
function webAssembly(plan: KernelPlan, library = true): [string, string][] {
  const generator = new CodeGenerator(plan, new NetworkStorage(plan, { useWasmMemory: true }));
  generator.scheduleKernels();
  generator.customUpdateKernels();
  const functions = generator.wasmFunctions;
  const listings = wasm.listFunctions(functions, mathImports());
  return functions
    .map((f, k): [string, string] => [groupOf(plan, f.name), listings[k]!])
    .filter(([label]) => library || !LIBRARY.includes(label));
}

/** One golden file per kernel: `golden/<network>/<folder>/<kernel>.<extension>`. */
function goldenFiles(
  network: string,
  folder: string,
  extension: string,
  files: readonly (readonly [string, string])[],
): void {
  it("names each kernel differently", () => {
    const names = files.map(([label]) => fileName(label));
    expect(new Set(names).size).toBe(names.length);
  });
  for (const [label, text] of files) {
    const file = `golden/${network}/${folder}/${fileName(label)}.${extension}`;
    it(`matches ${file}`, async () => {
      if (!process.env.SNN_WRITE_GOLDEN)
        expect(
          existsSync(new URL(file, import.meta.url).pathname),
          `${file} exists (a new one: SNN_WRITE_GOLDEN=1 vitest run -u)`,
        ).toBe(true);
      await expect(
        text,
        `generated code differs from ${file}: read the diff, then update on purpose with vitest run -u`,
      ).toMatchFileSnapshot(file);
    });
  }
}

for (const [name, build] of NETWORKS) {
  const plan = planNetwork(build());
  describe(`golden JavaScript of the '${name}' network (webAssembly: false)`, () =>
    goldenFiles(name, "javascript", "js", javascript(plan, false)));
  describe(`golden JavaScript of the '${name}' network beside its WebAssembly`, () =>
    goldenFiles(name, "javascript-with-wasm", "js", javascript(plan, true)));
  describe(`golden WebAssembly of the '${name}' network`, () =>
    goldenFiles(name, "wasm", "wasm.txt", webAssembly(plan, name === NETWORKS[0]![0])));
}

describe("the golden networks", () => {
  it("compile every kind of WebAssembly kernel: neurons, delivery, synapses, custom updates", () => {
    const names = webAssembly(planNetwork(learningNetwork())).map(([label]) => label);
    expect(names).toEqual([
      "accumulateDense",
      "accumulateSparse",
      "philox",
      "neurons input",
      "neurons exc",
      "synapses stdp_dense",
      "synapses stdp_sparse",
      "synapses decaying",
      "customUpdate shrink",
    ]);
  });
});
