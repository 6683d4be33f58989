/**
 * Step-by-step traces of a runtime and their comparison: voltages to a tolerance, spike
 * trains exactly, except where a float difference crossed a threshold, which is detected
 * (the side that did not spike was within a tolerance of its threshold) and reported.
 */
import type { Runtime, SpikeRecording } from "@snn/core";

/** Values of some variables of one population after every step, and its spikes. */
export interface PopulationTrace {
  readonly size: number;
  readonly batchSize: number;
  readonly steps: number;
  /** `vars[name][step]` is the `[batch][size]` array after that step. */
  readonly vars: Readonly<Record<string, Float64Array[]>>;
  /** `spikes[step][batch]` is the sorted list of neurons that spiked. */
  readonly spikes: number[][][];
}

/** Groups a recording by step and batch element. */
export function spikesByStep(
  recording: SpikeRecording,
  steps: number,
  batchSize: number,
): number[][][] {
  const out = Array.from({ length: steps }, () =>
    Array.from({ length: batchSize }, () => [] as number[]),
  );
  for (let k = 0; k < recording.steps.length; k++) {
    const step = recording.steps[k]!;
    if (step < steps) out[step]![recording.batches[k]!]!.push(recording.neurons[k]!);
  }
  return out;
}

/**
 * Runs `steps` steps one at a time, reading the watched variables after each. Populations
 * must record spikes. The trial starts at the current state (call `startTrial` before).
 */
export async function traceRun(
  runtime: Runtime,
  steps: number,
  watch: Readonly<Record<string, readonly string[]>>,
): Promise<Record<string, PopulationTrace>> {
  const vars: Record<string, Record<string, Float64Array[]>> = {};
  for (const [population, names] of Object.entries(watch)) {
    vars[population] = Object.fromEntries(names.map((name) => [name, [] as Float64Array[]]));
  }
  for (let s = 0; s < steps; s++) {
    await runtime.step(1);
    for (const [population, names] of Object.entries(watch)) {
      for (const name of names)
        vars[population]![name]!.push(Float64Array.from(await runtime.readVar(population, name)));
    }
  }
  const out: Record<string, PopulationTrace> = {};
  const batchSize = runtime.plan.batchSize;
  for (const population of Object.keys(watch)) {
    const size = runtime.plan.populations.find((p) => p.name === population)!.size;
    const recording = await runtime.readSpikes(population);
    out[population] = {
      size,
      batchSize,
      steps,
      vars: vars[population]!,
      spikes: spikesByStep(recording, steps, batchSize),
    };
  }
  return out;
}

/** Signed distance of neuron `j` of batch element `b` to its threshold at `step` (0 at the threshold); Infinity when it could not spike (e.g. refractory). */
export type ThresholdDistance = (
  trace: PopulationTrace,
  step: number,
  batch: number,
  neuron: number,
) => number;

/** LIF: V - Vthresh, or Infinity while refractory (needs `V` and `RefracTime` in the trace). */
export function lifThresholdDistance(vThresh: number): ThresholdDistance {
  return (trace, step, b, j) => {
    const index = b * trace.size + j;
    if (trace.vars.RefracTime![step]![index]! > 0) return Infinity;
    return trace.vars.V![step]![index]! - vThresh;
  };
}

/** ALIF: V - (Vthresh + Beta A), or Infinity while refractory (needs `V`, `A`, `RefracTime`). */
export function alifThresholdDistance(vThresh: number, beta: number): ThresholdDistance {
  return (trace, step, b, j) => {
    const index = b * trace.size + j;
    // RefracTime was set by this step's reset on the spiking side; the side that did not spike shows the value the threshold saw.
    if (trace.vars.RefracTime![step]![index]! > 0) return Infinity;
    return trace.vars.V![step]![index]! - (vThresh + beta * trace.vars.A![step]![index]!);
  };
}

export interface CompareOptions {
  /** Largest allowed absolute difference of each compared variable while the spike trains agree. */
  readonly tolerance: Readonly<Record<string, number>>;
  /** How far from its threshold a neuron may be for a spike difference to count as a float threshold crossing. */
  readonly thresholdTolerance: number;
  readonly distance: ThresholdDistance;
  /** Batch element of `test` compared with batch element of `reference` (default: b with b for every b). */
  readonly batches?: readonly (readonly [number, number])[];
}

export interface TraceComparison {
  /** Steps compared before the spike trains diverged (all steps when they never did). */
  readonly agreedSteps: number;
  /** Largest difference of each variable over the agreed steps. */
  readonly maxDifference: Record<string, number>;
  /** Spike differences explained by a threshold crossing, as readable lines. */
  readonly explained: string[];
  /** Failures: differences beyond tolerance, or spike differences not explained. */
  readonly problems: string[];
}

/**
 * Compares two traces of the same population. Stops at the first step where the spike trains
 * differ (the runs diverge from there): each differing spike must be explained by the neuron
 * that did not spike being within `thresholdTolerance` of its threshold.
 */
export function compareTraces(
  test: PopulationTrace,
  reference: PopulationTrace,
  options: CompareOptions,
  label: string,
): TraceComparison {
  const batches =
    options.batches ?? Array.from({ length: test.batchSize }, (_, b) => [b, b] as const);
  const maxDifference: Record<string, number> = Object.fromEntries(
    Object.keys(options.tolerance).map((name) => [name, 0]),
  );
  const explained: string[] = [];
  const problems: string[] = [];
  const steps = Math.min(test.steps, reference.steps);
  for (let s = 0; s < steps; s++) {
    let diverged = false;
    const differing = new Set<string>();
    for (const [bt, br] of batches) {
      const a = new Set(test.spikes[s]![bt]!);
      const r = new Set(reference.spikes[s]![br]!);
      for (const j of new Set([...a, ...r])) {
        if (a.has(j) && r.has(j)) continue;
        diverged = true;
        differing.add(`${bt}:${j}`);
        const [silent, silentBatch, spikedSide] = a.has(j)
          ? ([reference, br, "the backend under test"] as const)
          : ([test, bt, "the reference"] as const);
        const distance = options.distance(silent, s, silentBatch, j);
        const line = `${label}: step ${s}, neuron ${j}, batch ${bt}: only ${spikedSide} spiked; the other side was ${Number.isFinite(distance) ? `${distance.toExponential(3)} from its threshold` : "unable to spike (refractory)"}`;
        if (Math.abs(distance) <= options.thresholdTolerance)
          explained.push(`${line} (a float difference crossed the threshold)`);
        else
          problems.push(
            `${line}, beyond the tolerance ${options.thresholdTolerance}: not explained by a threshold crossing`,
          );
      }
      for (const [name, tolerance] of Object.entries(options.tolerance)) {
        const tv = test.vars[name]![s]!;
        const rv = reference.vars[name]![s]!;
        for (let j = 0; j < test.size; j++) {
          if (differing.has(`${bt}:${j}`)) continue;
          const x = tv[bt * test.size + j]!;
          const y = rv[br * reference.size + j]!;
          const difference = Math.abs(x - y);
          if (!(difference <= tolerance) && !(Number.isNaN(x) && Number.isNaN(y))) {
            problems.push(
              `${label}: ${name} of neuron ${j}, batch ${bt} at step ${s} is ${x}, the reference has ${y} (difference ${difference}, tolerance ${tolerance})`,
            );
          }
          if (difference > maxDifference[name]!) maxDifference[name] = difference;
        }
      }
    }
    if (diverged || problems.length > 0)
      return { agreedSteps: s, maxDifference, explained, problems: problems.slice(0, 10) };
  }
  return { agreedSteps: steps, maxDifference, explained, problems };
}
