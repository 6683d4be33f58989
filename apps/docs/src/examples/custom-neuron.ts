// Your own neuron model in the snippet language: the Izhikevich neuron.
import { Network, SnippetError, planNetwork, type Backend, type NeuronModel } from "@snn/core";

export interface NeuronCode {
  readonly sim: string;
  readonly threshold: string;
  readonly reset: string;
}

/** Izhikevich (2003), regular spiking; V in mV, t in ms, two half steps for V as in his code. */
export const izhikevichCode: NeuronCode = {
  sim: `V += 0.5 * (0.04 * V * V + 5.0 * V + 140.0 - U + Iext) * dt;
V += 0.5 * (0.04 * V * V + 5.0 * V + 140.0 - U + Iext) * dt;
U += a * (b * V - U) * dt;`,
  threshold: "V >= 30.0",
  reset: `V = c;
U += d;`,
};

export function izhikevich(code: NeuronCode): NeuronModel {
  return {
    kind: "neuron",
    name: "Izhikevich",
    params: {
      a: { default: 0.02, doc: "recovery time scale, 1/ms" },
      b: { default: 0.2, doc: "sensitivity of U to V" },
      c: { default: -65, doc: "reset potential, mV" },
      d: { default: 8, doc: "after-spike jump of U" },
    },
    vars: {
      V: { init: -65, doc: "membrane potential, mV" },
      U: { init: -13, doc: "recovery variable" },
      Iext: { access: "readOnly", doc: "input current of each neuron" },
    },
    ...code,
  };
}

/** Neuron i gets Iext = i: from silence to fast spiking. */
export function customNeuronNetwork(code: NeuronCode): Network {
  const net = new Network({ dt: 1, batchSize: 1 });
  const size = 20;
  net.addPopulation("neurons", {
    model: izhikevich(code),
    size,
    recordSpikes: true,
    init: { Iext: Float32Array.from({ length: size }, (_, i) => i) },
  });
  return net;
}

export interface CodeError {
  readonly field: string;
  readonly line: number;
  readonly column: number;
  readonly reason: string;
  /** Model, field, line and column, the line and a caret under the column. */
  readonly message: string;
}

/** Checks the code as the backends will see it: null when it is fine. */
export function checkNeuronCode(code: NeuronCode): CodeError | null {
  try {
    planNetwork(customNeuronNetwork(code));
    return null;
  } catch (error) {
    if (error instanceof SnippetError) {
      const { field, line, column, reason, message } = error;
      return { field, line, column, reason, message };
    }
    throw error;
  }
}

export type CustomNeuronResult =
  | { readonly ok: false; readonly error: CodeError }
  | {
      readonly ok: true;
      readonly backend: string;
      readonly steps: number;
      /** Spikes per neuron (neuron i had Iext = i) over the run. */
      readonly spikeCounts: Int32Array;
      /** V of the neuron with Iext = 10 at every step, mV (after its reset on a spike). */
      readonly voltage: Float32Array;
      /** The steps at which that neuron spiked. */
      readonly spikeSteps: Int32Array;
    };

export async function runCustomNeuron(
  backend: Backend,
  code: NeuronCode,
  options: { readonly steps?: number; readonly signal?: AbortSignal } = {},
): Promise<CustomNeuronResult> {
  const error = checkNeuronCode(code);
  if (error) return { ok: false, error };
  const steps = options.steps ?? 300;
  const net = customNeuronNetwork(code);
  const runtime = await backend.compile(planNetwork(net), { recordingSteps: steps });
  try {
    const voltage = new Float32Array(steps);
    for (let s = 0; s < steps; s++) {
      options.signal?.throwIfAborted();
      await runtime.step(1);
      voltage[s] = (await runtime.readVar("neurons", "V"))[10]!;
    }
    const spikes = await runtime.readSpikes("neurons");
    const spikeCounts = new Int32Array(net.populations[0]!.size);
    for (const n of spikes.neurons) spikeCounts[n]!++;
    const spikeSteps = spikes.steps.filter((_, i) => spikes.neurons[i] === 10);
    return { ok: true, backend: backend.name, steps, spikeCounts, voltage, spikeSteps };
  } finally {
    runtime.dispose();
  }
}
