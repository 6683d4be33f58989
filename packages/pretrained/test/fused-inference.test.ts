/**
 * The shipped model on real digits (the embedded MNIST test digits of @snn/datasets): fused
 * inference (@snn/eprop's default on the CPU backend) gives what stepping the compiled network
 * gives, to the bit, at batch 1 and at a batch with padding: predictions, losses and spike counts.
 */
import { cpuBackend } from "@snn/backend-cpu";
import { imagePixels, loadEmbeddedMnist } from "@snn/datasets";
import { EpropRuntime, prepareTrial, type TrialOutputs } from "@snn/eprop";
import { describe, expect, it } from "vitest";
import { loadPretrained } from "../src/index";

const bytes = (values: Float64Array): string =>
  Buffer.from(values.buffer, values.byteOffset, values.byteLength).toString("hex");

function fingerprint(outputs: TrialOutputs): string[] {
  return [
    Array.from(outputs.predictions).join(","),
    Array.from(outputs.readoutSumPredictions).join(","),
    bytes(outputs.loss),
    ...Object.entries(outputs.spikeCounts).map(([layer, counts]) => `${layer}:${bytes(counts)}`),
  ];
}

describe("the smnist model with fused inference", () => {
  it("classifies real digits as the stepped network does, to the bit (batch 1 and a padded batch of 8)", async () => {
    const model = await loadPretrained("smnist");
    const images = await loadEmbeddedMnist("test", { limit: 19 });
    for (const [batchSize, groups] of [
      [1, [[0], [1], [2]]],
      [
        8,
        [
          [3, 4, 5, 6, 7, 8, 9, 10],
          [11, 12, 13, 14, 15, 16, 17, 18],
          [0, 1, 2, 3, 4],
        ],
      ],
    ] as const) {
      const make = (fusedInference: boolean) =>
        EpropRuntime.create(model.network, {
          backend: cpuBackend(),
          batchSize,
          mode: "inference",
          parameters: model.parameters,
          fusedInference,
        });
      const fused = await make(true);
      const stepped = await make(false);
      expect(fused.fusedInference).toBe(true);
      expect(stepped.fusedInference).toBe(false);
      let spikes = 0;
      let correct = 0;
      for (const indices of groups) {
        const labels = indices.map((i) => images.labels[i]!);
        const trial = prepareTrial(
          model.batch(
            indices.map((i) => imagePixels(images, i)),
            labels,
          ),
          model.network,
          batchSize,
          model.input.lossMask ?? undefined,
        );
        const a = await fused.runTrial(trial);
        const b = await stepped.runTrial(trial);
        expect(fingerprint(a), `batch ${batchSize}, digits ${indices.join(",")}`).toEqual(
          fingerprint(b),
        );
        spikes += a.spikeCounts[model.network.hidden[0]!.name]!.reduce((x, y) => x + y, 0);
        correct += labels.filter((label, k) => a.predictions[k] === label).length;
      }
      // A trained network on real digits: many hidden spikes, and most digits right.
      expect(spikes).toBeGreaterThan(1000);
      const digits = groups.reduce((n, g) => n + g.length, 0);
      expect(correct / digits).toBeGreaterThan(0.6);
      fused.dispose();
      stepped.dispose();
    }
  });
});
