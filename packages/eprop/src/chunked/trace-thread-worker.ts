/**
 * The worker's side of the trace thread (trace-thread.ts): the source code of the trace worker,
 * which instantiates the kernels over the shared memory and runs the jobs the caller posts in the
 * shared buffers (trace-thread-protocol.ts) until stopped. It is a string, started by the hosts
 * of trace-thread-hosts.ts from the code itself (Node's `eval` worker, a browser's Blob URL), so
 * that no separate worker file needs to be found at run time.
 */
import { BUSY, CALL_HEADER, Control, COPY, FAILED, IDLE, STOP } from "./trace-thread-protocol";

/**
 * The worker's code, after a prologue that calls it with its data: instantiates the module over
 * the shared memory and runs jobs until stopped. A failure's message goes into the shared
 * failure buffer, for the caller to read without messages (it may be blocked waiting).
 */
export const WORKER_BODY = `
function start({ module, memory, control, calls, failure, names }) {
const state = new Int32Array(control);
const job = new Float64Array(calls);
const failureBytes = new Uint8Array(failure);
function fail(error) {
  const bytes = new TextEncoder().encode(String((error && error.stack) || error)).subarray(0, failureBytes.length);
  failureBytes.set(bytes);
  Atomics.store(state, ${Control.failureBytes}, bytes.length);
}
let kernels;
try {
  const instance = new WebAssembly.Instance(module, { env: { memory } });
  kernels = names.map((name) => instance.exports[name]);
} catch (error) {
  // A thread that cannot start fails every job, so the caller gets the error instead of waiting.
  fail(error);
  kernels = null;
}
Atomics.store(state, ${Control.ready}, 1);
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
    fail(error);
    Atomics.store(state, ${Control.state}, ${FAILED});
  }
  Atomics.add(state, ${Control.sequence}, 1);
  Atomics.notify(state, ${Control.sequence});
  Atomics.notify(state, ${Control.state});
}
}
`;
