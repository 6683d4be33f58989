// Your first network: 100 Poisson inputs drive 50 LIF neurons for one second of 1 ms steps.
import { ExpCurr, LIF, Network, Poisson, StaticPulse, planNetwork, type Backend } from "@snn/core";

export async function firstNetwork(backend: Backend) {
  const net = new Network({ dt: 1, batchSize: 1, seed: 1 }); // dt in ms
  net.addPopulation("input", { model: Poisson, size: 100, params: { Rate: 40 } }); // Hz
  net.addPopulation("lif", { model: LIF, size: 50, recordSpikes: true });
  net.addProjection("input_lif", {
    pre: "input",
    post: "lif",
    model: StaticPulse,
    connectivity: { kind: "fixedProbability", probability: 0.2, seed: 2 },
    init: { g: { kind: "normal", mean: 0.6, sd: 0.2, seed: 3 } }, // nA per spike
    postsynaptic: ExpCurr,
    postsynapticParams: { Tau: 5 }, // ms
  });

  // planNetwork checks the network and plans its kernels; the backend compiles the plan.
  const runtime = await backend.compile(planNetwork(net), { recordingSteps: 1000 });
  try {
    await runtime.step(1000);
    const spikes = await runtime.readSpikes("lif"); // { steps, neurons }: one entry per spike
    return { steps: spikes.steps, neurons: spikes.neurons, numSteps: 1000, numNeurons: 50 };
  } finally {
    runtime.dispose();
  }
}
