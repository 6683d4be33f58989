import { describe, expect, it } from "vitest";
import { cpuBackend } from "@snn/backend-cpu";
import { Trainer } from "./index";
import { patternTask } from "./test-support/tasks";

const dataset = patternTask({ numChannels: 10, numClasses: 2, numSteps: 30, examples: 8, seed: 1 });
const network = {
  input: { size: 10 },
  hidden: [{ name: "hidden", size: 16, neuron: "ALIF" as const }],
  readout: { size: 2 },
  seed: 2,
};

describe("Trainer.traceEvaluation", () => {
  it("says where the traces run: chunked on the host in a worker thread here (Node 20.16+), none for per-step e-prop or before training", async () => {
    const chunked = new Trainer({ network, backend: cpuBackend() });
    expect(chunked.traceEvaluation).toBeNull();
    await chunked.train(dataset, { epochs: 1, batchSize: 4 });
    expect(chunked.traceEvaluation).toEqual({ where: "host", thread: true });
    chunked.dispose();
    const perStep = new Trainer({ network, backend: cpuBackend(), eligibility: "perStep" });
    await perStep.train(dataset, { epochs: 1, batchSize: 4 });
    expect(perStep.traceEvaluation).toBeNull();
    perStep.dispose();
  });
});
