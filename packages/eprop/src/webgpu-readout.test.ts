// The readout's softmax on the WGSL backend: inference keeps it in the network (no read per
// step), chunked training computes it on the device; both agree with the CPU's host rule
// (readout-softmax.ts), the exponent cap included. Runs when a WebGPU adapter exists (Dawn on
// llvmpipe here); otherwise skipped with the reason, unless SNN_REQUIRE_WEBGPU is set.
import { describe, expect, it } from "vitest";
import { cpuBackend } from "@snn/backend-cpu";
import type { Backend } from "@snn/core";
import { EpropRuntime, type EpropRuntimeOptions } from "./eprop-runtime";
import { deepNetwork, maskedTrialData, scaledParameters, toEvents } from "./test-support/networks";
import { prepareTrial } from "./trial";
import { testGpu } from "../../backend-wgsl/test-support/gpu";

const { backend, skipReason } = await testGpu();

describe.skipIf(skipReason !== null)(
  `the readout's softmax on the WebGPU backend${skipReason ? ` (skipped: ${skipReason})` : ""}`,
  () => {
    it("inference keeps it in the network; it and device chunked training give the CPU's loss and predictions, capped where a wrong output leads by more than 80", async () => {
      const description = deepNetwork("symmetric");
      const { T, inputs, masks, labels } = maskedTrialData();
      const trial = prepareTrial(
        {
          inputs: inputs.map(toEvents),
          labels: Int32Array.from(labels),
          numSteps: T,
          lossMask: Float32Array.from(masks.flat()),
        },
        description,
        4,
      );
      const cpu: Backend = cpuBackend();
      const runs: [string, Omit<EpropRuntimeOptions, "batchSize">][] = [
        ["cpu inference (host)", { backend: cpu, mode: "inference" }],
        ["webgpu inference (network)", { backend, mode: "inference" }],
        ["cpu chunked training", { backend: cpu, eligibility: "chunked", chunkSteps: 16 }],
        ["webgpu chunked training (device)", { backend, eligibility: "chunked", chunkSteps: 16 }],
      ];
      // Output 2 leads output 0 by more than 80 in element 1's window (the last 10 steps).
      for (const bias of [Float32Array.of(0.1, 0, -0.1), Float32Array.of(0, 0, 8)]) {
        const parameters = { ...scaledParameters(description, 2.5), "output.bias": bias };
        const results = [];
        for (const [name, options] of runs) {
          const session = await EpropRuntime.create(description, {
            batchSize: 4,
            parameters,
            ...options,
          });
          if (name === "webgpu inference (network)")
            expect(session.layout.readoutSoftmax).toBe("network");
          results.push({ name, outputs: await session.runTrial(trial) });
          session.dispose();
        }
        const reference = results[0]!.outputs;
        expect(reference.loss[3]).toBe(0);
        for (const { name, outputs } of results) {
          expect(Array.from(outputs.predictions), name).toEqual(Array.from(reference.predictions));
          for (let b = 0; b < 4; b++) {
            const expected = reference.loss[b]!;
            expect(Math.abs(outputs.loss[b]! - expected), `${name} loss ${b}`).toBeLessThan(
              1e-5 * Math.max(1, expected),
            );
          }
        }
        if (bias[2] === 8) expect(reference.loss[1]).toBeCloseTo(10 * 80, 3);
      }
    });
  },
);
