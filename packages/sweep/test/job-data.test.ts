import { describe, expect, it } from "vitest";
import { SweepError } from "../src/index";
import { checkRunJobData, TolerantJob, UnreadableJobData } from "../src/job-data";

const good = {
  sweep: "sizes",
  runId: "base-seed1",
  runDir: "/shared/runs/sizes/base-seed1",
  train: { dataset: "latency-mnist", hidden: 8, seed: 1 },
};

describe("checkRunJobData", () => {
  it("passes the data 'snn sweep submit' writes, with the fields a worker adds", () => {
    expect(checkRunJobData(good, "sizes.base-seed1")).toBe(good);
    const later = { ...good, timeLimitMs: 60_000, trainer: { hostname: "m1", pid: 42 } };
    expect(checkRunJobData(later, "sizes.base-seed1")).toBe(later);
  });

  it.each([
    [null, "its data is null, not an object"],
    [
      new UnreadableJobData('{"sweep": "sizes", '),
      'its data is not JSON: "{\\"sweep\\": \\"sizes\\", "',
    ],
    [[1, 2], "its data is [1,2], not an object"],
    [{ ...good, runId: undefined }, '"runId" must be a non-empty string, got nothing'],
    [{ ...good, sweep: 7 }, '"sweep" must be a non-empty string, got 7'],
    [{ ...good, runDir: "runs/x" }, '"runDir" must be an absolute path, got "runs/x"'],
    [
      { ...good, train: "hidden=8" },
      `"train" must be an object of 'snn train' options, got "hidden=8"`,
    ],
    [
      { ...good, train: { hidden: [8] } },
      '"train"."hidden" must be a string, number, boolean or null, got [8]',
    ],
    [
      { ...good, timeLimitMs: "1h" },
      '"timeLimitMs" must be a number of milliseconds greater than 0, got "1h"',
    ],
    [
      { ...good, trainer: { pid: "x" } },
      '"trainer" must be {"hostname": string, "pid": whole number}, got {"pid":"x"}',
    ],
  ])("refuses %j naming the job, the field and what to do", (data, reason) => {
    let error: unknown;
    try {
      checkRunJobData(data, "sizes.base-seed1");
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SweepError);
    expect((error as Error).message).toBe(
      `job sizes.base-seed1 in the queue is damaged (${reason}): it is not what 'snn sweep submit' wrote, so it is marked failed without training; to train that run, submit the sweep again under another "name".`,
    );
  });
});

describe("TolerantJob", () => {
  /** What BullMQ's job reading needs of a queue (nothing here talks to Redis). */
  const queue = {
    qualifiedName: "snn:snn-sweep",
    toKey: (type: string) => `snn:snn-sweep:${type}`,
  } as unknown as Parameters<typeof TolerantJob.fromJSON>[0];
  const stored = (data: string): Parameters<typeof TolerantJob.fromJSON>[1] =>
    ({
      id: "sizes.base-seed1",
      name: "run",
      data,
      opts: {},
      progress: 0,
      attemptsMade: 0,
      attemptsStarted: 0,
      timestamp: 1,
      failedReason: "",
      returnvalue: "",
      stalledCounter: 0,
    }) as never;

  it("reads JSON data as BullMQ does", () => {
    const job = TolerantJob.fromJSON(queue, stored(JSON.stringify(good)), "sizes.base-seed1");
    expect(job.data).toEqual(good);
    expect(job.id).toBe("sizes.base-seed1");
  });

  it("reads data that is not JSON as its text, which the check refuses naming the job", () => {
    const job = TolerantJob.fromJSON(queue, stored('{"sweep": '), "sizes.base-seed1");
    expect(job.data).toEqual(new UnreadableJobData('{"sweep": '));
    expect(() => checkRunJobData(job.data, "sizes.base-seed1")).toThrow(
      'job sizes.base-seed1 in the queue is damaged (its data is not JSON: "{\\"sweep\\": ")',
    );
  });
});
