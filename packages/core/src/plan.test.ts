import { describe, expect, it } from "vitest";
import { ModelDefinitionError, NetworkValidationError } from "./errors";
import {
  ALIF,
  DeltaCurr,
  ExpCurr,
  LeakyIntegrator,
  LIF,
  Poisson,
  SpikeSourceArray,
  StaticPulse,
} from "./models/builtin";
import type { CustomUpdateModel, NeuronModel, WeightUpdateModel } from "./models/types";
import { Network } from "./network";
import { planNetwork } from "./plan";
import { SnippetError } from "./snippet/index";

function smallNetwork(batchSize = 2): Network {
  const net = new Network({ dt: 1, batchSize, seed: 3 });
  net.addPopulation("input", { model: SpikeSourceArray, size: 4 });
  net.addPopulation("hidden", { model: ALIF, size: 3, params: { Beta: 0.1 }, recordSpikes: true });
  net.addPopulation("out", { model: LeakyIntegrator, size: 2 });
  net.addProjection("in_hid", {
    pre: "input",
    post: "hidden",
    model: StaticPulse,
    connectivity: { kind: "dense" },
    delaySteps: 0,
    init: { g: 0.5 },
  });
  net.addProjection("hid_hid", {
    pre: "hidden",
    post: "hidden",
    model: StaticPulse,
    connectivity: {
      kind: "fixedProbability",
      probability: 0.5,
      seed: 1,
      allowSelfConnections: false,
    },
  });
  net.addProjection("hid_out", {
    pre: "hidden",
    post: "out",
    model: StaticPulse,
    connectivity: { kind: "dense" },
    delaySteps: 0,
    postsynaptic: ExpCurr,
    postsynapticParams: { Tau: 10 },
  });
  return net;
}

describe("planNetwork", () => {
  it("resolves params with defaults and derived params from dt", () => {
    const plan = planNetwork(smallNetwork());
    const hidden = plan.populations[1]!;
    expect(hidden.params).toEqual({
      TauM: 20,
      TauAdap: 2000,
      Vthresh: 0.6,
      Beta: 0.1,
      TauRefrac: 5,
    });
    expect(hidden.derivedParams.Alpha).toBeCloseTo(Math.exp(-1 / 20), 12);
    expect(hidden.derivedParams.Rho).toBeCloseTo(Math.exp(-1 / 2000), 12);
    const psm = plan.projections[2]!.postsynaptic!;
    expect(psm.model).toBe(ExpCurr);
    expect(psm.derivedParams.ExpDecay).toBeCloseTo(Math.exp(-0.1), 12);
    expect(plan.projections[0]!.postsynaptic!.model).toBe(DeltaCurr);
  });

  it("derived params follow dt", () => {
    const net = new Network({ dt: 0.5 });
    net.addPopulation("p", { model: LIF, size: 1, params: { TauM: 10, C: 2 } });
    const plan = planNetwork(net);
    expect(plan.populations[0]!.derivedParams).toEqual({ ExpTC: Math.exp(-0.05), Rmembrane: 5 });
  });

  it("refuses params and derived params that float32, the kernels' precision, cannot hold", () => {
    // C = 1e-45 nF is finite in float64, but Rmembrane = TauM / C = 2e46 is infinite in float32,
    // where V would become NaN at the first step without input (0 * Infinity).
    const tiny = new Network({ dt: 1 });
    tiny.addPopulation("p", { model: LIF, size: 1, params: { C: 1e-45 } });
    expect(() => planNetwork(tiny)).toThrow(
      /Population 'p': derived param 'Rmembrane' of model 'LIF' computed to 2e\+46, beyond float32's range .*C: 1e-45/,
    );
    const huge = new Network({ dt: 1 });
    huge.addPopulation("p", { model: LIF, size: 1, params: { Ioffset: 1e39 } });
    expect(() => planNetwork(huge)).toThrow(
      /param 'Ioffset' must be a finite number within float32's range .*got 1e\+39/,
    );
  });

  it("lays out storage by access mode: per batch element or shared", () => {
    const plan = planNetwork(smallNetwork(4));
    const hidden = plan.populations[1]!;
    expect(hidden.vars.map((v) => [v.name, v.batched, v.size])).toEqual([
      ["V", true, 3],
      ["A", true, 3],
      ["Z", true, 3],
      ["RefracTime", true, 3],
    ]);
    const weights = plan.projections[0]!.vars[0]!;
    expect(weights).toMatchObject({
      name: "g",
      batched: false,
      size: 12,
      initial: 0.5,
      access: "readOnly",
    });
  });

  it("orders populations so that 0-delay sources update first, with incoming synapses before each population", () => {
    const net = new Network();
    // Declared in reverse order on purpose.
    net.addPopulation("out", { model: LeakyIntegrator, size: 2 });
    net.addPopulation("hidden", { model: LIF, size: 3 });
    net.addPopulation("input", { model: SpikeSourceArray, size: 4 });
    net.addProjection("in_hid", {
      pre: "input",
      post: "hidden",
      model: StaticPulse,
      connectivity: { kind: "dense" },
      delaySteps: 0,
    });
    net.addProjection("hid_out", {
      pre: "hidden",
      post: "out",
      model: StaticPulse,
      connectivity: { kind: "dense" },
      delaySteps: 0,
    });
    net.addProjection("out_hid", {
      pre: "out",
      post: "hidden",
      model: StaticPulse,
      connectivity: { kind: "dense" },
    });
    const plan = planNetwork(net);
    expect(plan.schedule).toEqual([
      { op: "neurons", population: 2 },
      { op: "synapses", projection: 0 },
      { op: "synapses", projection: 2 },
      { op: "neurons", population: 1 },
      { op: "synapses", projection: 1 },
      { op: "neurons", population: 0 },
    ]);
  });

  it("rejects cycles of 0-delay projections and 0-delay self-projections", () => {
    const net = new Network();
    net.addPopulation("a", { model: LIF, size: 1 });
    net.addPopulation("b", { model: LIF, size: 1 });
    net.addProjection("ab", {
      pre: "a",
      post: "b",
      model: StaticPulse,
      connectivity: { kind: "dense" },
      delaySteps: 0,
    });
    net.addProjection("ba", {
      pre: "b",
      post: "a",
      model: StaticPulse,
      connectivity: { kind: "dense" },
      delaySteps: 0,
    });
    expect(() => planNetwork(net)).toThrow(/cycle through populations a, b/);
    const self = new Network();
    self.addPopulation("a", { model: LIF, size: 1 });
    self.addProjection("aa", {
      pre: "a",
      post: "a",
      model: StaticPulse,
      connectivity: { kind: "dense" },
      delaySteps: 0,
    });
    expect(() => planNetwork(self)).toThrow(/to itself with delaySteps 0/);
  });

  it("builds CSR connectivity sorted by pre then post", () => {
    const net = new Network();
    net.addPopulation("a", { model: LIF, size: 3 });
    net.addPopulation("b", { model: LIF, size: 4 });
    net.addProjection("ab", {
      pre: "a",
      post: "b",
      model: StaticPulse,
      connectivity: { kind: "sparse", pre: [2, 0, 2, 0], post: [1, 3, 0, 2] },
      init: { g: [1, 2, 3, 4] },
    });
    const projection = planNetwork(net).projections[0]!;
    expect(projection.numSynapses).toBe(4);
    if (projection.connectivity.kind !== "sparse") throw new Error("expected sparse");
    expect(Array.from(projection.connectivity.rowStart)).toEqual([0, 2, 2, 4]);
    expect(Array.from(projection.connectivity.postIndex)).toEqual([2, 3, 0, 1]);
    expect(Array.from(projection.connectivity.preIndex)).toEqual([0, 0, 2, 2]);
  });

  it("draws fixed-probability connectivity reproducibly from its seed", () => {
    const a = planNetwork(smallNetwork()).projections[1]!.connectivity;
    const b = planNetwork(smallNetwork()).projections[1]!.connectivity;
    expect(a).toEqual(b);
    if (a.kind !== "sparse") throw new Error("expected sparse");
    for (let s = 0; s < a.postIndex.length; s++) expect(a.preIndex[s]).not.toBe(a.postIndex[s]);
  });

  it("merges populations that share a model", () => {
    const net = new Network();
    net.addPopulation("a", { model: LIF, size: 2 });
    net.addPopulation("b", { model: Poisson, size: 2, params: { Rate: 10 } });
    net.addPopulation("c", { model: LIF, size: 5, params: { TauM: 5 } });
    const plan = planNetwork(net);
    expect(plan.mergedPopulations.map((g) => [g.model.name, g.populations])).toEqual([
      ["LIF", [0, 2]],
      ["Poisson", [1]],
    ]);
    expect(plan.populations.map((p) => p.mergedGroup)).toEqual([0, 1, 0]);
  });

  it("draws initial values from seeded distributions", () => {
    const make = () => {
      const net = new Network();
      net.addPopulation("a", { model: LIF, size: 3 });
      net.addPopulation("b", { model: LIF, size: 2 });
      net.addProjection("ab", {
        pre: "a",
        post: "b",
        model: StaticPulse,
        connectivity: { kind: "dense" },
        init: { g: { kind: "normal", mean: 1, sd: 0.1, seed: 9 } },
      });
      return planNetwork(net).projections[0]!.vars[0]!.initial as Float32Array;
    };
    const first = make();
    expect(first).toHaveLength(6);
    expect(make()).toEqual(first);
    for (const w of first) expect(Math.abs(w - 1)).toBeLessThan(0.5);
  });

  it("plans custom updates with reductions and groups", () => {
    const gradientSum: CustomUpdateModel = {
      kind: "customUpdate",
      name: "GradientSum",
      varRefs: { gradient: { access: "readWrite" }, total: { access: "reduceBatchSum" } },
      update: "total = gradient;\ngradient = 0.0;",
    };
    const withGradient: WeightUpdateModel = {
      ...StaticPulse,
      name: "Learnable",
      vars: { g: { access: "readOnly" }, dg: {}, gsum: { access: "readOnly" } },
    };
    const net = new Network({ batchSize: 3 });
    net.addPopulation("a", { model: LIF, size: 2 });
    net.addPopulation("b", { model: LIF, size: 2 });
    net.addProjection("ab", {
      pre: "a",
      post: "b",
      model: withGradient,
      connectivity: { kind: "dense" },
    });
    net.addCustomUpdate("reduce", {
      group: "gradients",
      model: gradientSum,
      varRefs: { gradient: { owner: "ab", var: "dg" }, total: { owner: "ab", var: "gsum" } },
    });
    const plan = planNetwork(net);
    expect(plan.customUpdateGroups).toEqual({ gradients: [0] });
    const update = plan.customUpdates[0]!;
    expect(update.size).toBe(4);
    expect(update.batched).toBe(true);
    expect(update.varRefs.map((r) => [r.name, r.role, r.batched, r.access])).toEqual([
      ["gradient", "synapse", true, "readWrite"],
      ["total", "synapse", false, "reduceBatchSum"],
    ]);
  });
});

describe("planNetwork validation errors", () => {
  const cases: [string, (net: Network) => void, RegExp][] = [
    [
      "a string model name",
      (net) => net.addPopulation("p", { model: "LIF" as unknown as NeuronModel, size: 2 }),
      /got the string 'LIF'. Import it/,
    ],
    [
      "an unknown model kind",
      (net) => net.addPopulation("p", { model: StaticPulse as unknown as NeuronModel, size: 2 }),
      /expected a neuron model .* got kind 'weightUpdate'/,
    ],
    [
      "a missing param",
      (net) => net.addPopulation("p", { model: Poisson, size: 2 }),
      /param 'Rate' of model 'Poisson' has no value and no default/,
    ],
    [
      "an unknown param",
      (net) => net.addPopulation("p", { model: LIF, size: 2, params: { Tau: 3 } }),
      /model 'LIF' has no param 'Tau'. Its params are: C, TauM/,
    ],
    [
      "a bad size",
      (net) => net.addPopulation("p", { model: LIF, size: 0 }),
      /size must be a positive integer, got 0/,
    ],
    [
      "initial values of the wrong length",
      (net) => net.addPopulation("p", { model: LIF, size: 3, init: { V: [1, 2] } }),
      /initial values of 'V' have length 2, expected 3 \(3 elements x batch 1\)/,
    ],
    [
      "a normal initialiser without sd",
      (net) =>
        net.addPopulation("p", {
          model: LIF,
          size: 3,
          init: { V: { kind: "normal", mean: 0, seed: 1 } as never },
        }),
      /initial value of 'V' \(\{ kind: "normal" \}\) needs a finite number 'sd' \(it takes mean, sd, seed\), got undefined/,
    ],
    [
      "a normal initialiser without seed",
      (net) =>
        net.addPopulation("p", {
          model: LIF,
          size: 3,
          init: { V: { kind: "normal", mean: 0, sd: 1 } as never },
        }),
      /needs a finite number 'seed'/,
    ],
    [
      "a uniform initialiser without seed",
      (net) =>
        net.addPopulation("p", {
          model: LIF,
          size: 3,
          init: { V: { kind: "uniform", min: 0, max: 1 } as never },
        }),
      /needs a finite number 'seed'/,
    ],
    [
      "a misspelled initialiser field",
      (net) =>
        net.addPopulation("p", {
          model: LIF,
          size: 3,
          init: { V: { kind: "uniform", min: 0, mx: 1, seed: 1 } as never },
        }),
      /needs a finite number 'max'/,
    ],
    [
      "an unknown initialiser kind",
      (net) =>
        net.addPopulation("p", {
          model: LIF,
          size: 3,
          init: { V: { kind: "gaussian", mean: 0, sd: 1, seed: 1 } as never },
        }),
      /has kind 'gaussian'; random initial values are \{ kind: "normal", mean, sd, seed \} or \{ kind: "uniform", min, max, seed \}/,
    ],
    [
      "an initial value that is a string",
      (net) => net.addPopulation("p", { model: LIF, size: 3, init: { V: "x" as never } }),
      /initial value of 'V' must be a number, an array of numbers, .* got "x"/,
    ],
    [
      "sparse connectivity without index arrays",
      (net) => {
        net.addPopulation("p", { model: LIF, size: 3 });
        net.addProjection("x", {
          pre: "p",
          post: "p",
          model: StaticPulse,
          connectivity: { kind: "sparse" } as never,
        });
      },
      /sparse connectivity needs 'pre' and 'post' arrays of synapse indices/,
    ],
    [
      "an unknown variable to initialise",
      (net) => net.addPopulation("p", { model: LIF, size: 3, init: { U: 1 } }),
      /no variable 'U' to initialise. Variables: V, RefracTime/,
    ],
    [
      "a projection to an unknown population",
      (net) => {
        net.addPopulation("p", { model: LIF, size: 3 });
        net.addProjection("x", {
          pre: "p",
          post: "q",
          model: StaticPulse,
          connectivity: { kind: "dense" },
        });
      },
      /Projection 'x': there is no population 'q'. Populations: p/,
    ],
    [
      "one-to-one between different sizes",
      (net) => {
        net.addPopulation("p", { model: LIF, size: 3 });
        net.addPopulation("q", { model: LIF, size: 4 });
        net.addProjection("x", {
          pre: "p",
          post: "q",
          model: StaticPulse,
          connectivity: { kind: "oneToOne" },
        });
      },
      /one-to-one connectivity needs populations of equal size, got 3 and 4/,
    ],
    [
      "a sparse index out of range",
      (net) => {
        net.addPopulation("p", { model: LIF, size: 3 });
        net.addProjection("x", {
          pre: "p",
          post: "p",
          model: StaticPulse,
          connectivity: { kind: "sparse", pre: [0, 3], post: [1, 1] },
        });
      },
      /synapse 1 has pre index 3, outside 0..2/,
    ],
    [
      "a duplicate synapse",
      (net) => {
        net.addPopulation("p", { model: LIF, size: 3 });
        net.addProjection("x", {
          pre: "p",
          post: "p",
          model: StaticPulse,
          connectivity: { kind: "sparse", pre: [0, 0], post: [1, 1] },
        });
      },
      /synapse 0 -> 1 is listed twice/,
    ],
    [
      "a postTarget that is no additional input",
      (net) => {
        net.addPopulation("p", { model: LIF, size: 3 });
        net.addProjection("x", {
          pre: "p",
          post: "p",
          model: StaticPulse,
          connectivity: { kind: "dense" },
          postTarget: "Feedback",
        });
      },
      /postTarget 'Feedback' is not an additional input of population 'p' \(model 'LIF'\); its additional inputs: \(none\)/,
    ],
    [
      "a custom update reference to an unknown variable",
      (net) => {
        net.addPopulation("p", { model: LIF, size: 3 });
        net.addCustomUpdate("u", {
          group: "g",
          model: { kind: "customUpdate", name: "Zero", varRefs: { x: {} }, update: "x = 0.0;" },
          varRefs: { x: { owner: "p", var: "W" } },
        });
      },
      /reference 'x' points at 'p.W', but 'p' has no variable 'W'. Its variables: V, RefracTime/,
    ],
    [
      "a batch reduction into a batched variable",
      (net) => {
        net.addPopulation("p", { model: LIF, size: 3 });
        net.addCustomUpdate("u", {
          group: "g",
          model: {
            kind: "customUpdate",
            name: "Sum",
            varRefs: { x: { access: "reduceBatchSum" } },
            update: "x = 1.0;",
          },
          varRefs: { x: { owner: "p", var: "V" } },
        });
      },
      /target of a batch reduction must be shared/,
    ],
    [
      "two custom updates of one group writing one variable",
      (net) => {
        net.addPopulation("p", { model: LIF, size: 3 });
        const zero: CustomUpdateModel = {
          kind: "customUpdate",
          name: "Zero",
          varRefs: { x: {} },
          update: "x = 0.0;",
        };
        net.addCustomUpdate("u1", {
          group: "reset",
          model: zero,
          varRefs: { x: { owner: "p", var: "V" } },
        });
        net.addCustomUpdate("u2", {
          group: "reset",
          model: zero,
          varRefs: { x: { owner: "p", var: "V" } },
        });
      },
      /'u1' and 'u2' of group 'reset' both write variable 'V'/,
    ],
  ];
  for (const [what, build, message] of cases) {
    it(`reports ${what}`, () => {
      const net = new Network();
      build(net);
      expect(() => planNetwork(net)).toThrow(NetworkValidationError);
      expect(() => planNetwork(net)).toThrow(message);
    });
  }

  it("reports a missing network", () => {
    expect(() => planNetwork(undefined as never)).toThrow(
      /planNetwork needs a Network \(new Network\(\{ dt, batchSize \}\) with populations added\), got undefined/,
    );
  });

  it("reports snippet errors with the model and field", () => {
    const broken: NeuronModel = { ...LIF, name: "BrokenLIF", sim: "V = V +* 2.0;" };
    const net = new Network();
    net.addPopulation("p", { model: broken, size: 1 });
    expect(() => planNetwork(net)).toThrow(SnippetError);
    expect(() => planNetwork(net)).toThrow(/BrokenLIF\.sim, line 1, column/);
  });

  it("reports model definition errors", () => {
    const clash: NeuronModel = {
      kind: "neuron",
      name: "Clash",
      params: { V: { default: 1 } },
      vars: { V: {} },
    };
    const net = new Network();
    net.addPopulation("p", { model: clash, size: 1 });
    expect(() => planNetwork(net)).toThrow(ModelDefinitionError);
    expect(() => planNetwork(net)).toThrow(/uses the name 'V' twice/);
  });

  it("checks weight-update code against the connected populations", () => {
    const usesPostVoltage: WeightUpdateModel = {
      kind: "weightUpdate",
      name: "UsesV",
      vars: { g: { access: "readOnly" } },
      preSpike: "addToPost(g * V_post);",
    };
    const ok = new Network();
    ok.addPopulation("p", { model: LIF, size: 2 });
    ok.addProjection("x", {
      pre: "p",
      post: "p",
      model: usesPostVoltage,
      connectivity: { kind: "dense" },
    });
    expect(() => planNetwork(ok)).not.toThrow();
    const bad = new Network();
    bad.addPopulation("p", { model: LIF, size: 2 });
    bad.addPopulation("q", { model: LeakyIntegrator, size: 2 });
    bad.addProjection("x", {
      pre: "p",
      post: "q",
      model: usesPostVoltage,
      connectivity: { kind: "dense" },
    });
    expect(() => planNetwork(bad)).toThrow(/unknown name 'V_post'/);
  });
});

describe("Network", () => {
  it("rejects bad options and duplicate names", () => {
    expect(() => new Network({ dt: 0 })).toThrow(/dt must be a positive number/);
    expect(() => new Network({ batchSize: 1.5 })).toThrow(/batchSize must be a positive integer/);
    const net = new Network();
    net.addPopulation("p", { model: LIF, size: 1 });
    expect(() =>
      net.addProjection("p", {
        pre: "p",
        post: "p",
        model: StaticPulse,
        connectivity: { kind: "dense" },
      }),
    ).toThrow(/already used/);
    expect(() => net.addPopulation("2p", { model: LIF, size: 1 })).toThrow(
      /Invalid population name/,
    );
  });
});
