/**
 * The shared-memory protocol between a KernelQueue (trace-thread.ts) and its trace
 * worker (trace-thread-worker.ts): the kernel names a job may call, the layout of a job in the
 * shared job buffer, the control words both sides read and write with `Atomics`, and the
 * failure buffer a failing worker writes its message into.
 */

/** The kernel names a job may call, by index. */
export const JOB_KERNELS = [
  "backward",
  "apply",
  "sortSpikes",
  "advanceTraces",
  "learningSignal",
] as const;
export type JobKernel = (typeof JOB_KERNELS)[number];

export const IDLE = 0;
export const BUSY = 1;
export const STOP = 2;
export const FAILED = 3;
/** Kernel index of a byte copy within the memory (to, from, bytes). */
export const COPY = -1;
/** Doubles in the job buffer. */
export const JOB_CAPACITY = 1 << 14;
/** Doubles before a call's arguments in the job buffer: kernel, argument count, tasks. */
export const CALL_HEADER = 3;

/**
 * The control words shared with the worker (Int32Array indices). A call split into tasks is
 * shared out by tickets: numbers handed out in order from NEXT, the open call owning
 * FIRST .. END - 1 (END - FIRST tasks); NEXT never passes END, and a call opens only when
 * every ticket of the one before has been taken and its tasks are DONE, so a ticket names
 * its call, whose FIRST and AT stay put until the ticket's task is done.
 */
export const Control = {
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
  /** 1 once the worker has instantiated the kernels (or failed to): jobs may go to it. */
  ready: 8,
  /** Bytes of the failure message in the failure buffer. */
  failureBytes: 9,
  /** 0 while the worker runs; 1 + its exit code once it has exited (written by its supervisor). */
  exited: 10,
} as const;
export const CONTROL_WORDS = 11;
/** Bytes of the shared buffer a failing worker writes its message into (UTF-8, truncated). */
export const FAILURE_BYTES = 4096;

/** What a worker is started with (all of it shared or cloneable). */
export interface WorkerData {
  readonly module: WebAssembly.Module;
  readonly memory: WebAssembly.Memory;
  readonly control: SharedArrayBuffer;
  readonly calls: SharedArrayBuffer;
  readonly failure: SharedArrayBuffer;
  readonly names: readonly string[];
}
