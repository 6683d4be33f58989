/**
 * Test helper: a real HTTP server on 127.0.0.1 serving files from memory, with `Range`
 * support and ways to misbehave (cut a response short, go silent, ignore ranges), recording
 * every request. Never part of the package's build (not exported).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";

export interface ServedRequest {
  readonly path: string;
  readonly range: string | undefined;
}

export interface Misbehaviour {
  /** Send only this many bytes of the body, then close the connection (once). */
  readonly cutAfter?: number;
  /** Send this many bytes, then nothing, keeping the connection open (once). */
  readonly stallAfter?: number;
}

export class TestFileServer {
  readonly requests: ServedRequest[] = [];
  readonly files = new Map<string, Buffer>();
  /** Per path: misbehave on the next request for it. */
  readonly misbehave = new Map<string, Misbehaviour>();
  ignoreRanges = false;
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();

  /** Starts listening on a free port of 127.0.0.1. */
  async start(): Promise<this> {
    const server = createServer((req, res) => this.handle(req, res));
    server.on("connection", (socket) => {
      this.sockets.add(socket);
      socket.on("close", () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    this.server = server;
    return this;
  }

  /** `http://127.0.0.1:PORT/`. */
  get url(): string {
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}/`;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) =>
      this.server ? this.server.close(() => resolve()) : resolve(),
    );
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const path = decodeURIComponent((req.url ?? "/").replace(/^\//, ""));
    const range = req.headers.range;
    this.requests.push({ path, range });
    const body = this.files.get(path);
    if (body === undefined) {
      res.writeHead(404, "Not Found", { "content-type": "text/plain" }).end("not found");
      return;
    }
    let start = 0;
    const match = range === undefined || this.ignoreRanges ? null : /^bytes=(\d+)-$/.exec(range);
    if (match) {
      start = Number(match[1]);
      if (start >= body.length) {
        res.writeHead(416, { "content-range": `bytes */${body.length}` }).end();
        return;
      }
      res.writeHead(206, {
        "content-length": String(body.length - start),
        "content-range": `bytes ${start}-${body.length - 1}/${body.length}`,
        "accept-ranges": "bytes",
      });
    } else {
      res.writeHead(200, { "content-length": String(body.length), "accept-ranges": "bytes" });
    }
    const rest = body.subarray(start);
    const trouble = this.misbehave.get(path);
    if (trouble?.cutAfter !== undefined) {
      this.misbehave.delete(path);
      res.write(rest.subarray(0, trouble.cutAfter), () => res.socket?.destroy());
      return;
    }
    if (trouble?.stallAfter !== undefined) {
      this.misbehave.delete(path);
      res.write(rest.subarray(0, trouble.stallAfter)); // and then nothing
      return;
    }
    res.end(rest);
  }
}

/** A port on 127.0.0.1 that nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
