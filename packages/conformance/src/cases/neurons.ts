/** Neuron dynamics: LIF against its closed form, refractoriness, ALIF adaptation. */
import { expect } from "vitest";
import { traceRun } from "../compare";
import {
  ALIF_INPUT,
  ALIF_PARAMS,
  alifAdaptationNetwork,
  LIF_CONSTANT_CURRENTS,
  LIF_DEFAULTS,
  LIF_REFRACTORY_PERIODS,
  lifConstantInputNetwork,
  lifRefractoryNetwork,
} from "../networks";
import {
  ALIF_TOLERANCE,
  type ConformanceCase,
  LIF_V_TOLERANCE,
  lifStepsToThreshold,
  spikeSteps,
  withRuntime,
} from "./shared";

export const NEURON_CASES: readonly ConformanceCase[] = [
  {
    id: "lif-constant-input",
    title:
      "LIF with constant input fires at the analytic inter-spike interval (exact step counts; V within 1e-3 mV)",
    run: async ({ backend }) => {
      await withRuntime(backend, lifConstantInputNetwork(), async (runtime) => {
        const traced = 60;
        const trace = await traceRun(runtime, traced, { lif2: ["V"] });
        await runtime.step(400 - traced);
        const expTC = Math.exp(-1 / LIF_DEFAULTS.TauM);
        const rm = LIF_DEFAULTS.TauM / LIF_DEFAULTS.C;
        const refractorySteps = Math.ceil(LIF_DEFAULTS.TauRefrac / 1);
        for (const [k, current] of LIF_CONSTANT_CURRENTS.entries()) {
          const vInf = LIF_DEFAULTS.Vrest + rm * current;
          const { steps: integrations, margin } = lifStepsToThreshold(
            LIF_DEFAULTS.Vreset,
            vInf,
            expTC,
          );
          expect(
            margin,
            "test design: the crossing must not be within float error of the threshold",
          ).toBeGreaterThan(1e-3);
          // Continuous analytic ISI: refractory period + TauM ln((Vinf - Vreset) / (Vinf - Vthresh)); the
          // discrete neuron crosses in the first whole step after it, so the step ISI is at most one dt longer.
          const analytic =
            LIF_DEFAULTS.TauRefrac +
            LIF_DEFAULTS.TauM *
              Math.log((vInf - LIF_DEFAULTS.Vreset) / (vInf - LIF_DEFAULTS.Vthresh));
          const isi = refractorySteps + integrations;
          expect(isi - analytic).toBeGreaterThanOrEqual(0);
          expect(isi - analytic).toBeLessThan(1);
          const recording = await runtime.readSpikes(`lif${k}`);
          for (const neuron of [0, 1]) {
            const steps = spikeSteps(recording, neuron);
            expect(steps.length).toBeGreaterThan(3);
            expect(steps[0], `first spike of lif${k}`).toBe(integrations - 1);
            for (let n = 1; n < steps.length; n++)
              expect(steps[n]! - steps[n - 1]!, `ISI of lif${k} (I = ${current} nA)`).toBe(isi);
          }
        }
        // Membrane potential of lif2 (2.5 nA) before its first spike against V(s) = Vinf + (Vrest - Vinf) ExpTC^(s+1).
        const vInf = LIF_DEFAULTS.Vrest + rm * LIF_CONSTANT_CURRENTS[2];
        const first = lifStepsToThreshold(LIF_DEFAULTS.Vrest, vInf, expTC).steps - 1;
        for (let s = 0; s < first; s++) {
          const expected = vInf + (LIF_DEFAULTS.Vrest - vInf) * expTC ** (s + 1);
          expect(Math.abs(trace.lif2!.vars.V![s]![0]! - expected), `V at step ${s}`).toBeLessThan(
            LIF_V_TOLERANCE,
          );
        }
      });
    },
  },
  {
    id: "lif-refractory",
    title: "LIF refractory period is respected: no spike and V held at Vreset while refractory",
    run: async ({ backend }) => {
      await withRuntime(backend, lifRefractoryNetwork(), async (runtime) => {
        const steps = 30;
        const watch = Object.fromEntries(
          LIF_REFRACTORY_PERIODS.map((_, k) => [`refrac${k}`, ["V", "RefracTime"]]),
        );
        const trace = await traceRun(runtime, steps, watch);
        for (const [k, period] of LIF_REFRACTORY_PERIODS.entries()) {
          const t = trace[`refrac${k}`]!;
          const isi = Math.ceil(period / 1) + 1;
          const spikes = t.spikes.flatMap((perBatch, s) => (perBatch[0]!.includes(0) ? [s] : []));
          expect(spikes, `spikes with TauRefrac ${period} ms`).toEqual(
            Array.from({ length: Math.ceil(steps / isi) }, (_, n) => n * isi),
          );
          for (let s = 0; s < steps; s++) {
            if (t.vars.RefracTime![s]![0]! > 0 && !spikes.includes(s)) {
              expect(t.vars.V![s]![0], `V while refractory (TauRefrac ${period}, step ${s})`).toBe(
                LIF_DEFAULTS.Vreset,
              );
            }
          }
        }
      });
    },
  },
  {
    id: "alif-adaptation",
    title:
      "ALIF threshold adaptation and its decay match hand-computed values (V, A within 1e-4; spikes exact)",
    run: async ({ backend }) => {
      const { network, events } = alifAdaptationNetwork();
      const steps = 400;
      // Hand computation in double precision of the equations in @snn/core's ALIF doc comment.
      const alpha = Math.exp(-1 / ALIF_PARAMS.TauM);
      const rho = Math.exp(-1 / ALIF_PARAMS.TauAdap);
      let a = 0;
      let v = 0;
      let z = 0;
      let refractory = 0;
      let minMargin = Infinity;
      const expected: { v: number; a: number; spike: boolean }[] = [];
      for (let s = 0; s < steps; s++) {
        const input = s < ALIF_INPUT.steps ? ALIF_INPUT.weight : 0;
        a = rho * a + z;
        v = alpha * v + input - ALIF_PARAMS.Vthresh * z;
        z = 0;
        if (refractory > 0) refractory -= 1;
        const threshold = ALIF_PARAMS.Vthresh + ALIF_PARAMS.Beta * a;
        if (refractory <= 0) minMargin = Math.min(minMargin, Math.abs(v - threshold));
        const spike = refractory <= 0 && v > threshold;
        if (spike) {
          z = 1;
          refractory = ALIF_PARAMS.TauRefrac;
        }
        expected.push({ v, a, spike });
      }
      expect(
        minMargin,
        "test design: no step may be within float error of the threshold",
      ).toBeGreaterThan(1e-3);
      const spikeCount = expected.filter((e) => e.spike).length;
      expect(spikeCount, "test design: the neuron must spike several times").toBeGreaterThan(4);
      await withRuntime(backend, network, async (runtime) => {
        runtime.setSpikeEvents("input", events);
        const trace = (await traceRun(runtime, steps, { alif: ["V", "A"] })).alif!;
        for (let s = 0; s < steps; s++) {
          const e = expected[s]!;
          expect(trace.spikes[s]![0]!.length === 1, `spike at step ${s}`).toBe(e.spike);
          expect(Math.abs(trace.vars.V![s]![0]! - e.v), `V at step ${s}`).toBeLessThan(
            ALIF_TOLERANCE,
          );
          expect(Math.abs(trace.vars.A![s]![0]! - e.a), `A at step ${s}`).toBeLessThan(
            ALIF_TOLERANCE,
          );
        }
        // The adaptation decays by Rho per step once the input stops.
        const last = expected[steps - 1]!.a;
        expect(last).toBeGreaterThan(0.05);
        expect(Math.abs(trace.vars.A![steps - 1]![0]! - last) / last).toBeLessThan(1e-4);
      });
    },
  },
];
