// A LIF and an ALIF population driven by Poisson input, compiled for the backend you pick. The
// input rate is a dynamic param: it changes while the network runs, with no new compilation.
import {
  ALIF,
  ExpCurr,
  LIF,
  Network,
  Poisson,
  StaticPulse,
  planNetwork,
  type Backend,
  type NeuronModel,
} from "@snn/core";

/** The Poisson source with its rate declared dynamic (settable with `runtime.setParam`). */
const DynamicPoisson: NeuronModel = {
  ...Poisson,
  name: "DynamicPoisson",
  params: { ...Poisson.params, Rate: { ...Poisson.params!.Rate, dynamic: true } },
};

export interface LifPopulationOptions {
  /** Input rate of each of the 200 Poisson sources, Hz. */
  readonly inputRateHz?: number;
  /** Input rates, Hz, one per equal part of the trial (set with `runtime.setParam` as it runs); overrides `inputRateHz`. */
  readonly inputRatesHz?: readonly number[];
  /** Trial length in 1 ms steps. */
  readonly steps?: number;
  /** Called after every block of steps with the fraction done (0..1]. */
  readonly onProgress?: (fraction: number) => void;
  readonly signal?: AbortSignal;
}

export interface PopulationResult {
  readonly name: string;
  readonly size: number;
  /** One entry per spike: its step and neuron (batch element 0). */
  readonly steps: Int32Array;
  readonly neurons: Int32Array;
  /** Mean firing rate over the population and the trial, Hz. */
  readonly rateHz: number;
}

export interface LifPopulationResult {
  readonly backend: string;
  readonly steps: number;
  readonly populations: readonly PopulationResult[];
  readonly milliseconds: number;
}

export async function runLifPopulation(
  backend: Backend,
  options: LifPopulationOptions = {},
): Promise<LifPopulationResult> {
  const steps = options.steps ?? 500;
  const dt = 1; // ms
  const net = new Network({ dt, batchSize: 1, seed: 7 });
  const rates =
    options.inputRatesHz && options.inputRatesHz.length > 0
      ? options.inputRatesHz
      : [options.inputRateHz ?? 20];
  net.addPopulation("input", { model: DynamicPoisson, size: 200, params: { Rate: rates[0]! } });
  // LIF in mV and nA: from -70 mV at rest it spikes at -50 mV.
  net.addPopulation("lif", {
    model: LIF,
    size: 100,
    recordSpikes: true,
    init: { V: { kind: "uniform", min: -70, max: -55, seed: 1 } },
  });
  // The e-prop ALIF (dimensionless, threshold 0.6): each spike raises its threshold, so it slows down.
  net.addPopulation("alif", {
    model: ALIF,
    size: 100,
    recordSpikes: true,
    params: { TauAdap: 200, Beta: 0.05 },
  });
  const fromInput = (post: string, weight: { mean: number; sd: number }) =>
    net.addProjection(`input_${post}`, {
      pre: "input",
      post,
      model: StaticPulse,
      connectivity: { kind: "fixedProbability", probability: 0.1, seed: post.length },
      init: { g: { kind: "normal", ...weight, seed: 3 } },
      postsynaptic: ExpCurr,
      postsynapticParams: { Tau: 5 },
    });
  fromInput("lif", { mean: 0.5, sd: 0.2 }); // nA per spike
  fromInput("alif", { mean: 0.025, sd: 0.01 });

  const start = performance.now();
  const runtime = await backend.compile(planNetwork(net), { recordingSteps: steps });
  try {
    const block = 50;
    for (let done = 0; done < steps; done += block) {
      options.signal?.throwIfAborted();
      // The rate of the part of the trial this block starts in (steps split evenly between the rates).
      runtime.setParam(
        "input",
        "Rate",
        rates[Math.min(rates.length - 1, Math.floor((done * rates.length) / steps))]!,
      );
      await runtime.step(Math.min(block, steps - done));
      options.onProgress?.(Math.min(1, (done + block) / steps));
    }
    const populations: PopulationResult[] = [];
    for (const name of ["lif", "alif"]) {
      const recording = await runtime.readSpikes(name);
      const size = net.populations.find((p) => p.name === name)!.size;
      populations.push({
        name,
        size,
        steps: recording.steps,
        neurons: recording.neurons,
        rateHz: recording.steps.length / size / ((steps * dt) / 1000),
      });
    }
    return { backend: backend.name, steps, populations, milliseconds: performance.now() - start };
  } finally {
    runtime.dispose();
  }
}
