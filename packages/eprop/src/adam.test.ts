// The Adam step of the compiled network (`adamModel`, bias correction from running float32
// products b^t kept per element): against textbook Adam in float64 on the host, and restored
// optimizer state (step count and moments only) continuing to the bit like the uninterrupted run.
import { describe, expect, it } from "vitest";
import { cpuBackend } from "@snn/backend-cpu";
import type { Backend } from "@snn/core";
import { EpropRuntime, type ParameterSet } from "./index";
import { adamBetaPower } from "./custom-update-models";
import { testGpu } from "../../backend-wgsl/test-support/gpu";
import {
  deepNetwork,
  maskedTrialData,
  relativeError,
  scaledParameters,
  toEvents,
} from "./test-support/networks";
import { prepareTrial, type PreparedTrial } from "./trial";

const gpu = await testGpu();
const backends: { name: string; make: () => Backend }[] = [
  { name: "CPU, WebAssembly", make: () => cpuBackend() },
  { name: "CPU, JavaScript", make: () => cpuBackend({ webAssembly: false }) },
  ...(gpu.skipReason === null ? [{ name: "WebGPU", make: () => gpu.backend }] : []),
];

const description = deepNetwork("symmetric");
const start = scaledParameters(description, 2.5);
const batchSize = 3;
const optimizer = { learningRate: 0.01, beta1: 0.85, beta2: 0.995, epsilon: 1e-8 };

/** Three different trials (input shifted in time, labels rotated), so that the gradients of successive steps differ. */
function trials(): PreparedTrial[] {
  const { T, inputs, masks, labels } = maskedTrialData();
  return [0, 1, 2].map((shift) =>
    prepareTrial(
      {
        inputs: inputs.map((input) =>
          toEvents([...input.slice(shift * 5), ...input.slice(0, shift * 5)]),
        ),
        labels: Int32Array.from(labels.map((l) => (l + shift) % 3)),
        numSteps: T,
        lossMask: Float32Array.from(masks.flat()),
      },
      description,
      batchSize,
    ),
  );
}

const ulp32 = (x: number): number =>
  x === 0 ? 2 ** -149 : 2 ** (Math.floor(Math.log2(Math.abs(x))) - 23);

function copy(set: ParameterSet): Record<string, Float32Array> {
  return Object.fromEntries(
    Object.entries(set).map(([name, values]) => [name, Float32Array.from(values)]),
  );
}

function expectIdentical(actual: ParameterSet, expected: ParameterSet, label: string): void {
  expect(Object.keys(actual).sort(), label).toEqual(Object.keys(expected).sort());
  for (const name of Object.keys(expected))
    expect(Array.from(actual[name]!), `${label} ${name}`).toEqual(Array.from(expected[name]!));
}

describe("the Adam step", () => {
  for (const { name, make } of backends) {
    it(`equals textbook Adam in float64 over 5 steps with changing gradients, to float32 precision (${name})`, async () => {
      const session = await EpropRuntime.create(description, {
        backend: make(),
        batchSize,
        parameters: start,
        optimizer,
      });
      // The hyperparameters as the float32 params the compiled update holds (float32(0.995) is
      // not 0.995: 1 - beta2 differs in the 6th digit).
      const [lr, b1, b2, eps] = [
        optimizer.learningRate,
        optimizer.beta1,
        optimizer.beta2,
        optimizer.epsilon,
      ].map(Math.fround) as [number, number, number, number];
      const w: Record<string, Float64Array> = Object.fromEntries(
        Object.entries(start).map(([n, v]) => [n, Float64Array.from(v)]),
      );
      const m: Record<string, Float64Array> = {};
      const v: Record<string, Float64Array> = {};
      const inputs = trials();
      let checked = 0;
      for (let t = 1; t <= 5; t++) {
        await session.runTrial(inputs[(t - 1) % 3]!);
        const gradients = await session.readGradients();
        await session.applyOptimizer();
        for (const [param, g] of Object.entries(gradients)) {
          const mp = (m[param] ??= new Float64Array(g.length));
          const vp = (v[param] ??= new Float64Array(g.length));
          const wp = w[param]!;
          for (let i = 0; i < g.length; i++) {
            mp[i] = b1 * mp[i]! + (1 - b1) * g[i]!;
            vp[i] = b2 * vp[i]! + (1 - b2) * g[i]! * g[i]!;
            wp[i]! -= (lr * (mp[i]! / (1 - b1 ** t))) / (Math.sqrt(vp[i]! / (1 - b2 ** t)) + eps);
          }
        }
        const weights = await session.getParameters();
        const state = await session.getOptimizerState();
        expect(state.step).toBe(t);
        for (const [param, expected] of Object.entries(w)) {
          if (!m[param]) {
            expect(Array.from(weights[param]!), `${param} is not trained`).toEqual(
              Array.from(start[param]!),
            );
            continue;
          }
          // float32 rounding of the weight in each step, and a relative 1e-5 of the steps taken
          const actual = weights[param]!;
          for (let i = 0; i < expected.length; i++) {
            const tolerance = t * ulp32(expected[i]!) + 1e-5 * t * lr;
            if (!(Math.abs(actual[i]! - expected[i]!) <= tolerance)) {
              expect.fail(
                `step ${t} ${param}[${i}]: ${actual[i]} vs textbook ${expected[i]} (moved ${expected[i]! - start[param]![i]!})`,
              );
            }
          }
          expect(relativeError(state.m[param]!, m[param]!), `m of ${param}`).toBeLessThan(1e-6);
          expect(relativeError(state.v[param]!, v[param]!), `v of ${param}`).toBeLessThan(1e-6);
          checked += expected.length;
        }
      }
      // the weights did move, by about lr per step where the gradient is not 0
      const moved = Object.keys(m).flatMap((param) =>
        Array.from(w[param]!, (x, i) => Math.abs(x - start[param]![i]!)),
      );
      expect(Math.max(...moved)).toBeGreaterThan(3 * optimizer.learningRate);
      expect(checked).toBeGreaterThan(200);
      session.dispose();
    });

    it(`restored at step k (step count and moments only) takes step k + 1 to the bit like the uninterrupted run (${name})`, async () => {
      // One trial's gradient, applied again and again: 1500 steps in a fraction of a second.
      const restorePoints = [1, 2, 9, 30, 1500];
      const inputs = trials();
      const straight = await EpropRuntime.create(description, {
        backend: make(),
        batchSize,
        parameters: start,
        optimizer,
      });
      await straight.runTrial(inputs[0]!);
      const saved = new Map<
        number,
        { parameters: ParameterSet; state: Awaited<ReturnType<EpropRuntime["getOptimizerState"]>> }
      >();
      const after = new Map<number, ParameterSet>();
      for (let step = 1; step <= Math.max(...restorePoints) + 1; step++) {
        await straight.applyOptimizer();
        if (restorePoints.includes(step)) {
          const state = await straight.getOptimizerState();
          saved.set(step, {
            parameters: copy(await straight.getParameters()),
            state: { step: state.step, m: copy(state.m), v: copy(state.v) },
          });
        }
        if (restorePoints.includes(step - 1))
          after.set(step - 1, copy(await straight.getParameters()));
      }
      straight.dispose();

      for (const k of restorePoints) {
        const { parameters, state } = saved.get(k)!;
        expect(state.step).toBe(k);
        // A fresh runtime computes the same gradient from the same start, then takes the restored state.
        const resumed = await EpropRuntime.create(description, {
          backend: make(),
          batchSize,
          parameters: start,
          optimizer,
        });
        await resumed.runTrial(inputs[0]!);
        await resumed.setParameters(parameters);
        await resumed.setOptimizerState(state);
        await resumed.applyOptimizer();
        expectIdentical(await resumed.getParameters(), after.get(k)!, `restored at step ${k}`);
        expect((await resumed.getOptimizerState()).step).toBe(k + 1);
        resumed.dispose();
      }
    });
  }

  it("restores powers a restore from Math.pow would not: the running float32 products differ from it at the restore points", () => {
    for (const beta of [optimizer.beta1, optimizer.beta2]) {
      expect(
        [9, 30, 1500].some((k) => adamBetaPower(beta, k) !== Math.fround(beta ** k)),
        String(beta),
      ).toBe(true);
    }
    // the products themselves: b, b*b, ... rounded to float32 each time; 0 once they underflow
    const b = Math.fround(optimizer.beta1);
    expect(adamBetaPower(optimizer.beta1, 0)).toBe(1);
    expect(adamBetaPower(optimizer.beta1, 1)).toBe(b);
    expect(adamBetaPower(optimizer.beta1, 3)).toBe(Math.fround(Math.fround(b * b) * b));
    // underflow ends in a fixed point: 0, or a subnormal that b rounds back to itself (3 * 2^-149 for 0.85)
    expect(adamBetaPower(optimizer.beta1, 1500)).toBeLessThan(2 ** -126);
    expect(adamBetaPower(optimizer.beta1, 3000)).toBe(adamBetaPower(optimizer.beta1, 1500));
    expect(adamBetaPower(0.5, 200)).toBe(0);
    expect(adamBetaPower(0, 5)).toBe(0);
  });
});
