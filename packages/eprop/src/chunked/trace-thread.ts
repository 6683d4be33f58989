/**
 * Runs the chunk-end kernel calls of the trace evaluation (learning signal, backward
 * coefficients, spike sort, apply, presynaptic traces) as one job, either in a worker thread over the same shared
 * WebAssembly memory, so that a chunk's traces are evaluated while the forward pass of the
 * next chunk runs, or inline on the calling thread. The calls and their order are the same
 * either way, so are the results, to the bit.
 *
 * The thread is used where the engine offers shared WebAssembly memory and `Atomics.wait` on
 * the calling thread, and can start a worker: Node's worker threads (Node 20.16+), or a
 * browser's Web Worker where the page is cross-origin isolated (SharedArrayBuffer) and the
 * caller is itself a worker (a page's main thread may not block). Elsewhere the job runs inline.
 *
 * This file holds the calling side, {@link KernelQueue}, and its watch over the worker; the
 * shared-memory protocol of the two sides is in trace-thread-protocol.ts, the worker's code in
 * trace-thread-worker.ts, and the starting (and, in Node, supervising) of workers in
 * trace-thread-hosts.ts.
 *
 * Watching the worker. The caller waits for a job in `Atomics.wait` on the shared control
 * words, a blocking wait: its event loop does not run, so it cannot hear a worker's 'exit' or
 * 'error' event while it waits. In Node the trace worker is therefore started by a small
 * supervisor thread that does nothing but listen to those events (its event loop is always
 * free): when the trace worker exits or crashes, the supervisor writes the exit code (and the
 * error) into the shared control words and wakes the caller, which fails at once with a clear
 * error instead of waiting. There is no wall-clock limit on a job: a job's time is not
 * bounded by anything we know, and a process that is suspended (SIGSTOP, Ctrl-Z, a laptop's
 * sleep) would see all of the suspension at once on resuming. The one limit left is for a
 * worker that is alive but makes no progress (a kernel that never returns, a browser's worker,
 * whose death cannot be heard): the caller waits in short slices and counts the time it was
 * awake without progress, each slice counting for at most twice its length, so that the jump
 * of the clock across a suspension adds one slice, not the suspension.
 */
import { SnnError } from "@snn/core";
import { threadHost, type ThreadHost, type WorkerHandle } from "./trace-thread-hosts";
import {
  BUSY,
  CALL_HEADER,
  Control,
  CONTROL_WORDS,
  COPY,
  FAILED,
  FAILURE_BYTES,
  IDLE,
  JOB_CAPACITY,
  JOB_KERNELS,
  STOP,
  type JobKernel,
} from "./trace-thread-protocol";

/**
 * Longest time the caller waits for a live worker's job without any progress (a shared call
 * opened or the job ended), counting only time it was awake (see the module comment). A chunk
 * job takes milliseconds to seconds.
 */
const STALL_LIMIT_MS = 600_000;
/** Longest single `Atomics.wait` of the caller: the clock is read between slices. */
const WAIT_SLICE_MS = 1000;

type KernelFunction = (...args: number[]) => void;

/** Raised when a job failed in the worker thread, or the worker stopped or stalled. */
export class TraceThreadError extends SnnError {}

/** How a {@link KernelQueue} watches its worker (the defaults serve; tests shorten them). */
export interface WatchOptions {
  /** Longest awake wait without progress before a live worker counts as stuck (see {@link STALL_LIMIT_MS}). */
  readonly stallLimitMs?: number;
  /** Longest single wait between readings of the clock (see {@link WAIT_SLICE_MS}). */
  readonly sliceMs?: number;
  /** The clock, in milliseconds (`performance.now`). */
  readonly now?: () => number;
}

/** Queues a chunk's kernel calls and runs them as one job (see the module comment). */
export class KernelQueue {
  private readonly job: Float64Array;
  private readonly state: Int32Array;
  private readonly thread: {
    readonly worker: WorkerHandle;
    readonly host: ThreadHost;
    readonly failure: Uint8Array;
  } | null;
  private readonly stallLimitMs: number;
  private readonly sliceMs: number;
  private readonly now: () => number;
  private at = 0;
  private count = 0;
  /** Jobs started and jobs known to have finished (numbered from 1). */
  private started = 0;
  private finished = 0;

  constructor(
    private readonly memory: WebAssembly.Memory,
    module: WebAssembly.Module,
    private readonly kernels: Readonly<Record<JobKernel, KernelFunction>>,
    threaded: boolean,
    watch: WatchOptions = {},
  ) {
    this.stallLimitMs = watch.stallLimitMs ?? STALL_LIMIT_MS;
    this.sliceMs = watch.sliceMs ?? WAIT_SLICE_MS;
    this.now = watch.now ?? (() => performance.now());
    // (SharedArrayBuffer exists only where threadHost() found one: not in a page that is not cross-origin isolated.)
    const host =
      threaded &&
      typeof SharedArrayBuffer === "function" &&
      memory.buffer instanceof SharedArrayBuffer
        ? threadHost()
        : null;
    let thread: {
      control: SharedArrayBuffer;
      calls: SharedArrayBuffer;
      worker: WorkerHandle;
      failure: Uint8Array;
    } | null = null;
    if (host !== null) {
      const control = new SharedArrayBuffer(CONTROL_WORDS * 4);
      const calls = new SharedArrayBuffer(JOB_CAPACITY * 8);
      const failure = new SharedArrayBuffer(FAILURE_BYTES);
      try {
        const worker = host.start({ module, memory, control, calls, failure, names: JOB_KERNELS });
        thread = { control, calls, worker, failure: new Uint8Array(failure) };
      } catch {
        // A worker the engine refuses to start (a content security policy forbidding Blob workers): inline.
        thread = null;
      }
    }
    if (host !== null && thread !== null) {
      this.state = new Int32Array(thread.control);
      this.job = new Float64Array(thread.calls);
      this.thread = { worker: thread.worker, host, failure: thread.failure };
    } else {
      this.state = new Int32Array(CONTROL_WORDS);
      this.job = new Float64Array(JOB_CAPACITY);
      this.thread = null;
    }
  }

  /** The failure message the worker wrote, if any. */
  private failureMessage(): string | undefined {
    if (this.thread === null) return undefined;
    const length = Atomics.exchange(this.state, Control.failureBytes, 0);
    // TextDecoder does not take views of shared memory: copy first.
    return length > 0 ? new TextDecoder().decode(this.thread.failure.slice(0, length)) : undefined;
  }

  /** Whether jobs go to the worker now: it runs (Node's start reliably), or it has said it is ready. */
  private workerReady(): boolean {
    return (
      this.thread !== null &&
      (this.thread.host.startsReliably || Atomics.load(this.state, Control.ready) === 1)
    );
  }

  /**
   * Resolves when the worker is ready for jobs, or after `timeoutMs` (jobs run inline until it
   * is). A browser starts a worker only while the thread that made it returns to its event
   * loop, which a training loop does not do between steps: wait here, before the first trial.
   */
  async whenStarted(timeoutMs = 2000): Promise<void> {
    const start = performance.now();
    while (this.thread !== null && !this.workerReady() && performance.now() - start < timeoutMs) {
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  }

  /** Whether jobs now go to a worker thread (a browser's once it has started). */
  get threaded(): boolean {
    return this.workerReady();
  }

  /** The kind of worker jobs go to (`"node"`, `"browser"`), or null where they run inline. */
  get threadKind(): string | null {
    return this.thread?.host.kind ?? null;
  }

  private push(kernel: number, tasks: number, args: readonly number[]): void {
    this.waitRunning();
    if (this.at + CALL_HEADER + args.length > this.job.length)
      throw new Error("internal error: KernelQueue job buffer is full");
    this.job[this.at++] = kernel;
    this.job[this.at++] = args.length;
    this.job[this.at++] = tasks;
    for (const arg of args) this.job[this.at++] = arg;
    this.count++;
  }

  /** Queues a kernel call. */
  call(kernel: JobKernel, ...args: number[]): void {
    this.push(JOB_KERNELS.indexOf(kernel), 0, args);
  }

  /**
   * Queues a kernel call split into `tasks` independent tasks: task t calls the kernel with
   * `args` followed by t and t + 1 (say, a range of blocks it alone writes). In the worker
   * thread the tasks are shared out to whichever thread asks first, the worker or this one
   * while it waits for the job (see {@link waitRunning}); inline they run in order. Each task
   * must compute the same values whichever thread runs it and in whatever order the tasks run.
   */
  callShared(kernel: JobKernel, tasks: number, ...args: number[]): void {
    if (!Number.isInteger(tasks) || tasks < 1)
      throw new Error(`internal error: a shared call needs at least one task, got ${tasks}`);
    this.push(JOB_KERNELS.indexOf(kernel), tasks, args);
  }

  /** Queues a copy of `bytes` bytes from address `from` to address `to`. */
  copy(to: number, from: number, bytes: number): void {
    this.push(COPY, 0, [to, from, bytes]);
  }

  /**
   * Starts the queued calls as a job: in the worker thread (returns at once) or inline (returns
   * when done). A job still running is waited for first; so is one still running when calls are
   * queued, so that a job's calls never change under it.
   */
  flush(): void {
    this.waitRunning();
    if (this.count === 0) return;
    const dead = this.deadWorker();
    if (dead !== null) throw dead;
    this.started++;
    try {
      if (!this.workerReady()) {
        this.runInline();
        this.finished = this.started;
      } else {
        this.state[Control.count] = this.count;
        Atomics.store(this.state, Control.state, BUSY);
        Atomics.notify(this.state, Control.state);
      }
    } finally {
      this.at = 0;
      this.count = 0;
    }
  }

  private runInline(): void {
    const job = this.job;
    let at = 0;
    for (let c = 0; c < this.count; c++) {
      const kernel = job[at]!;
      const argc = job[at + 1]!;
      const tasks = job[at + 2]!;
      at += CALL_HEADER;
      if (kernel === COPY)
        new Uint8Array(this.memory.buffer).copyWithin(
          job[at]!,
          job[at + 1]!,
          job[at + 1]! + job[at + 2]!,
        );
      else if (tasks > 0)
        for (let t = 0; t < tasks; t++)
          this.kernels[JOB_KERNELS[kernel]!](...job.subarray(at, at + argc), t, t + 1);
      else this.kernels[JOB_KERNELS[kernel]!](...job.subarray(at, at + argc));
      at += argc;
    }
  }

  /** Tasks of shared calls this thread has run for the worker's jobs (see {@link callShared}). */
  tasksHelped = 0;

  /**
   * Takes one task of the worker's open shared call, if any is left, and runs it here.
   * Returns whether it ran one.
   */
  private help(): boolean {
    const state = this.state;
    const next = Atomics.load(state, Control.next);
    if (next >= Atomics.load(state, Control.end)) return false;
    if (Atomics.compareExchange(state, Control.next, next, next + 1) !== next) return true; // another ticket may be left: ask again
    const task = next - Atomics.load(state, Control.first);
    const at = Atomics.load(state, Control.at);
    const job = this.job;
    const argc = job[at + 1]!;
    const args = Array.from(job.subarray(at + CALL_HEADER, at + CALL_HEADER + argc));
    try {
      this.kernels[JOB_KERNELS[job[at]!]!](...args, task, task + 1);
    } catch (error) {
      // Reported when the job ends, like a failure in the worker (which goes on to the job's end).
      this.helpFailure ??= error;
    } finally {
      // The worker waits for every task of the call, also one that failed here.
      if (Atomics.add(state, Control.done, 1) + 1 === job[at + 2]!)
        Atomics.notify(state, Control.done);
    }
    this.tasksHelped++;
    return true;
  }

  /** The first error of a task this thread ran for the running job, if any. */
  private helpFailure: unknown = undefined;

  /** The number of the job the calls queued now will belong to. */
  get pendingJob(): number {
    return this.started + 1;
  }

  /** Returns when job number `job` (see {@link pendingJob}) has finished, starting it if it is still queued. */
  waitFor(job: number): void {
    if (job > this.started) this.flush();
    if (job > this.finished) this.waitRunning();
  }

  /** Runs the queued calls and returns when they have finished. */
  wait(): void {
    this.flush();
    this.waitRunning();
  }

  /**
   * Returns when the running job (if any) has finished; queued calls stay queued. While it
   * waits, this thread runs tasks of the job's shared calls.
   */
  waitRunning(): void {
    const state = this.state;
    /** Milliseconds waited awake since the last sign of progress (see the module comment). */
    let stalled = 0;
    for (;;) {
      const sequence = Atomics.load(state, Control.sequence);
      const value = Atomics.load(state, Control.state);
      if (value === BUSY) {
        const dead = this.deadWorker();
        if (dead !== null) throw dead;
        if (this.help()) {
          stalled = 0;
          continue;
        }
        const before = this.now();
        if (Atomics.wait(state, Control.sequence, sequence, this.sliceMs) !== "timed-out") {
          stalled = 0;
          continue;
        }
        // A suspended process resumes with the whole suspension on the clock: one slice's worth.
        stalled += Math.min(Math.max(0, this.now() - before), 2 * this.sliceMs);
        if (stalled >= this.stallLimitMs)
          throw new TraceThreadError(
            `The chunked e-prop trace thread is running but has made no progress on a chunk for ${Math.round(this.stallLimitMs / 1000)} s (time the process was suspended not counted); a kernel may never return. Create the runtime with traceThread: false to evaluate the traces on this thread.`,
          );
        continue;
      }
      if (value === IDLE) this.finished = this.started;
      const helpFailure = this.helpFailure;
      this.helpFailure = undefined;
      if (value === FAILED) {
        const message = this.failureMessage();
        Atomics.store(state, Control.state, IDLE);
        throw new TraceThreadError(
          `The chunked e-prop trace thread failed: ${String(message ?? helpFailure ?? "unknown error")}`,
        );
      }
      if (helpFailure !== undefined) {
        const text =
          helpFailure instanceof Error
            ? (helpFailure.stack ?? helpFailure.message)
            : String(helpFailure);
        throw new TraceThreadError(
          `The chunked e-prop trace job failed in a task run while waiting for it: ${text}`,
        );
      }
      return;
    }
  }

  /** The error that the worker has exited (it has, where its exit is watched), or null. */
  private deadWorker(): TraceThreadError | null {
    if (this.deadError !== null) return this.deadError;
    const exited = Atomics.load(this.state, Control.exited);
    if (exited === 0) return null;
    const message = this.failureMessage();
    this.deadError = new TraceThreadError(
      `The chunked e-prop trace thread has stopped (exit code ${exited - 1})${message !== undefined ? `: ${message}` : ""}; the traces of the chunk it was given are lost, so this runtime cannot go on. Start again (a training run resumes from its last checkpoint); should it happen again, create the runtime with traceThread: false to evaluate the traces on this thread.`,
    );
    return this.deadError;
  }

  private deadError: TraceThreadError | null = null;

  /**
   * Ends the worker thread abruptly, as a crash would, where its exit is watched (Node): the
   * waiting caller must then fail at once. For tests.
   */
  killWorker(): void {
    const kill = this.thread?.worker.kill;
    if (kill === undefined)
      throw new Error("internal error: this queue's worker is not watched (no Node worker)");
    kill();
  }

  /** Stops the worker thread (a running job is abandoned). */
  dispose(): void {
    if (this.thread === null) return;
    Atomics.store(this.state, Control.state, STOP);
    Atomics.notify(this.state, Control.state);
    void this.thread.worker.terminate();
  }
}
