/** Random numbers: Poisson statistics and the Philox streams (core's and the reference backend's). */
import {
  philox4x32,
  planNetwork,
  RNG_KEY_HI,
  streamWord,
  uniformFromBlock,
  type Backend,
} from "@snn/core";
import { expect } from "vitest";
import { poissonNetwork } from "../networks";
import { type ConformanceCase, triples, withRuntime } from "./shared";

export const RANDOM_CASES: readonly ConformanceCase[] = [
  {
    id: "poisson-statistics",
    title:
      "Poisson sources: counts, dispersion and step-to-step correlation within 5-sigma bounds; seeded reproducibility",
    run: async ({ backend }) => {
      const size = 1000;
      const rate = 20;
      const steps = 500;
      const batchSize = 2;
      const dt = 1; // ms, as in poissonNetwork
      const p = (rate * dt) / 1000;
      const run = (seed: number) =>
        withRuntime(backend, poissonNetwork(size, rate, batchSize, seed), async (runtime) => {
          await runtime.step(steps);
          return runtime.readSpikes("poisson");
        });
      const recording = await run(99);
      for (let b = 0; b < batchSize; b++) {
        const perNeuron = new Float64Array(size);
        const perStep = new Float64Array(steps);
        let total = 0;
        for (let k = 0; k < recording.steps.length; k++) {
          if (recording.batches[k] !== b) continue;
          perNeuron[recording.neurons[k]!]!++;
          perStep[recording.steps[k]!]!++;
          total++;
        }
        const mean = size * steps * p;
        const sigma = Math.sqrt(size * steps * p * (1 - p));
        expect(
          Math.abs(total - mean),
          `total spikes of batch ${b}: ${total}, expected ${mean} +- 5 sigma (${sigma.toFixed(1)})`,
        ).toBeLessThan(5 * sigma);
        // Per-neuron counts are binomial: variance / mean = 1 - p (0.98); standard error about 0.045.
        const m = total / size;
        const variance = perNeuron.reduce((sum, c) => sum + (c - m) ** 2, 0) / (size - 1);
        expect(variance / m, `Fano factor of batch ${b}`).toBeGreaterThan(0.98 - 5 * 0.045);
        expect(variance / m, `Fano factor of batch ${b}`).toBeLessThan(0.98 + 5 * 0.045);
        // Counts of consecutive steps are independent: lag-1 correlation about N(0, 1/sqrt(steps)).
        const sm = perStep.reduce((a, c) => a + c, 0) / steps;
        let num = 0;
        let den = 0;
        for (let s = 0; s < steps; s++) {
          den += (perStep[s]! - sm) ** 2;
          if (s > 0) num += (perStep[s]! - sm) * (perStep[s - 1]! - sm);
        }
        expect(Math.abs(num / den), `lag-1 correlation of batch ${b}`).toBeLessThan(
          5 / Math.sqrt(steps),
        );
      }
      const batch0 = triples(recording)
        .filter((t) => t.endsWith(":0"))
        .map((t) => t.slice(0, -2));
      const batch1 = triples(recording)
        .filter((t) => t.endsWith(":1"))
        .map((t) => t.slice(0, -2));
      expect(batch0, "batch elements draw different streams").not.toEqual(batch1);
      expect(triples(await run(99)), "the same seed gives the same spikes").toEqual(
        triples(recording),
      );
      expect(triples(await run(100)), "another seed gives other spikes").not.toEqual(
        triples(recording),
      );
    },
  },
  {
    id: "poisson-streams-core",
    title:
      "Poisson spikes follow core's Philox4x32 stream bit for bit (documented counters, across trials)",
    run: async ({ backend }) => {
      const seed = 1234;
      const network = poissonNetwork(40, 150, 2, seed);
      const plan = planNetwork(network);
      const stream = plan.populations[0]!.rngStream;
      await withRuntime(backend, network, async (runtime) => {
        await runtime.step(7);
        runtime.startTrial();
        await runtime.step(20);
        const recording = await runtime.readSpikes("poisson");
        const expected: string[] = [];
        const out = new Uint32Array(4);
        const probability = Math.fround(0.15);
        for (let s = 0; s < 20; s++) {
          for (let b = 0; b < 2; b++) {
            for (let j = 0; j < 40; j++) {
              philox4x32(j, b, 7 + s, streamWord(stream, 0), seed, RNG_KEY_HI, out);
              if (uniformFromBlock(out[0]!) < probability) expected.push(`${s}:${j}:${b}`);
            }
          }
        }
        expect(triples(recording)).toEqual(expected);
      });
    },
  },
  {
    id: "poisson-streams-reference",
    title: "Poisson spikes are identical to the reference backend's",
    run: async ({ backend, reference, test }) => {
      if (!reference) return test.skip("no reference backend given");
      const run = (b: Backend) =>
        withRuntime(b, poissonNetwork(200, 50, 3, 4321), async (runtime) => {
          await runtime.step(50);
          runtime.startTrial();
          await runtime.step(100);
          return triples(await runtime.readSpikes("poisson"));
        });
      const expected = await run(reference);
      expect(expected.length).toBeGreaterThan(100);
      expect(await run(backend)).toEqual(expected);
    },
  },
];
