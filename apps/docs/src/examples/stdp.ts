// Learning at spike times with the built-in STDP synapse: one LIF neuron listens to 100 inputs.
// The first 50 often fire together (each copies a shared "mother" train with some probability);
// the other 50 fire independently, at the same 20 Hz. Inputs that fire just before the neuron
// are potentiated, those that fire just after are depressed, so the correlated group, which
// makes the neuron fire, wins the competition: its weights go to the top, the others decay.
import {
  ExpCurr,
  LIF,
  Network,
  STDP,
  SpikeSourceArray,
  planNetwork,
  seededRandom,
  type Backend,
  type SpikeEvents,
} from "@snn/core";

export const STDP_INPUTS = 100;
/** The largest weight (nA per spike): all inputs at this would drive the neuron far past threshold. */
export const STDP_WMAX = 0.2;

export interface StdpOptions {
  /** Simulated time in 1 ms steps (default 10,000: 10 s). */
  readonly steps?: number;
  /** Probability with which a correlated input copies each spike of the shared train (default 0.5). */
  readonly correlation?: number;
  /** Called after every block of steps with the fraction done (0..1]. */
  readonly onProgress?: (fraction: number) => void;
  readonly signal?: AbortSignal;
}

export interface StdpResult {
  readonly backend: string;
  readonly steps: number;
  /** The weights at the end, input by input (the first half correlated). */
  readonly weights: Float32Array;
  /** Mean weight of each group after every block of steps. */
  readonly correlatedMean: readonly number[];
  readonly independentMean: readonly number[];
  readonly blockSteps: number;
  /** Firing rate of the neuron in the first and the last second, Hz. */
  readonly firstRateHz: number;
  readonly lastRateHz: number;
  readonly milliseconds: number;
}

/** The input spike trains: 20 Hz each; the first half shares spikes with probability `correlation`. */
export function stdpInputs(steps: number, correlation: number, seed = 5): SpikeEvents {
  const random = seededRandom(seed);
  const rate = 20 / 1000; // spikes per 1 ms step
  const spikeSteps: number[] = [];
  const units: number[] = [];
  for (let s = 0; s < steps; s++) {
    const mother = random.uniform() < rate;
    for (let i = 0; i < STDP_INPUTS; i++) {
      const correlated = i < STDP_INPUTS / 2;
      // a correlated input: copies of the mother's spikes, topped up to 20 Hz with its own
      const spike = correlated
        ? mother
          ? random.uniform() < correlation
          : random.uniform() < rate * (1 - correlation)
        : random.uniform() < rate;
      if (spike) {
        spikeSteps.push(s);
        units.push(i);
      }
    }
  }
  return { steps: Int32Array.from(spikeSteps), units: Int32Array.from(units) };
}

export async function runStdp(backend: Backend, options: StdpOptions = {}): Promise<StdpResult> {
  const steps = options.steps ?? 10_000;
  const correlation = options.correlation ?? 0.5;
  const net = new Network({ dt: 1, batchSize: 1, seed: 1 });
  net.addPopulation("inputs", { model: SpikeSourceArray, size: STDP_INPUTS });
  net.addPopulation("neuron", { model: LIF, size: 1, recordSpikes: true });
  net.addProjection("synapses", {
    pre: "inputs",
    post: "neuron",
    model: STDP,
    connectivity: { kind: "dense" },
    // depression a little stronger than potentiation: uncorrelated inputs lose on balance
    params: { Aplus: 0.005, Aminus: 0.0065, Wmin: 0, Wmax: STDP_WMAX },
    init: { g: STDP_WMAX / 2 },
    postsynaptic: ExpCurr,
  });

  const start = performance.now();
  const runtime = await backend.compile(planNetwork(net), { recordingSteps: steps });
  try {
    runtime.setSpikeEvents("inputs", [stdpInputs(steps, correlation)]);
    const blockSteps = 500;
    const correlatedMean: number[] = [];
    const independentMean: number[] = [];
    const mean = (values: Float32Array) => values.reduce((a, b) => a + b, 0) / values.length;
    let weights = new Float32Array(0);
    for (let done = 0; done < steps; done += blockSteps) {
      options.signal?.throwIfAborted();
      await runtime.step(Math.min(blockSteps, steps - done));
      weights = Float32Array.from(await runtime.readVar("synapses", "g"));
      correlatedMean.push(mean(weights.subarray(0, STDP_INPUTS / 2)));
      independentMean.push(mean(weights.subarray(STDP_INPUTS / 2)));
      options.onProgress?.(Math.min(1, (done + blockSteps) / steps));
    }
    const spikes = (await runtime.readSpikes("neuron")).steps;
    const second = Math.min(1000, steps);
    const rate = (from: number) =>
      (spikes.filter((s) => s >= from && s < from + second).length * 1000) / second;
    return {
      backend: backend.name,
      steps,
      weights,
      correlatedMean,
      independentMean,
      blockSteps,
      firstRateHz: rate(0),
      lastRateHz: rate(steps - second),
      milliseconds: performance.now() - start,
    };
  } finally {
    runtime.dispose();
  }
}
