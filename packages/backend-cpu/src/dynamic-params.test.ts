import {
  Network,
  planNetwork,
  Poisson,
  StaticPulse,
  type CustomUpdateModel,
  type NeuronModel,
} from "@snn/core";
import { describe, expect, it } from "vitest";
import { compileCpu } from "./index";

// A neuron with a dynamic param and a derived param computed from it, driven by Poisson input
// whose rate is dynamic too, and a custom update with a dynamic step size: the generated
// JavaScript and the WebAssembly read the current values from memory.
const Leaky: NeuronModel = {
  kind: "neuron",
  name: "DynamicLeaky",
  params: { Drive: { default: 0.1, dynamic: true } },
  derivedParams: { HalfDrive: { compute: (p) => p.Drive! / 2 } },
  vars: { V: { init: 0 } },
  sim: "V = 0.9 * V + HalfDrive + Isyn;",
  threshold: "V > 1.0",
  reset: "V = 0.0;",
};
const Nudge: CustomUpdateModel = {
  kind: "customUpdate",
  name: "Nudge",
  params: { Step: { default: 0.01, dynamic: true } },
  varRefs: { V: {} },
  update: "V += Step;",
};
const DynamicPoisson: NeuronModel = {
  ...(Poisson as NeuronModel),
  name: "DynamicPoisson",
  params: { Rate: { default: 0, dynamic: true } },
};

async function run(webAssembly: boolean) {
  const net = new Network({ dt: 1, batchSize: 2, seed: 9 });
  net.addPopulation("drive", { model: DynamicPoisson, size: 8 });
  net.addPopulation("leaky", { model: Leaky, size: 6, recordSpikes: true });
  net.addProjection("drive_leaky", {
    pre: "drive",
    post: "leaky",
    model: StaticPulse,
    connectivity: { kind: "dense" },
    init: { g: 0.3 },
  });
  net.addCustomUpdate("nudge", {
    group: "nudge",
    model: Nudge,
    varRefs: { V: { owner: "leaky", var: "V" } },
  });
  let code = "";
  const runtime = compileCpu(
    planNetwork(net),
    { printCode: (label, source) => (code += `// ---- ${label}\n${source}`) },
    { webAssembly },
  );
  const trace: number[][] = [];
  const phase = async () => {
    runtime.stepSync(20);
    await runtime.runCustomUpdate("nudge");
    trace.push(Array.from(await runtime.readVar("leaky", "V")));
  };
  await phase();
  runtime.setParam("leaky", "Drive", 0.5);
  await phase();
  runtime.setParam("drive", "Rate", 200);
  runtime.setParam("nudge", "Step", 0.3);
  await phase();
  const spikes = await runtime.readSpikes("leaky");
  runtime.dispose();
  return { code, trace, spikes };
}

describe("dynamic params on the CPU backend", () => {
  it("change neurons, Poisson sources and custom updates between steps, the same in JavaScript and WebAssembly", async () => {
    const js = await run(false);
    const compiled = await run(true);
    expect(compiled.code).toMatch(/\/\/ ---- neurons leaky\n\/\/ Runs as WebAssembly/);
    expect(compiled.code).toMatch(/\/\/ ---- neurons drive\n\/\/ Runs as WebAssembly/);
    expect(compiled.trace).toEqual(js.trace);
    expect(compiled.spikes).toEqual(js.spikes);
    // V settles at 10 x HalfDrive (+ the nudges): 0.5 before, 2.5 (spiking) after Drive went to 0.5
    expect(Math.max(...js.trace[0]!)).toBeLessThan(1);
    const steps = Array.from(js.spikes.steps);
    expect(steps.filter((s) => s < 20)).toEqual([]);
    expect(steps.filter((s) => s >= 20 && s < 40).length).toBeGreaterThan(0);
    expect(js.trace[2]).not.toEqual(js.trace[1]);
  });
});
