/**
 * A real `redis-server` for tests: on 127.0.0.1 at a free port, its data (append-only file) in
 * a temporary folder, optionally with a password. It can be stopped and started again on the
 * same port and data, as a restarted Redis would be.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
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

export class TestRedis {
  private process: ChildProcess | undefined;
  private constructor(
    readonly port: number,
    readonly dir: string,
    readonly password: string | undefined,
  ) {}

  /** Starts a server; fails with the way to install redis-server when it is missing. */
  static async start(password?: string): Promise<TestRedis> {
    if (spawnSync("redis-server", ["--version"]).status !== 0) {
      throw new Error(
        "redis-server is not installed; run scripts/setup-redis.sh (scripts/test.sh does).",
      );
    }
    const redis = new TestRedis(
      await freePort(),
      mkdtempSync(join(tmpdir(), "snn-redis-")),
      password,
    );
    await redis.startAgain();
    return redis;
  }

  /** redis://[:password@]127.0.0.1:port */
  get url(): string {
    return `redis://${this.password !== undefined ? `:${this.password}@` : ""}127.0.0.1:${this.port}`;
  }

  /** Starts the server (again) on the same port and data; resolves when it answers. */
  async startAgain(): Promise<void> {
    const args = [
      "--port",
      String(this.port),
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
    this.process = spawn("redis-server", args, { stdio: "ignore" });
    const deadline = Date.now() + 20_000;
    for (;;) {
      try {
        await checkRedis(redisTarget(this.url), 1000);
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
