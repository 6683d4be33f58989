/**
 * Sweeps on a BullMQ queue: one job per run, whose data is the run's configuration and run
 * directory (never code: a worker only ever runs `snn train` with a JSON configuration).
 * A registry hash in Redis maps sweep names to their fingerprint, so a second, different
 * sweep of the same name is refused, while submitting the same sweep again is harmless.
 */
import { Job, Queue } from "bullmq";
import { Redis } from "ioredis";
import { SweepError } from "./errors";
import { TolerantJob } from "./job-data";
import { claimSweepDirectory, differenceClause, readManifest } from "./manifest";
import { connectionOptions, describeRedisError, checkRedis, type RedisTarget } from "./redis";
import { runDirectory, sweepFingerprint, expandRuns } from "./runs";
import type { RunResult } from "./run-result";
import type { ConfigObject, SweepSpec } from "./sweep-file";
import type { RunProgress, TrainerIdentity } from "./train-process";

/** The queue every sweep's jobs go to (workers need not know sweep names). */
export const QUEUE_NAME = "snn-sweep";
/** Prefix of BullMQ's keys. */
export const KEY_PREFIX = "snn";
/** Hash of submitted sweeps: name -> JSON {fingerprint, runsRoot, submittedAt, runs}. */
export const REGISTRY_KEY = `${KEY_PREFIX}:sweeps`;

/** The data of one job: what to train and where. */
export interface RunJobData {
  readonly sweep: string;
  readonly runId: string;
  /** Absolute run directory (on the shared file system). */
  readonly runDir: string;
  /** The `snn train --config` object. */
  readonly train: ConfigObject;
  /** Per-attempt time limit from the sweep's budget, ms. */
  readonly timeLimitMs?: number;
  /** The trainer process of the latest attempt (set by the worker). */
  readonly trainer?: TrainerIdentity;
}

/** A registry entry. */
interface RegistryEntry {
  readonly fingerprint: string;
  readonly runsRoot: string;
  readonly submittedAt: string;
  readonly runs: readonly string[];
}

/**
 * A registry entry as read from Redis, checked: a damaged one (edited by hand, written by
 * another program) is a {@link SweepError} naming the key and how to remove it, not a crash.
 */
function parseRegistryEntry(raw: string, name: string, target: RedisTarget): RegistryEntry {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    value = undefined;
  }
  const e = value as Partial<RegistryEntry> | undefined;
  if (
    typeof e !== "object" ||
    e === null ||
    typeof e.fingerprint !== "string" ||
    typeof e.runsRoot !== "string" ||
    typeof e.submittedAt !== "string" ||
    !Array.isArray(e.runs) ||
    !e.runs.every((r) => typeof r === "string")
  ) {
    throw new SweepError(
      `the entry of sweep "${name}" in ${target.display} (hash ${REGISTRY_KEY}) is damaged: ${JSON.stringify(raw.slice(0, 80))}; remove it with 'redis-cli HDEL ${REGISTRY_KEY} ${name}' and submit the sweep again (its finished runs are kept in their folders).`,
    );
  }
  return e as RegistryEntry;
}

/**
 * `: <what differs>` between the registered sweep and `spec`: the runs folder, and the runs
 * and options as the registered sweep's manifest (in its runs folder, when this machine sees
 * it) records them.
 */
function registeredDifference(existing: RegistryEntry, spec: SweepSpec, runsRoot: string): string {
  if (existing.runsRoot !== runsRoot)
    return `: its runs folder was ${existing.runsRoot}, now ${runsRoot}`;
  let manifest;
  try {
    manifest = readManifest(existing.runsRoot, spec.name);
  } catch {
    return ""; // not visible from here: the message says no more than that it differs
  }
  return differenceClause(manifest, spec);
}

/** The job id of a run: `<sweep>.<run id>` (BullMQ ids may not contain ':'). */
export function jobId(sweep: string, runId: string): string {
  return `${sweep}.${runId}`;
}

/** BullMQ's queue, reading jobs whose data is not JSON too (see {@link TolerantJob}). */
class RunQueue extends Queue<RunJobData, RunResult> {
  protected override get Job(): typeof Job {
    return TolerantJob;
  }
}

/** A BullMQ queue on `target` (close it when done). */
export function openQueue(target: RedisTarget): Queue<RunJobData, RunResult> {
  return new RunQueue(QUEUE_NAME, {
    connection: connectionOptions(target),
    prefix: KEY_PREFIX,
  });
}

async function withRegistry<T>(
  target: RedisTarget,
  use: (client: Redis) => Promise<T>,
): Promise<T> {
  await checkRedis(target);
  const client = new Redis(target.url, { maxRetriesPerRequest: 2, retryStrategy: () => null });
  client.on("error", () => {}); // surfaced by the commands' own rejections
  try {
    return await use(client);
  } catch (error) {
    if (error instanceof SweepError) throw error;
    throw describeRedisError(target, error);
  } finally {
    client.disconnect();
  }
}

export interface SubmitOptions {
  readonly target: RedisTarget;
  readonly spec: SweepSpec;
  /** Absolute folder for the runs, the same path on every worker. */
  readonly runsRoot: string;
  /** Attempts per run before it is marked failed. */
  readonly attempts: number;
}

/** Enqueues one job per run. Returns how many runs the sweep has and whether it had been submitted before. */
export async function submitSweep(
  options: SubmitOptions,
): Promise<{ runs: number; resubmitted: boolean }> {
  const { target, spec, runsRoot } = options;
  const fingerprint = sweepFingerprint(spec);
  const runs = expandRuns(spec);
  const entry: RegistryEntry = {
    fingerprint,
    runsRoot,
    submittedAt: new Date().toISOString(),
    runs: runs.map((r) => r.id),
  };
  const resubmitted = await withRegistry(target, async (client) => {
    const created = await client.hsetnx(REGISTRY_KEY, spec.name, JSON.stringify(entry));
    if (created === 1) return false;
    const raw = await client.hget(REGISTRY_KEY, spec.name);
    if (raw === null)
      throw new SweepError(
        `the sweep "${spec.name}" was removed from ${target.display} while it was submitted; submit it again.`,
      );
    const existing = parseRegistryEntry(raw, spec.name, target);
    if (existing.fingerprint !== fingerprint || existing.runsRoot !== runsRoot) {
      throw new SweepError(
        `a different sweep named "${spec.name}" was already submitted to ${target.display} (${existing.submittedAt}, runs in ${existing.runsRoot})${registeredDifference(existing, spec, runsRoot)}; give this sweep another "name".`,
      );
    }
    return true;
  });
  claimSweepDirectory(runsRoot, spec);
  const queue = openQueue(target);
  try {
    const timeLimitMs =
      spec.budget.maxMinutesPerRun === undefined
        ? undefined
        : spec.budget.maxMinutesPerRun * 60_000;
    // Fixed job ids: adding a run that is already queued (a resubmission) changes nothing.
    await queue.addBulk(
      runs.map((run) => ({
        name: run.id,
        data: {
          sweep: spec.name,
          runId: run.id,
          runDir: runDirectory(runsRoot, spec.name, run.id),
          train: run.train,
          ...(timeLimitMs !== undefined ? { timeLimitMs } : {}),
        },
        opts: {
          jobId: jobId(spec.name, run.id),
          attempts: options.attempts,
          backoff: { type: "exponential", delay: 5000 },
        },
      })),
    );
  } catch (error) {
    throw describeRedisError(target, error);
  } finally {
    await queue.close();
  }
  return { runs: runs.length, resubmitted };
}

/** Where one run of a queued sweep is. */
export interface RunStatus {
  readonly runId: string;
  /** queued (waiting, delayed for a retry, prioritized), running, done, failed, or missing (not in Redis). */
  readonly state: "queued" | "running" | "done" | "failed" | "missing";
  readonly progress?: RunProgress;
  /** Attempts that failed so far. */
  readonly failedAttempts: number;
  /** The error of the last failed attempt. */
  readonly error?: string;
  readonly result?: RunResult;
}

function stateOf(raw: string): RunStatus["state"] {
  if (raw === "active") return "running";
  if (raw === "completed") return "done";
  if (raw === "failed") return "failed";
  if (raw === "unknown") return "missing";
  return "queued";
}

/** The state of every run of the sweep `name`, from the queue. */
export async function sweepStatus(
  target: RedisTarget,
  name: string,
): Promise<{ runsRoot: string; runs: RunStatus[] }> {
  const entry = await withRegistry(target, async (client) => {
    const raw = await client.hget(REGISTRY_KEY, name);
    if (raw === null) {
      const names = await client.hkeys(REGISTRY_KEY);
      throw new SweepError(
        `no sweep named "${name}" was submitted to ${target.display}${names.length > 0 ? `; submitted sweeps: ${names.sort().join(", ")}` : ""}.`,
      );
    }
    return parseRegistryEntry(raw, name, target);
  });
  const queue = openQueue(target);
  try {
    const runs: RunStatus[] = [];
    for (const runId of entry.runs) {
      const job = (await queue.getJob(jobId(name, runId))) as
        Job<RunJobData, RunResult> | undefined;
      if (job === undefined) {
        runs.push({ runId, state: "missing", failedAttempts: 0 });
        continue;
      }
      const state = stateOf(await job.getState());
      const progress =
        typeof job.progress === "object" && job.progress !== null
          ? (job.progress as unknown as RunProgress)
          : undefined;
      runs.push({
        runId,
        state,
        failedAttempts: job.attemptsMade,
        ...(progress ? { progress } : {}),
        ...(job.failedReason ? { error: job.failedReason } : {}),
        ...(state === "done" && job.returnvalue ? { result: job.returnvalue } : {}),
      });
    }
    return { runsRoot: entry.runsRoot, runs };
  } catch (error) {
    throw describeRedisError(target, error);
  } finally {
    await queue.close();
  }
}
