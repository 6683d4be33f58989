/**
 * HTTP downloads for `fetchDataset`: a file into a `.part` file that resumes with a `Range`
 * request, and small text files. Network failures become `DatasetDownloadError`s that say what
 * happened and what to do; a connection that goes silent for `stallTimeoutMs` counts as broken.
 */
import { createWriteStream } from "node:fs";
import { stat, truncate } from "node:fs/promises";
import { once } from "node:events";
import { DatasetDownloadError } from "./errors";

/** Bytes received so far of one file; `totalBytes` when the server said. */
export interface TransferProgress {
  readonly bytes: number;
  readonly totalBytes: number | undefined;
  /** Bytes that were already on disk from an earlier, interrupted download. */
  readonly resumedFrom: number;
}

export interface TransferOptions {
  readonly signal?: AbortSignal | undefined;
  readonly onProgress?: ((progress: TransferProgress) => void) | undefined;
  /** A connection silent for this long is given up (the part received is kept). Default 60 s. */
  readonly stallTimeoutMs?: number | undefined;
}

const NETWORK_CODES: Readonly<Record<string, string>> = {
  ENOTFOUND: "the host name does not resolve",
  EAI_AGAIN: "the host name could not be looked up",
  ECONNREFUSED: "the connection was refused",
  ECONNRESET: "the connection was reset",
  ENETUNREACH: "the network is unreachable",
  EHOSTUNREACH: "the host is unreachable",
  ETIMEDOUT: "the connection timed out",
  UND_ERR_CONNECT_TIMEOUT: "the connection timed out",
  UND_ERR_SOCKET: "the connection closed",
};

const FILESYSTEM_CODES = new Set([
  "EACCES",
  "EPERM",
  "ENOSPC",
  "EROFS",
  "EISDIR",
  "ENOTDIR",
  "EDQUOT",
]);

/** The innermost `code` of an error chain (fetch wraps socket errors in `cause`). */
function errorCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string") return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** A `fetch` for one request, aborted by the caller's signal or after `stallMs` without progress. */
class Watchdog {
  readonly controller = new AbortController();
  private timer: ReturnType<typeof setTimeout> | undefined;
  stalled = false;

  constructor(
    readonly stallMs: number,
    private readonly outer: AbortSignal | undefined,
  ) {
    if (outer?.aborted) this.controller.abort();
    outer?.addEventListener("abort", this.onOuterAbort, { once: true });
    this.kick();
  }

  private readonly onOuterAbort = (): void => this.controller.abort();

  get aborted(): boolean {
    return this.outer?.aborted === true;
  }

  kick(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.stalled = true;
      this.controller.abort();
    }, this.stallMs);
  }

  done(): void {
    clearTimeout(this.timer);
    this.outer?.removeEventListener("abort", this.onOuterAbort);
  }
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

/** The error for a request that failed before or while receiving, given how much arrived. */
function transferError(
  error: unknown,
  url: string,
  watchdog: Watchdog,
  received: number | undefined,
  file: string | undefined,
): DatasetDownloadError {
  const where = { url, file };
  const kept =
    received !== undefined && received > 0
      ? ` The ${received} bytes received are kept in ${file}; run again to resume.`
      : "";
  if (watchdog.aborted)
    return new DatasetDownloadError(`The download of ${url} was stopped.${kept}`, "aborted", where);
  if (watchdog.stalled) {
    return new DatasetDownloadError(
      `${hostOf(url)} sent nothing for ${Math.round(watchdog.stallMs / 1000)} s while downloading ${url}; the connection was given up.${kept || " Run again to retry."}`,
      "interrupted",
      where,
    );
  }
  const code = errorCode(error);
  if (code !== undefined && FILESYSTEM_CODES.has(code)) {
    return new DatasetDownloadError(
      `Cannot write ${file ?? "the download"} (${code}: ${error instanceof Error ? error.message : String(error)}); free some space or choose another directory (SNN_DATA_DIR).`,
      "filesystem",
      where,
    );
  }
  if (received === undefined) {
    const why =
      code !== undefined
        ? (NETWORK_CODES[code] ?? code)
        : error instanceof Error
          ? error.message
          : String(error);
    return new DatasetDownloadError(
      `Cannot reach ${hostOf(url)} to download ${url} (${why}). Check the internet connection (or a proxy or firewall), then run again; partial downloads are kept and resume.`,
      "offline",
      where,
    );
  }
  return new DatasetDownloadError(
    `The connection broke while downloading ${url} (${code !== undefined ? (NETWORK_CODES[code] ?? code) : "connection closed"}).${kept || " Run again to retry."}`,
    "interrupted",
    where,
  );
}

async function request(
  url: string,
  headers: Record<string, string>,
  watchdog: Watchdog,
  file?: string,
): Promise<Response> {
  try {
    return await fetch(url, { headers, signal: watchdog.controller.signal, redirect: "follow" });
  } catch (error) {
    watchdog.done();
    throw transferError(error, url, watchdog, undefined, file);
  }
}

function httpError(response: Response, url: string, file?: string): DatasetDownloadError {
  return new DatasetDownloadError(
    `${hostOf(url)} answered ${response.status} ${response.statusText || ""} for ${url}`.trimEnd() +
      (response.status === 404
        ? "; the file is not there (has the dataset moved? see its homepage)."
        : "; try again later."),
    "http",
    { url, file },
  );
}

/** Downloads a small text file (a checksum list) into memory. */
export async function fetchText(url: string, options: TransferOptions = {}): Promise<string> {
  const watchdog = new Watchdog(options.stallTimeoutMs ?? 60_000, options.signal);
  const response = await request(url, {}, watchdog);
  try {
    if (!response.ok) throw httpError(response, url);
    return await response.text();
  } catch (error) {
    if (error instanceof DatasetDownloadError) throw error;
    throw transferError(error, url, watchdog, 0, undefined);
  } finally {
    watchdog.done();
  }
}

async function sizeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}

/** "bytes 100-199/200" → { start: 100, total: 200 }; "bytes * /200" → { total: 200 }. */
function parseContentRange(value: string | null): { start?: number; total?: number } {
  const match = value === null ? null : /^bytes\s+(?:(\d+)-\d+|\*)\/(\d+|\*)$/i.exec(value.trim());
  if (!match) return {};
  return {
    ...(match[1] !== undefined ? { start: Number(match[1]) } : {}),
    ...(match[2] !== "*" ? { total: Number(match[2]) } : {}),
  };
}

/**
 * Downloads `url` into `partFile`, continuing after the bytes already in it with a `Range`
 * request (a server that ignores the range sends the whole file, which then replaces them).
 * Resolves with the file's size when the server's whole file is on disk. On any failure the part
 * received stays on disk for the next call.
 */
export async function downloadResumable(
  url: string,
  partFile: string,
  options: TransferOptions = {},
): Promise<{ bytes: number; resumedFrom: number }> {
  let start = await sizeOf(partFile);
  const watchdog = new Watchdog(options.stallTimeoutMs ?? 60_000, options.signal);
  let response = await request(
    url,
    start > 0 ? { Range: `bytes=${start}-` } : {},
    watchdog,
    partFile,
  );
  if (response.status === 416 && start > 0) {
    // Nothing left to send: the part is complete if it is as long as the file, else start over.
    const { total } = parseContentRange(response.headers.get("content-range"));
    await response.body?.cancel();
    if (total === start) {
      watchdog.done();
      return { bytes: start, resumedFrom: start };
    }
    await truncate(partFile, 0);
    start = 0;
    response = await request(url, {}, watchdog, partFile);
  }
  let received = 0;
  let resumedFrom: number;
  try {
    if (response.status === 206) {
      const range = parseContentRange(response.headers.get("content-range"));
      if (range.start !== start)
        throw new DatasetDownloadError(
          `${hostOf(url)} answered a resumed download of ${url} with the wrong range (${response.headers.get("content-range") ?? "none"}); delete ${partFile} and run again.`,
          "http",
          { url, file: partFile },
        );
      resumedFrom = start;
    } else if (response.ok) {
      resumedFrom = 0; // the whole file: replaces what was there
    } else {
      throw httpError(response, url, partFile);
    }
    const length = Number(response.headers.get("content-length") ?? Number.NaN);
    const totalBytes =
      response.status === 206
        ? parseContentRange(response.headers.get("content-range")).total
        : Number.isFinite(length)
          ? length
          : undefined;
    received = resumedFrom;
    const out = createWriteStream(partFile, { flags: resumedFrom > 0 ? "a" : "w" });
    // Settles (with the stream's error, if any) once the file is closed; never rejects.
    const closed = once(out, "close").then(
      () => undefined,
      (error: unknown) => error,
    );
    try {
      options.onProgress?.({ bytes: received, totalBytes, resumedFrom });
      if (response.body) {
        for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
          watchdog.kick();
          received += chunk.byteLength;
          if (!out.write(chunk)) await once(out, "drain");
          options.onProgress?.({ bytes: received, totalBytes, resumedFrom });
        }
      }
    } catch (error) {
      // The transfer's own error is the one to report; the file is closed first either way.
      out.end();
      await closed;
      throw error;
    }
    out.end();
    const writeError = await closed;
    if (writeError !== undefined) throw writeError;
    if (totalBytes !== undefined && received !== totalBytes) {
      throw new DatasetDownloadError(
        `The download of ${url} ended after ${received} of ${totalBytes} bytes. The part received is kept in ${partFile}; run again to resume.`,
        "interrupted",
        { url, file: partFile },
      );
    }
    return { bytes: received, resumedFrom };
  } catch (error) {
    if (error instanceof DatasetDownloadError) throw error;
    throw transferError(error, url, watchdog, received, partFile);
  } finally {
    watchdog.done();
  }
}
