import { describe, expect, it } from "vitest";
import type { TrialOutputs } from "../eprop-runtime";
import type { ParameterSet } from "../parameters";
import type { PreparedTrial } from "../trial";
import { inferInOrder, JOBS_PER_WORKER } from "./ordered-inference";
import type { WorkerInferenceResult } from "./protocol";
import type { TrialWorkerPool } from "./worker-pool";

// The scheduler of threaded evaluation, with a pool whose workers answer out of order.

/** A trial that stands for its index (in numSteps). */
const trial = (k: number): PreparedTrial => ({ numSteps: k }) as unknown as PreparedTrial;

interface Sent {
  readonly worker: number;
  readonly index: number;
  readonly parameters: boolean;
}

/**
 * A pool of `size` workers: trial k answers after `delay(k)` ms (or fails where `fails(k)`),
 * outputs standing for k. Records what was sent and the most jobs a worker held.
 */
function fakePool(
  size: number,
  delay: (k: number) => number,
  fails: (k: number) => boolean = () => false,
) {
  const sent: Sent[] = [];
  const inFlight = new Array<number>(size).fill(0);
  let most = 0;
  let pending = 0;
  const pool = {
    size,
    infer(
      worker: number,
      parameters: ParameterSet | undefined,
      t: PreparedTrial,
    ): Promise<WorkerInferenceResult> {
      const k = t.numSteps;
      sent.push({ worker, index: k, parameters: parameters !== undefined });
      inFlight[worker]!++;
      pending++;
      most = Math.max(most, inFlight[worker]!);
      return new Promise((resolve, reject) =>
        setTimeout(() => {
          inFlight[worker]!--;
          pending--;
          if (fails(k)) reject(new Error(`trial ${k} failed`));
          else resolve({ outputs: { count: k } as unknown as TrialOutputs, ms: k });
        }, delay(k)),
      );
    },
  };
  return {
    pool: pool as unknown as TrialWorkerPool,
    sent,
    most: () => most,
    pending: () => pending,
  };
}

async function* slowly(count: number): AsyncGenerator<PreparedTrial> {
  for (let k = 0; k < count; k++) {
    await new Promise((resolve) => setTimeout(resolve, 1));
    yield trial(k);
  }
}

describe("inferInOrder", () => {
  it("hands results on in trial order when workers answer out of order, parameters once per worker", async () => {
    // early trials are the slowest: they finish after later ones
    const fake = fakePool(3, (k) => (k % 4 === 0 ? 30 : 2));
    const order: number[] = [];
    const trials = Array.from({ length: 13 }, (_, k) => trial(k));
    await inferInOrder(fake.pool, {}, trials, (t, result, index) => {
      expect(t.numSteps).toBe(index);
      expect(result.outputs.count).toBe(index);
      expect(result.ms).toBe(index);
      expect(result.thread).toBe(fake.sent.find((s) => s.index === index)!.worker);
      order.push(index);
    });
    expect(order).toEqual(Array.from({ length: 13 }, (_, k) => k));
    expect(fake.sent.map((s) => s.index).sort((a, b) => a - b)).toEqual(order);
    for (let w = 0; w < 3; w++) {
      const mine = fake.sent.filter((s) => s.worker === w);
      expect(mine.length).toBeGreaterThan(0);
      expect(mine.map((s) => s.parameters)).toEqual(mine.map((_, j) => j === 0));
    }
    expect(fake.most()).toBe(JOBS_PER_WORKER);
  });

  it("throws the earliest failed trial's error after the jobs in flight end, and hands on nothing after it", async () => {
    const fake = fakePool(
      2,
      (k) => (k === 3 ? 40 : 5),
      (k) => k === 3 || k === 4,
    );
    const order: number[] = [];
    await expect(
      inferInOrder(fake.pool, {}, slowly(20), (_, __, index) => void order.push(index)),
    ).rejects.toThrow("trial 3 failed");
    expect(fake.pending()).toBe(0);
    expect(order).toEqual([0, 1, 2]);
    expect(fake.sent.length).toBeLessThan(20);
  });

  it("waits for the jobs in flight when reading the trials or handing on fails", async () => {
    const fake = fakePool(2, () => 10);
    async function* broken(): AsyncGenerator<PreparedTrial> {
      yield trial(0);
      yield trial(1);
      throw new Error("bad batch");
    }
    await expect(inferInOrder(fake.pool, {}, broken(), () => {})).rejects.toThrow("bad batch");
    expect(fake.pending()).toBe(0);
    const other = fakePool(2, () => 5);
    await expect(
      inferInOrder(other.pool, {}, slowly(8), (_, __, index) => {
        if (index === 1) throw new Error("no room");
      }),
    ).rejects.toThrow("no room");
    expect(other.pending()).toBe(0);
  });
});
