import {
  ALIF,
  ExpCurr,
  LIF,
  Network,
  planNetwork,
  Poisson,
  StaticPulse,
  type NeuronModel,
  type WeightUpdateModel,
} from "@snn/core";
import { wasm } from "@snn/core/internal";
import { describe, expect, it } from "vitest";
import { compileCpu } from "./index";

/**
 * A neuron model whose code uses every construct of the snippet language the WebAssembly
 * compiler handles, with the awkward cases: division and remainder by zero, INT_MIN / -1,
 * int and uint wrap-around, saturating and NaN conversions, every math function, min/max/
 * clamp/abs of each type, conditionals, locals, if/else, an additional input and every built-in.
 */
const Torture: NeuronModel = {
  kind: "neuron",
  name: "Torture",
  params: { Scale: { default: 1.5 } },
  derivedParams: { Half: { compute: (p) => p.Scale! / 2 } },
  vars: {
    V: { init: 0.1 },
    A: { init: -0.7 },
    I: { type: "int", init: 2147483000 },
    N: { type: "int", init: 0 },
    M: { type: "int", init: -2147483647 },
    U: { type: "uint", init: 4000000000 },
    W: { type: "uint", init: 3 },
    B: { type: "bool", init: 1 },
    X: { init: 0 },
    Y: { init: 0 },
    Z: { init: 0 },
    K: { type: "int", init: 0 },
    S: { init: 0 },
  },
  additionalInputs: { Ext: {} },
  sim: `
    let a = V * Scale - 0.25 * A + Half;
    V = V * 0.9 + Isyn + Ext + 0.05 * sin(t) + float(step % 7u) * 0.01 - float(batch) * 0.02 + float(id) * 0.001 + dt * 0.0;
    A = A * 0.95 + (B ? 0.1 : -0.05);
    I = I * 3 + 7;
    I = I / (N - 3);
    M = M - 1;
    K = M / -1 + M % -1 + I % (N - 3);
    N = (N + 1) % 5;
    U = U * 2654435761u + 1u;
    W = U / uint(N) + U % uint(N) + W;
    B = !B && V > 0.0 || I < 0 || V == A || V != V;
    X = exp(V * 0.1) + log(abs(V) + 1.0) + sin(V) + cos(a) + tanh(V) + pow(abs(V), 1.3) + sqrt(abs(a)) + floor(V * 3.0) + ceil(a);
    Y = min(V, a) + max(X, 0.0) + clamp(V, -1.0, 1.0) + float(abs(I)) + float(min(I, N)) + float(max(U, 5u)) + float(clamp(K, -3, 3)) + float(min(W, 9u)) + float(abs(M));
    if (B) {
      K = int(V * 1e10) + int(0.0 / 0.0) + int(-3.7);
      let q: uint = uint(-V * 1e9) + uint(1e12) + uint(2.9);
      W += q;
    } else if (V < -0.5) {
      K -= int(Y);
    } else {
      Z = float(B) + float(I > 0) + float(W) * 1e-9 + float(bool(N)) + float(bool(Y));
      Z /= max(abs(a), 0.001);
      Z *= -1.0;
    }
    X = X > 100.0 ? 100.0 : (X < -100.0 ? -100.0 : X);
    let z0 = V * 0.0;
    let nan = 0.0 / 0.0;
    S = float(1.0 / max(z0, -z0) > 0.0) + 2.0 * float(1.0 / min(z0, -z0) < 0.0) + 4.0 * float(max(nan, V) != max(nan, V)) + 8.0 * float(min(V, nan) != min(V, nan)) + 16.0 * float(max(V, A) >= min(V, A));
    Z = -Z + 1.0 / (V - V) * 0.0;
  `,
  threshold: "V > 0.3 && !(A > 10.0)",
  reset: "V -= 0.5; A += 0.2;",
} as NeuronModel;

function tortureNetwork(batchSize: number): Network {
  const net = new Network({ dt: 0.5, batchSize, seed: 5 });
  net.addPopulation("drive", { model: Poisson, size: 20, params: { Rate: 200 } });
  net.addPopulation("torture", { model: Torture, size: 13, recordSpikes: true });
  net.addPopulation("alif", { model: ALIF, size: 9, recordSpikes: true });
  net.addPopulation("lif", { model: LIF, size: 6, recordSpikes: true, params: { Ioffset: 0.8 } });
  net.addProjection("drive_torture", {
    pre: "drive",
    post: "torture",
    model: StaticPulse,
    connectivity: { kind: "dense" },
    init: { g: Float32Array.from({ length: 20 * 13 }, (_, k) => 0.05 * Math.sin(k)) },
  });
  // an exponential-current synapse (postsynaptic model with params) and an additional-input target
  net.addProjection("drive_alif", {
    pre: "drive",
    post: "alif",
    model: StaticPulse,
    connectivity: { kind: "dense" },
    postsynaptic: ExpCurr,
    postsynapticParams: { Tau: 3 },
    init: { g: 0.4 },
  });
  net.addProjection("drive_ext", {
    pre: "drive",
    post: "torture",
    model: StaticPulse,
    connectivity: { kind: "dense" },
    postTarget: "Ext",
    init: { g: 0.01 },
  });
  // pre and post spike code with pre/post variables (an STDP-like trace pair)
  const traces: WeightUpdateModel = {
    kind: "weightUpdate",
    name: "Traces",
    params: { Decay: { default: 0.8 } },
    vars: { g: { init: 0.3 } },
    preVars: { Pre: { init: 0 } },
    postVars: { Post: { init: 0 } },
    preSpike: "addToPost(g);",
    preSpikeCode: "Pre += 1.0;",
    preDynamics: "Pre *= Decay;",
    postSpikeCode: "Post += 1.0 + V_post * 0.0;",
    postDynamics: "Post *= Decay;",
  } as WeightUpdateModel;
  net.addProjection("torture_lif", {
    pre: "torture",
    post: "lif",
    model: traces,
    connectivity: { kind: "dense" },
  });
  return net;
}

async function run(webAssembly: boolean, batchSize: number) {
  let code = "";
  const plan = planNetwork(tortureNetwork(batchSize));
  const runtime = compileCpu(
    plan,
    { printCode: (label, source) => (code += `// ---- ${label}\n${source}`) },
    { webAssembly },
  );
  const snapshots: Record<string, number[]>[] = [];
  for (let chunk = 0; chunk < 4; chunk++) {
    runtime.stepSync(50);
    const snapshot: Record<string, number[]> = {};
    for (const name of Object.keys(Torture.vars!))
      snapshot[`torture.${name}`] = Array.from(await runtime.readVar("torture", name));
    for (const name of ["V", "A"])
      snapshot[`alif.${name}`] = Array.from(await runtime.readVar("alif", name));
    snapshot["lif.V"] = Array.from(await runtime.readVar("lif", "V"));
    snapshot["torture_lif.Pre"] = Array.from(await runtime.readVar("torture_lif", "Pre"));
    snapshot["torture_lif.Post"] = Array.from(await runtime.readVar("torture_lif", "Post"));
    snapshots.push(snapshot);
  }
  const spikes = await Promise.all(["torture", "alif", "lif"].map((p) => runtime.readSpikes(p)));
  runtime.dispose();
  return { code, snapshots, spikes };
}

/** Bits of every float (so that NaN payloads and -0 count, where the values are not NaN). */
const bits = (values: number[]): string[] =>
  values.map((v) => (Number.isNaN(v) ? "NaN" : Object.is(v, -0) ? "-0" : String(v)));

describe.runIf(wasm.wasmSimdSupported())("neuron updates compiled to WebAssembly", () => {
  it("are bit-identical to the generated JavaScript for every construct of the snippet language", async () => {
    for (const batchSize of [1, 2]) {
      const js = await run(false, batchSize);
      const compiled = await run(true, batchSize);
      expect(js.code).not.toContain("Runs as WebAssembly");
      for (const population of ["torture", "alif", "lif"]) {
        // four neurons at a time (SIMD, masked branches), the rest of the population one by one
        expect(compiled.code).toMatch(
          new RegExp(
            `// ---- neurons ${population}\\n// Runs as WebAssembly \\(SIMD, four elements at a time\\)`,
          ),
        );
      }
      for (let k = 0; k < js.snapshots.length; k++) {
        for (const [name, values] of Object.entries(js.snapshots[k]!)) {
          expect(
            bits(compiled.snapshots[k]![name]!),
            `${name} after ${(k + 1) * 50} steps, batch ${batchSize}`,
          ).toEqual(bits(values));
        }
      }
      expect(compiled.spikes).toEqual(js.spikes);
      // the comparison means something: every population spikes, and the awkward values occur
      for (const recording of js.spikes) expect(recording.neurons.length).toBeGreaterThan(10);
      const all = (name: string): number[] => js.snapshots.flatMap((s) => s[name]!);
      expect(all("torture.K").some((k) => Math.abs(k) > 2e9)).toBe(true); // saturated conversions
      expect(new Set(all("torture.B")).size).toBe(2);
      expect(all("torture.Z").some((z) => Number.isNaN(z))).toBe(true);
      expect(new Set(all("torture.S"))).toEqual(new Set([31])); // min/max of zeros and NaN as Math.min/max
    }
  });

  it("draw random numbers bit-identically: uniform() and normal() in sim, threshold, reset, branches and operands evaluated by some lanes only, and pre/post dynamics", async () => {
    // Calls inside an if count only where the branch runs, so lanes of one vector make different
    // numbers of calls (the JavaScript's per-neuron call counter, kept per lane).
    const Noisy: NeuronModel = {
      kind: "neuron",
      name: "Noisy",
      vars: { V: { init: 0 }, N: { init: 0 }, C: { type: "int", init: 0 } },
      sim: `
        V = V * 0.9 + Isyn + 0.1 * normal();
        if (uniform() < 0.3) {
          N += normal();
          C += 1;
          if (V > 0.2) { N -= uniform(); }
        } else {
          N *= 0.99;
        }
        let u = uniform();
        V += u * 0.01;
        // draws JavaScript makes only for the branch or operand it evaluates
        N += V > 0.3 ? normal() : 0.5 * uniform();
        let q: bool = uniform() < 0.5 || uniform() < 0.5;
        let r: bool = uniform() < 0.5 && uniform() < 0.5;
        C += (q ? 1 : 0) + (r ? 2 : 0);`,
      threshold: "V > 0.6 && uniform() < 0.8",
      reset: "V = uniform() * 0.1; N += normal() * 0.01;",
    };
    const Traces: WeightUpdateModel = {
      kind: "weightUpdate",
      name: "NoisyTraces",
      vars: { g: { init: 0.2 } },
      preVars: { Pre: { init: 0 } },
      postVars: { Post: { init: 0 } },
      preSpike: "addToPost(g);",
      preSpikeCode: "Pre += uniform();",
      preDynamics: "Pre *= 0.9 + 0.01 * normal();",
      postSpikeCode: "Post += normal();",
      postDynamics: "Post *= 0.8 + 0.1 * uniform();",
    } as WeightUpdateModel;
    const run = async (webAssembly: boolean) => {
      const net = new Network({ dt: 1, batchSize: 3, seed: 11 });
      net.addPopulation("drive", {
        model: Poisson,
        size: 6,
        params: { Rate: 300 },
        recordSpikes: true,
      });
      net.addPopulation("noisy", { model: Noisy, size: 11, recordSpikes: true });
      net.addPopulation("other", { model: Noisy, size: 5 });
      net.addProjection("drive_noisy", {
        pre: "drive",
        post: "noisy",
        model: StaticPulse,
        connectivity: { kind: "dense" },
        init: { g: 0.3 },
      });
      net.addProjection("noisy_other", {
        pre: "noisy",
        post: "other",
        model: Traces,
        connectivity: { kind: "dense" },
      });
      let code = "";
      const runtime = compileCpu(
        planNetwork(net),
        { printCode: (label, source) => (code += `// ---- ${label}\n${source}`) },
        { webAssembly },
      );
      runtime.stepSync(60);
      const state: Record<string, number[]> = {};
      for (const name of ["V", "N", "C"])
        state[`noisy.${name}`] = Array.from(await runtime.readVar("noisy", name));
      for (const name of ["V", "N"])
        state[`other.${name}`] = Array.from(await runtime.readVar("other", name));
      for (const name of ["Pre", "Post"])
        state[name] = Array.from(await runtime.readVar("noisy_other", name));
      const spikes = await Promise.all(["drive", "noisy"].map((p) => runtime.readSpikes(p)));
      runtime.dispose();
      return { code, state, spikes };
    };
    const js = await run(false);
    const compiled = await run(true);
    for (const population of ["drive", "noisy", "other"]) {
      expect(compiled.code).toMatch(
        new RegExp(`// ---- neurons ${population}\\n// Runs as WebAssembly`),
      );
    }
    expect(compiled.code).toMatch(
      /\/\/ ---- neurons noisy\n\/\/ Runs as WebAssembly \(SIMD, four elements at a time\)/,
    );
    for (const [name, values] of Object.entries(js.state))
      expect(bits(compiled.state[name]!), name).toEqual(bits(values));
    expect(compiled.spikes).toEqual(js.spikes);
    // the draws differ between neurons, batch elements and steps, and branches were taken both ways
    expect(new Set(js.state["noisy.N"]).size).toBe(33);
    expect(new Set(js.state["noisy.C"]).size).toBeGreaterThan(3);
    for (const recording of js.spikes) expect(recording.neurons.length).toBeGreaterThan(20);
  });
});
