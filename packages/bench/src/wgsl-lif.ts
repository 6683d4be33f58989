/**
 * Suite `wgsl-lif`: the network of `cpu-lif` (recurrent LIF, default 4,000 neurons, 10 %
 * connectivity, static delta synapses with delay 1) on the WebGPU backend, at batch sizes 1
 * and 32, with the adapter it ran on. Many timesteps go into one submission and nothing is
 * read back until the end of the measured run. Reports neuron updates and synaptic events
 * per second, compile and spike read-back times, and checks the spikes of a short run against
 * the CPU backend. On llvmpipe (no GPU) the figures are only informative.
 *
 * The backend is passed in, so that this file needs only @snn/core and @snn/backend-cpu:
 *
 * ```ts
 * import { webgpuBackend } from "@snn/backend-wgsl";
 * const results = await runWgslLifBenchmark({ backend: webgpuBackend(), log: console.log });
 * ```
 */
import { compileCpu } from "@snn/backend-cpu";
import { planNetwork, type Backend, type KernelPlan, type Runtime } from "@snn/core";
import { cpuLifNetwork } from "./cpu-lif";
import type { BenchResult } from "./report";

/** The WebGPU backend (or any backend) to measure; `describe()` names its adapter when it has one. */
export interface BenchBackend extends Backend {
  describe?(): Promise<string>;
}

export interface WgslLifOptions {
  /** The backend to measure, e.g. `webgpuBackend()` of @snn/backend-wgsl. */
  readonly backend: BenchBackend;
  /** Neurons (default 4000). */
  readonly neurons?: number;
  /** Connection probability (default 0.1). */
  readonly connectionProbability?: number;
  /** Batch sizes to measure (default [1, 32]). */
  readonly batchSizes?: readonly number[];
  /** Wall time to aim for per batch size, in seconds (default 2). */
  readonly targetSeconds?: number;
  /** Measure exactly this many steps instead of aiming for `targetSeconds`. */
  readonly steps?: number;
  /** Steps run before timing (default 20); also the length of the check against the CPU backend. */
  readonly warmupSteps?: number;
  /** Called with progress lines. */
  readonly log?: (line: string) => void;
}

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; seconds: number }> {
  const start = performance.now();
  const value = await work();
  return { value, seconds: (performance.now() - start) / 1000 };
}

/** Synaptic events delivered: every recorded spike except those of the last step, times its row length. */
function deliveredEvents(
  plan: KernelPlan,
  steps: Int32Array,
  neurons: Int32Array,
  lastStep: number,
): number {
  const rowStart = (plan.projections[0]!.connectivity as { rowStart: Int32Array }).rowStart;
  let events = 0;
  for (let k = 0; k < neurons.length; k++) {
    if (steps[k] === lastStep) continue;
    const i = neurons[k]!;
    events += rowStart[i + 1]! - rowStart[i]!;
  }
  return events;
}

/** Runs `steps` steps and waits for the device. */
async function run(runtime: Runtime, steps: number): Promise<void> {
  await runtime.step(steps);
  await runtime.finish();
}

/** Runs the suite; one result per batch size, each with the adapter description. */
export async function runWgslLifBenchmark(options: WgslLifOptions): Promise<BenchResult[]> {
  const { backend } = options;
  const neurons = options.neurons ?? 4000;
  const probability = options.connectionProbability ?? 0.1;
  const batchSizes = options.batchSizes ?? [1, 32];
  const targetSeconds = options.targetSeconds ?? 2;
  const warmupSteps = options.warmupSteps ?? 20;
  const log = options.log ?? (() => {});
  if (!(await backend.isAvailable())) {
    throw new Error(
      `wgsl-lif: the ${backend.name} backend is not available on this machine (no WebGPU adapter); see @snn/backend-wgsl's README for what to install.`,
    );
  }
  const adapter = backend.describe ? await backend.describe() : backend.name;
  log(`wgsl-lif: ${backend.name} on ${adapter}`);
  const results: BenchResult[] = [];
  for (const batchSize of batchSizes) {
    const plan = planNetwork(cpuLifNetwork(neurons, probability, batchSize));
    const synapses = plan.projections[0]!.numSynapses;

    // Correctness check: the first warmupSteps against the CPU backend.
    const reference = compileCpu(plan, { recordingSteps: warmupSteps });
    reference.stepSync(warmupSteps);
    const referenceSpikes = await reference.readSpikes("lif");

    const { value: runtime, seconds: compileSeconds } = await timed(() =>
      backend.compile(plan, { recordingSteps: warmupSteps }),
    );
    try {
      await run(runtime, warmupSteps);
      const warmSpikes = await runtime.readSpikes("lif");
      const spikesMatchCpu =
        warmSpikes.neurons.length === referenceSpikes.neurons.length &&
        warmSpikes.neurons.every(
          (n, k) =>
            n === referenceSpikes.neurons[k] &&
            warmSpikes.steps[k] === referenceSpikes.steps[k] &&
            warmSpikes.batches[k] === referenceSpikes.batches[k],
        );

      let steps = options.steps;
      if (steps === undefined) {
        runtime.startTrial();
        const probeSteps = 10;
        const probe = await timed(() => run(runtime, probeSteps));
        steps = Math.max(
          20,
          Math.min(20000, Math.round((targetSeconds * probeSteps) / Math.max(probe.seconds, 1e-6))),
        );
      }
      log(
        `wgsl-lif: batch ${batchSize}, ${neurons} neurons, ${synapses} synapses: ${steps} steps in one submission`,
      );
      runtime.startTrial();
      const { seconds } = await timed(() => run(runtime, steps));
      const { value: recording, seconds: readSeconds } = await timed(() =>
        runtime.readSpikes("lif"),
      );
      const events = deliveredEvents(
        plan,
        recording.steps,
        recording.neurons,
        recording.numSteps - 1,
      );
      const result = {
        case: `wgsl-lif/n${neurons}/p${probability}/batch${batchSize}`,
        backend: backend.name,
        adapter,
        neurons,
        synapses,
        batchSize,
        measuredSteps: steps,
        compileSeconds,
        seconds,
        stepsPerSecond: steps / seconds,
        neuronUpdatesPerSecond: (steps * neurons * batchSize) / seconds,
        synapticEventsPerSecond: events / seconds,
        spikeReadSeconds: readSeconds,
        spikeCount: recording.neurons.length,
        firingRateHz: (recording.neurons.length / (steps * neurons * batchSize)) * 1000,
        /** The first warmupSteps steps give the CPU backend's spikes exactly. */
        spikesMatchCpu,
        checkedSteps: warmupSteps,
      };
      log(
        `  ${(result.neuronUpdatesPerSecond / 1e6).toFixed(2)} M neuron updates/s, ${(result.synapticEventsPerSecond / 1e6).toFixed(2)} M events/s, ` +
          `${result.stepsPerSecond.toFixed(1)} steps/s; compile ${compileSeconds.toFixed(2)} s, spike read-back ${(readSeconds * 1000).toFixed(1)} ms; ` +
          `${result.firingRateHz.toFixed(1)} Hz; first ${warmupSteps} steps ${spikesMatchCpu ? "equal to" : "DIFFER from"} the CPU backend`,
      );
      results.push(result);
    } finally {
      runtime.dispose();
    }
  }
  return results;
}
