/**
 * Suite `cpu-lif`: a recurrent LIF network (default 4,000 neurons, 10 % connectivity, static
 * delta synapses with delay 1) on the CPU backend, next to a hand-written TypeScript loop that
 * computes the same thing (same CSR connectivity, same float32 rounding, same order), at
 * batch sizes 1 and 32. Reports neuron updates per second, synaptic events per second and
 * the ratio generated / hand-written, and checks that both produce the same spikes.
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { compileCpu } from "@snn/backend-cpu";
import { LIF, Network, planNetwork, StaticPulse, type KernelPlan } from "@snn/core";
import type { BenchResult } from "./report";

export interface CpuLifOptions {
  /** Neurons (default 4000). */
  readonly neurons?: number;
  /** Connection probability (default 0.1). */
  readonly connectionProbability?: number;
  /** Batch sizes to measure (default [1, 32]). */
  readonly batchSizes?: readonly number[];
  /** Wall time to aim for per implementation and batch size, in seconds (default 2). */
  readonly targetSeconds?: number;
  /** Measure exactly this many steps instead of aiming for `targetSeconds`. */
  readonly steps?: number;
  /** Steps run before timing, to let the JIT compile (default 100). */
  readonly warmupSteps?: number;
  /** Called with progress lines. */
  readonly log?: (line: string) => void;
  /** Run each batch size in a fresh worker thread (default true where the built worker exists). */
  readonly isolate?: boolean;
}

/** The benchmark network: Ioffset 1.1 nA (about 20 Hz alone), random initial V, recurrent weights N(0, 0.5) nA. */
export function cpuLifNetwork(neurons: number, probability: number, batchSize: number): Network {
  const net = new Network({ dt: 1, batchSize, seed: 1, name: "cpu-lif" });
  net.addPopulation("lif", {
    model: LIF,
    size: neurons,
    params: { Ioffset: 1.1 },
    init: { V: { kind: "uniform", min: -70, max: -50, seed: 2 } },
    recordSpikes: true,
  });
  net.addProjection("recurrent", {
    pre: "lif",
    post: "lif",
    model: StaticPulse,
    connectivity: { kind: "fixedProbability", probability, seed: 3 },
    init: { g: { kind: "normal", mean: 0, sd: 0.5, seed: 4 } },
  });
  return net;
}

/** A simulation that can advance and report its spikes. */
interface Simulation {
  step(count: number): void;
  /** Spikes recorded so far (all batch elements). */
  spikeCount(): Promise<number>;
  /** Synaptic events delivered so far. */
  events(): Promise<number>;
  /** Membrane potentials, `[batch][neuron]`. */
  voltages(): Promise<Float32Array>;
}

/**
 * The same network written by hand: CSR propagation of last step's spikes into a float32
 * input, then the LIF update of @snn/core with the same float32 rounding, per batch element.
 */
export function handWrittenLif(plan: KernelPlan): Simulation {
  const population = plan.populations[0]!;
  const projection = plan.projections[0]!;
  if (projection.connectivity.kind !== "sparse")
    throw new Error("handWrittenLif expects sparse connectivity");
  const n = population.size;
  const batchSize = plan.batchSize;
  const { rowStart, postIndex } = projection.connectivity;
  const gVar = projection.vars.find((v) => v.name === "g")!;
  const g =
    gVar.initial instanceof Float32Array
      ? gVar.initial
      : new Float32Array(projection.numSynapses).fill(gVar.initial);
  const p = population.params;
  const d = population.derivedParams;
  const expTC = Math.fround(d.ExpTC!);
  const rm = Math.fround(d.Rmembrane!);
  const vRest = Math.fround(p.Vrest!);
  const vReset = Math.fround(p.Vreset!);
  const vThresh = Math.fround(p.Vthresh!);
  const iOffset = Math.fround(p.Ioffset!);
  const tauRefrac = Math.fround(p.TauRefrac!);
  const dt = Math.fround(plan.dt);

  const v = new Float32Array(n * batchSize);
  const vInit = population.vars.find((x) => x.name === "V")!.initial;
  for (let b = 0; b < batchSize; b++) {
    if (typeof vInit === "number") v.fill(vInit, b * n, (b + 1) * n);
    else v.set(vInit, b * n);
  }
  const refractory = new Float32Array(n * batchSize);
  const input = new Float32Array(n * batchSize);
  const spikes = new Int32Array(n * batchSize);
  const spikeCount = new Int32Array(batchSize);
  let recorded = new Int32Array(1 << 16);
  let recordedCount = 0;
  let events = 0;

  const stepOnce = (): void => {
    // Synapses: last step's spikes (still in `spikes`) into the postsynaptic input.
    let delivered = 0;
    for (let b = 0; b < batchSize; b++) {
      const base = b * n;
      const count = spikeCount[b]!;
      for (let k = 0; k < count; k++) {
        const i = spikes[base + k]!;
        const end = rowStart[i + 1]!;
        const start = rowStart[i]!;
        delivered += end - start;
        for (let s = start; s < end; s++) input[base + postIndex[s]!]! += g[s]!;
      }
    }
    events += delivered;
    // Neurons.
    for (let b = 0; b < batchSize; b++) {
      const base = b * n;
      let count = 0;
      for (let j = 0; j < n; j++) {
        const idx = base + j;
        const iSyn = input[idx]!;
        input[idx] = 0;
        let vj = v[idx]!;
        let rj = refractory[idx]!;
        if (rj <= 0) {
          const vInf = Math.fround(vRest + Math.fround(rm * Math.fround(iSyn + iOffset)));
          vj = Math.fround(vInf + Math.fround(Math.fround(vj - vInf) * expTC));
        } else {
          rj = Math.fround(rj - dt);
        }
        if (rj <= 0 && vj >= vThresh) {
          vj = vReset;
          rj = tauRefrac;
          spikes[base + count++] = j;
        }
        v[idx] = vj;
        refractory[idx] = rj;
      }
      spikeCount[b] = count;
      if (recordedCount + count > recorded.length) {
        const grown = new Int32Array(recorded.length * 2 + count);
        grown.set(recorded);
        recorded = grown;
      }
      for (let k = 0; k < count; k++) recorded[recordedCount++] = spikes[base + k]!;
    }
  };
  return {
    step: (count) => {
      for (let s = 0; s < count; s++) stepOnce();
    },
    spikeCount: async () => recordedCount,
    events: async () => events,
    voltages: async () => v.slice(),
  };
}

/** The network compiled by the CPU backend. */
function generatedLif(plan: KernelPlan, recordingSteps: number): Simulation {
  const runtime = compileCpu(plan, { recordingSteps });
  const rowStart = (plan.projections[0]!.connectivity as { rowStart: Int32Array }).rowStart;
  return {
    step: (count) => runtime.stepSync(count),
    spikeCount: async () => (await runtime.readSpikes("lif")).neurons.length,
    events: async () => {
      // Every recorded spike except those of the last step has been propagated.
      const recording = await runtime.readSpikes("lif");
      const lastStep = runtime.trialStep - 1;
      let events = 0;
      for (let k = 0; k < recording.neurons.length; k++) {
        if (recording.steps[k] === lastStep) break;
        const i = recording.neurons[k]!;
        events += rowStart[i + 1]! - rowStart[i]!;
      }
      return events;
    },
    voltages: async () => (await runtime.readVar("lif", "V")) as Float32Array,
  };
}

function timeSteps(simulation: Simulation, steps: number): number {
  const start = performance.now();
  simulation.step(steps);
  return (performance.now() - start) / 1000;
}

/** Settings of one measured case (one batch size). */
export interface CpuLifCaseSettings {
  readonly neurons: number;
  readonly probability: number;
  readonly batchSize: number;
  readonly targetSeconds: number;
  readonly steps: number | undefined;
  readonly warmupSteps: number;
}

/**
 * Runs the suite; one result per batch size. With `isolate` (default true when the built
 * worker file is present, as in `pnpm bench`), each batch size runs in its own worker thread,
 * so that neither implementation is slowed by the JIT having optimised it for an earlier case.
 */
export async function runCpuLifBenchmark(options: CpuLifOptions = {}): Promise<BenchResult[]> {
  const log = options.log ?? (() => {});
  const results: BenchResult[] = [];
  const worker = new URL("./cpu-lif-worker.js", import.meta.url);
  const isolate =
    (options.isolate ?? true) && worker.protocol === "file:" && existsSync(fileURLToPath(worker));
  for (const batchSize of options.batchSizes ?? [1, 32]) {
    const settings: CpuLifCaseSettings = {
      neurons: options.neurons ?? 4000,
      probability: options.connectionProbability ?? 0.1,
      batchSize,
      targetSeconds: options.targetSeconds ?? 2,
      steps: options.steps,
      warmupSteps: options.warmupSteps ?? 100,
    };
    results.push(
      isolate
        ? await measureInWorker(worker, settings, log)
        : await measureCpuLifCase(settings, log),
    );
  }
  return results;
}

function measureInWorker(
  url: URL,
  settings: CpuLifCaseSettings,
  log: (line: string) => void,
): Promise<BenchResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(url, { workerData: settings });
    let result: BenchResult | undefined;
    worker.on("message", (message: { log?: string; result?: BenchResult }) => {
      if (message.log !== undefined) log(message.log);
      if (message.result !== undefined) result = message.result;
    });
    worker.on("error", reject);
    worker.on("exit", (code) => {
      if (result) resolve(result);
      else
        reject(
          new Error(
            `the cpu-lif worker for batch ${settings.batchSize} exited with code ${code} without a result`,
          ),
        );
    });
  });
}

/** Measures one batch size in this thread. */
export async function measureCpuLifCase(
  settings: CpuLifCaseSettings,
  log: (line: string) => void = () => {},
): Promise<BenchResult> {
  const { neurons, probability, batchSize, targetSeconds, warmupSteps } = settings;
  const planStart = performance.now();
  const plan = planNetwork(cpuLifNetwork(neurons, probability, batchSize));
  const planSeconds = (performance.now() - planStart) / 1000;
  const synapses = plan.projections[0]!.numSynapses;
  let steps = settings.steps;
  if (steps === undefined) {
    const probe = generatedLif(plan, warmupSteps * 2);
    probe.step(warmupSteps);
    const perStep = timeSteps(probe, warmupSteps) / warmupSteps;
    steps = Math.max(30, Math.min(20000, Math.round(targetSeconds / perStep)));
  }
  log(
    `cpu-lif: batch ${batchSize}, ${neurons} neurons, ${synapses} synapses: ${steps} steps per implementation`,
  );
  const generated = generatedLif(plan, warmupSteps + steps);
  const hand = handWrittenLif(plan);
  generated.step(warmupSteps);
  hand.step(warmupSteps);
  const generatedEventsBefore = await generated.events();
  const handEventsBefore = await hand.events();
  // Alternate chunks so that background load affects both alike; keep the fastest chunk of each.
  const chunks = 3;
  const chunkSteps = Math.max(1, Math.floor(steps / chunks));
  let generatedBest = Infinity;
  let handBest = Infinity;
  let generatedTotal = 0;
  let handTotal = 0;
  for (let c = 0; c < chunks; c++) {
    const tg = timeSteps(generated, chunkSteps);
    const th = timeSteps(hand, chunkSteps);
    generatedBest = Math.min(generatedBest, tg);
    handBest = Math.min(handBest, th);
    generatedTotal += tg;
    handTotal += th;
  }
  const measuredSteps = chunkSteps * chunks;
  const handEvents = (await hand.events()) - handEventsBefore;
  const generatedEvents = (await generated.events()) - generatedEventsBefore;
  const spikeCount = await generated.spikeCount();
  const handSpikeCount = await hand.spikeCount();
  const totalSteps = warmupSteps + measuredSteps;
  const generatedV = await generated.voltages();
  const handV = await hand.voltages();
  let identicalVoltages = generatedV.length === handV.length;
  for (let k = 0; identicalVoltages && k < handV.length; k++)
    identicalVoltages = Object.is(generatedV[k], handV[k]);
  const eventsPerChunk = handEvents / chunks;
  const figures = (best: number, total: number) => ({
    seconds: total,
    bestChunkSeconds: best,
    neuronUpdatesPerSecond: (chunkSteps * neurons * batchSize) / best,
    synapticEventsPerSecond: eventsPerChunk / best,
    stepsPerSecond: chunkSteps / best,
  });
  const result = {
    case: `cpu-lif/n${neurons}/p${probability}/batch${batchSize}`,
    neurons,
    synapses,
    batchSize,
    measuredSteps,
    warmupSteps,
    planSeconds,
    firingRateHz: (spikeCount / (totalSteps * neurons * batchSize)) * 1000,
    spikeCount,
    handWrittenSpikeCount: handSpikeCount,
    spikeCountsMatch: spikeCount === handSpikeCount && generatedEvents === handEvents,
    identicalVoltages,
    generated: figures(generatedBest, generatedTotal),
    handWritten: figures(handBest, handTotal),
    /** Generated speed over hand-written speed (fastest chunks); goal >= 0.8. */
    ratio: handBest / generatedBest,
  };
  log(
    `  generated ${(result.generated.neuronUpdatesPerSecond / 1e6).toFixed(1)} M neuron updates/s, ${(result.generated.synapticEventsPerSecond / 1e6).toFixed(1)} M events/s; ` +
      `hand-written ${(result.handWritten.neuronUpdatesPerSecond / 1e6).toFixed(1)} M/s, ${(result.handWritten.synapticEventsPerSecond / 1e6).toFixed(1)} M events/s; ` +
      `ratio ${result.ratio.toFixed(2)}; ${result.firingRateHz.toFixed(1)} Hz; spikes ${spikeCount} vs ${handSpikeCount}${result.spikeCountsMatch && identicalVoltages ? " (identical)" : " (MISMATCH)"}`,
  );
  return result;
}
