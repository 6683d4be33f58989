/**
 * Starting trace workers (trace-thread.ts) in the engine at hand: Node's worker threads, each
 * started by a supervisor thread that watches the worker's exit and reports it in the shared
 * control words (see "Watching the worker" in trace-thread.ts), or a browser's Web Worker in a
 * cross-origin isolated page; and whether this engine can run a trace thread at all.
 */
import { Control, type WorkerData } from "./trace-thread-protocol";
import { WORKER_BODY } from "./trace-thread-worker";

/**
 * The supervisor of a Node trace worker (see "Watching the worker" in trace-thread.ts): starts the worker from
 * `source` with the same data and, when it exits or crashes, says so in the shared control
 * words and wakes the caller. A "kill" message ends the worker abruptly, as a crash would
 * (for tests: nothing else in this module sends it).
 */
const NODE_SUPERVISOR = (source: string): string => `
const { Worker, workerData, parentPort } = require("node:worker_threads");
const state = new Int32Array(workerData.control);
const failureBytes = new Uint8Array(workerData.failure);
function report(error) {
  if (Atomics.load(state, ${Control.failureBytes}) !== 0) return;
  const bytes = new TextEncoder().encode(String((error && error.stack) || error)).subarray(0, failureBytes.length);
  failureBytes.set(bytes);
  Atomics.store(state, ${Control.failureBytes}, bytes.length);
}
function exited(code) {
  Atomics.store(state, ${Control.exited}, 1 + Math.max(0, code | 0));
  Atomics.add(state, ${Control.sequence}, 1);
  Atomics.notify(state, ${Control.sequence});
  Atomics.notify(state, ${Control.state});
  parentPort.close();
}
try {
  const worker = new Worker(${JSON.stringify(source)}, { eval: true, workerData });
  worker.on("error", report);
  worker.on("exit", exited);
  parentPort.on("message", (message) => { if (message === "kill") void worker.terminate(); });
} catch (error) {
  report(error);
  exited(1);
}
`;

/** Starts trace workers in one kind of engine. */
export interface ThreadHost {
  /** "node" or "browser". */
  readonly kind: string;
  /**
   * Whether a started worker is known to run (Node's evaluates its code at once): otherwise jobs
   * run inline until the worker says it is ready, so that a worker that never starts (say, a
   * content security policy forbidding it) cannot leave the caller waiting.
   */
  readonly startsReliably: boolean;
  start(data: WorkerData): WorkerHandle;
}

/** A started trace worker. */
export interface WorkerHandle {
  /** Stops the worker (and its supervisor, if any). */
  terminate(): void;
  /**
   * Ends the worker abruptly, as a crash would, leaving its supervisor to report it: only where
   * the worker's exit is watched (Node). For tests.
   */
  readonly kill?: () => void;
}

interface NodeWorker {
  unref(): void;
  terminate(): Promise<number>;
  postMessage(message: unknown): void;
  on(event: "error", listener: (error: unknown) => void): void;
}

interface NodeWorkerThreads {
  Worker: new (source: string, options: { eval: true; workerData: unknown }) => NodeWorker;
}

function nodeHost(): ThreadHost | null {
  const process = (globalThis as { process?: { getBuiltinModule?: (name: string) => unknown } })
    .process;
  if (typeof process?.getBuiltinModule !== "function") return null;
  let api: NodeWorkerThreads | undefined;
  try {
    api = process.getBuiltinModule("node:worker_threads") as NodeWorkerThreads | undefined;
  } catch {
    return null;
  }
  if (api === undefined) return null;
  const { Worker } = api;
  return {
    kind: "node",
    startsReliably: true,
    start(data) {
      const source = `const { workerData } = require("node:worker_threads");\n${WORKER_BODY}\nstart(workerData);`;
      const supervisor = new Worker(NODE_SUPERVISOR(source), { eval: true, workerData: data });
      // The supervisor does not fail on its own; should it, say so like a dead worker (heard
      // only when this thread's event loop runs), rather than as an unhandled 'error' event.
      supervisor.on("error", () => {
        const state = new Int32Array(data.control);
        Atomics.store(state, Control.exited, 2);
        Atomics.add(state, Control.sequence, 1);
      });
      supervisor.unref();
      return {
        // Ending the supervisor ends the worker it started.
        terminate: () => void supervisor.terminate(),
        kill: () => supervisor.postMessage("kill"),
      };
    },
  };
}

/** Whether this thread may block in `Atomics.wait` (a browser's main thread may not). */
function mayBlock(): boolean {
  try {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0);
    return true;
  } catch {
    return false;
  }
}

interface BrowserWorkerApi {
  Worker: new (url: string) => { postMessage(message: unknown): void; terminate(): void };
  Blob: new (parts: string[], options: { type: string }) => unknown;
  URL: { createObjectURL(blob: unknown): string; revokeObjectURL(url: string): void };
}

function browserHost(): ThreadHost | null {
  const scope = globalThis as unknown as Partial<BrowserWorkerApi> & {
    crossOriginIsolated?: boolean;
  };
  if (
    typeof scope.Worker !== "function" ||
    typeof scope.Blob !== "function" ||
    typeof scope.URL?.createObjectURL !== "function"
  )
    return null;
  if (scope.crossOriginIsolated !== true || !mayBlock()) return null;
  const api = scope as BrowserWorkerApi;
  return {
    kind: "browser",
    startsReliably: false,
    start(data) {
      const url = api.URL.createObjectURL(
        new api.Blob(
          [
            `${WORKER_BODY}\nself.onmessage = (event) => { self.onmessage = null; start(event.data); };`,
          ],
          { type: "text/javascript" },
        ),
      );
      const worker = new api.Worker(url);
      worker.postMessage(data);
      return {
        terminate: () => {
          worker.terminate();
          api.URL.revokeObjectURL(url);
        },
      };
    },
  };
}

/** How this engine starts trace workers, or null where it cannot. */
export function threadHost(): ThreadHost | null {
  if (typeof SharedArrayBuffer !== "function" || typeof Atomics !== "object") return null;
  return nodeHost() ?? browserHost();
}

/** A shared WebAssembly memory of up to `maximumPages`, or null where the engine cannot make one or start a worker over it. */
export function sharedMemory(maximumPages: number): WebAssembly.Memory | null {
  if (threadHost() === null) return null;
  try {
    return new WebAssembly.Memory({ initial: 1, maximum: maximumPages, shared: true });
  } catch {
    return null;
  }
}
