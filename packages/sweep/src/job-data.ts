/**
 * Checks the data of a queued job before a worker trains it. Job data lives in Redis, where a
 * person or another program may have changed it; a job of the wrong shape must fail with a
 * reason that names the job and the field, not with a `TypeError` from deep inside the worker.
 * Data that is not JSON at all is read as {@link UnreadableJobData} (see {@link TolerantJob}),
 * so that it fails the same way instead of breaking BullMQ's reading of the job.
 */
import { isAbsolute } from "node:path";
import { Job, type JobProgress } from "bullmq";
import { SweepError } from "./errors";
import type { RunJobData } from "./queue";
import { isConfigValue, isObject } from "./sweep-file";

/** A short JSON rendering of a wrong value for a message. */
function shown(value: unknown): string {
  const text = value === undefined ? "nothing" : JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** The data of a job whose stored text is not JSON: the text, for the check to show. */
export class UnreadableJobData {
  constructor(readonly text: string) {}
}

/**
 * BullMQ's job, except that data which is not JSON becomes {@link UnreadableJobData} instead of
 * a `SyntaxError`. BullMQ parses a job's data while reading the job, before any code of ours
 * sees it: a worker would lose the job until its lock expired (then take it again, and again,
 * until BullMQ failed it as stalled), and `snn sweep status` would fail. The queue and the
 * worker read jobs as this class.
 */
export class TolerantJob<
  DataType = unknown,
  ReturnType = unknown,
  NameType extends string = string,
  ProgressType extends JobProgress = JobProgress,
> extends Job<DataType, ReturnType, NameType, ProgressType> {
  static override fromJSON<T = unknown, R = unknown, N extends string = string>(
    queue: Parameters<typeof Job.fromJSON>[0],
    json: Parameters<typeof Job.fromJSON>[1],
    jobId?: string,
  ): Job<T, R, N> {
    try {
      JSON.parse(json.data || "{}");
    } catch {
      const job = super.fromJSON<T, R, N>(queue, { ...json, data: "null" }, jobId);
      job.data = new UnreadableJobData(json.data) as T;
      return job;
    }
    return super.fromJSON<T, R, N>(queue, json, jobId);
  }
}

/** What is wrong with `data` as {@link RunJobData}, or undefined when nothing is. */
function problem(data: unknown): string | undefined {
  if (data instanceof UnreadableJobData) return `its data is not JSON: ${shown(data.text)}`;
  if (!isObject(data)) return `its data is ${shown(data)}, not an object`;
  for (const key of ["sweep", "runId"] as const) {
    const value = data[key];
    if (typeof value !== "string" || value === "")
      return `"${key}" must be a non-empty string, got ${shown(value)}`;
  }
  const runDir = data["runDir"];
  if (typeof runDir !== "string" || !isAbsolute(runDir))
    return `"runDir" must be an absolute path, got ${shown(runDir)}`;
  const train = data["train"];
  if (!isObject(train))
    return `"train" must be an object of 'snn train' options, got ${shown(train)}`;
  for (const [key, value] of Object.entries(train)) {
    if (!isConfigValue(value))
      return `"train"."${key}" must be a string, number, boolean or null, got ${shown(value)}`;
  }
  const timeLimitMs = data["timeLimitMs"];
  if (
    timeLimitMs !== undefined &&
    (typeof timeLimitMs !== "number" || !Number.isFinite(timeLimitMs) || timeLimitMs <= 0)
  )
    return `"timeLimitMs" must be a number of milliseconds greater than 0, got ${shown(timeLimitMs)}`;
  const trainer = data["trainer"];
  if (
    trainer !== undefined &&
    (!isObject(trainer) ||
      typeof trainer["hostname"] !== "string" ||
      typeof trainer["pid"] !== "number" ||
      !Number.isInteger(trainer["pid"]))
  )
    return `"trainer" must be {"hostname": string, "pid": whole number}, got ${shown(trainer)}`;
  return undefined;
}

/**
 * `data` of the job `jobId` as {@link RunJobData}; a {@link SweepError} naming the job, the
 * wrong field and what to do when it has another shape.
 */
export function checkRunJobData(data: unknown, jobId: string): RunJobData {
  const wrong = problem(data);
  if (wrong !== undefined)
    throw new SweepError(
      `job ${jobId} in the queue is damaged (${wrong}): it is not what 'snn sweep submit' wrote, so it is marked failed without training; to train that run, submit the sweep again under another "name".`,
    );
  return data as unknown as RunJobData;
}
