/**
 * End-to-end: a sweep over `rediss://` with a password, against a real redis-server that serves
 * TLS only with a self-signed certificate (see redis-server.ts). Submit, a worker and status
 * work when the certificate is trusted through NODE_EXTRA_CA_CERTS; without it, and with plain
 * `redis://` to the TLS port, the commands stop at once with one line that says what to do.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BIN, ensureBuilt, runCli } from "./cli";
import { TestRedis } from "./redis-server";

const PASSWORD = "tls-s3cret";
/** One tiny run: 8 hidden neurons, 4 batches of 8, one epoch. */
const SWEEP = {
  name: "tls",
  base: {
    dataset: "latency-mnist",
    data: "full",
    hidden: 8,
    "train-samples": 32,
    "test-samples": 16,
    "batch-size": 8,
    epochs: 1,
  },
  seeds: [1],
};

let dir: string;
let redis: TestRedis;
let sweepFile: string;
let runs: string;
/** The environment that trusts the server's certificate. */
let trusted: Record<string, string>;
const children: ChildProcess[] = [];

beforeAll(async () => {
  ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), "snn-sweep-tls-"));
  sweepFile = join(dir, "tls.json");
  writeFileSync(sweepFile, JSON.stringify(SWEEP));
  runs = join(dir, "runs");
  redis = await TestRedis.start({ password: PASSWORD, tls: true });
  trusted = { NODE_EXTRA_CA_CERTS: redis.caFile };
});
afterAll(async () => {
  for (const child of children) child.kill("SIGKILL");
  await redis?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

/** The error output's lines, without blank ones. */
function lines(stderr: string): string[] {
  return stderr.split("\n").filter((l) => l.trim() !== "");
}

describe("sweeps over TLS (rediss://) with a password", () => {
  it("without NODE_EXTRA_CA_CERTS, submit stops at once with one line about the certificate", async () => {
    expect(redis.url).toMatch(/^rediss:\/\/:tls-s3cret@127\.0\.0\.1:\d+$/);
    const submit = await runCli(
      ["sweep", "submit", sweepFile, "--redis", redis.url, "--runs", runs],
      { cwd: dir, env: { NODE_EXTRA_CA_CERTS: "" }, timeoutMs: 30_000 },
    );
    expect(submit.code).toBe(1);
    expect(lines(submit.stderr)).toHaveLength(1);
    expect(submit.stderr).toMatch(
      /^snn sweep submit: error: TLS with Redis at rediss:\/\/:\*\*\*@127\.0\.0\.1:\d+\/? failed: the server's certificate is not trusted \(self-signed certificate\); .*NODE_EXTRA_CA_CERTS=ca\.pem/,
    );
    expect(submit.stderr).not.toContain(PASSWORD);
  });

  it("plain redis:// to the TLS port stops at once with one line that suggests rediss://", async () => {
    const plain = redis.url.replace(/^rediss:/, "redis:");
    const started = Date.now();
    const submit = await runCli(["sweep", "submit", sweepFile, "--redis", plain, "--runs", runs], {
      cwd: dir,
      env: trusted,
      timeoutMs: 30_000,
    });
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(submit.code).toBe(1);
    expect(lines(submit.stderr)).toHaveLength(1);
    expect(submit.stderr).toMatch(
      /^snn sweep submit: error: cannot use Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:\d+\/?: the server closed the connection \([^)]+\); if that port serves TLS, write rediss:\/\/ instead of redis:\/\/\.$/m,
    );
    expect(submit.stderr).not.toContain(PASSWORD);
  });

  it("with NODE_EXTRA_CA_CERTS, submit succeeds and a worker trains the run to done", async () => {
    const submit = await runCli(
      ["sweep", "submit", sweepFile, "--redis", redis.url, "--runs", runs],
      { cwd: dir, env: trusted },
    );
    expect(submit.code, submit.stderr).toBe(0);
    expect(submit.stdout).toMatch(/Submitted sweep tls: 1 runs to rediss:\/\/:\*\*\*@127\.0\.0\.1/);

    const worker = spawn(
      process.execPath,
      [BIN, "worker", "--redis", redis.url, "--stall-timeout", "2"],
      {
        cwd: dir,
        env: { ...process.env, SNN_DEBUG: "", ...trusted },
        stdio: ["ignore", "ignore", "pipe"],
      },
    );
    children.push(worker);
    const exited = new Promise<number | null>((resolve) =>
      worker.on("close", (code) => resolve(code)),
    );
    let log = "";
    worker.stderr!.setEncoding("utf8").on("data", (chunk: string) => {
      log += chunk;
    });
    const deadline = Date.now() + 120_000;
    while (!/tls\/base-seed1: finished/.test(log)) {
      if (Date.now() > deadline || worker.exitCode !== null)
        throw new Error(`the worker did not finish the run; its log:\n${log}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(log).not.toContain(PASSWORD);

    const status = await runCli(["sweep", "status", "tls", "--redis", redis.url, "--json"], {
      cwd: dir,
      env: trusted,
    });
    expect(status.code, status.stderr).toBe(0);
    const { runs: states } = JSON.parse(status.stdout) as {
      runs: { runId: string; state: string }[];
    };
    expect(states).toEqual([expect.objectContaining({ runId: "base-seed1", state: "done" })]);
    expect(
      existsSync(join(runs, "tls", "base-seed1", "checkpoints", "epoch-0001.safetensors")),
    ).toBe(true);

    worker.kill("SIGINT");
    expect(await exited).toBe(130);
  }, 180_000);
});
