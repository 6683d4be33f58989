// Chunked e-prop evaluated on the device (WGSL kernels, device-eligibility.ts) against the same
// evaluation on the host (WebAssembly, eligibility.ts), both driving the same WebGPU forward
// pass: the spikes are identical, so the gradients, losses and predictions must agree to float
// rounding. Runs where a WebGPU adapter exists (Dawn on llvmpipe here), otherwise skipped with
// the reason, unless SNN_REQUIRE_WEBGPU is set.
import { describe, expect, it } from "vitest";
import { cpuBackend } from "@snn/backend-cpu";
import { createNodeDevice, webgpuBackend } from "@snn/backend-wgsl";
import { EpropRuntime, type TrialOutputs } from "../eprop-runtime";
import { defineEpropNetwork, type EpropNetworkDescription, type ParameterSet } from "../index";
import {
  deepNetwork,
  denseNetwork,
  denseParameters,
  maskedTrialData,
  randomInputs,
  relativeError,
  scaledParameters,
  toEvents,
} from "../test-support/networks";
import { prepareTrial, type PreparedTrial } from "../trial";
import { EpropConfigError } from "../errors";
import type { Backend } from "@snn/core";
import { testGpu } from "../../../backend-wgsl/test-support/gpu";

const { backend, skipReason } = await testGpu();

interface Run {
  readonly outputs: TrialOutputs[];
  readonly gradients: ParameterSet[];
}

/** Runs each trial with chunked eligibility on the host or on the device, reading the gradients after each. */
async function run(
  description: EpropNetworkDescription,
  parameters: ParameterSet,
  trials: readonly PreparedTrial[],
  chunkedTraces: "host" | "device",
  chunkSteps: number,
  on: Backend = backend,
): Promise<Run> {
  const session = await EpropRuntime.create(description, {
    backend: on,
    batchSize: trials[0]!.inputs.length,
    parameters,
    eligibility: "chunked",
    chunkSteps,
    chunkedTraces,
    traceThread: false,
  });
  expect(session.chunkedTraces).toBe(chunkedTraces);
  const outputs: TrialOutputs[] = [];
  const gradients: ParameterSet[] = [];
  try {
    for (const trial of trials) {
      outputs.push(await session.runTrial(trial));
      gradients.push(await session.readGradients());
    }
  } finally {
    session.dispose();
  }
  return { outputs, gradients };
}

function expectAgreement(device: Run, host: Run): void {
  device.outputs.forEach((outputs, t) => {
    const reference = host.outputs[t]!;
    expect(outputs.spikeCounts, `trial ${t} spikes`).toEqual(reference.spikeCounts);
    expect(Array.from(outputs.predictions)).toEqual(Array.from(reference.predictions));
    expect(Array.from(outputs.readoutSumPredictions)).toEqual(
      Array.from(reference.readoutSumPredictions),
    );
    expect(relativeError(outputs.loss, reference.loss), `trial ${t} loss`).toBeLessThan(1e-5);
    const names = Object.keys(host.gradients[t]!);
    expect(Object.keys(device.gradients[t]!).sort()).toEqual([...names].sort());
    for (const name of names) {
      const expected = host.gradients[t]![name]!;
      expect(
        expected.some((x) => x !== 0),
        `${name} is exercised`,
      ).toBe(true);
      expect(
        relativeError(device.gradients[t]![name]!, expected),
        `trial ${t} ${name}`,
      ).toBeLessThan(2e-5);
    }
  });
}

function deepTrials(description: EpropNetworkDescription): PreparedTrial[] {
  const { T, inputs, masks, labels } = maskedTrialData();
  const first = prepareTrial(
    {
      inputs: inputs.map(toEvents),
      labels: Int32Array.from(labels),
      numSteps: T,
      lossMask: Float32Array.from(masks.flat()),
    },
    description,
    4,
  );
  // A second, shorter trial with other inputs: per-trial state must start from zero again.
  const other = randomInputs(3, 33, 10, 0.2, 9);
  const second = prepareTrial(
    { inputs: other.map(toEvents), labels: Int32Array.from([1, 1, 0]), numSteps: 33 },
    description,
    4,
  );
  return [first, second];
}

describe.skipIf(skipReason !== null)(
  `chunked e-prop on the device${skipReason ? ` (skipped: ${skipReason})` : ""}`,
  () => {
    for (const feedback of ["symmetric", "random"] as const) {
      for (const K of [1, 7, 64]) {
        it(`equals the host evaluation: two hidden layers (ALIF with mixed beta, LIF fed by input and layer), recurrent, regulariser, ${feedback} feedback, K = ${K}, two trials of 40 and 33 steps, padded batch`, async () => {
          const description = deepNetwork(feedback);
          const parameters = scaledParameters(description, 2.5);
          const trials = deepTrials(description);
          const host = await run(description, parameters, trials, "host", K);
          const device = await run(description, parameters, trials, "device", K);
          expectAgreement(device, host);
        });
      }
    }

    it("equals the host evaluation with more than one workgroup of neurons and more spikes per presynaptic neuron than one staging tile (K = 300)", async () => {
      const description = defineEpropNetwork({
        input: { size: 40 },
        hidden: [{ name: "hidden", size: 70, neuron: "ALIF", tauAdaptMs: 200 }],
        readout: { size: 4 },
        seed: 5,
      });
      const parameters = scaledParameters(description, 1.5);
      const T = 310;
      // Channels 0..4 spike every step (more than 256 spikes of one neuron in a chunk), the rest at 5 %.
      const inputs = randomInputs(2, T, 40, 0.05, 3).map((trial) =>
        trial.map((row) => row.map((x, i) => (i < 5 ? 1 : x))),
      );
      const trial = prepareTrial(
        { inputs: inputs.map(toEvents), labels: Int32Array.from([3, 1]), numSteps: T },
        description,
        2,
      );
      const host = await run(description, parameters, [trial], "host", 300);
      const device = await run(description, parameters, [trial], "device", 300);
      expectAgreement(device, host);
    });

    it("equals the host evaluation with dense spikes (input at 85 %, hidden layers firing most steps): the complement path on both, taken by every projection on the device; sparse input stays on the event path", async () => {
      const description = denseNetwork();
      const parameters = denseParameters(description);
      const T = 45;
      const inputs = randomInputs(3, T, 24, 0.85, 4);
      const trial = prepareTrial(
        { inputs: inputs.map(toEvents), labels: Int32Array.from([2, 0, 1]), numSteps: T },
        description,
        3,
      );
      const host = await run(description, parameters, [trial], "host", 16);
      const device = await run(description, parameters, [trial], "device", 16);
      expectAgreement(device, host);
      type WithDevice = { traces: { denseRows(): Promise<Record<string, number>> } };
      const denseRows = async (inputRate: number): Promise<Record<string, number>> => {
        const session = await EpropRuntime.create(description, {
          backend: backend,
          batchSize: 3,
          parameters,
          eligibility: "chunked",
          chunkSteps: 16,
        });
        const events = randomInputs(3, T, 24, inputRate, 4).map(toEvents);
        await session.runTrial(
          prepareTrial(
            { inputs: events, labels: Int32Array.from([2, 0, 1]), numSteps: T },
            description,
            3,
          ),
        );
        const rows = await (session as unknown as WithDevice).traces.denseRows();
        session.dispose();
        return rows;
      };
      const dense = await denseRows(0.85);
      expect(Object.keys(dense).sort()).toEqual([
        "first->first",
        "first->second",
        "input->first",
        "input->second",
        "second->second",
      ]);
      for (const [name, rows] of Object.entries(dense)) expect(rows, name).toBeGreaterThan(0);
      const sparse = await denseRows(0.1);
      expect(sparse["input->first"]).toBe(0);
      expect(sparse["input->second"]).toBe(0);
    });

    it("works with the network's state split over several buffers, and says which buffer is too large for the binding limit", async () => {
      const { device } = await createNodeDevice();
      const small = webgpuBackend({ device, maxBufferBindingBytes: 4096 });
      const description = deepNetwork("symmetric");
      const parameters = scaledParameters(description, 2.5);
      const trials = deepTrials(description);
      const session = await EpropRuntime.create(description, {
        backend: small,
        batchSize: 4,
        eligibility: "chunked",
        chunkSteps: 7,
      });
      // The variables the kernels bind live in several buffers.
      const runtime = session.runtime as unknown as {
        varStorage(owner: string, name: string): { buffer: object };
      };
      const buffers = new Set(
        [
          ["first", "PsiSpike"],
          ["second", "PsiSpike"],
          ["output", "Y"],
          ["output", "BiasGradSum"],
          ["first__output", "g"],
          ["first__first", "GradSum"],
          ["input__second", "GradSum"],
        ].map(([owner, name]) => runtime.varStorage(owner!, name!).buffer),
      );
      expect(buffers.size).toBeGreaterThan(1);
      session.dispose();
      const host = await run(description, parameters, trials, "host", 7, small);
      const onDevice = await run(description, parameters, trials, "device", 7, small);
      expectAgreement(onDevice, host);
      // K = 64: the history of a layer (65 rows x batch 4 x 8 floats) exceeds 4096 bytes.
      const tooLong = EpropRuntime.create(description, {
        backend: small,
        batchSize: 4,
        eligibility: "chunked",
        chunkSteps: 64,
      });
      await expect(tooLong).rejects.toThrow(EpropConfigError);
      await expect(
        EpropRuntime.create(description, {
          backend: small,
          batchSize: 4,
          eligibility: "chunked",
          chunkSteps: 64,
        }),
      ).rejects.toThrow(
        /buffer 'first PsiSpike history' needs 8320 bytes, more than this device binds \(4096\)\. Use a smaller batch size \(or keep it and train in micro-batches.*microBatchSize.*\) or chunkSteps/,
      );
    });

    it("is the default for chunked eligibility on WebGPU; the host evaluation is the default elsewhere, and asking for the device there is a clear error", async () => {
      const description = deepNetwork("symmetric");
      const onGpu = await EpropRuntime.create(description, {
        backend: backend,
        batchSize: 2,
        eligibility: "chunked",
      });
      expect(onGpu.chunkedTraces).toBe("device");
      onGpu.dispose();
      const onCpu = await EpropRuntime.create(description, {
        backend: cpuBackend(),
        batchSize: 2,
        eligibility: "chunked",
        traceThread: false,
      });
      expect(onCpu.chunkedTraces).toBe("host");
      onCpu.dispose();
      await expect(
        EpropRuntime.create(description, {
          backend: cpuBackend(),
          batchSize: 2,
          eligibility: "chunked",
          chunkedTraces: "device",
        }),
      ).rejects.toThrow(EpropConfigError);
      await expect(
        EpropRuntime.create(description, {
          backend: cpuBackend(),
          batchSize: 2,
          eligibility: "chunked",
          chunkedTraces: "device",
        }),
      ).rejects.toThrow(/chunkedTraces: 'host'/);
    });
  },
);
