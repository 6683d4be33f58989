import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { cpuBackend } from "@snn/backend-cpu";
import { seededRandom } from "@snn/core";
import { defineEpropNetwork, formatGradcheckReport, runGradcheck } from "./index";
import { referenceEprop } from "./test-support/reference-eprop";

const fixture = JSON.parse(
  readFileSync(new URL("../test-data/eprop-gradient.json", import.meta.url), "utf8"),
);

describe("gradient fixture on the CPU backend", () => {
  it("matches all six cases: spikes exactly, states, loss and e-prop gradients to 1e-4 relative", async () => {
    const report = await runGradcheck(fixture, { backend: cpuBackend() });
    expect(report.cases.map((c) => c.name)).toEqual([
      "lif_all",
      "lif_last10",
      "alif_all",
      "alif_last10",
      "mixed_all",
      "mixed_last10",
    ]);
    for (const c of report.cases) {
      expect(c.spikesMatch, c.name).toBe(true);
      for (const [state, error] of Object.entries(c.forwardErrors))
        expect(error, `${c.name} ${state}`).toBeLessThan(1e-4);
      expect(c.loss.relativeError, c.name).toBeLessThan(1e-4);
      expect(c.gradients.map((g) => g.name)).toEqual(["W_in", "W_rec", "W_out", "b_out"]);
      for (const g of c.gradients)
        expect(g.relativeError, `${c.name} ${g.name}`).toBeLessThan(1e-4);
    }
    expect(report.passed).toBe(true);
    expect(formatGradcheckReport(report)).toMatch(/All 6 cases passed\./);
  });
});

describe("runGradcheck", () => {
  it("fails when a gradient or a spike of the fixture is off", async () => {
    const tampered = structuredClone(fixture);
    const grad = tampered.cases[0].grad_eprop.W_in as number[][];
    let best = [0, 0];
    grad.forEach((row, j) =>
      row.forEach((g, i) => {
        if (Math.abs(g) > Math.abs(grad[best[0]!]![best[1]!]!)) best = [j, i];
      }),
    );
    grad[best[0]!]![best[1]!]! *= 1.001; // 1e-3 relative: ten times the tolerance
    const z = tampered.cases[1].forward.z as number[][];
    z[10]![0] = 1 - z[10]![0]!;
    tampered.cases = tampered.cases.slice(0, 2);
    const report = await runGradcheck(tampered, { backend: cpuBackend() });
    expect(report.passed).toBe(false);
    expect(report.cases[0]!.spikesMatch).toBe(true);
    expect(report.cases[0]!.gradients.find((g) => g.name === "W_in")!.passed).toBe(false);
    expect(report.cases[0]!.gradients.find((g) => g.name === "W_rec")!.passed).toBe(true);
    expect(report.cases[1]!.spikesMatch).toBe(false);
    expect(report.cases[1]!.spikeMismatches).toBe(1);
    const text = formatGradcheckReport(report);
    expect(text).toMatch(/FAIL {2}lif_all/);
    expect(text).toMatch(/1 differ/);
    expect(text).toMatch(/2 of 2 cases failed/);
    expect(JSON.parse(formatGradcheckReport(report, { json: true })).passed).toBe(false);
  });

  it("reads fixtures of other sizes with a refractory period and random feedback", async () => {
    // A fixture in the same format made by the float64 reference implementation of the spec.
    const params = {
      n_in: 5,
      n_rec: 7,
      n_out: 4,
      T: 60,
      dt_ms: 1,
      tau_m_ms: 15,
      tau_a_ms: 300,
      tau_out_ms: 25,
      v_th: 0.5,
      gamma_pd: 0.3,
      refractory_steps: 3,
    };
    const random = seededRandom(17);
    const normal = (rows: number, cols: number, sd: number) =>
      Array.from({ length: rows }, () => Array.from({ length: cols }, () => sd * random.normal()));
    const weights = {
      W_in: normal(7, 5, 0.8),
      W_rec: normal(7, 7, 0.4).map((row, j) => row.map((w, i) => (i === j ? 0 : w))),
      W_out: normal(4, 7, 0.5),
      b_out: normal(1, 4, 0.1)[0]!,
      B_feedback: normal(7, 4, 0.5),
    };
    const inputs = Array.from({ length: 60 }, () =>
      Array.from({ length: 5 }, () => (random.uniform() < 0.2 ? 1 : 0)),
    );
    const beta = [0, 0.2, 0.2, 0, 0.4, 0.1, 0];
    const mask = Array.from({ length: 60 }, (_, t) => (t >= 40 ? 1 : 0));
    const description = defineEpropNetwork({
      input: { size: 5 },
      hidden: [
        {
          name: "hidden",
          size: 7,
          neuron: "ALIF",
          beta,
          tauMemMs: 15,
          tauAdaptMs: 300,
          vThresh: 0.5,
          refractorySteps: 3,
        },
      ],
      readout: { size: 4, tauOutMs: 25 },
      feedback: "random",
      regularisation: false,
    });
    const reference = referenceEprop(
      description,
      {
        "input->hidden": Float32Array.from(weights.W_in.flat()),
        "hidden->hidden": Float32Array.from(weights.W_rec.flat()),
        "hidden->output": Float32Array.from(weights.W_out.flat()),
        "output.bias": Float32Array.from(weights.b_out),
        "output->hidden.feedback": Float32Array.from(weights.B_feedback.flat()),
      },
      [inputs],
      [mask],
      [2],
    );
    const unflatten = (values: Float64Array, cols: number) =>
      Array.from({ length: values.length / cols }, (_, r) =>
        Array.from(values.subarray(r * cols, (r + 1) * cols)),
      );
    const made = {
      params,
      inputs_x: inputs,
      targets_onehot: inputs.map(() => [0, 0, 1, 0]),
      weights,
      cases: [
        {
          name: "alif_refractory_last20",
          beta,
          loss_mask: mask,
          loss: reference.loss[0],
          forward: reference.forward,
          grad_eprop: {
            W_in: unflatten(reference.gradients["input->hidden"]!, 5),
            W_rec: unflatten(reference.gradients["hidden->hidden"]!, 7),
            W_out: unflatten(reference.gradients["hidden->output"]!, 7),
            b_out: Array.from(reference.gradients["output.bias"]!),
          },
        },
      ],
    };
    const spikes = reference.forward.z.flat().reduce((a, b) => a + b, 0);
    expect(spikes).toBeGreaterThan(20);
    const report = await runGradcheck(made, { backend: cpuBackend() });
    expect(report.cases[0]!.spikesMatch).toBe(true);
    expect(report.passed).toBe(true);
    // the refractory period matters in this fixture: reading it as 0 breaks the match
    const withoutRefractory = await runGradcheck(
      { ...made, params: { ...params, refractory_steps: 0 } },
      { backend: cpuBackend() },
    );
    expect(withoutRefractory.passed).toBe(false);
  });
});
