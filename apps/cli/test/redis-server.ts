/**
 * A real `redis-server` for tests: on 127.0.0.1 at a free port, its data (append-only file) in
 * a temporary folder, optionally with a password, and optionally serving TLS only (with a
 * self-signed certificate for 127.0.0.1 made by `openssl`). It can be stopped and started again
 * on the same port and data, as a restarted Redis would be.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect as tlsConnect } from "node:tls";
import { checkRedis, redisTarget } from "@snn/sweep";

/** A free TCP port on 127.0.0.1 (closed again before it is returned). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** RESP for one command. */
function command(...words: readonly string[]): string {
  return `*${words.length}\r\n${words.map((w) => `$${Buffer.byteLength(w)}\r\n${w}\r\n`).join("")}`;
}

/**
 * Connects to 127.0.0.1:`port` with TLS trusting `ca`, authenticates and pings: resolves on
 * PONG. (The library's `checkRedis` trusts only NODE_EXTRA_CA_CERTS, which a running process
 * cannot change.)
 */
function pingOverTls(
  port: number,
  ca: string,
  password: string | undefined,
  timeoutMs: number,
): Promise<void> {
  return new Promise((resolve, reject) => {
    let reply = "";
    const socket = tlsConnect({ host: "127.0.0.1", port, ca });
    const done = (error?: Error): void => {
      socket.destroy();
      if (error) reject(error);
      else resolve();
    };
    socket.setTimeout(timeoutMs, () => done(new Error(`no answer in ${timeoutMs} ms`)));
    socket.once("secureConnect", () =>
      socket.write(`${password !== undefined ? command("AUTH", password) : ""}${command("PING")}`),
    );
    socket.setEncoding("utf8").on("data", (chunk: string) => {
      reply += chunk;
      if (reply.includes("+PONG\r\n")) done();
      else if (reply.startsWith("-") && reply.includes("\r\n")) done(new Error(reply.trim()));
    });
    socket.once("error", (error) => done(error));
    socket.once("close", () => done(new Error(`connection closed (${reply.trim()})`)));
  });
}

export interface TestRedisOptions {
  /** `requirepass`. */
  readonly password?: string;
  /** Serve TLS only (`--port 0 --tls-port PORT`) with a self-signed certificate for 127.0.0.1. */
  readonly tls?: boolean;
}

export class TestRedis {
  private process: ChildProcess | undefined;
  private constructor(
    readonly port: number,
    readonly dir: string,
    readonly password: string | undefined,
    readonly tls: boolean,
  ) {}

  /**
   * Starts a server with a password (a string) or options; fails with the way to install
   * redis-server (and openssl, for TLS) when it is missing.
   */
  static async start(options: string | TestRedisOptions = {}): Promise<TestRedis> {
    const { password, tls = false } = typeof options === "string" ? { password: options } : options;
    if (spawnSync("redis-server", ["--version"]).status !== 0) {
      throw new Error(
        "redis-server is not installed; run scripts/setup-redis.sh (scripts/test.sh does).",
      );
    }
    const redis = new TestRedis(
      await freePort(),
      mkdtempSync(join(tmpdir(), "snn-redis-")),
      password,
      tls,
    );
    if (tls) redis.makeCertificate();
    await redis.startAgain();
    return redis;
  }

  /** redis://[:password@]127.0.0.1:port, or rediss://... for TLS. */
  get url(): string {
    return `${this.tls ? "rediss" : "redis"}://${this.password !== undefined ? `:${this.password}@` : ""}127.0.0.1:${this.port}`;
  }

  /** The server's self-signed certificate (PEM), its own CA: for NODE_EXTRA_CA_CERTS. */
  get caFile(): string {
    return join(this.dir, "cert.pem");
  }

  private get keyFile(): string {
    return join(this.dir, "key.pem");
  }

  /** A self-signed P-256 certificate for IP 127.0.0.1, valid for two days. */
  private makeCertificate(): void {
    const result = spawnSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-keyout",
        this.keyFile,
        "-out",
        this.caFile,
        "-days",
        "2",
        "-subj",
        "/CN=127.0.0.1",
        "-addext",
        "subjectAltName=IP:127.0.0.1",
      ],
      { encoding: "utf8" },
    );
    if (result.error !== undefined || result.status !== 0)
      throw new Error(
        `openssl could not make a certificate for the TLS tests (${result.error?.message ?? result.stderr.trim()}); run scripts/setup-redis.sh, which installs openssl.`,
      );
  }

  /** Starts the server (again) on the same port and data; resolves when it answers. */
  async startAgain(): Promise<void> {
    const args = [
      "--port",
      this.tls ? "0" : String(this.port), // TLS only: no plain port
      "--bind",
      "127.0.0.1",
      "--dir",
      this.dir,
      "--save",
      "",
      "--appendonly",
      "yes",
      "--appendfsync",
      "always",
      "--maxmemory-policy",
      "noeviction",
    ];
    if (this.password !== undefined) args.push("--requirepass", this.password);
    if (this.tls) {
      args.push(
        "--tls-port",
        String(this.port),
        "--tls-cert-file",
        this.caFile,
        "--tls-key-file",
        this.keyFile,
        "--tls-auth-clients",
        "no",
      );
    }
    this.process = spawn("redis-server", args, { stdio: "ignore" });
    const ca = this.tls ? readFileSync(this.caFile, "utf8") : "";
    const deadline = Date.now() + 20_000;
    for (;;) {
      try {
        if (this.tls) await pingOverTls(this.port, ca, this.password, 1000);
        else await checkRedis(redisTarget(this.url), 1000);
        return;
      } catch (error) {
        if (Date.now() > deadline)
          throw new Error(
            `redis-server did not start on port ${this.port}: ${(error as Error).message}`,
            { cause: error },
          );
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  /** Stops the server (SIGTERM: it writes its data and exits). */
  async stop(): Promise<void> {
    const child = this.process;
    this.process = undefined;
    if (child === undefined || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once("exit", () => resolve());
      child.kill("SIGTERM");
    });
  }

  /** Stops the server and deletes its data. */
  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
