/** Runtime features: dynamic params, custom updates, long runs, recording, agreement with the reference. */
import {
  LIF,
  Network,
  SpikeSourceArray,
  type Backend,
  type CustomUpdateModel,
  type NeuronModel,
  type SpikeEvents,
  type WeightUpdateModel,
} from "@snn/core";
import { expect } from "vitest";
import { alifThresholdDistance, compareTraces, lifThresholdDistance, traceRun } from "../compare";
import {
  CUSTOM_UPDATE_SHAPE,
  customUpdateNetwork,
  LIF_DEFAULTS,
  recurrentNetwork,
} from "../networks";
import {
  ALIF_THRESHOLD_TOLERANCE,
  ALIF_TOLERANCE,
  type ConformanceCase,
  expectComparison,
  LIF_V_TOLERANCE,
  THRESHOLD_TOLERANCE_MV,
  triples,
  withRuntime,
} from "./shared";

export const RUNTIME_CASES: readonly ConformanceCase[] = [
  {
    id: "dynamic-params",
    title:
      "setParam changes dynamic params (and the derived params computed from them) of neurons, synapses and custom updates between steps; fixed params refuse",
    run: async ({ backend, reference }) => {
      // V += Gain * 0.05 (Gain = 2 Drive, derived) plus the synapse's g * Scale per input spike.
      const Driven: NeuronModel = {
        kind: "neuron",
        name: "Driven",
        params: { Drive: { default: 0, dynamic: true }, Tau: { default: 10 } },
        derivedParams: {
          Decay: { compute: (p, dt) => Math.exp(-dt / p.Tau!) },
          Gain: { compute: (p) => 2 * p.Drive! },
        },
        vars: { V: { init: 0 } },
        sim: "V = Decay * V + Gain * 0.05 + Isyn;",
        threshold: "V > 1.0",
        reset: "V = 0.0;",
      };
      const Scaled: WeightUpdateModel = {
        kind: "weightUpdate",
        name: "Scaled",
        params: { Scale: { default: 0, dynamic: true } },
        vars: { g: { init: 1, access: "readOnly" } },
        preSpike: "addToPost(g * Scale);",
      };
      const Bump: CustomUpdateModel = {
        kind: "customUpdate",
        name: "Bump",
        params: { Step: { default: 0, dynamic: true } },
        varRefs: { V: {} },
        update: "V += Step;",
      };
      const network = (): Network => {
        const net = new Network({ dt: 1, batchSize: 2, seed: 3 });
        net.addPopulation("input", { model: SpikeSourceArray, size: 1 });
        net.addPopulation("driven", { model: Driven, size: 3, recordSpikes: true });
        net.addProjection("scaled", {
          pre: "input",
          post: "driven",
          model: Scaled,
          connectivity: { kind: "dense" },
        });
        // the same models (merged kernels on a GPU), whose params are left alone
        net.addPopulation("bystander", { model: Driven, size: 2, recordSpikes: true });
        net.addProjection("unscaled", {
          pre: "input",
          post: "bystander",
          model: Scaled,
          connectivity: { kind: "dense" },
        });
        // a custom update with a dynamic param
        net.addCustomUpdate("bump", {
          group: "bump",
          model: Bump,
          varRefs: { V: { owner: "bystander", var: "V" } },
        });
        return net;
      };
      const everyStep: SpikeEvents = {
        steps: Int32Array.from({ length: 90 }, (_, s) => s),
        units: new Int32Array(90),
      };
      const run = (b: Backend) =>
        withRuntime(b, network(), async (runtime) => {
          runtime.setSpikeEvents("input", [everyStep, everyStep]);
          await runtime.step(30); // Drive 0, Scale 0: V stays 0
          runtime.setParam("driven", "Drive", 1.5); // Gain 3: V grows 0.15 a step
          await runtime.step(30);
          runtime.setParam("driven", "Drive", 0);
          runtime.setParam("scaled", "Scale", 0.2); // every step's input spike adds 0.2
          await runtime.step(30);
          expect(() => runtime.setParam("driven", "Tau", 5)).toThrow(
            /fixed when the network is compiled; declare it with dynamic: true/,
          );
          expect(() => runtime.setParam("driven", "Nope", 5)).toThrow(/has no param 'Nope'/);
          expect(() => runtime.setParam("nobody", "Drive", 5)).toThrow(
            /there is no population, projection or custom update 'nobody'/,
          );
          expect(() => runtime.setParam("driven", "Drive", Number.NaN)).toThrow(/finite number/);
          expect(
            triples(await runtime.readSpikes("bystander")),
            "a group with the same model keeps its own params",
          ).toEqual([]);
          await runtime.runCustomUpdate("bump"); // Step 0: no change
          expect(Array.from(await runtime.readVar("bystander", "V"))).toEqual([0, 0, 0, 0]);
          runtime.setParam("bump", "Step", 0.25);
          await runtime.runCustomUpdate("bump");
          expect(
            Array.from(await runtime.readVar("bystander", "V")),
            "the custom update's new Step",
          ).toEqual([0.25, 0.25, 0.25, 0.25]);
          return {
            spikes: triples(await runtime.readSpikes("driven")),
            v: Array.from(await runtime.readVar("driven", "V")),
          };
        });
      const result = await run(backend);
      const steps = result.spikes.map((t) => Number(t.split(":")[0]));
      expect(
        steps.filter((s) => s < 30),
        "no spikes before a param changed",
      ).toEqual([]);
      expect(
        steps.filter((s) => s >= 30 && s < 60).length,
        "spikes driven by the new Drive",
      ).toBeGreaterThan(0);
      expect(
        steps.filter((s) => s >= 60).length,
        "spikes driven by the new synaptic Scale",
      ).toBeGreaterThan(0);
      if (reference) {
        const expected = await run(reference);
        expect(result.spikes).toEqual(expected.spikes);
        for (let i = 0; i < expected.v.length; i++)
          expect(result.v[i]).toBeCloseTo(expected.v[i]!, 5);
      }
    },
  },
  {
    id: "custom-updates",
    title:
      "custom updates and reductions: batch sum/max, neuron sum/max (relative 1e-5), shared updates, id/batch",
    run: async ({ backend }) => {
      const { batchSize, neurons, pre } = CUSTOM_UPDATE_SHAPE;
      await withRuntime(backend, customUpdateNetwork(), async (runtime) => {
        for (const round of [0, 1]) {
          const values = Float32Array.from(
            { length: batchSize * neurons },
            (_, k) => Math.sin(k * 1.7 + round * 3) * 10 - 2 * round,
          );
          await runtime.writeVar("n", "V", values);
          await runtime.runCustomUpdate("reduce");
          const at = (b: number, j: number) => values[b * neurons + j]!;
          const batchSum = await runtime.readVar("reduceV", "BatchSum");
          const batchMax = await runtime.readVar("reduceV", "BatchMax");
          const neuronSum = await runtime.readVar("reduceV", "NeuronSum");
          const neuronMax = await runtime.readVar("reduceV", "NeuronMax");
          expect(batchSum.length).toBe(neurons);
          expect(neuronSum.length).toBe(batchSize);
          for (let j = 0; j < neurons; j++) {
            let sum = 0;
            let max = -Infinity;
            for (let b = 0; b < batchSize; b++) {
              sum += at(b, j);
              max = Math.max(max, at(b, j));
            }
            expect(
              Math.abs(batchSum[j]! - sum),
              `batch sum of neuron ${j} (round ${round})`,
            ).toBeLessThan(1e-5 * Math.max(1, Math.abs(sum)) * batchSize);
            expect(batchMax[j], `batch max of neuron ${j}`).toBe(max);
          }
          for (let b = 0; b < batchSize; b++) {
            let sum = 0;
            let max = -Infinity;
            for (let j = 0; j < neurons; j++) {
              sum += at(b, j);
              max = Math.max(max, at(b, j));
            }
            expect(
              Math.abs(neuronSum[b]! - sum),
              `neuron sum of batch ${b} (round ${round})`,
            ).toBeLessThan(1e-5 * Math.max(1, Math.abs(sum)) * neurons);
            expect(neuronMax[b], `neuron max of batch ${b}`).toBe(max);
          }
        }
        // Batch reduction into a shared variable of a projection, then a shared update.
        const synapses = pre * neurons;
        const gradient = Float32Array.from(
          { length: batchSize * synapses },
          (_, k) => ((k * 7) % 11) / 8 - 0.5,
        );
        await runtime.writeVar("syn", "Gradient", gradient);
        await runtime.runCustomUpdate("gradient");
        await runtime.runCustomUpdate("apply");
        const total = await runtime.readVar("syn", "Total");
        const g = await runtime.readVar("syn", "g");
        for (let s = 0; s < synapses; s++) {
          let sum = 0;
          for (let b = 0; b < batchSize; b++) sum += gradient[b * synapses + s]!;
          expect(Math.abs(total[s]! - sum), `gradient total of synapse ${s}`).toBeLessThan(1e-5);
          expect(Math.abs(g[s]! - (1 - 0.5 * sum)), `updated weight of synapse ${s}`).toBeLessThan(
            1e-5,
          );
        }
        await runtime.runCustomUpdate("set");
        const v = await runtime.readVar("n", "V");
        for (let b = 0; b < batchSize; b++) {
          for (let j = 0; j < neurons; j++)
            expect(v[b * neurons + j], `V set from id ${j} and batch ${b}`).toBe(-60 + j + 10 * b);
        }
      });
    },
  },
  {
    id: "long-run-finite",
    title: "a long run (3000 steps) of a recurrent LIF/ALIF network stays finite and active",
    run: async ({ backend }) => {
      const steps = 3000;
      const network = recurrentNetwork(2, { input: "poisson" });
      await withRuntime(
        backend,
        network,
        async (runtime) => {
          await runtime.step(steps);
          for (const group of [...runtime.plan.populations, ...runtime.plan.projections]) {
            const vars =
              "vars" in group
                ? [
                    ...group.vars,
                    ...("preVars" in group
                      ? [...group.preVars, ...group.postVars, ...(group.postsynaptic?.vars ?? [])]
                      : []),
                  ]
                : [];
            for (const variable of vars) {
              const values = await runtime.readVar(group.name, variable.name);
              const bad = values.findIndex((x) => !Number.isFinite(x));
              expect(bad, `${group.name}.${variable.name}[${bad}] = ${values[bad]}`).toBe(-1);
            }
          }
          for (const population of ["lif", "alif"]) {
            const count = (await runtime.readSpikes(population)).steps.length;
            const capacity = steps * 24 * 2;
            expect(count, `${population} spikes`).toBeGreaterThan(capacity * 0.0005);
            expect(count, `${population} spikes`).toBeLessThan(capacity * 0.5);
          }
        },
        steps,
      );
    },
  },
  {
    id: "recording-decode",
    title:
      "spike recordings decode to the right (step, neuron, batch) triples, sorted by step, batch, neuron",
    run: async ({ backend }) => {
      const batchSize = 3;
      const size = 4;
      const steps = 60;
      const initial = Float32Array.from(
        { length: batchSize * size },
        (_, k) => -70 + 3 * (k % size) + 5 * Math.floor(k / size),
      );
      const net = new Network({ dt: 1, batchSize, name: "recording" });
      net.addPopulation("n", {
        model: LIF,
        size,
        params: { Ioffset: 2.5 },
        init: { V: initial },
        recordSpikes: true,
      });
      // Expected spikes of the exact discrete LIF (double precision), with margins checked.
      const expTC = Math.exp(-1 / LIF_DEFAULTS.TauM);
      const vInf = -70 + 20 * 2.5;
      const expected: string[] = [];
      const v = Float64Array.from(initial);
      const refractory = new Float64Array(v.length);
      for (let s = 0; s < steps; s++) {
        for (let b = 0; b < batchSize; b++) {
          for (let j = 0; j < size; j++) {
            const k = b * size + j;
            if (refractory[k]! <= 0) v[k] = vInf + (v[k]! - vInf) * expTC;
            else refractory[k]! -= 1;
            if (refractory[k]! <= 0)
              expect(Math.abs(v[k]! - LIF_DEFAULTS.Vthresh), "test design: margin").toBeGreaterThan(
                1e-3,
              );
            if (refractory[k]! <= 0 && v[k]! >= LIF_DEFAULTS.Vthresh) {
              expected.push(`${s}:${j}:${b}`);
              v[k] = -70;
              refractory[k] = 2;
            }
          }
        }
      }
      expect(expected.length).toBeGreaterThan(20);
      await withRuntime(backend, net, async (runtime) => {
        await runtime.step(steps);
        const recording = await runtime.readSpikes("n");
        expect(recording.numSteps).toBe(steps);
        expect(triples(recording)).toEqual(expected);
        runtime.startTrial();
        const empty = await runtime.readSpikes("n");
        expect(empty.numSteps).toBe(0);
        expect(empty.steps.length).toBe(0);
      });
    },
  },
  {
    id: "reference-agreement",
    title:
      "a recurrent LIF/ALIF network with Poisson input agrees with the reference backend (spikes exact except explained threshold crossings; V within 1e-3 mV / 1e-4)",
    run: async (context) => {
      const { reference, backend, test } = context;
      if (!reference) return test.skip("no reference backend given");
      const steps = 200;
      const watch = {
        input: [] as string[],
        lif: ["V", "RefracTime"],
        alif: ["V", "A", "RefracTime"],
      };
      const run = (b: Backend) =>
        withRuntime(b, recurrentNetwork(2, { input: "poisson" }), (runtime) =>
          traceRun(runtime, steps, watch),
        );
      const expected = await run(reference);
      const got = await run(backend);
      expect(got.input!.spikes, "Poisson input spikes").toEqual(expected.input!.spikes);
      const lif = compareTraces(
        got.lif!,
        expected.lif!,
        {
          tolerance: { V: LIF_V_TOLERANCE },
          thresholdTolerance: THRESHOLD_TOLERANCE_MV,
          distance: lifThresholdDistance(LIF_DEFAULTS.Vthresh),
        },
        "lif vs reference",
      );
      const alif = compareTraces(
        got.alif!,
        expected.alif!,
        {
          tolerance: { V: ALIF_TOLERANCE, A: ALIF_TOLERANCE },
          thresholdTolerance: ALIF_THRESHOLD_TOLERANCE,
          distance: alifThresholdDistance(0.6, 0.2),
        },
        "alif vs reference",
      );
      await expectComparison(context, lif);
      await expectComparison(context, alif);
      if (lif.agreedSteps < steps || alif.agreedSteps < steps) {
        await context.report(
          `agreed with the reference for ${Math.min(lif.agreedSteps, alif.agreedSteps)} of ${steps} steps (then a float difference crossed a threshold)`,
        );
      }
    },
  },
];
