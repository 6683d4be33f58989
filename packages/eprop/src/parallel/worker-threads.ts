/**
 * Node's worker threads as the trainer's worker pools use them: whether there are any, how many
 * may run at once, and the module each worker starts from.
 *
 * The worker's entry module is found where this module is:
 * - built (dist/, what a published package holds): `train-worker.js` beside the bundle, built
 *   from src/train-worker.ts (tsup.config.mjs);
 * - from its TypeScript source (`.ts`: the workspace's tests, whose vitest configuration resolves
 *   workspace packages to their sources, whichever package's test runs a trainer):
 *   `from-sources/train-worker.mjs` beside this file, which registers hooks that load the `.ts`
 *   sources and runs src/train-worker.ts. That folder is neither built nor published.
 * {@link setTrainWorkerEntry} replaces the entry (tests of a worker that cannot start).
 */

interface NodeWorkerThreadsApi {
  Worker: new (url: URL | string, options?: { workerData?: unknown }) => NodeWorker;
}

/** The part of `node:worker_threads`' Worker the pools use. */
export interface NodeWorker {
  postMessage(message: unknown): void;
  /** Messages are the protocol's `FromWorker` (protocol.ts); the pool types its listener. */
  on(event: "message", listener: (message: never) => void): void;
  on(event: "error", listener: (error: Error) => void): void;
  on(event: "exit", listener: (code: number) => void): void;
  ref(): void;
  unref(): void;
  terminate(): Promise<number>;
}

let entryOverride: URL | null = null;

/** Replaces the workers' entry module (`null`: back to the one found beside this module). */
export function setTrainWorkerEntry(url: URL | null): void {
  entryOverride = url;
}

/** Whether this module runs from its TypeScript source rather than from the built package. */
function fromSources(): boolean {
  return import.meta.url.endsWith(".ts");
}

/** The module a worker thread starts from (see this file's comment). */
function workerEntry(): URL {
  if (entryOverride !== null) return entryOverride;
  if (!fromSources()) return new URL("./train-worker.js", import.meta.url);
  // A variable, not a literal: bundlers that resolve `new URL("...", import.meta.url)` at build
  // time must not look for a file that only the sources have.
  const sourceEntry = "./from-sources/train-worker.mjs";
  return new URL(sourceEntry, import.meta.url);
}

function nodeBuiltin(name: string): unknown {
  const process = (globalThis as { process?: { getBuiltinModule?: (name: string) => unknown } })
    .process;
  if (typeof process?.getBuiltinModule !== "function") return null;
  try {
    return process.getBuiltinModule(name) ?? null;
  } catch {
    return null;
  }
}

/** `node:worker_threads`, or null where there are no worker threads (a browser, an older Node). */
function workerThreads(): NodeWorkerThreadsApi | null {
  return nodeBuiltin("node:worker_threads") as NodeWorkerThreadsApi | null;
}

/** Whether worker threads can be started here (Node 20.16+). */
export function hasWorkerThreads(): boolean {
  return workerThreads() !== null;
}

/** A worker thread started from {@link workerEntry}; throws where there are no worker threads. */
export function startWorker(): NodeWorker {
  const api = workerThreads();
  if (api === null) throw new Error("internal: startWorker without worker threads");
  return new api.Worker(workerEntry());
}

/**
 * The threads this process may run at once (Node's `os.availableParallelism()`), or 1 where
 * there are no worker threads (a browser, an older Node).
 */
export function availableThreads(): number {
  if (!hasWorkerThreads()) return 1;
  try {
    const os = nodeBuiltin("node:os") as {
      availableParallelism?(): number;
      cpus(): readonly unknown[];
    } | null;
    const count = os?.availableParallelism?.() ?? os?.cpus().length ?? 1;
    return Number.isInteger(count) && count >= 1 ? count : 1;
  } catch {
    return 1;
  }
}
