// The e-prop pass on the WGSL backend: the same ordinary core models, no e-prop code in the
// backend. Runs when a WebGPU adapter exists (Dawn on llvmpipe here); otherwise skipped with
// the reason, unless SNN_REQUIRE_WEBGPU is set.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { cpuBackend } from "@snn/backend-cpu";

import type { Backend } from "@snn/core";
import { runGradcheck, Trainer } from "./index";
import { patternTask } from "./test-support/tasks";
import { testGpu } from "../../backend-wgsl/test-support/gpu";

const { backend, skipReason } = await testGpu();
const fixture = JSON.parse(
  readFileSync(new URL("../test-data/eprop-gradient.json", import.meta.url), "utf8"),
);

describe.skipIf(skipReason !== null)(
  `e-prop on the WebGPU backend${skipReason ? ` (skipped: ${skipReason})` : ""}`,
  () => {
    it("matches the gradient fixture's six cases", async () => {
      const report = await runGradcheck(fixture, { backend: backend });
      expect(report.backend).toBe("webgpu");
      for (const c of report.cases) {
        expect(c.spikesMatch, c.name).toBe(true);
        for (const g of c.gradients)
          expect(g.relativeError, `${c.name} ${g.name}`).toBeLessThan(1e-4);
      }
      expect(report.passed).toBe(true);
    });

    for (const chunkedTraces of ["device", "host"] as const) {
      const where =
        chunkedTraces === "device"
          ? "the traces on the device too (WGSL)"
          : "the traces on the host (state read back every step)";
      it(`matches the gradient fixture with chunked eligibility (the forward pass on WebGPU, ${where})`, async () => {
        const report = await runGradcheck(fixture, {
          backend: backend,
          eligibility: "chunked",
          chunkSteps: 16,
          chunkedTraces,
        });
        for (const c of report.cases) {
          expect(c.spikesMatch, c.name).toBe(true);
          for (const g of c.gradients)
            expect(g.relativeError, `${c.name} ${g.name}`).toBeLessThan(1e-4);
        }
        expect(report.passed).toBe(true);
      });
    }

    it("trains like the CPU backend (same batch losses)", async () => {
      const task = patternTask({
        numChannels: 20,
        numClasses: 3,
        numSteps: 60,
        patternSteps: 30,
        examples: 32,
        seed: 1,
      });
      const losses = async (b: Backend): Promise<number[]> => {
        const trainer = new Trainer({
          network: {
            input: { size: 20 },
            hidden: [{ name: "hidden", size: 32, neuron: "ALIF" }],
            readout: { size: 3 },
            seed: 3,
          },
          backend: b,
          optimizer: { learningRate: 0.01 },
          lossMask: { lastSteps: 10 },
        });
        const out: number[] = [];
        await trainer.train(task, {
          epochs: 1,
          batchSize: 16,
          shuffleSeed: 2,
          callbacks: { onBatchEnd: (m) => void out.push(m.loss) },
        });
        trainer.dispose();
        return out;
      };
      const [cpu, webgpu] = [await losses(cpuBackend()), await losses(backend)];
      expect(webgpu).toHaveLength(2);
      for (let i = 0; i < cpu.length; i++)
        expect(Math.abs(webgpu[i]! - cpu[i]!) / cpu[i]!).toBeLessThan(1e-4);
    });
  },
);
