/**
 * Threaded forward runs (`Trainer.evaluate` and `Trainer.predictBatches` with `threads > 1`):
 * trials shared out over a pool of inference workers as they come, each worker with its own
 * copy of the parameters, and their results handed on in trial order. A trial's result does not
 * depend on the thread that ran it, so the results are those of one thread, to the bit.
 */
import type { TrialOutputs } from "../eprop-runtime";
import type { ParameterSet } from "../parameters";
import type { PreparedTrial } from "../trial";
import type { TrialWorkerPool } from "./worker-pool";

/**
 * Jobs a worker holds at once: one running and one waiting, so that it does not idle while the
 * calling thread reads the next batch or hands on a result.
 */
export const JOBS_PER_WORKER = 2;

/** One trial's result: its outputs, the milliseconds it took in its thread, and that thread (0-based). */
export interface ForwardResult {
  readonly outputs: TrialOutputs;
  readonly ms: number;
  readonly thread: number;
}

/**
 * Runs `trials` forward on the pool's workers (inference runtimes of the trials' batch size)
 * with `parameters`, and calls `deliver` with each result in trial order (awaiting it). Trials
 * are read only as workers have room for them. On an error (of a trial, of reading `trials` or
 * of `deliver`) no trial is sent after it; the jobs in flight are waited for, then the error of
 * the earliest failed trial (or the other error) is thrown. When a trial fails, the trials before
 * it are all handed on first, whatever order the workers answered in.
 */
export async function inferInOrder(
  pool: TrialWorkerPool,
  parameters: ParameterSet,
  trials: AsyncIterable<PreparedTrial> | Iterable<PreparedTrial>,
  deliver: (trial: PreparedTrial, result: ForwardResult, index: number) => void | Promise<void>,
): Promise<void> {
  const inFlight = new Array<number>(pool.size).fill(0);
  const hasParameters = new Array<boolean>(pool.size).fill(false);
  const finished = new Map<number, { trial: PreparedTrial; result: ForwardResult }>();
  const jobs = new Set<Promise<void>>();
  /** The earliest failed trial (set by the jobs' callbacks). */
  const failure: { first: { index: number; error: unknown } | null } = { first: null };
  let wake: (() => void) | null = null;
  let next = 0;

  const freeWorker = (): number => {
    let best = -1;
    for (let w = 0; w < pool.size; w++)
      if (inFlight[w]! < JOBS_PER_WORKER && (best < 0 || inFlight[w]! < inFlight[best]!)) best = w;
    return best;
  };
  const send = (worker: number, trial: PreparedTrial, index: number): void => {
    inFlight[worker]!++;
    const first = !hasParameters[worker];
    hasParameters[worker] = true;
    const job = pool
      .infer(worker, first ? parameters : undefined, trial)
      .then(
        ({ outputs, ms }) =>
          void finished.set(index, { trial, result: { outputs, ms, thread: worker } }),
        (error: unknown) => {
          if (failure.first === null || index < failure.first.index)
            failure.first = { index, error };
        },
      )
      .finally(() => {
        inFlight[worker]!--;
        jobs.delete(job);
        wake?.();
        wake = null;
      });
    jobs.add(job);
  };
  const handOn = async (): Promise<void> => {
    for (let done = finished.get(next); done !== undefined; done = finished.get(next)) {
      finished.delete(next);
      await deliver(done.trial, done.result, next);
      next++;
    }
  };

  try {
    let index = 0;
    for await (const trial of trials) {
      let worker = freeWorker();
      while (worker < 0 && failure.first === null) {
        await new Promise<void>((resolve) => (wake = resolve));
        await handOn();
        worker = freeWorker();
      }
      if (failure.first !== null) break;
      send(worker, trial, index++);
      await handOn();
    }
    while (jobs.size > 0 && failure.first === null) {
      await Promise.race(jobs);
      await handOn();
    }
  } finally {
    // Every job is waited for before this returns or throws: the workers are idle after.
    await Promise.all(jobs);
  }
  // Every trial before the earliest failed one has finished by now: hand them all on (however
  // late they answered), then throw that trial's error. handOn stops at the failed trial's gap.
  await handOn();
  if (failure.first !== null) throw failure.first.error;
}
