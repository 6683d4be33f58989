/** What every conformance case receives, and helpers several cases share. */
import { Network, planNetwork, type Backend, type Runtime, type SpikeRecording } from "@snn/core";
import { expect, type TestContext } from "vitest";
import type { TraceComparison } from "../compare";
import { LIF_DEFAULTS } from "../networks";

export interface CaseContext {
  readonly backend: Backend;
  readonly reference: Backend | null;
  readonly test: TestContext;
  /** Reports a finding that is not a failure (e.g. a threshold crossing explained by float differences). */
  report(message: string): Promise<void>;
}

export interface ConformanceCase {
  readonly id: string;
  readonly title: string;
  readonly run: (context: CaseContext) => Promise<void>;
}

export async function withRuntime<T>(
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

export function triples(recording: SpikeRecording): string[] {
  return Array.from(
    recording.steps,
    (s, k) => `${s}:${recording.neurons[k]}:${recording.batches[k]}`,
  );
}

/** Steps (0-based) at which a single neuron (index 0, batch 0) spiked. */
export function spikeSteps(recording: SpikeRecording, neuron = 0, batch = 0): number[] {
  const out: number[] = [];
  for (let k = 0; k < recording.steps.length; k++) {
    if (recording.neurons[k] === neuron && recording.batches[k] === batch)
      out.push(recording.steps[k]!);
  }
  return out;
}

export async function expectComparison(
  context: CaseContext,
  comparison: TraceComparison,
): Promise<void> {
  for (const line of comparison.explained) await context.report(line);
  expect(comparison.problems, comparison.problems.join("\n")).toEqual([]);
}

/** Discrete LIF: integrations from `v0` until V >= Vthresh, with the exact exponential step. */
export function lifStepsToThreshold(
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

export const LIF_V_TOLERANCE = 1e-3; // mV: float32 rounding over tens of steps stays far below this
export const THRESHOLD_TOLERANCE_MV = 1e-3; // mV: a spike difference is a float threshold crossing when V was this close
export const ALIF_TOLERANCE = 1e-4; // dimensionless V and A
export const ALIF_THRESHOLD_TOLERANCE = 1e-4;
