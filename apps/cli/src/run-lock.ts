/**
 * The owner of a run directory: `DIR/run.lock`, created atomically (a hard link of a complete
 * file, which fails if the lock exists) and held while `snn train` writes the run. It records
 * the holder's pid, host and start time. A lock whose process is gone (same host, no such pid,
 * or a pid that now belongs to a process started later) is stale and is taken over; a live
 * holder, or one on another host, makes the second writer fail with a message naming it.
 */
import { randomBytes } from "node:crypto";
import { existsSync, linkSync, readFileSync, unlinkSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { CommandError } from "./errors";

/** File name of the lock inside a run directory. */
export const LOCK_FILE = "run.lock";

/** What the lock file says about its holder. */
export interface LockHolder {
  readonly pid: number;
  readonly hostname: string;
  /** ISO time the lock was taken. */
  readonly startedAt: string;
  /** What holds it, e.g. "snn train --resume". */
  readonly command: string;
  /** Random, to tell this holder's lock from a later one of the same pid. */
  readonly token: string;
}

/** Another process owns the run directory. Exit status 1. */
export class RunLockedError extends CommandError {
  constructor(
    message: string,
    readonly holder: LockHolder | undefined,
  ) {
    super(message);
  }
}

/** A lock held by this process; {@link release} it when done (process exit releases it too). */
export class RunLock {
  private released = false;
  private readonly onExit = (): void => this.release();

  private constructor(
    /** The lock file. */
    readonly file: string,
    readonly holder: LockHolder,
    /** The stale lock this one replaced, if any (its process was gone). */
    readonly recovered: LockHolder | undefined,
  ) {
    process.once("exit", this.onExit);
  }

  /**
   * Takes the lock of `dir` (which must exist) for `command`, taking over a stale one.
   * Throws {@link RunLockedError} when a live process holds it.
   */
  static acquire(dir: string, command: string): RunLock {
    const file = join(dir, LOCK_FILE);
    const holder: LockHolder = {
      pid: process.pid,
      hostname: hostname(),
      startedAt: new Date().toISOString(),
      command,
      token: randomBytes(8).toString("hex"),
    };
    let recovered: LockHolder | undefined;
    for (let attempt = 0; attempt < 20; attempt++) {
      if (createExclusive(file, holder)) return new RunLock(file, holder, recovered);
      const current = readHolder(file);
      if (current === "missing") continue; // released meanwhile: try again
      if (current === "unreadable") {
        throw new RunLockedError(
          `${dir} is locked by ${file}, which cannot be read; if no 'snn train' is writing this run, delete ${file} and try again.`,
          undefined,
        );
      }
      if (holderAlive(current)) throw new RunLockedError(describeHeld(dir, file, current), current);
      if (breakStaleLock(file, current)) recovered = current;
    }
    throw new RunLockedError(
      `could not take the lock ${file}: other processes keep taking it; make sure only one 'snn train' writes ${dir}.`,
      undefined,
    );
  }

  /**
   * Changes nothing: a message naming the live process that holds the lock of `dir`, or
   * undefined when there is no lock or only a stale one.
   */
  static check(dir: string): string | undefined {
    const file = join(dir, LOCK_FILE);
    const current = readHolder(file);
    if (current === "missing") return undefined;
    if (current === "unreadable")
      return `${dir} is locked by ${file}, which cannot be read; if no 'snn train' is writing this run, delete ${file} and try again.`;
    return holderAlive(current) ? describeHeld(dir, file, current) : undefined;
  }

  /** Removes the lock file if it is still this holder's. Safe to call more than once. */
  release(): void {
    if (this.released) return;
    this.released = true;
    process.removeListener("exit", this.onExit);
    const current = readHolder(this.file);
    if (typeof current === "object" && current.token === this.holder.token) {
      try {
        unlinkSync(this.file);
      } catch {
        // Already gone, or the folder became unwritable: a later run finds it stale.
      }
    }
  }
}

/** One line about a stale lock that was taken over. */
export function describeRecovered(holder: LockHolder): string {
  return `took over the lock of ${holder.command} (pid ${holder.pid} on ${holder.hostname}, started ${holder.startedAt}), which is no longer running`;
}

function describeHeld(dir: string, file: string, holder: LockHolder): string {
  const who = `${holder.command} (pid ${holder.pid} on ${holder.hostname}, since ${holder.startedAt})`;
  const sameHost = holder.hostname === hostname();
  return `${dir} is being written by ${who}; wait for it to finish or stop it${sameHost ? "" : `, or if it no longer runs on ${holder.hostname}, delete ${file}`}, or choose another folder.`;
}

/** Creates `file` with the holder's record only if it does not exist; false if it does. */
function createExclusive(file: string, holder: LockHolder): boolean {
  const temp = `${file}.${holder.pid}.${holder.token}.tmp`;
  try {
    // Inside the try: a write that fails (a full disk) must not leave the temporary file.
    try {
      writeFileSync(temp, `${JSON.stringify(holder, null, 2)}\n`);
    } catch (error) {
      // Node names no path when the write itself (not the open) fails, e.g. with ENOSPC.
      if (error instanceof Error && (error as NodeJS.ErrnoException).path === undefined)
        Object.assign(error, { path: temp, syscall: "write" });
      throw error;
    }
    linkSync(temp, file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  } finally {
    try {
      unlinkSync(temp);
    } catch {
      // Nothing to clean up.
    }
  }
}

function readHolder(file: string): LockHolder | "missing" | "unreadable" {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "ENOENT" ? "missing" : "unreadable";
  }
  try {
    const value = JSON.parse(text) as Partial<LockHolder> | null;
    if (
      value !== null &&
      typeof value === "object" &&
      Number.isInteger(value.pid) &&
      (value.pid as number) > 0 &&
      typeof value.hostname === "string" &&
      typeof value.startedAt === "string" &&
      typeof value.command === "string" &&
      typeof value.token === "string"
    ) {
      return value as LockHolder;
    }
  } catch {
    // Not JSON.
  }
  return "unreadable";
}

/** Whether the lock's process may still run: always true for another host, which we cannot check. */
function holderAlive(holder: LockHolder): boolean {
  if (holder.hostname !== hostname()) return true;
  try {
    process.kill(holder.pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ESRCH") return false;
  }
  // The pid exists; if its process started after the lock was taken, the pid was reused.
  const started = processStartMs(holder.pid);
  const lockedAt = Date.parse(holder.startedAt);
  return started === undefined || Number.isNaN(lockedAt) || started <= lockedAt + 2000;
}

/**
 * Start time of a process in ms since the epoch, from Linux's /proc (boot time plus the
 * `starttime` field, in the kernel's fixed 100 ticks per second); undefined elsewhere.
 */
export function processStartMs(pid: number): number | undefined {
  try {
    const bootLine = readFileSync("/proc/stat", "utf8")
      .split("\n")
      .find((l) => l.startsWith("btime "));
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name (which may hold spaces and parentheses): state is field 3, starttime field 22.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const ticks = Number(fields[19]);
    const boot = Number(bootLine?.split(" ")[1]);
    if (!Number.isFinite(ticks) || !Number.isFinite(boot)) return undefined;
    return boot * 1000 + ticks * 10;
  } catch {
    return undefined;
  }
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Removes the stale lock `file` of `stale`, under a second lock so that two processes taking
 * it over at once cannot remove each other's new lock. True when it was removed.
 */
function breakStaleLock(file: string, stale: LockHolder): boolean {
  const guard = `${file}.break`;
  const me: LockHolder = {
    pid: process.pid,
    hostname: hostname(),
    startedAt: new Date().toISOString(),
    command: "taking over a stale lock",
    token: randomBytes(8).toString("hex"),
  };
  if (!createExclusive(guard, me)) {
    const other = readHolder(guard);
    // A guard left by a process that died while taking over: remove it and retry.
    if (typeof other === "object" && !holderAlive(other)) {
      try {
        unlinkSync(guard);
      } catch {
        // Removed by another process.
      }
    }
    sleepSync(10);
    return false;
  }
  try {
    const current = readHolder(file);
    if (typeof current === "object" && current.token === stale.token && existsSync(file)) {
      unlinkSync(file);
      return true;
    }
    return false;
  } finally {
    unlinkSync(guard);
  }
}
