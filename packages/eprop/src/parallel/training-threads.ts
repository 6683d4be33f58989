/**
 * Data-parallel training (`Trainer.train` with `threads > 1`): the worker threads of training
 * runtimes, kept while the trainer trains with the same settings, and one batch's micro-batches
 * shared out over the calling thread and the workers, their gradients summed in micro-batch
 * order before one Adam step.
 */
import type { EpropRuntime, TrialOutputs } from "../eprop-runtime";
import { checkFiniteTrial } from "../non-finite";
import type { TrainWorkerInit, WorkerTrial } from "./protocol";
import { TrialWorkerPool } from "./worker-pool";

/** The training worker threads of one trainer (none until `threads > 1` asks for them). */
export class TrainingThreads {
  private pool: TrialWorkerPool | null = null;

  /**
   * The pool of `threads - 1` workers (`threads > 1`) with runtimes made from `init`: made, or
   * kept from the last call with the same settings while none of its threads died.
   */
  async ensure(threads: number, init: TrainWorkerInit): Promise<TrialWorkerPool> {
    const key = TrialWorkerPool.keyOf(threads - 1, init);
    if (this.pool !== null && this.pool.key === key && !this.pool.broken) return this.pool;
    this.dispose();
    this.pool = await TrialWorkerPool.start(threads - 1, init);
    return this.pool;
  }

  /**
   * One batch's trials over the threads (see `TrainOptions.threads`): the first contiguous run
   * of micro-batches in `session`, the others in the pool's workers, all with the session's
   * current parameters; the gradients summed in micro-batch order, then one Adam step. Returns
   * the outputs in order. On an error, every job is waited for and the gradients are dropped.
   */
  static async runBatch(
    session: EpropRuntime,
    pool: TrialWorkerPool,
    parts: readonly WorkerTrial[],
  ): Promise<TrialOutputs[]> {
    const count = parts.length;
    const threads = Math.min(pool.size + 1, count);
    const first = (t: number): number => Math.floor((t * count) / threads);
    const parameters = await session.getParameters();
    const jobs: Promise<{ outputs: TrialOutputs; gradients: Float32Array[] }[]>[] = [];
    for (let t = 1; t < threads; t++)
      jobs.push(pool.run(t - 1, parameters, parts.slice(first(t), first(t + 1))));
    // Every job is waited for before this returns or throws: the workers are idle after.
    const settled = Promise.allSettled(jobs);
    const outputs: TrialOutputs[] = [];
    try {
      for (let k = 0; k < first(1); k++) {
        const { trial, where } = parts[k]!;
        const result = await session.runTrial(trial);
        await checkFiniteTrial(session, trial, result, where);
        await session.accumulateGradients();
        outputs.push(result);
      }
      for (const job of await settled) {
        if (job.status === "rejected") throw job.reason;
        for (const { outputs: result, gradients } of job.value) {
          session.addGradients(gradients);
          outputs.push(result);
        }
      }
    } catch (error) {
      await settled;
      session.discardAccumulatedGradients();
      throw error;
    }
    await session.applyAccumulatedGradients();
    return outputs;
  }

  dispose(): void {
    this.pool?.dispose();
    this.pool = null;
  }
}
