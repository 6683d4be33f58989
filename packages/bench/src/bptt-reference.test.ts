/**
 * The proof that the `accuracy` suite's BPTT reference trains the same network as @snn/eprop:
 * from the same initial weights and input spikes, the PyTorch forward pass of
 * `reference/bptt_smnist.py` gives @snn/eprop's hidden spikes, losses and predictions, and the
 * readout gradients (which e-prop computes exactly) agree; the hidden-weight gradients differ
 * (e-prop's are an approximation) but point the same way. Skipped, saying why, where no python
 * can import torch.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cpuBackend } from "@snn/backend-cpu";
import { seededRandom } from "@snn/core";
import {
  defineEpropNetwork,
  EpropRuntime,
  initialParameters,
  prepareTrial,
  type EpropNetworkOptions,
  type LossMaskOption,
} from "@snn/eprop";
import { afterAll, describe, expect, it } from "vitest";
import {
  lossMaskOf,
  splitSample,
  writeExchange,
  writeSplit,
  type EncodedSplit,
} from "./bptt-exchange";
import { findTorchPython, noTorchReason, runPytorchScript } from "./pytorch";

const python = findTorchPython();
const title =
  python === null
    ? `PyTorch BPTT reference (skipped: ${noTorchReason()})`
    : "PyTorch BPTT reference";

interface ForwardOutput {
  spikes: [number, number, number][];
  loss: number[];
  predictions: number[];
  gradients: Record<string, number[]>;
}

/** Random input spikes: `count` samples of `numSteps` steps, each channel firing with probability `rate` per step. */
function randomSplit(
  count: number,
  numInputs: number,
  numSteps: number,
  numClasses: number,
  rate: number,
  seed: number,
): EncodedSplit {
  const random = seededRandom(seed);
  const offsets = [0];
  const events: number[] = [];
  const labels: number[] = [];
  for (let b = 0; b < count; b++) {
    for (let t = 0; t < numSteps; t++)
      for (let i = 0; i < numInputs; i++)
        if (random.uniform() < rate) events.push(t * numInputs + i);
    offsets.push(events.length);
    labels.push(b % numClasses);
  }
  return {
    count,
    numInputs,
    numSteps,
    offsets: Int32Array.from(offsets),
    events: Int32Array.from(events),
    labels: Int32Array.from(labels),
  };
}

function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let diff = 0;
  let norm = 0;
  for (let i = 0; i < a.length; i++) {
    diff += (a[i]! - b[i]!) ** 2;
    norm += b[i]! ** 2;
  }
  return Math.sqrt(diff / norm);
}

function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! ** 2;
    nb += b[i]! ** 2;
  }
  return dot / Math.sqrt(na * nb);
}

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const CASES: {
  name: string;
  network: EpropNetworkOptions;
  numSteps: number;
  lossMask: LossMaskOption;
}[] = [
  {
    // the shape of `snn train --dataset smnist` (ALIF, spec beta, dt 2, 3 refractory steps, regulariser), tiny
    name: "ALIF, dt 2, regulariser",
    network: {
      dt: 2,
      input: { size: 12 },
      hidden: [{ name: "hidden", size: 8, neuron: "ALIF" }],
      readout: { size: 3 },
      seed: 3,
    },
    numSteps: 40,
    lossMask: { lastSteps: 10 },
  },
  {
    // half LIF, half ALIF with a strong adaptation, dt 1 (5 refractory steps), no regulariser, loss on every step
    name: "mixed LIF/ALIF, strong adaptation",
    network: {
      input: { size: 12 },
      hidden: [{ name: "hidden", size: 8, neuron: "ALIF", beta: [0, 0, 0, 0, 0.3, 0.3, 0.3, 0.3] }],
      readout: { size: 3 },
      regularisation: false,
      seed: 5,
    },
    numSteps: 48,
    lossMask: "all",
  },
];

describe(title, () => {
  for (const c of CASES) {
    it.runIf(python !== null)(
      `reproduces @snn/eprop's forward pass, and its readout gradients: ${c.name}`,
      async () => {
        const description = defineEpropNetwork(c.network);
        const count = 5;
        const split = randomSplit(
          count,
          description.input.size,
          c.numSteps,
          description.readout.size,
          0.15,
          11,
        );
        const parameters = initialParameters(description);
        // a non-zero readout bias, so that its path is checked too
        parameters["output.bias"] = Float32Array.from(
          { length: description.readout.size },
          (_, k) => 0.1 * (k - 1),
        );
        const layer = description.hidden[0]!;
        const batch = {
          inputs: Array.from({ length: count }, (_, b) => splitSample(split, b)),
          labels: split.labels,
          numSteps: c.numSteps,
        };
        const trial = prepareTrial(batch, description, count, c.lossMask);

        // @snn/eprop's forward pass (inference mode), hidden spikes read after every step
        const inference = await EpropRuntime.create(description, {
          backend: cpuBackend(),
          batchSize: count,
          mode: "inference",
          parameters,
        });
        const tsSpikes: string[] = [];
        const outputs = await inference.runTrial(trial, {
          afterStep: async (step) => {
            if (step >= c.numSteps) return;
            const z = await inference.runtime.readVar(layer.name, "Z");
            for (let b = 0; b < count; b++)
              for (let j = 0; j < layer.size; j++)
                if (z[b * layer.size + j]! > 0.5) tsSpikes.push(`${b},${step},${j}`);
          },
        });
        inference.dispose();
        // e-prop's gradients on the same trial (chunked form, as the Trainer uses by default)
        const training = await EpropRuntime.create(description, {
          backend: cpuBackend(),
          batchSize: count,
          mode: "train",
          eligibility: "chunked",
          traceThread: false,
          parameters,
        });
        await training.runTrial(trial);
        const epropGradients = await training.readGradients();
        training.dispose();

        const dir = mkdtempSync(join(tmpdir(), "snn-bptt-test-"));
        dirs.push(dir);
        const spec = writeExchange(dir, "case", {
          description,
          parameters,
          numSteps: c.numSteps,
          lossMask: lossMaskOf(description, c.numSteps, c.lossMask),
          train: writeSplit(dir, "train", split),
        });
        const log: string[] = [];
        const lines = runPytorchScript(
          "bptt_smnist.py",
          [spec, "--mode", "forward", "--threads", "1"],
          "bptt forward",
          (line) => log.push(line),
        );
        expect(lines, log.join("\n")).not.toBeNull();
        const py = lines!.find((l) => l.kind === "forward") as unknown as ForwardOutput;

        // same spikes, step by step
        const pySpikes = py.spikes.map(([b, t, j]) => `${b},${t},${j}`).sort();
        tsSpikes.sort();
        expect(tsSpikes.length).toBeGreaterThan(count * 5); // the hidden layer is active
        expect(tsSpikes.length).toBeLessThan(count * c.numSteps * layer.size * 0.5); // and not saturated
        expect(pySpikes).toEqual(tsSpikes);
        // same loss (cross-entropy summed over the masked steps) and prediction per sample
        let lossError = 0;
        for (let b = 0; b < count; b++) {
          lossError = Math.max(
            lossError,
            Math.abs(py.loss[b]! - outputs.loss[b]!) / outputs.loss[b]!,
          );
          expect(py.predictions[b]).toBe(outputs.predictions[b]);
        }
        expect(lossError).toBeLessThan(1e-5);
        // e-prop's readout gradients are exact: BPTT's must agree with them
        const readoutErrors = ["hidden->output", "output.bias"].map((name) =>
          relativeError(py.gradients[name]!, epropGradients[name]!),
        );
        for (const error of readoutErrors) expect(error).toBeLessThan(1e-4);
        // hidden weights: e-prop approximates BPTT's gradient; they differ but point the same way
        const hidden = (
          layer.recurrent ? ["input->hidden", "hidden->hidden"] : ["input->hidden"]
        ).map((name) => {
          const bptt = py.gradients[name]!;
          const eprop = epropGradients[name]!;
          return { name, difference: relativeError(eprop, bptt), cosine: cosine(eprop, bptt) };
        });
        for (const h of hidden) {
          expect(h.difference).toBeGreaterThan(1e-3);
          expect(h.cosine).toBeGreaterThan(0);
        }
        console.log(
          `[bptt-reference] ${c.name}: ${tsSpikes.length} hidden spikes identical; loss max relative error ${lossError.toExponential(1)}; ` +
            `readout gradient relative errors ${readoutErrors.map((e) => e.toExponential(1)).join(", ")}; ` +
            hidden
              .map(
                (h) =>
                  `${h.name} e-prop vs BPTT: relative difference ${h.difference.toFixed(2)}, cosine ${h.cosine.toFixed(3)}`,
              )
              .join("; "),
        );
      },
      120_000,
    );
  }
  it.runIf(python === null)("is skipped: no python with torch", () => {
    console.warn(
      `bptt-reference.test.ts: ${noTorchReason()}; the BPTT reference's equivalence with @snn/eprop is not checked`,
    );
  });
});
