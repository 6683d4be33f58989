/**
 * The host's per-step and per-chunk WebAssembly kernels of chunked e-prop against the
 * JavaScript arithmetic they replaced, to the bit: the host step (psi, spike lists, firing
 * rate and regulariser), the learning signal formed in the chunk's job, and the readout gradient.
 */
import { describe, expect, it } from "vitest";
import { wasm } from "@snn/core/internal";
import { PSI_SPIKE_FLOOR } from "../models";
import { HostReadoutErrors, HostReadoutGradient, readoutRow } from "./host-readout-gradient";
import { WasmTraceEngine, type ChunkSpikes } from "./trace-engine";
import { WasmFeedback } from "./trace-feedback";
import { WasmTraceLayer, type HostRegularisation } from "./trace-layer";

function generator(seed: number): () => number {
  let state = seed >>> 0;
  return () => (state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 4294967296;
}

/** A layer's `PsiSpike` of one step: psi >= 0 (some exactly 0, some -0), spikes -max(psi, 2^-126) (some with psi 0). */
function psiSpikeStep(random: () => number, size: number): Float32Array {
  return Float32Array.from({ length: size }, () => {
    const x = random();
    if (x < 0.1) return -Math.max(random(), PSI_SPIKE_FLOOR);
    if (x < 0.15) return -PSI_SPIKE_FLOOR; // a spike with psi = 0
    if (x < 0.2) return 0;
    if (x < 0.22) return -0;
    return 0.5 * random();
  });
}

/** The per-step host arithmetic the host step replaced (float64 rate, float32 stores). */
function hostStepReference(
  psiSpike: Float32Array,
  rate: Float32Array,
  regularisation: HostRegularisation | null,
) {
  const psi = new Float32Array(psiSpike.length);
  const r = new Float32Array(psiSpike.length);
  const spikes: number[] = [];
  const alpha = regularisation ? regularisation.alpha : 0;
  for (let i = 0; i < psiSpike.length; i++) {
    const x = psiSpike[i]!;
    const z = x < 0 ? 1 : 0;
    psi[i] = x < 0 ? (x === -PSI_SPIKE_FLOOR ? 0 : -x) : x;
    if (z) spikes.push(i);
    if (regularisation) {
      const f = Math.fround(alpha * rate[i]! + (1 - alpha) * z);
      rate[i] = f;
      r[i] = regularisation.strength * (f - regularisation.targetPerStep);
    }
  }
  return { psi, r, spikes };
}

const bits = (values: ArrayLike<number>) =>
  Array.from(new Uint32Array(Float32Array.from(values).buffer));

describe.runIf(wasm.wasmSimdSupported())("the host step in WebAssembly", () => {
  for (const [numNeurons, batchSize, regularise] of [
    [37, 3, true],
    [32, 2, true],
    [5, 2, false],
  ] as const) {
    it(`gives the per-step arithmetic's psi, spikes and r to the bit (${numNeurons} neurons, batch ${batchSize}, ${regularise ? "with" : "without"} the regulariser)`, () => {
      const engine = new WasmTraceEngine({ thread: false });
      const steps = 12;
      const layer = new WasmTraceLayer(
        engine,
        batchSize,
        numNeurons,
        steps,
        new Float32Array(numNeurons),
        0.9,
        0.99,
        0.9,
      );
      const regularisation = regularise
        ? { alpha: Math.exp(-1 / 30), strength: 0.7, targetPerStep: 0.01 }
        : null;
      const random = generator(numNeurons * 7 + batchSize);
      const rate = new Float32Array(batchSize * numNeurons);
      let previous: number[][] = Array.from({ length: batchSize }, () => []);
      layer.startTrial();
      for (let u = 0; u < steps; u++) {
        const psiSpike = psiSpikeStep(random, batchSize * numNeurons);
        layer.psiSpikeInput().set(psiSpike);
        layer.recordHostStep(regularisation, null);
        const expected = hostStepReference(psiSpike, rate, regularisation);
        const at = (address: number) =>
          engine.floats(address + u * layer.historyStepBytes, batchSize * layer.row);
        const psi = at(layer.psi);
        const r = at(layer.regulariser);
        const current = layer.hostSpikes(0);
        const before = layer.hostSpikes(1);
        for (let b = 0; b < batchSize; b++) {
          const row = (values: Float32Array) =>
            values.subarray(b * layer.row, b * layer.row + numNeurons);
          const slice = (values: Float32Array) =>
            values.subarray(b * numNeurons, (b + 1) * numNeurons);
          expect(bits(row(psi)), `psi, step ${u}, element ${b}`).toEqual(bits(slice(expected.psi)));
          expect(bits(row(r)), `r, step ${u}, element ${b}`).toEqual(
            bits(regularise ? slice(expected.r) : new Float32Array(numNeurons)),
          );
          const spikes = expected.spikes
            .filter((i) => Math.floor(i / numNeurons) === b)
            .map((i) => i % numNeurons);
          expect(
            Array.from(current.units.subarray(b * numNeurons, b * numNeurons + current.counts[b]!)),
          ).toEqual(spikes);
          expect(
            Array.from(before.units.subarray(b * numNeurons, b * numNeurons + before.counts[b]!)),
          ).toEqual(previous[b]);
        }
        previous = Array.from({ length: batchSize }, (_, b) =>
          Array.from(current.units.subarray(b * numNeurons, b * numNeurons + current.counts[b]!)),
        );
      }
      engine.dispose();
    });
  }

  it("forms the learning signal of a chunk in its job as the per-step product does, and 0 where no element is masked", () => {
    const [numNeurons, batchSize, nOut, steps] = [37, 3, 5, 9];
    const engine = new WasmTraceEngine({ thread: false });
    const layer = new WasmTraceLayer(
      engine,
      batchSize,
      numNeurons,
      steps,
      new Float32Array(numNeurons),
      0.9,
      0.99,
      0.9,
    );
    const feedback = new WasmFeedback(engine, batchSize, numNeurons, nOut);
    layer.attachFeedback(feedback);
    const random = generator(3);
    feedback.setWeights(Float32Array.from({ length: numNeurons * nOut }, () => random() - 0.5));
    layer.startTrial();
    const expected: Float32Array[] = [];
    for (let u = 0; u < steps; u++) {
      layer.psiSpikeInput().set(psiSpikeStep(random, batchSize * numNeurons));
      const masked = u % 4 !== 2;
      const errors = Float32Array.from({ length: batchSize * nOut }, () => random() - 0.5);
      layer.recordHostStep(null, masked ? errors : null);
      const L = new Float32Array(batchSize * numNeurons);
      if (masked) feedback.compute(errors, L);
      expected.push(L);
    }
    layer.computeCoefficients();
    engine.wait();
    for (let u = 0; u < steps; u++) {
      const L = engine.floats(
        layer.learningSignal + u * layer.historyStepBytes,
        batchSize * layer.row,
      );
      for (let b = 0; b < batchSize; b++) {
        expect(
          bits(L.subarray(b * layer.row, b * layer.row + numNeurons)),
          `step ${u}, element ${b}`,
        ).toEqual(bits(expected[u]!.subarray(b * numNeurons, (b + 1) * numNeurons)));
      }
    }
    engine.dispose();
  });
});

describe.runIf(wasm.wasmSimdSupported())("the readout gradient in WebAssembly", () => {
  it("equals the float64 host computation to the bit over chunks of several lengths (odd nOut, carried zbar)", () => {
    const [numNeurons, batchSize, nOut, K] = [11, 3, 3, 7];
    const kappa = Math.exp(-1 / 15);
    const kappaPowers = Float64Array.from({ length: K + 1 }, (_, i) => kappa ** i);
    const engine = new WasmTraceEngine({ thread: false });
    const shared = new HostReadoutErrors(engine, batchSize, nOut, K, kappaPowers);
    const readout = new HostReadoutGradient(shared, numNeurons);
    readout.reset();
    const row = readoutRow(nOut);
    // the host code it replaced: gradient [n][nOut], zbar [batch][n]
    const gradient = new Float64Array(numNeurons * nOut);
    const zbar = new Float64Array(batchSize * numNeurons);
    const filtered = new Float64Array(K * nOut);
    const random = generator(9);
    for (const steps of [7, 3, 7, 1]) {
      const errors = new Float64Array(K * batchSize * row); // [step][batch][row]
      const spikes: ChunkSpikes[] = [];
      for (let b = 0; b < batchSize; b++) {
        for (let u = 0; u < steps; u++)
          for (let k = 0; k < nOut; k++)
            errors[(u * batchSize + b) * row + k] = random() < 0.2 ? 0 : random() - 0.5;
        const stepList: number[] = [];
        const units: number[] = [];
        for (let u = 0; u < steps; u++)
          for (let j = 0; j < numNeurons; j++)
            if (random() < 0.3) {
              stepList.push(u);
              units.push(j);
            }
        spikes.push({
          steps: Int32Array.from(stepList),
          units: Int32Array.from(units),
          count: units.length,
        });
      }
      shared.load(errors, steps);
      readout.addChunk(spikes, steps, kappa);
      const decay = kappaPowers[steps]!;
      for (let b = 0; b < batchSize; b++) {
        const at = (u: number, k: number) => errors[(u * batchSize + b) * row + k]!;
        for (let k = 0; k < nOut; k++) filtered[(steps - 1) * nOut + k] = at(steps - 1, k);
        for (let u = steps - 2; u >= 0; u--)
          for (let k = 0; k < nOut; k++)
            filtered[u * nOut + k] = at(u, k) + kappa * filtered[(u + 1) * nOut + k]!;
        for (let j = 0; j < numNeurons; j++) {
          const carried = zbar[b * numNeurons + j]!;
          if (carried !== 0) {
            const weight = kappa * carried;
            for (let k = 0; k < nOut; k++) gradient[j * nOut + k]! += weight * filtered[k]!;
          }
          zbar[b * numNeurons + j] = carried * decay;
        }
        const list = spikes[b]!;
        for (let e = 0; e < list.count; e++) {
          const u = list.steps[e]!;
          const j = list.units[e]!;
          for (let k = 0; k < nOut; k++) gradient[j * nOut + k]! += filtered[u * nOut + k]!;
          zbar[b * numNeurons + j]! += kappaPowers[steps - 1 - u]!;
        }
      }
    }
    expect(gradient.some((g) => g !== 0)).toBe(true);
    expect(bits(readout.read())).toEqual(bits(gradient));
    engine.dispose();
  });
});
