/**
 * Reads an HDF5 file through h5wasm running in a worker thread (h5-worker.mjs), with a time
 * limit on every call. Some damaged HDF5 structures (a zeroed heap-object index, for one) make
 * HDF5 loop forever or abort; in a worker that is ended and reported as a `DatasetFormatError`
 * instead of hanging the process or printing `Aborted(...)`. Everything HDF5 or Emscripten
 * print in the worker is captured, never shown.
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import type * as H5 from "h5wasm/node";
import { DatasetFormatError, DatasetOptionsError } from "../errors";

/** h5wasm's description of a dataset (type, size, shape, vlen base type, ...). */
export type Hdf5Metadata = H5.Metadata;

/** What is at a path: a dataset with its metadata, something else (a group), or nothing (`null`). */
export type Hdf5Entity =
  { readonly kind: "dataset"; readonly metadata: Hdf5Metadata } | { readonly kind: "other" } | null;

/** Default time limit of one HDF5 call, ms (`SNN_HDF5_TIMEOUT_MS` overrides it). */
export const DEFAULT_HDF5_TIMEOUT_MS = 10_000;

/** Time allowed for the worker to load h5wasm (not file-dependent, so more generous). */
const STARTUP_TIMEOUT_MS = 60_000;

/** The time limit of one HDF5 call: `requested`, else `SNN_HDF5_TIMEOUT_MS`, else the default. */
export function resolveHdf5Timeout(requested: number | undefined): number {
  if (requested !== undefined) {
    if (!(Number.isFinite(requested) && requested > 0))
      throw new DatasetOptionsError(`timeoutMs must be a positive number of ms, got ${requested}.`);
    return requested;
  }
  const env = process.env["SNN_HDF5_TIMEOUT_MS"];
  if (env === undefined || env === "") return DEFAULT_HDF5_TIMEOUT_MS;
  const value = Number(env);
  if (!(Number.isFinite(value) && value > 0)) {
    throw new DatasetOptionsError(
      `SNN_HDF5_TIMEOUT_MS must be a positive number of milliseconds, got ${JSON.stringify(env)}.`,
    );
  }
  return value;
}

function workerUrl(): URL {
  // Beside this module: src/hdf5/ when run from the sources, dist/ (copied by the build) when bundled.
  const url = new URL("./h5-worker.mjs", import.meta.url);
  if (!existsSync(fileURLToPath(url)))
    throw new Error(
      `@snn/datasets is incomplete: ${fileURLToPath(url)} is missing; reinstall the package.`,
    );
  return url;
}

interface WorkerError {
  readonly kind: string;
  readonly message: string;
  readonly index?: number;
}

/** An HDF5 call that failed inside the worker (HDF5 error, abort, damaged entry). */
export class Hdf5CallError extends Error {
  constructor(
    readonly kind: string,
    message: string,
    /** For `damaged-entry`: the entry (relative to the read's start). */
    readonly index: number | undefined,
  ) {
    super(message);
  }
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

/** Workers with h5wasm loaded and no file open, kept for the next `open` (loading takes a while). */
const idleWorkers: Worker[] = [];
const MAX_IDLE_WORKERS = 2;

function dropIdle(this: Worker): void {
  const i = idleWorkers.indexOf(this);
  if (i >= 0) idleWorkers.splice(i, 1);
}

/** Starts a worker and waits until it has loaded h5wasm. */
async function startWorker(displayPath: string): Promise<Worker> {
  // stdout/stderr: true keeps HDF5's and Emscripten's output (e.g. "Aborted(...)") away from the user.
  const worker = new Worker(workerUrl(), { stdout: true, stderr: true });
  worker.stdout.resume();
  worker.stderr.resume();
  worker.unref();
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      void worker.terminate();
      reject(
        new DatasetFormatError(
          `Could not start the HDF5 reader within ${STARTUP_TIMEOUT_MS / 1000} s (the machine is overloaded?); try again.`,
          { file: displayPath },
        ),
      );
    }, STARTUP_TIMEOUT_MS);
    const onMessage = (message: { type?: string; message?: string }): void => {
      if (message.type !== "ready" && message.type !== "failed") return;
      clearTimeout(timer);
      worker.off("message", onMessage);
      worker.off("exit", onExit);
      if (message.type === "ready") resolve();
      else {
        void worker.terminate();
        reject(new Error(`h5wasm could not be loaded: ${message.message}`));
      }
    };
    const onExit = (): void => {
      clearTimeout(timer);
      reject(new Error("The HDF5 reader exited while loading h5wasm."));
    };
    worker.on("message", onMessage);
    worker.once("exit", onExit);
  });
  return worker;
}

/**
 * One open HDF5 file in a worker of its own (no other file shares it, so ending it on a
 * time-out affects this file only). Calls are serialised by the worker. A worker whose file
 * closed cleanly is kept for the next file; one that failed is ended.
 */
export class Hdf5Reader {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private failure: Error | undefined;
  private ended = false;
  private readonly onMessage: (message: {
    id?: number;
    ok?: boolean;
    value?: unknown;
    error?: WorkerError;
  }) => void;
  private readonly onError: (error: Error) => void;
  private readonly onExit: () => void;

  private constructor(
    private readonly worker: Worker,
    /** How errors name the file (the path the user gave). */
    private readonly displayPath: string,
    private readonly timeoutMs: number,
  ) {
    this.onMessage = (message) => {
      if (message.id === undefined) return;
      const p = this.pending.get(message.id);
      if (!p) return;
      this.pending.delete(message.id);
      clearTimeout(p.timer);
      if (message.ok) p.resolve(message.value);
      else {
        const error = new Hdf5CallError(
          message.error!.kind,
          message.error!.message,
          message.error!.index,
        );
        // After an abort the worker's h5wasm is unusable: it is not reused.
        if (error.kind === "abort")
          this.failure ??= new DatasetFormatError(
            `${displayPath}: HDF5 stopped on damaged internal structures. The file is damaged; download it again.`,
            { file: displayPath },
          );
        p.reject(error);
      }
    };
    this.onError = (error) =>
      this.fail(
        new DatasetFormatError(
          `${displayPath}: the HDF5 reader stopped (${error.message}). The file is damaged; download it again.`,
          { file: displayPath },
        ),
      );
    this.onExit = () =>
      this.fail(
        new DatasetFormatError(
          `${displayPath}: the HDF5 reader stopped. The file is damaged; download it again.`,
          { file: displayPath },
        ),
      );
    worker.on("message", this.onMessage);
    worker.on("error", this.onError);
    worker.on("exit", this.onExit);
  }

  /** Takes an idle worker (or starts one) and opens `file` read-only in it. */
  static async open(file: string, displayPath: string, timeoutMs: number): Promise<Hdf5Reader> {
    const idle = idleWorkers.pop();
    if (idle) idle.off("exit", dropIdle);
    const worker = idle ?? (await startWorker(displayPath));
    const reader = new Hdf5Reader(worker, displayPath, timeoutMs);
    try {
      await reader.call("open the file", { op: "open", file });
    } catch (e) {
      await reader.close();
      throw e;
    }
    return reader;
  }
  private fail(error: Error): void {
    if (this.failure === undefined && !this.ended) this.failure = error;
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(this.failure ?? error);
      this.pending.delete(id);
    }
  }

  /**
   * Sends one request; `what` names it in errors ("read /extra/keys"). Rejects with
   * `Hdf5CallError` for an HDF5 failure and with `DatasetFormatError` when the call does not
   * finish in time (the worker is then ended and every later call fails the same way).
   */
  call<T>(what: string, request: Record<string, unknown>): Promise<T> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.ended)
      return Promise.reject(
        new DatasetOptionsError(
          `${this.displayPath} has been closed; open it again to read samples.`,
          { file: this.displayPath },
        ),
      );
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        const error = new DatasetFormatError(
          `${this.displayPath}: HDF5 did not ${what} within ${this.timeoutMs / 1000} s, so the file is damaged (some damaged HDF5 structures make the reader loop forever). Download it again. If the file is intact and only the disk is slow, allow more time (timeoutMs option, or the SNN_HDF5_TIMEOUT_MS environment variable).`,
          { file: this.displayPath },
        );
        this.failure = error;
        reject(error);
        void this.worker.terminate();
      }, this.timeoutMs);
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject, timer });
      this.worker.postMessage({ ...request, id });
    });
  }

  /** Closes the file; the worker is kept for another file when healthy, else ended. */
  async close(): Promise<void> {
    if (this.ended) return;
    let healthy = this.failure === undefined;
    if (healthy) {
      try {
        await this.call("close the file", { op: "close" });
      } catch {
        healthy = false;
      }
    }
    this.ended = true;
    this.worker.off("message", this.onMessage);
    this.worker.off("error", this.onError);
    this.worker.off("exit", this.onExit);
    if (healthy && this.failure === undefined && idleWorkers.length < MAX_IDLE_WORKERS) {
      this.worker.on("exit", dropIdle);
      idleWorkers.push(this.worker);
    } else {
      await this.worker.terminate();
    }
  }
}
