/**
 * Runs the chunk-end kernel calls of the trace evaluation (learning signal, backward
 * coefficients, spike sort, apply, presynaptic traces) as one job, either in a worker thread over the same shared
 * WebAssembly memory, so that a chunk's traces are evaluated while the forward pass of the
 * next chunk runs, or inline on the calling thread. The calls and their order are the same
 * either way, so are the results, to the bit.
 *
 * The thread is used where the engine offers shared WebAssembly memory, `Atomics.wait` on
 * the calling thread and Node's worker threads (Node 20.16+); elsewhere (browsers for now) the
 * job runs inline.
 */

/** The kernel names a job may call, by index. */
export const JOB_KERNELS = ["backward", "apply", "sortSpikes", "advanceTraces", "learningSignal"] as const;
export type JobKernel = (typeof JOB_KERNELS)[number];

const IDLE = 0;
const BUSY = 1;
const STOP = 2;
const FAILED = 3;
/** Kernel index of a byte copy within the memory (to, from, bytes). */
const COPY = -1;
/** Longest wait for one job before giving up (a chunk job takes milliseconds to seconds). */
const WAIT_LIMIT_MS = 600_000;
/** Doubles in the job buffer. */
const JOB_CAPACITY = 1 << 14;
/** Doubles before a call's arguments in the job buffer: kernel, argument count, tasks. */
const CALL_HEADER = 3;

/**
 * The control words shared with the worker (Int32Array indices). A call split into tasks is
 * shared out by tickets: numbers handed out in order from NEXT, the open call owning
 * FIRST .. END - 1 (END - FIRST tasks); NEXT never passes END, and a call opens only when
 * every ticket of the one before has been taken and its tasks are DONE, so a ticket names
 * its call, whose FIRST and AT stay put until the ticket's task is done.
 */
const Control = {
  /** IDLE, BUSY, STOP or FAILED. */
  state: 0,
  /** Calls in the job. */
  count: 1,
  /** Increases whenever a shared call opens or a job ends: what a helper waits on. */
  sequence: 2,
  next: 3,
  end: 4,
  first: 5,
  /** Tasks of the open call done. */
  done: 6,
  /** Job-buffer offset of the open call's header. */
  at: 7,
} as const;
const CONTROL_WORDS = 8;

/** The worker: instantiates the module over the shared memory and runs jobs until stopped. */
const WORKER_SOURCE = `
const { workerData } = require("node:worker_threads");
const { module, memory, control, calls, names, port } = workerData;
const state = new Int32Array(control);
const job = new Float64Array(calls);
let kernels;
try {
  const instance = new WebAssembly.Instance(module, { env: { memory } });
  kernels = names.map((name) => instance.exports[name]);
} catch (error) {
  // A thread that cannot start fails every job, so the caller gets the error instead of waiting.
  port.postMessage(String(error && error.stack || error));
  kernels = null;
}
/** Takes the next ticket of the open call, or returns -1 when none is left. */
function ticket() {
  for (;;) {
    const next = Atomics.load(state, ${Control.next});
    if (next >= Atomics.load(state, ${Control.end})) return -1;
    if (Atomics.compareExchange(state, ${Control.next}, next, next + 1) === next) return next;
  }
}
/** Runs a call split into tasks together with any helper: opens it, takes tickets, waits for every task. */
function shared(kernel, at, argc, tasks) {
  const first = Atomics.load(state, ${Control.next});
  Atomics.store(state, ${Control.at}, at - ${CALL_HEADER});
  Atomics.store(state, ${Control.first}, first);
  Atomics.store(state, ${Control.done}, 0);
  Atomics.store(state, ${Control.end}, first + tasks);
  Atomics.add(state, ${Control.sequence}, 1);
  Atomics.notify(state, ${Control.sequence});
  const args = Array.from(job.subarray(at, at + argc));
  args.push(0, 0);
  let failure = null;
  for (let t = ticket(); t >= 0; t = ticket()) {
    args[argc] = t - first;
    args[argc + 1] = t - first + 1;
    try {
      kernel.apply(null, args);
    } catch (error) {
      failure = failure || error;
    }
    Atomics.add(state, ${Control.done}, 1);
  }
  for (let done = Atomics.load(state, ${Control.done}); done < tasks; done = Atomics.load(state, ${Control.done})) Atomics.wait(state, ${Control.done}, done);
  if (failure) throw failure;
}
for (;;) {
  let value = Atomics.load(state, ${Control.state});
  while (value !== ${BUSY} && value !== ${STOP}) {
    Atomics.wait(state, ${Control.state}, value);
    value = Atomics.load(state, ${Control.state});
  }
  if (value === ${STOP}) break;
  try {
    if (kernels === null) throw new Error("the trace thread could not instantiate the kernels (see the previous error)");
    let at = 0;
    const count = state[${Control.count}];
    for (let c = 0; c < count; c++) {
      const kernel = job[at];
      const argc = job[at + 1];
      const tasks = job[at + 2];
      at += ${CALL_HEADER};
      if (kernel === ${COPY}) new Uint8Array(memory.buffer).copyWithin(job[at], job[at + 1], job[at + 1] + job[at + 2]);
      else if (tasks > 0) shared(kernels[kernel], at, argc, tasks);
      else kernels[kernel].apply(null, job.subarray(at, at + argc));
      at += argc;
    }
    Atomics.store(state, ${Control.state}, ${IDLE});
  } catch (error) {
    port.postMessage(String(error && error.stack || error));
    Atomics.store(state, ${Control.state}, ${FAILED});
  }
  Atomics.add(state, ${Control.sequence}, 1);
  Atomics.notify(state, ${Control.sequence});
  Atomics.notify(state, ${Control.state});
}
`;

interface NodeWorkerThreads {
  Worker: new (source: string, options: { eval: true; workerData: unknown; transferList: unknown[] }) => { unref(): void; terminate(): Promise<number> };
  MessageChannel: new () => { port1: unknown; port2: unknown };
  receiveMessageOnPort(port: unknown): { message: unknown } | undefined;
}

function nodeWorkerThreads(): NodeWorkerThreads | null {
  const process = (globalThis as { process?: { getBuiltinModule?: (name: string) => unknown } }).process;
  if (typeof process?.getBuiltinModule !== "function") return null;
  try {
    return (process.getBuiltinModule("node:worker_threads") as NodeWorkerThreads | undefined) ?? null;
  } catch {
    return null;
  }
}

/** A shared WebAssembly memory of up to `maximumPages`, or null where the engine cannot make one. */
export function sharedMemory(maximumPages: number): WebAssembly.Memory | null {
  if (typeof SharedArrayBuffer !== "function" || typeof Atomics !== "object" || nodeWorkerThreads() === null) return null;
  try {
    return new WebAssembly.Memory({ initial: 1, maximum: maximumPages, shared: true });
  } catch {
    return null;
  }
}

type KernelFunction = (...args: number[]) => void;

/** Raised when a job failed in the worker thread. */
export class TraceThreadError extends Error {}

/** Queues a chunk's kernel calls and runs them as one job (see the module comment). */
export class KernelQueue {
  private readonly job: Float64Array;
  private readonly state: Int32Array;
  private readonly thread: { readonly worker: { terminate(): Promise<number> }; readonly port: unknown; readonly api: NodeWorkerThreads } | null;
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
  ) {
    const api = threaded ? nodeWorkerThreads() : null;
    if (api !== null && memory.buffer instanceof SharedArrayBuffer) {
      const control = new SharedArrayBuffer(CONTROL_WORDS * 4);
      const calls = new SharedArrayBuffer(JOB_CAPACITY * 8);
      this.state = new Int32Array(control);
      this.job = new Float64Array(calls);
      const channel = new api.MessageChannel();
      const worker = new api.Worker(WORKER_SOURCE, {
        eval: true,
        workerData: { module, memory, control, calls, names: JOB_KERNELS, port: channel.port2 },
        transferList: [channel.port2],
      });
      worker.unref();
      this.thread = { worker, port: channel.port1, api };
    } else {
      this.state = new Int32Array(CONTROL_WORDS);
      this.job = new Float64Array(JOB_CAPACITY);
      this.thread = null;
    }
  }

  /** Whether jobs run in a worker thread. */
  get threaded(): boolean {
    return this.thread !== null;
  }

  private push(kernel: number, tasks: number, args: readonly number[]): void {
    this.waitRunning();
    if (this.at + CALL_HEADER + args.length > this.job.length) throw new Error("internal error: KernelQueue job buffer is full");
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
    if (!Number.isInteger(tasks) || tasks < 1) throw new Error(`internal error: a shared call needs at least one task, got ${tasks}`);
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
    this.started++;
    try {
      if (this.thread === null) {
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
      if (kernel === COPY) new Uint8Array(this.memory.buffer).copyWithin(job[at]!, job[at + 1]!, job[at + 1]! + job[at + 2]!);
      else if (tasks > 0) for (let t = 0; t < tasks; t++) this.kernels[JOB_KERNELS[kernel]!](...job.subarray(at, at + argc), t, t + 1);
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
      if (Atomics.add(state, Control.done, 1) + 1 === job[at + 2]!) Atomics.notify(state, Control.done);
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
    for (;;) {
      const sequence = Atomics.load(state, Control.sequence);
      const value = Atomics.load(state, Control.state);
      if (value === BUSY) {
        if (this.help()) continue;
        if (Atomics.wait(state, Control.sequence, sequence, WAIT_LIMIT_MS) === "timed-out") {
          throw new TraceThreadError(
            `The chunked e-prop trace thread has not finished a chunk in ${WAIT_LIMIT_MS / 1000} s (it may have been killed); create the runtime with traceThread: false to evaluate the traces on this thread.`,
          );
        }
        continue;
      }
      if (value === IDLE) this.finished = this.started;
      const helpFailure = this.helpFailure;
      this.helpFailure = undefined;
      if (value === FAILED) {
        const message = this.thread ? this.thread.api.receiveMessageOnPort(this.thread.port)?.message : undefined;
        Atomics.store(state, Control.state, IDLE);
        throw new TraceThreadError(`The chunked e-prop trace thread failed: ${String(message ?? helpFailure ?? "unknown error")}`);
      }
      if (helpFailure !== undefined) {
        const text = helpFailure instanceof Error ? (helpFailure.stack ?? helpFailure.message) : String(helpFailure);
        throw new TraceThreadError(`The chunked e-prop trace job failed in a task run while waiting for it: ${text}`);
      }
      return;
    }
  }

  /** Stops the worker thread (a running job is abandoned). */
  dispose(): void {
    if (this.thread === null) return;
    Atomics.store(this.state, Control.state, STOP);
    Atomics.notify(this.state, Control.state);
    void this.thread.worker.terminate();
  }
}
