import {
  Izhikevich,
  LIF,
  STDP,
  Network,
  philox4x32,
  planNetwork,
  SpikeSourceArray,
  StaticPulse,
  RNG_KEY_HI,
  streamWord,
  uniformFromBlock,
  type Backend,
  type CustomUpdateModel,
  type NeuronModel,
  type Runtime,
  type SpikeEvents,
  type WeightUpdateModel,
  type SpikeRecording,
} from "@snn/core";
import { describe, expect, it, type TestContext } from "vitest";
import {
  alifThresholdDistance,
  compareTraces,
  lifThresholdDistance,
  traceRun,
  type PopulationTrace,
  type TraceComparison,
} from "./compare";
import {
  ALIF_INPUT,
  ALIF_PARAMS,
  alifAdaptationNetwork,
  CUSTOM_UPDATE_SHAPE,
  customUpdateNetwork,
  delayChainNetwork,
  denseSparseNetwork,
  LIF_CONSTANT_CURRENTS,
  LIF_DEFAULTS,
  LIF_REFRACTORY_PERIODS,
  lifConstantInputNetwork,
  lifRefractoryNetwork,
  ONE_TO_ONE_SIZE,
  oneToOneNetwork,
  poissonNetwork,
  randomSpikeEvents,
  recurrentNetwork,
} from "./networks";

/** Options of {@link registerConformanceSuite}. */
export interface ConformanceOptions {
  /** Shown in the describe block, e.g. "cpu" or "wgsl (llvmpipe)". */
  readonly name: string;
  /** The backend under test (called once, lazily). */
  readonly backend: () => Promise<Backend> | Backend;
  /** A reference backend to compare against (the CPU backend); cases that need it are skipped without it. */
  readonly reference?: () => Promise<Backend> | Backend;
  /** Cases to skip, by id (see {@link CONFORMANCE_CASES}), each with the reason. */
  readonly skip?: Readonly<Record<string, string>>;
}

interface CaseContext {
  readonly backend: Backend;
  readonly reference: Backend | null;
  readonly test: TestContext;
  /** Reports a finding that is not a failure (e.g. a threshold crossing explained by float differences). */
  report(message: string): Promise<void>;
}

interface ConformanceCase {
  readonly id: string;
  readonly title: string;
  readonly run: (context: CaseContext) => Promise<void>;
}

async function withRuntime<T>(
  backend: Backend,
  network: Network,
  fn: (runtime: Runtime) => Promise<T>,
  recordingSteps = 1000,
): Promise<T> {
  const runtime = await backend.compile(planNetwork(network), { recordingSteps });
  try {
    return await fn(runtime);
  } finally {
    runtime.dispose();
  }
}

function triples(recording: SpikeRecording): string[] {
  return Array.from(
    recording.steps,
    (s, k) => `${s}:${recording.neurons[k]}:${recording.batches[k]}`,
  );
}

/** Steps (0-based) at which a single neuron (index 0, batch 0) spiked. */
function spikeSteps(recording: SpikeRecording, neuron = 0, batch = 0): number[] {
  const out: number[] = [];
  for (let k = 0; k < recording.steps.length; k++) {
    if (recording.neurons[k] === neuron && recording.batches[k] === batch)
      out.push(recording.steps[k]!);
  }
  return out;
}

async function expectComparison(context: CaseContext, comparison: TraceComparison): Promise<void> {
  for (const line of comparison.explained) await context.report(line);
  expect(comparison.problems, comparison.problems.join("\n")).toEqual([]);
}

/** Discrete LIF: integrations from `v0` until V >= Vthresh, with the exact exponential step. */
function lifStepsToThreshold(
  v0: number,
  vInf: number,
  expTC: number,
): { steps: number; margin: number } {
  let v = v0;
  for (let k = 1; k < 100000; k++) {
    const next = vInf + (v - vInf) * expTC;
    if (next >= LIF_DEFAULTS.Vthresh)
      return { steps: k, margin: Math.min(next - LIF_DEFAULTS.Vthresh, LIF_DEFAULTS.Vthresh - v) };
    v = next;
  }
  throw new Error("no spike");
}

const LIF_V_TOLERANCE = 1e-3; // mV: float32 rounding over tens of steps stays far below this
const THRESHOLD_TOLERANCE_MV = 1e-3; // mV: a spike difference is a float threshold crossing when V was this close
const ALIF_TOLERANCE = 1e-4; // dimensionless V and A
const ALIF_THRESHOLD_TOLERANCE = 1e-4;

/** Every case of the suite, by id. */
export const CONFORMANCE_CASES: readonly ConformanceCase[] = [
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
  {
    id: "stdp-pairing",
    title:
      "the built-in STDP synapse potentiates when pre fires before post and depresses when post fires first (per batch element)",
    run: async ({ backend, reference }) => {
      const network = (): Network => {
        const net = new Network({ dt: 1, batchSize: 2, seed: 1 });
        net.addPopulation("pre", { model: SpikeSourceArray, size: 1 });
        net.addPopulation("kick", { model: SpikeSourceArray, size: 1 });
        net.addPopulation("post", { model: LIF, size: 1 });
        // a kick makes the post neuron fire in the step it arrives (delay 1); the STDP input alone cannot
        net.addProjection("kick_post", {
          pre: "kick",
          post: "post",
          model: StaticPulse,
          connectivity: { kind: "dense" },
          init: { g: 100 },
        });
        net.addProjection("stdp", {
          pre: "pre",
          post: "post",
          model: STDP,
          connectivity: { kind: "dense" },
        });
        return net;
      };
      const at = (...steps: number[]): SpikeEvents => ({
        steps: Int32Array.from(steps),
        units: new Int32Array(steps.length),
      });
      const run = (b: Backend) =>
        withRuntime(b, network(), async (runtime) => {
          // batch 0: pre at 10, post at 15; batch 1: post at 11, pre at 15
          runtime.setSpikeEvents("pre", [at(10), at(15)]);
          runtime.setSpikeEvents("kick", [at(14), at(10)]);
          await runtime.step(40);
          return Array.from(await runtime.readVar("stdp", "g"));
        });
      const g = await run(backend);
      const [potentiated, depressed] = [g[0]! - 0.5, 0.5 - g[1]!];
      const { Aplus, Aminus } = { Aplus: 0.01, Aminus: 0.0105 };
      // The traces decay by e^(-1/20) per step (time constants 20 ms). With these spike times and
      // delays, potentiation sees the pre trace after 6 decays and depression the post trace
      // after 5; learning a step late (or early) is off by a factor e^(1/20), outside the bounds.
      expect(potentiated, "pre before post potentiates").toBeGreaterThan(
        Aplus * Math.exp(-6.5 / 20),
      );
      expect(potentiated).toBeLessThan(Aplus * Math.exp(-5.5 / 20));
      expect(depressed, "post before pre depresses").toBeGreaterThan(Aminus * Math.exp(-5.5 / 20));
      expect(depressed).toBeLessThan(Aminus * Math.exp(-4.5 / 20));
      if (reference) expect(g).toEqual(await run(reference));
    },
  },
  {
    id: "izhikevich-patterns",
    title:
      "the built-in Izhikevich neuron: regular spiking adapts, fast spiking does not and fires faster; first spikes as the reference's",
    run: async ({ backend, reference }) => {
      const network = (): Network => {
        const net = new Network({ dt: 0.25, batchSize: 1, seed: 1 }); // fine steps: the Euler scheme is coarse at 1 ms
        net.addPopulation("rs", {
          model: Izhikevich,
          size: 1,
          params: { Ioffset: 10 },
          recordSpikes: true,
        });
        net.addPopulation("fs", {
          model: Izhikevich,
          size: 1,
          params: { a: 0.1, d: 2, Ioffset: 10 },
          recordSpikes: true,
        });
        return net;
      };
      const run = (b: Backend) =>
        withRuntime(
          b,
          network(),
          async (runtime) => {
            await runtime.step(2000); // 500 ms
            return {
              rs: Array.from((await runtime.readSpikes("rs")).steps),
              fs: Array.from((await runtime.readSpikes("fs")).steps),
            };
          },
          2000,
        );
      const { rs, fs } = await run(backend);
      const intervals = (steps: number[]) => steps.slice(1).map((s, k) => s - steps[k]!);
      const [rsIntervals, fsIntervals] = [intervals(rs), intervals(fs)];
      expect(rs.length).toBeGreaterThan(5);
      expect(fs.length, "fast spiking fires faster").toBeGreaterThan(rs.length * 1.5);
      expect(
        rsIntervals.at(-1)!,
        "regular spiking adapts: later intervals are longer",
      ).toBeGreaterThan(rsIntervals[0]! * 1.5);
      expect(
        Math.abs(fsIntervals.at(-1)! - fsIntervals[1]!),
        "fast spiking barely adapts",
      ).toBeLessThanOrEqual(0.15 * fsIntervals[1]!);
      if (reference) {
        // The quadratic V amplifies float differences (a GPU may fuse a multiply and an add):
        // the first spikes agree exactly, the counts closely.
        const expected = await run(reference);
        for (const [name, steps, want] of [
          ["rs", rs, expected.rs],
          ["fs", fs, expected.fs],
        ] as const) {
          expect(steps.slice(0, 5), `first spikes of ${name}`).toEqual(want.slice(0, 5));
          expect(
            Math.abs(steps.length - want.length),
            `spike count of ${name}`,
          ).toBeLessThanOrEqual(Math.max(1, 0.1 * want.length));
        }
      }
    },
  },
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

/**
 * Registers the conformance suite with vitest: one `describe` block named after the backend
 * with one test per case. Call it once from a test file of the backend's package:
 *
 * ```ts
 * registerConformanceSuite({ name: "wgsl", backend: () => wgslBackend(device), reference: cpuBackend });
 * ```
 *
 * Skipped cases show their reason; spike differences explained by a float difference at a
 * threshold are reported as test annotations (and console warnings), unexplained ones fail.
 */
export function registerConformanceSuite(options: ConformanceOptions): void {
  const skip = options.skip ?? {};
  for (const [id, reason] of Object.entries(skip)) {
    if (!CONFORMANCE_CASES.some((c) => c.id === id)) {
      throw new Error(
        `registerConformanceSuite: unknown case '${id}' in skip. Cases: ${CONFORMANCE_CASES.map((c) => c.id).join(", ")}.`,
      );
    }
    if (typeof reason !== "string" || reason.trim() === "") {
      throw new Error(
        `registerConformanceSuite: skipping '${id}' needs a reason (a non-empty string).`,
      );
    }
  }
  let backend: Promise<Backend> | undefined;
  let reference: Promise<Backend | null> | undefined;
  describe(`conformance: ${options.name}`, () => {
    for (const c of CONFORMANCE_CASES) {
      const reason = skip[c.id];
      if (reason !== undefined) {
        it(`${c.id}: ${c.title}`, (test) => test.skip(`skipped for ${options.name}: ${reason}`));
        continue;
      }
      it(`${c.id}: ${c.title}`, async (test) => {
        backend ??= Promise.resolve(options.backend());
        reference ??= options.reference
          ? Promise.resolve(options.reference())
          : Promise.resolve(null);
        await c.run({
          backend: await backend,
          reference: await reference,
          test,
          report: async (message) => {
            console.warn(`[conformance ${options.name}] ${c.id}: ${message}`);
            await test.annotate(message, "warning");
          },
        });
      });
    }
  });
}

export type { PopulationTrace };
