/**
 * Golden files of the WGSL generated for every built-in model (and the custom-update
 * reductions). The files under `golden/` are reviewed by a person: when generated code
 * changes, read the diff before updating them with `vitest run -u`. A missing file fails the
 * test (vitest would otherwise write it and pass); write a new kernel's file with
 * `SNN_WRITE_GOLDEN=1 vitest run -u`, then review it. The networks are shared with backend-cpu's
 * golden files, in the private test-support package `@snn/golden-networks` (tooling/golden-networks).
 */
import { ExpCurr, LIF, Network, planNetwork, SpikeSourceArray, StaticPulse } from "@snn/core";
import { builtinNetwork, reductionNetwork } from "@snn/golden-networks";
import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { generateWgsl } from "../generate-wgsl";

const goldenPath = (label: string): string =>
  new URL(`golden/${fileName(label)}.wgsl`, import.meta.url).pathname;

function fileName(label: string): string {
  return label
    .replace(/ \([^)]*\)$/, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-|-$/g, "");
}

describe("golden WGSL of the built-in models", () => {
  const shaders = generateWgsl(planNetwork(builtinNetwork()));

  it("generates one shader per kernel kind and model", () => {
    expect(shaders.map((s) => s.label)).toEqual([
      "Neuron update: model SpikeSourceArray (input)",
      "Neuron update: model Poisson (noise)",
      "Synapses: model StaticPulse, dense, delay 0 (input_lif)",
      "Neuron update: model LIF (lif)",
      "Synapses: model StaticPulse, sparse, delay 0 (noise_alif)",
      "Synapses: model StaticPulse, oneToOne, delay 1 (lif_alif)",
      "Synapses: model StaticPulse, sparse, delay 1 (alif_alif)",
      "Neuron update: model ALIF (alif)",
      "Synapses: model StaticPulse, dense, delay 1 (alif_readout)",
      "Neuron update: model LeakyIntegrator (readout)",
      "Clock: advance the step counters (step)",
    ]);
  });

  for (const shader of shaders) {
    it(`matches golden/${fileName(shader.label)}.wgsl`, async () => {
      if (!process.env.SNN_WRITE_GOLDEN)
        expect(
          existsSync(goldenPath(shader.label)),
          `golden/${fileName(shader.label)}.wgsl exists (a new one: SNN_WRITE_GOLDEN=1)`,
        ).toBe(true);
      await expect(shader.code).toMatchFileSnapshot(`golden/${fileName(shader.label)}.wgsl`);
    });
  }
});

describe("golden WGSL of custom-update reductions", () => {
  const shaders = generateWgsl(planNetwork(reductionNetwork())).filter(
    (s) => !s.label.startsWith("Neuron update") && !s.label.startsWith("Clock"),
  );

  it("generates the update, a batch reduction and a neuron reduction", () => {
    expect(shaders.map((s) => s.label)).toEqual([
      "Custom update: model Reduce (reduce)",
      "Neuron reduction (max) of a custom update (reduce.maxV)",
      "Batch reduction (sum) of a custom update (reduce.sumV)",
    ]);
  });

  for (const shader of shaders) {
    it(`matches golden/${fileName(shader.label)}.wgsl`, async () => {
      if (!process.env.SNN_WRITE_GOLDEN)
        expect(
          existsSync(goldenPath(shader.label)),
          `golden/${fileName(shader.label)}.wgsl exists (a new one: SNN_WRITE_GOLDEN=1)`,
        ).toBe(true);
      await expect(shader.code).toMatchFileSnapshot(`golden/${fileName(shader.label)}.wgsl`);
    });
  }
});

describe("merged groups", () => {
  it("compiles populations with equal models and connections into one shader, with their own data", () => {
    const net = new Network({ batchSize: 2 });
    net.addPopulation("in", { model: SpikeSourceArray, size: 4 });
    net.addPopulation("a", { model: LIF, size: 10, params: { TauM: 10 } });
    net.addPopulation("b", { model: LIF, size: 30, params: { TauM: 30 } });
    net.addProjection("in_a", {
      pre: "in",
      post: "a",
      model: StaticPulse,
      connectivity: { kind: "dense" },
      init: { g: 1 },
    });
    net.addProjection("in_b", {
      pre: "in",
      post: "b",
      model: StaticPulse,
      connectivity: { kind: "dense" },
      init: { g: 2 },
    });
    const shaders = generateWgsl(planNetwork(net));
    const lif = shaders.filter((s) => s.label.startsWith("Neuron update: model LIF"));
    expect(lif).toHaveLength(1);
    expect(lif[0]!.label).toBe("Neuron update: model LIF (a, b)");
    expect(lif[0]!.groups).toEqual(["neurons 'a'", "neurons 'b'"]);
    const synapses = shaders.filter((s) => s.label.startsWith("Synapses"));
    expect(synapses).toHaveLength(1);
    expect(synapses[0]!.groups).toEqual(["synapses 'in_a'", "synapses 'in_b'"]);
  });

  it("keeps populations apart when their incoming postsynaptic models differ", () => {
    const net = new Network();
    net.addPopulation("in", { model: SpikeSourceArray, size: 4 });
    net.addPopulation("a", { model: LIF, size: 10 });
    net.addPopulation("b", { model: LIF, size: 10 });
    net.addProjection("in_a", {
      pre: "in",
      post: "a",
      model: StaticPulse,
      connectivity: { kind: "dense" },
      postsynaptic: ExpCurr,
    });
    net.addProjection("in_b", {
      pre: "in",
      post: "b",
      model: StaticPulse,
      connectivity: { kind: "dense" },
    });
    const lif = generateWgsl(planNetwork(net)).filter((s) =>
      s.label.startsWith("Neuron update: model LIF"),
    );
    expect(lif.map((s) => s.label)).toEqual([
      "Neuron update: model LIF (a)",
      "Neuron update: model LIF (b)",
    ]);
  });
});
