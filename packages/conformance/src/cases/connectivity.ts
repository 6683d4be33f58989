/** Connectivity and spike delivery: dense against sparse, one-to-one, batches, delays, spike sources. */
import { LIF, Network, SpikeSourceArray, StaticPulse, type SpikeEvents } from "@snn/core";
import { expect } from "vitest";
import { alifThresholdDistance, compareTraces, lifThresholdDistance, traceRun } from "../compare";
import {
  delayChainNetwork,
  denseSparseNetwork,
  LIF_DEFAULTS,
  ONE_TO_ONE_SIZE,
  oneToOneNetwork,
  randomSpikeEvents,
  recurrentNetwork,
} from "../networks";
import {
  ALIF_THRESHOLD_TOLERANCE,
  ALIF_TOLERANCE,
  type ConformanceCase,
  expectComparison,
  LIF_V_TOLERANCE,
  spikeSteps,
  THRESHOLD_TOLERANCE_MV,
  triples,
  withRuntime,
} from "./shared";

export const CONNECTIVITY_CASES: readonly ConformanceCase[] = [
  {
    id: "dense-sparse",
    title:
      "dense and sparse projections of the same connectivity give the same voltages and spikes",
    run: async (context) => {
      const { network, events, steps } = denseSparseNetwork(2);
      await withRuntime(context.backend, network, async (runtime) => {
        runtime.setSpikeEvents("input", events);
        const trace = await traceRun(runtime, steps, {
          hiddenDense: ["V", "RefracTime"],
          hiddenSparse: ["V", "RefracTime"],
        });
        const total = trace.hiddenDense!.spikes.flat(2).length;
        expect(total, "test design: the hidden populations must spike").toBeGreaterThan(20);
        const comparison = compareTraces(
          trace.hiddenDense!,
          trace.hiddenSparse!,
          {
            tolerance: { V: LIF_V_TOLERANCE },
            thresholdTolerance: THRESHOLD_TOLERANCE_MV,
            distance: lifThresholdDistance(LIF_DEFAULTS.Vthresh),
          },
          "dense vs sparse",
        );
        await expectComparison(context, comparison);
        if (comparison.explained.length === 0) expect(comparison.agreedSteps).toBe(steps);
      });
    },
  },
  {
    id: "one-to-one",
    title:
      "one-to-one projections deliver spike i to neuron i only, like the sparse diagonal (V within 1e-4 mV)",
    run: async ({ backend }) => {
      const { network, events } = oneToOneNetwork();
      await withRuntime(backend, network, async (runtime) => {
        runtime.setSpikeEvents("input", events);
        const trace = await traceRun(runtime, 6, { direct: ["V"], diagonal: ["V"] });
        const expTC = Math.exp(-1 / LIF_DEFAULTS.TauM);
        for (let i = 0; i < ONE_TO_ONE_SIZE; i++) {
          const jump = 20 * 0.1 * (i + 1) * (1 - expTC);
          const inputStep = i % 2 === 0 ? 2 : 4;
          for (let s = 0; s < 6; s++) {
            const expected = s < inputStep ? -70 : -70 + jump * expTC ** (s - inputStep);
            expect(
              Math.abs(trace.direct!.vars.V![s]![i]! - expected),
              `direct V of neuron ${i} at step ${s}`,
            ).toBeLessThan(1e-4);
            expect(
              Math.abs(trace.diagonal!.vars.V![s]![i]! - trace.direct!.vars.V![s]![i]!),
              `diagonal vs direct, neuron ${i}, step ${s}`,
            ).toBeLessThan(1e-5);
          }
        }
        expect(trace.direct!.spikes.flat(2)).toEqual([]);
      });
    },
  },
  {
    id: "batch-independence",
    title: "element b of a batched run equals an unbatched run with element b's input",
    run: async (context) => {
      const batchSize = 3;
      const steps = 100;
      const events = randomSpikeEvents(16, steps, batchSize, 0.08, 31);
      const watch = { lif: ["V", "RefracTime"], alif: ["V", "A", "RefracTime"], readout: ["Y"] };
      const batched = await withRuntime(
        context.backend,
        recurrentNetwork(batchSize),
        async (runtime) => {
          runtime.setSpikeEvents("input", events);
          return traceRun(runtime, steps, { lif: watch.lif, alif: watch.alif });
        },
      );
      expect(batched.lif!.spikes.flat(2).length, "test design: lif must spike").toBeGreaterThan(10);
      expect(batched.alif!.spikes.flat(2).length, "test design: alif must spike").toBeGreaterThan(
        10,
      );
      for (let b = 0; b < batchSize; b++) {
        const single = await withRuntime(context.backend, recurrentNetwork(1), async (runtime) => {
          runtime.setSpikeEvents("input", [events[b]!]);
          return traceRun(runtime, steps, { lif: watch.lif, alif: watch.alif });
        });
        // The batch elements differ from each other, so comparing the right pairs matters.
        expect(JSON.stringify(batched.lif!.spikes.map((x) => x[b]))).not.toBe(
          JSON.stringify(batched.lif!.spikes.map((x) => x[(b + 1) % batchSize])),
        );
        await expectComparison(
          context,
          compareTraces(
            single.lif!,
            batched.lif!,
            {
              tolerance: { V: LIF_V_TOLERANCE },
              thresholdTolerance: THRESHOLD_TOLERANCE_MV,
              distance: lifThresholdDistance(LIF_DEFAULTS.Vthresh),
              batches: [[0, b]],
            },
            `lif, batch element ${b}`,
          ),
        );
        await expectComparison(
          context,
          compareTraces(
            single.alif!,
            batched.alif!,
            {
              tolerance: { V: ALIF_TOLERANCE, A: ALIF_TOLERANCE },
              thresholdTolerance: ALIF_THRESHOLD_TOLERANCE,
              distance: alifThresholdDistance(0.6, 0.2),
              batches: [[0, b]],
            },
            `alif, batch element ${b}`,
          ),
        );
      }
    },
  },
  {
    id: "delays",
    title:
      "recurrent (delay 1) spikes arrive one step later; delay-0 spikes arrive in the same step",
    run: async ({ backend }) => {
      const { network, events, inputStep } = delayChainNetwork();
      await withRuntime(backend, network, async (runtime) => {
        runtime.setSpikeEvents("source", events);
        await runtime.step(10);
        const expected = { source: inputStep, a: inputStep, b: inputStep + 1, c: inputStep + 1 };
        for (const [population, step] of Object.entries(expected)) {
          expect(spikeSteps(await runtime.readSpikes(population)), population).toEqual([step]);
        }
      });
    },
  },
  {
    id: "spike-source-timing",
    title:
      "spike source arrays emit their events at the given steps, per batch element, across trials",
    run: async ({ backend }) => {
      const net = new Network({ dt: 1, batchSize: 2, name: "spike-source-timing" });
      net.addPopulation("source", { model: SpikeSourceArray, size: 5, recordSpikes: true });
      net.addPopulation("echo", { model: LIF, size: 5, recordSpikes: true });
      net.addProjection("source_echo", {
        pre: "source",
        post: "echo",
        model: StaticPulse,
        connectivity: { kind: "oneToOne" },
        init: { g: 100 },
        delaySteps: 0,
      });
      const events: SpikeEvents[] = [
        { steps: Int32Array.of(0, 0, 3, 7, 7), units: Int32Array.of(4, 1, 2, 0, 4) },
        // (9, 1) twice: a neuron spikes at most once per step.
        { steps: Int32Array.of(1, 2, 5, 9, 9), units: Int32Array.of(3, 0, 3, 1, 1) },
      ];
      const expected = [
        "0:1:0",
        "0:4:0",
        "1:3:1",
        "2:0:1",
        "3:2:0",
        "5:3:1",
        "7:0:0",
        "7:4:0",
        "9:1:1",
      ];
      await withRuntime(backend, net, async (runtime) => {
        runtime.setSpikeEvents("source", events);
        await runtime.step(10);
        expect(triples(await runtime.readSpikes("source"))).toEqual(expected);
        expect(
          triples(await runtime.readSpikes("echo")),
          "a delay-0 projection delivers in the same step",
        ).toEqual(expected);
        // A new trial replays the events from step 0.
        runtime.startTrial();
        await runtime.step(4);
        expect(triples(await runtime.readSpikes("source"))).toEqual(
          expected.filter((e) => Number(e.split(":")[0]) < 4),
        );
        // Events set in the middle of a trial: those before the current step are in the past.
        runtime.setSpikeEvents("source", [
          { steps: Int32Array.of(2, 5), units: Int32Array.of(1, 3) },
          { steps: Int32Array.of(4), units: Int32Array.of(2) },
        ]);
        await runtime.step(3);
        expect(triples(await runtime.readSpikes("source"))).toEqual([
          ...expected.filter((e) => Number(e.split(":")[0]) < 4),
          "4:2:1",
          "5:3:0",
        ]);
      });
    },
  },
];
