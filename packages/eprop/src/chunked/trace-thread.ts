/**
 * Runs the chunk-end kernel calls of the trace evaluation (backward coefficients, spike sort,
 * apply, presynaptic traces) as one job, either in a worker thread over the same shared
 * WebAssembly memory, so that a chunk's traces are evaluated while the forward pass of the
 * next chunk runs, or inline on the calling thread. The calls and their order are the same
 * either way, so are the results, to the bit.
 *
 * The thread is used where the engine offers shared WebAssembly memory, `Atomics.wait` on
 * the calling thread and Node's worker threads (Node 20.16+); elsewhere (browsers for now) the
 * job runs inline.
 */

/** The kernel names a job may call, by index. */
export const JOB_KERNELS = ["backward", "apply", "sortSpikes", "advanceTraces"] as const;
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
for (;;) {
  let value = Atomics.load(state, 0);
  while (value !== ${BUSY} && value !== ${STOP}) {
    Atomics.wait(state, 0, value);
    value = Atomics.load(state, 0);
  }
  if (value === ${STOP}) break;
  try {
    if (kernels === null) throw new Error("the trace thread could not instantiate the kernels (see the previous error)");
    let at = 0;
    const count = state[1];
    for (let c = 0; c < count; c++) {
      const kernel = job[at];
      const argc = job[at + 1];
      at += 2;
      if (kernel === ${COPY}) new Uint8Array(memory.buffer).copyWithin(job[at], job[at + 1], job[at + 1] + job[at + 2]);
      else kernels[kernel].apply(null, job.subarray(at, at + argc));
      at += argc;
    }
    Atomics.store(state, 0, ${IDLE});
  } catch (error) {
    port.postMessage(String(error && error.stack || error));
    Atomics.store(state, 0, ${FAILED});
  }
  Atomics.notify(state, 0);
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
      const control = new SharedArrayBuffer(3 * 4);
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
      this.state = new Int32Array(3);
      this.job = new Float64Array(JOB_CAPACITY);
      this.thread = null;
    }
  }

  /** Whether jobs run in a worker thread. */
  get threaded(): boolean {
    return this.thread !== null;
  }

  private push(kernel: number, args: readonly number[]): void {
    this.waitRunning();
    if (this.at + 2 + args.length > this.job.length) throw new Error("internal error: KernelQueue job buffer is full");
    this.job[this.at++] = kernel;
    this.job[this.at++] = args.length;
    for (const arg of args) this.job[this.at++] = arg;
    this.count++;
  }

  /** Queues a kernel call. */
  call(kernel: JobKernel, ...args: number[]): void {
    this.push(JOB_KERNELS.indexOf(kernel), args);
  }

  /** Queues a copy of `bytes` bytes from address `from` to address `to`. */
  copy(to: number, from: number, bytes: number): void {
    this.push(COPY, [to, from, bytes]);
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
        this.state[1] = this.count;
        Atomics.store(this.state, 0, BUSY);
        Atomics.notify(this.state, 0);
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
      at += 2;
      if (kernel === COPY) new Uint8Array(this.memory.buffer).copyWithin(job[at]!, job[at + 1]!, job[at + 1]! + job[at + 2]!);
      else this.kernels[JOB_KERNELS[kernel]!](...job.subarray(at, at + argc));
      at += argc;
    }
  }

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

  /** Returns when the running job (if any) has finished; queued calls stay queued. */
  waitRunning(): void {
    const state = this.state;
    for (;;) {
      const value = Atomics.load(state, 0);
      if (value === BUSY) {
        if (Atomics.wait(state, 0, BUSY, WAIT_LIMIT_MS) === "timed-out") {
          throw new TraceThreadError(
            `The chunked e-prop trace thread has not finished a chunk in ${WAIT_LIMIT_MS / 1000} s (it may have been killed); create the runtime with traceThread: false to evaluate the traces on this thread.`,
          );
        }
        continue;
      }
      if (value === IDLE) this.finished = this.started;
      if (value === FAILED) {
        const message = this.thread ? this.thread.api.receiveMessageOnPort(this.thread.port)?.message : undefined;
        Atomics.store(state, 0, IDLE);
        throw new TraceThreadError(`The chunked e-prop trace thread failed: ${String(message ?? "unknown error")}`);
      }
      return;
    }
  }

  /** Stops the worker thread (a running job is abandoned). */
  dispose(): void {
    if (this.thread === null) return;
    Atomics.store(this.state, 0, STOP);
    Atomics.notify(this.state, 0);
    void this.thread.worker.terminate();
  }
}
