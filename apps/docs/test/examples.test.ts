// Each live example of the site, run in Node on the CPU backend: what the page shows must hold.
import { cpuBackend } from "@snn/backend-cpu";
import { describe, expect, it } from "vitest";
import { loadEmbeddedMnist, imagePixels } from "@snn/datasets";
import { checkNeuronCode, izhikevichCode, runCustomNeuron } from "../src/examples/custom-neuron";
import {
  classifyDigit,
  MNIST_BOX,
  MNIST_SIZE,
  mnistImageFromInk,
  smnistModel,
} from "../src/examples/draw-digit";
import { delayedPatternTask, trainEprop } from "../src/examples/eprop-training";
import { runLifPopulation } from "../src/examples/lif-population";
import { runStdp, STDP_INPUTS, STDP_WMAX, stdpInputs } from "../src/examples/stdp";

const mean = (values: readonly number[]) => values.reduce((a, b) => a + b, 0) / values.length;

describe("(a) LIF/ALIF population driven by Poisson input", () => {
  it("spikes at plausible rates, every neuron within its population, and the ALIF neurons adapt", async () => {
    const progress: number[] = [];
    const result = await runLifPopulation(cpuBackend(), { onProgress: (f) => progress.push(f) });
    expect(result.backend).toBe("cpu");
    expect(result.steps).toBe(500);
    expect(progress.at(-1)).toBe(1);
    const [lif, alif] = result.populations;
    expect(lif!.name).toBe("lif");
    expect(alif!.name).toBe("alif");
    for (const population of result.populations) {
      expect(population.rateHz).toBeGreaterThan(5);
      expect(population.rateHz).toBeLessThan(100);
      expect(new Set(population.neurons).size).toBeGreaterThan(population.size * 0.8); // most neurons take part
      expect(Math.max(...population.neurons)).toBeLessThan(population.size);
      expect(Math.max(...population.steps)).toBeLessThan(500);
    }
    // Adaptation: the ALIF population fires less in the last 100 ms than in the first 100 ms.
    const first = alif!.steps.filter((s) => s < 100).length;
    const last = alif!.steps.filter((s) => s >= 400).length;
    expect(last).toBeLessThan(first * 0.95);
  });

  it("fires more with a stronger input and not at all without input", async () => {
    const total = (r: Awaited<ReturnType<typeof runLifPopulation>>) =>
      r.populations.reduce((sum, p) => sum + p.steps.length, 0);
    const silent = await runLifPopulation(cpuBackend(), { inputRateHz: 0, steps: 100 });
    const weak = await runLifPopulation(cpuBackend(), { inputRateHz: 10, steps: 200 });
    const strong = await runLifPopulation(cpuBackend(), { inputRateHz: 40, steps: 200 });
    expect(total(silent)).toBe(0);
    expect(total(strong)).toBeGreaterThan(total(weak));
  });

  it("changes the input rate while it runs (a dynamic param): silent, then strong, then silent again", async () => {
    const result = await runLifPopulation(cpuBackend(), { inputRatesHz: [0, 60, 0], steps: 300 });
    const lif = result.populations[0]!;
    const inPart = (from: number, to: number) =>
      lif.steps.filter((s) => s >= from && s < to).length;
    expect(inPart(0, 100)).toBe(0);
    expect(inPart(100, 200)).toBeGreaterThan(50);
    expect(inPart(220, 300)).toBe(0); // the synaptic current has decayed (tau 5 ms)
  });

  it("stops when its signal is aborted", async () => {
    const controller = new AbortController();
    const run = runLifPopulation(cpuBackend(), {
      signal: controller.signal,
      onProgress: () => controller.abort(),
    });
    await expect(run).rejects.toThrow(/abort/i);
  });
});

describe("(b) e-prop training on the delayed pattern task", () => {
  it("the task has 4 classes, an answer window at the end and no input after the cue", async () => {
    const task = delayedPatternTask(8, 5);
    const batches = [];
    for await (const batch of task.batches({ batchSize: 8, dt: 1 })) batches.push(batch);
    const batch = batches[0]!;
    expect(Array.from(batch.labels)).toEqual([0, 1, 2, 3, 0, 1, 2, 3]);
    expect(batch.numSteps).toBe(60);
    expect(Array.from(batch.lossMask!).indexOf(1)).toBe(50);
    expect(Math.max(...batch.inputs.map((input) => Math.max(...input.steps)))).toBeLessThan(30);
  });

  it("the loss falls and the accuracy ends far above chance (25 %)", async () => {
    const seen: number[] = [];
    const result = await trainEprop(cpuBackend(), { epochs: 8, onBatch: (m) => seen.push(m.loss) });
    expect(result.backend).toBe("cpu");
    expect(result.batches).toHaveLength(32);
    expect(seen).toEqual(result.batches.map((m) => m.loss));
    const losses = result.batches.map((m) => m.loss);
    expect(mean(losses.slice(-4))).toBeLessThan(mean(losses.slice(0, 4)) * 0.5);
    expect(mean(result.batches.slice(-4).map((m) => m.accuracy))).toBeGreaterThan(0.6);
    expect(mean(result.batches.slice(0, 2).map((m) => m.accuracy))).toBeLessThan(0.6);
    expect(result.testAccuracy).toBeGreaterThan(0.6);
    expect(result.traces).toEqual({ where: "host", thread: true }); // Node's worker threads
  });

  it("stops after the batch in which its signal is aborted", async () => {
    const controller = new AbortController();
    let batches = 0;
    const run = trainEprop(cpuBackend(), {
      signal: controller.signal,
      onBatch: () => {
        if (++batches === 3) controller.abort();
      },
    });
    await expect(run).rejects.toThrow(/abort/i);
    expect(batches).toBe(3);
  });
});

describe("(c) your own neuron model", () => {
  it("the Izhikevich neuron as written spikes faster with more input current", async () => {
    expect(checkNeuronCode(izhikevichCode)).toBeNull();
    const result = await runCustomNeuron(cpuBackend(), izhikevichCode);
    if (!result.ok) throw new Error(result.error.message);
    const counts = Array.from(result.spikeCounts);
    expect(counts[0]).toBe(0); // no input, no spike
    expect(counts[19]!).toBeGreaterThan(counts[5]!);
    for (let i = 1; i < counts.length; i++)
      expect(counts[i]!).toBeGreaterThanOrEqual(counts[i - 1]!);
    expect(result.spikeSteps.length).toBe(counts[10]);
    expect(Math.max(...result.voltage)).toBeLessThan(30); // reset in the step it crosses
    expect(Math.min(...result.voltage)).toBeGreaterThan(-90);
  });

  it("the page's typo is reported at its line and column, with the line and a caret", async () => {
    const sim = izhikevichCode.sim.replace("U += a * (b * V - U)", "U += a * (b * V - Uu)");
    const result = await runCustomNeuron(cpuBackend(), { ...izhikevichCode, sim });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error).toMatchObject({ field: "sim", line: 3, column: 19 });
    expect(result.error.reason).toMatch(/unknown name 'Uu'.*did you mean 'U'/);
    expect(result.error.message.split("\n")).toEqual([
      "Izhikevich.sim, line 3, column 19: unknown name 'Uu' (did you mean 'U'?)",
      "  3 | U += a * (b * V - Uu) * dt;",
      "    |                   ^",
    ]);
  });

  it("errors in the threshold and reset snippets name their field", () => {
    expect(checkNeuronCode({ ...izhikevichCode, threshold: "V >= 30.0 &&" })).toMatchObject({
      field: "threshold",
      line: 1,
    });
    expect(checkNeuronCode({ ...izhikevichCode, reset: "V = c;\nU += d" })).toMatchObject({
      field: "reset",
      line: 2,
    });
  });
});

describe("(d) STDP", () => {
  it("the inputs fire at about 20 Hz each, and only the first half share spikes", () => {
    const steps = 20_000;
    const events = stdpInputs(steps, 0.5);
    const counts = new Array<number>(STDP_INPUTS).fill(0);
    for (const unit of events.units) counts[unit]!++;
    for (const count of counts) {
      expect(count / (steps / 1000)).toBeGreaterThan(15);
      expect(count / (steps / 1000)).toBeLessThan(25);
    }
    // spikes in the same step as input 0's: frequent for another correlated input, rare for an independent one
    const at = (unit: number) =>
      new Set(Array.from(events.steps).filter((_, k) => events.units[k] === unit));
    const zero = at(0);
    const shared = (unit: number) => [...at(unit)].filter((s) => zero.has(s)).length / zero.size;
    expect(shared(1)).toBeGreaterThan(0.15);
    expect(shared(STDP_INPUTS - 1)).toBeLessThan(0.05);
  });

  it("the correlated inputs win: their weights go to the top, the independent ones' decay", async () => {
    const progress: number[] = [];
    const result = await runStdp(cpuBackend(), { onProgress: (f) => progress.push(f) });
    expect(progress.at(-1)).toBe(1);
    expect(result.correlatedMean).toHaveLength(20);
    expect(result.correlatedMean[0]).toBeGreaterThan(STDP_WMAX / 2); // already rising after 0.5 s
    expect(result.correlatedMean.at(-1)!).toBeGreaterThan(0.9 * STDP_WMAX);
    expect(result.independentMean.at(-1)!).toBeLessThan(0.25 * STDP_WMAX);
    const weights = Array.from(result.weights);
    expect(Math.min(...weights.slice(0, STDP_INPUTS / 2))).toBeGreaterThan(0.5 * STDP_WMAX);
    expect(Math.max(...weights)).toBeLessThanOrEqual(Math.fround(STDP_WMAX)); // Wmax holds
    expect(Math.min(...weights)).toBeGreaterThanOrEqual(0); // Wmin holds
    expect(result.lastRateHz).toBeGreaterThan(5);
  });

  it("without correlation, no group wins", async () => {
    const result = await runStdp(cpuBackend(), { correlation: 0, steps: 5000 });
    const [a, b] = [result.correlatedMean.at(-1)!, result.independentMean.at(-1)!];
    expect(Math.abs(a - b)).toBeLessThan(0.25 * Math.max(a, b));
  });
});

describe("(e) draw a digit: MNIST preprocessing and the pretrained LSNN", () => {
  /** Ink of a filled rectangle on a 280x280 canvas. */
  function rectangle(left: number, top: number, width: number, height: number): Float32Array {
    const ink = new Float32Array(280 * 280);
    for (let y = top; y < top + height; y++)
      for (let x = left; x < left + width; x++) ink[y * 280 + x] = 1;
    return ink;
  }
  function bounds(image: Uint8Array): { width: number; height: number; cx: number; cy: number } {
    let [left, top, right, bottom, mass, mx, my] = [MNIST_SIZE, MNIST_SIZE, -1, -1, 0, 0, 0];
    for (let y = 0; y < MNIST_SIZE; y++) {
      for (let x = 0; x < MNIST_SIZE; x++) {
        const v = image[y * MNIST_SIZE + x]!;
        if (v === 0) continue;
        [left, right, top, bottom] = [
          Math.min(left, x),
          Math.max(right, x),
          Math.min(top, y),
          Math.max(bottom, y),
        ];
        mass += v;
        mx += v * (x + 0.5);
        my += v * (y + 0.5);
      }
    }
    return { width: right - left + 1, height: bottom - top + 1, cx: mx / mass, cy: my / mass };
  }

  it("scales the ink's bounding box to fit 20x20, keeps its aspect ratio and centres its mass", () => {
    expect(mnistImageFromInk(new Float32Array(280 * 280), 280, 280)).toBeNull();
    // A tall bar in a corner: 20 pixels high, 4 wide, moved to the centre.
    const tall = mnistImageFromInk(rectangle(10, 30, 40, 200), 280, 280)!;
    expect(bounds(tall)).toMatchObject({ height: MNIST_BOX, width: 4 });
    expect(Math.abs(bounds(tall).cx - 14)).toBeLessThanOrEqual(0.5);
    expect(Math.abs(bounds(tall).cy - 14)).toBeLessThanOrEqual(0.5);
    expect(Math.max(...tall)).toBe(255);
    // A wide bar: 20 pixels wide.
    expect(bounds(mnistImageFromInk(rectangle(100, 200, 150, 30), 280, 280)!)).toMatchObject({
      width: MNIST_BOX,
      height: 4,
    });
    // Antialiasing: a bar 35 canvas pixels wide scaled by 0.1 covers 3.5 image pixels, so its edge is grey.
    const grey = mnistImageFromInk(rectangle(100, 40, 35, 200), 280, 280)!;
    expect(Array.from(grey).some((v) => v > 0 && v < 255)).toBe(true);
  });

  it("classifies real MNIST digits step by step as the model's trainer does", async () => {
    const model = await smnistModel();
    const digits = await loadEmbeddedMnist("test", { limit: 3 });
    const images = Array.from({ length: digits.count }, (_, i) =>
      Uint8Array.from(imagePixels(digits, i)),
    );
    const trainer = model.createTrainer(cpuBackend());
    const expected = await trainer.predict(model.batch(images));
    trainer.dispose();
    const backend = cpuBackend();
    for (const [i, image] of images.entries()) {
      const result = await classifyDigit(backend, image);
      expect(result.predicted).toBe(expected.classes[i]);
      expect(result.numSteps).toBe(model.input.numSteps);
      expect(result.input).toEqual(model.encodeImage(image));
      expect(result.hidden.steps.length).toBeGreaterThan(0);
      expect(Math.max(...result.hidden.neurons)).toBeLessThan(result.hidden.size);
      for (let s = 0; s < result.numSteps; s += 97) {
        const row = result.softmax.subarray(s * 10, (s + 1) * 10);
        expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
      }
      expect(result.scores.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
      expect(result.scores.indexOf(Math.max(...result.scores))).toBe(result.predicted);
    }
  }, 60_000);
});
