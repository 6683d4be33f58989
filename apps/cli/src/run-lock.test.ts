import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { LOCK_FILE, RunLock, RunLockedError, describeRecovered, processStartMs } from "./run-lock";

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "snn-cli-lock-"));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** The pid of a process that has exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], {
    encoding: "utf8",
  });
  return Number(child.stdout);
}

function writeLock(dir: string, fields: Record<string, unknown>): void {
  writeFileSync(
    join(dir, LOCK_FILE),
    JSON.stringify({
      pid: process.pid,
      hostname: hostname(),
      startedAt: new Date().toISOString(),
      command: "snn train",
      token: "t0",
      ...fields,
    }),
  );
}

describe("RunLock", () => {
  it("records pid, host and start time, refuses a second holder naming the first, and is free again after release", () => {
    const dir = tempDir();
    const lock = RunLock.acquire(dir, "snn train");
    const recorded = JSON.parse(readFileSync(join(dir, LOCK_FILE), "utf8")) as Record<
      string,
      unknown
    >;
    expect(recorded).toMatchObject({
      pid: process.pid,
      hostname: hostname(),
      command: "snn train",
    });
    expect(Date.parse(recorded["startedAt"] as string)).toBeGreaterThan(Date.now() - 60_000);
    expect(lock.recovered).toBeUndefined();
    let refused: unknown;
    try {
      RunLock.acquire(dir, "snn train --resume");
    } catch (error) {
      refused = error;
    }
    expect(refused).toBeInstanceOf(RunLockedError);
    expect((refused as Error).message).toMatch(
      new RegExp(`is being written by snn train \\(pid ${process.pid} on ${hostname()}, since `),
    );
    expect((refused as RunLockedError).exitCode).toBe(1);
    expect(RunLock.check(dir)).toMatch(/is being written by snn train/);
    lock.release();
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
    expect(RunLock.check(dir)).toBeUndefined();
    RunLock.acquire(dir, "snn train").release();
  });

  it("takes over the lock of a process that no longer runs, and says whose it was", () => {
    const dir = tempDir();
    const pid = deadPid();
    writeLock(dir, { pid, token: "stale" });
    expect(RunLock.check(dir)).toBeUndefined();
    const lock = RunLock.acquire(dir, "snn train --resume");
    expect(lock.recovered?.pid).toBe(pid);
    expect(describeRecovered(lock.recovered!)).toMatch(
      new RegExp(
        `took over the lock of snn train \\(pid ${pid} on ${hostname()}, .*no longer running`,
      ),
    );
    expect(JSON.parse(readFileSync(join(dir, LOCK_FILE), "utf8"))).toMatchObject({
      pid: process.pid,
      command: "snn train --resume",
    });
    lock.release();
  });

  it("treats a live pid that started after the lock was taken as reused (stale), where /proc tells", () => {
    if (processStartMs(process.pid) === undefined) return; // not Linux
    const dir = tempDir();
    writeLock(dir, {
      startedAt: new Date(Date.now() - 86_400_000 * 365 * 30).toISOString(),
      token: "old",
    });
    const lock = RunLock.acquire(dir, "snn train");
    expect(lock.recovered?.token).toBe("old");
    lock.release();
  });

  it("refuses a lock of another host (it cannot be checked) and an unreadable one, saying which file to delete", () => {
    const dir = tempDir();
    writeLock(dir, { hostname: "elsewhere.example" });
    expect(() => RunLock.acquire(dir, "snn train")).toThrow(
      new RegExp(`on elsewhere\\.example.*delete ${join(dir, LOCK_FILE).replace(/[.]/g, "\\.")}`),
    );
    writeFileSync(join(dir, LOCK_FILE), "{ torn");
    expect(() => RunLock.acquire(dir, "snn train")).toThrow(
      /cannot be read; if no 'snn train' is writing this run, delete/,
    );
    expect(readFileSync(join(dir, LOCK_FILE), "utf8")).toBe("{ torn");
  });

  it("release leaves a lock that another holder took meanwhile", () => {
    const dir = tempDir();
    const lock = RunLock.acquire(dir, "snn train");
    writeLock(dir, { token: "someone-else" });
    lock.release();
    expect(JSON.parse(readFileSync(join(dir, LOCK_FILE), "utf8"))).toMatchObject({
      token: "someone-else",
    });
  });
});
