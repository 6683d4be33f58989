/**
 * The `alignment` suite: how closely e-prop's gradient follows the true gradient (BPTT) of the
 * same loss, per parameter group, on real spiking sequential MNIST digits. It takes the
 * pretrained sMNIST LSNN of @snn/pretrained (the trained state) and the same network with its
 * initial weights (the untrained state), runs a batch of MNIST test digits through it, and
 * computes the gradient of the training objective (cross-entropy over the loss window plus the
 * firing-rate regulariser) twice: by @snn/eprop's chunked e-prop, and by autograd through the
 * whole trial in PyTorch (`reference/bptt_smnist.py --mode forward`, whose forward pass
 * reproduces @snn/eprop's spikes exactly: `bptt-reference.test.ts`). It reports, per group,
 * the cosine of the angle between the two gradients, the ratio of their norms and the share of
 * weights whose update has the same sign. The readout's gradients are exact in e-prop, so their
 * cosine is 1; the input and recurrent weights show what e-prop's truncation costs.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Backend } from "@snn/core";
import { loadFullMnist, type MnistImages } from "@snn/datasets";
import {
  EpropRuntime,
  initialParameters,
  prepareTrial,
  type EpropBatch,
  type ParameterSet,
} from "@snn/eprop";
import { loadPretrained } from "@snn/pretrained";
import { lossMaskOf, writeExchange, writeSplit, type EncodedSplit } from "./bptt-exchange";
import { findTorchPython, noTorchReason, runPytorchScript } from "./pytorch";
import type { BenchResult } from "./report";

export interface AlignmentBenchmarkOptions {
  readonly backend: Backend;
  /** MNIST test digits in the batch (the first N; default 64). */
  readonly samples?: number;
  /** torch's intra-op threads (default: torch's). */
  readonly threads?: number;
  readonly log?: (line: string) => void;
}

/** e-prop's gradient against BPTT's for one parameter group. */
export interface GradientComparison {
  readonly cosine: number;
  /** |e-prop| / |BPTT|. */
  readonly normRatio: number;
  /** Share of entries (among those where either is non-zero) with the same sign. */
  readonly signAgreement: number;
}

/** Cosine, norm ratio and sign agreement of two gradients of the same shape. */
export function compareGradients(
  eprop: ArrayLike<number>,
  bptt: ArrayLike<number>,
): GradientComparison {
  if (eprop.length !== bptt.length)
    throw new RangeError(`compareGradients: ${eprop.length} against ${bptt.length} entries.`);
  let dot = 0;
  let ne = 0;
  let nb = 0;
  let same = 0;
  let counted = 0;
  for (let i = 0; i < eprop.length; i++) {
    const e = eprop[i]!;
    const b = bptt[i]!;
    dot += e * b;
    ne += e * e;
    nb += b * b;
    if (e !== 0 || b !== 0) {
      counted++;
      if (Math.sign(e) === Math.sign(b)) same++;
    }
  }
  return {
    cosine: dot / Math.sqrt(ne * nb),
    normRatio: Math.sqrt(ne / nb),
    signAgreement: counted === 0 ? 1 : same / counted,
  };
}

/** A batch's samples as the exchange's encoded split. */
function splitOfBatch(batch: EpropBatch, numInputs: number, numSteps: number): EncodedSplit {
  const offsets = [0];
  const events: number[] = [];
  for (const sample of batch.inputs) {
    const order = Array.from(sample.steps.keys()).sort(
      (a, b) => sample.steps[a]! - sample.steps[b]! || sample.units[a]! - sample.units[b]!,
    );
    for (const k of order)
      if (sample.steps[k]! < numSteps) events.push(sample.steps[k]! * numInputs + sample.units[k]!);
    offsets.push(events.length);
  }
  return {
    count: batch.inputs.length,
    numInputs,
    numSteps,
    offsets: Int32Array.from(offsets),
    events: Int32Array.from(events),
    labels: Int32Array.from(batch.labels),
  };
}

function imagesOf(images: MnistImages): Uint8Array[] {
  const size = images.rows * images.cols;
  return Array.from({ length: images.count }, (_, i) =>
    images.pixels.subarray(i * size, (i + 1) * size),
  );
}

/** Runs the suite: one result per network state (`initial`, `trained`). */
export async function runAlignmentBenchmark(
  options: AlignmentBenchmarkOptions,
): Promise<BenchResult[]> {
  const log = options.log ?? (() => {});
  const samples = options.samples ?? 64;
  if (!(Number.isInteger(samples) && samples > 0))
    throw new RangeError(`alignment: --samples must be a positive integer, got ${samples}.`);
  if (findTorchPython() === null) {
    log(`alignment: skipped (${noTorchReason()}); it compares e-prop with PyTorch BPTT`);
    return [{ case: "alignment", skipped: noTorchReason() }];
  }
  const model = await loadPretrained("smnist");
  const description = model.network;
  const { numSteps, lossMask } = model.input;
  const images = await loadFullMnist("test", { limit: samples });
  const batch = model.batch(imagesOf(images), images.labels);
  const trial = prepareTrial(batch, description, samples, lossMask ?? undefined);
  const dir = mkdtempSync(join(tmpdir(), "snn-alignment-"));
  const results: BenchResult[] = [];
  try {
    const split = writeSplit(dir, "digits", splitOfBatch(batch, description.input.size, numSteps));
    const states: [string, ParameterSet][] = [
      ["initial", initialParameters(description)],
      ["trained", model.parameters],
    ];
    for (const [state, parameters] of states) {
      const runtime = await EpropRuntime.create(description, {
        backend: options.backend,
        batchSize: samples,
        mode: "train",
        eligibility: "chunked",
        traceThread: false,
        parameters,
      });
      const outputs = await runtime.runTrial(trial);
      const eprop = await runtime.readGradients();
      runtime.dispose();
      const spec = writeExchange(dir, state, {
        description,
        parameters,
        numSteps,
        lossMask: lossMaskOf(description, numSteps, lossMask ?? undefined, batch.lossMask),
        train: split,
      });
      const lines = runPytorchScript(
        "bptt_smnist.py",
        [
          spec,
          "--mode",
          "forward",
          ...(options.threads !== undefined ? ["--threads", String(options.threads)] : []),
        ],
        `BPTT gradients (${state})`,
        log,
      );
      const forward = lines?.find((l) => l["kind"] === "forward") as
        { gradients: Record<string, number[]>; predictions: number[] } | undefined;
      if (forward === undefined)
        throw new Error(
          `alignment: the PyTorch reference gave no gradients for the ${state} network (see the lines above).`,
        );
      let agree = 0;
      for (let b = 0; b < samples; b++)
        if (forward.predictions[b] === outputs.predictions[b]) agree++;
      const groups: Record<string, GradientComparison> = {};
      for (const name of Object.keys(eprop)) {
        const reference = forward.gradients[name];
        if (reference === undefined) continue;
        groups[name] = compareGradients(eprop[name]!, reference);
      }
      const correct = outputs.predictions.reduce(
        (n, p, b) => n + (p === batch.labels[b] ? 1 : 0),
        0,
      );
      log(
        `alignment, ${state} network (${samples} test digits, ${(100 * correct) / samples}% correct; forward passes agree on ${agree}/${samples} predictions):`,
      );
      for (const [name, g] of Object.entries(groups)) {
        log(
          `  ${name.padEnd(16)} cosine ${g.cosine.toFixed(3)}   |e-prop|/|BPTT| ${g.normRatio.toFixed(3)}   same sign ${(100 * g.signAgreement).toFixed(1)} %`,
        );
      }
      results.push({
        case: `alignment ${state}`,
        state,
        samples,
        accuracy: correct / samples,
        forwardAgreement: agree / samples,
        groups,
      });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return results;
}
