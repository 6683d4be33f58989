import { spawnSync } from "node:child_process";
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { FileSystemError, fileSystemError } from "./errors";
import { makeDirectories, nodeFileOps, writeFileAtomic, type FileOps } from "./files";

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "snn-cli-files-"));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) {
    chmodSync(dir, 0o755);
    rmSync(dir, { recursive: true, force: true });
  }
});

/** Node's error for a full disk, as its file functions throw it. */
function enospc(path: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`ENOSPC: no space left on device, write`), {
    code: "ENOSPC",
    syscall: "write",
    path,
  });
}

/** Node's file operations, except that writing fails with ENOSPC after `bytes` bytes of the temporary file reached the disk. */
function fullDiskAfter(bytes: number): FileOps {
  return {
    ...nodeFileOps,
    async writeFile(path, data) {
      const buffer = typeof data === "string" ? Buffer.from(data) : Buffer.from(data);
      writeFileSync(path, buffer.subarray(0, Math.min(bytes, buffer.length)));
      if (buffer.length > bytes) throw enospc(path);
    },
  };
}

/**
 * Runs `work` with permissions that apply: as root (whom a read-only folder does not stop), with
 * the effective user of the process switched to `nobody` meanwhile and back afterwards.
 */
async function withoutRootPrivileges<T>(work: () => Promise<T>): Promise<T> {
  if (process.geteuid?.() !== 0) return work();
  const NOBODY = 65534;
  process.seteuid!(NOBODY);
  try {
    return await work();
  } finally {
    process.seteuid!(0);
  }
}

describe("writeFileAtomic", () => {
  it("on a full disk keeps the old file and leaves no temporary file", async () => {
    const dir = tempDir();
    const file = join(dir, "best.safetensors");
    writeFileSync(file, "old contents");
    await expect(
      writeFileAtomic(file, new Uint8Array(4096), fullDiskAfter(100)),
    ).rejects.toMatchObject({ code: "ENOSPC" });
    expect(readFileSync(file, "utf8")).toBe("old contents");
    expect(readdirSync(dir)).toEqual(["best.safetensors"]);
  });

  it("when the rename fails leaves no temporary file", async () => {
    const dir = tempDir();
    mkdirSync(join(dir, "target"));
    // Renaming a file over a folder fails (EISDIR).
    await expect(writeFileAtomic(join(dir, "target"), "x")).rejects.toMatchObject({
      code: "EISDIR",
    });
    expect(readdirSync(dir)).toEqual(["target"]);
  });

  it("refuses to replace a device, a named pipe or a link to one, naming it, and leaves it as it was", async () => {
    // As root, a rename onto /dev/null (say, `snn evaluate --plot /dev/null`) would replace the
    // device itself with a regular file; a named pipe stands in for it here (a test that tried
    // /dev/null would destroy it if this check ever broke).
    const dir = tempDir();
    const pipe = join(dir, "pipe");
    expect(spawnSync("mkfifo", [pipe]).status).toBe(0);
    symlinkSync(pipe, join(dir, "link"));
    for (const name of ["pipe", "link"]) {
      const error = await writeFileAtomic(join(dir, name), "<svg/>").catch((e: unknown) => e);
      expect(error).toBeInstanceOf(FileSystemError);
      expect((error as FileSystemError).message).toBe(
        `cannot replace ${join(dir, name)}: it is a named pipe (FIFO), not a regular file; give the path of a file.`,
      );
      expect((error as FileSystemError).exitCode).toBe(1);
    }
    expect(lstatSync(pipe).isFIFO()).toBe(true);
    expect(lstatSync(join(dir, "link")).isSymbolicLink()).toBe(true);
    expect(readdirSync(dir).sort()).toEqual(["link", "pipe"]);
  });

  it("a real device without space (/dev/full) fails with ENOSPC, named as the user's problem", async () => {
    if (!existsSync("/dev/full")) return;
    const thrown = await nodeFileOps.appendFile("/dev/full", "x").catch((e: unknown) => e);
    const named = fileSystemError(thrown);
    expect(named).toBeInstanceOf(FileSystemError);
    expect(named!.message).toBe(
      "cannot write /dev/full: no space left on the device (ENOSPC); free some space.",
    );
    expect(named!.exitCode).toBe(1);
  });

  it("into a read-only folder fails with EACCES and leaves nothing (as root too: the write runs as an unprivileged user)", async () => {
    const dir = tempDir();
    chmodSync(dir, 0o555);
    const error = await withoutRootPrivileges(() =>
      writeFileAtomic(join(dir, "run.json"), "{}").catch((e: unknown) => e),
    );
    expect(fileSystemError(error)?.message).toMatch(
      new RegExp(`^cannot open ${dir}/\\.run\\.json\\..*\\.tmp: permission denied \\(EACCES\\)`),
    );
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe("makeDirectories", () => {
  it("creates missing parents", async () => {
    const dir = tempDir();
    await makeDirectories(join(dir, "a", "b", "c"));
    expect(existsSync(join(dir, "a", "b", "c"))).toBe(true);
    await makeDirectories(join(dir, "a", "b", "c"));
  });

  it("fails at once under /proc (where a recursive mkdir loops) and through a file", async () => {
    if (existsSync("/proc/self"))
      await expect(makeDirectories("/proc/x/y")).rejects.toMatchObject({
        code: "ENOENT",
        path: "/proc/x",
      });
    const dir = tempDir();
    writeFileSync(join(dir, "file"), "");
    const error = await makeDirectories(join(dir, "file", "run")).catch((e: unknown) => e);
    expect(fileSystemError(error)?.message).toBe(
      `cannot create the folder ${join(dir, "file")}: a part of the path is a file, not a folder (ENOTDIR); check the path.`,
    );
  });

  it("follows a symbolic link to a folder", async () => {
    const dir = tempDir();
    mkdirSync(join(dir, "real"));
    symlinkSync(join(dir, "real"), join(dir, "link"));
    await makeDirectories(join(dir, "link", "run"));
    expect(existsSync(join(dir, "real", "run"))).toBe(true);
  });
});

describe("fileSystemError", () => {
  it.each([
    [
      { code: "ENOENT", syscall: "open", path: "/x/y" },
      "cannot open /x/y: no such file or folder (ENOENT); check the path.",
    ],
    [
      { code: "EISDIR", syscall: "read", path: "/x" },
      "cannot read /x: it is a folder, not a file (EISDIR); give the path of a file.",
    ],
    [
      { code: "EPERM", syscall: "mkdir", path: "/sys/x" },
      "cannot create the folder /sys/x: operation not permitted (EPERM); check the permissions or choose another place.",
    ],
    [
      { code: "EROFS", syscall: "open", path: "/ro/run.json" },
      "cannot open /ro/run.json: the file system is read-only (EROFS); choose a writable place.",
    ],
    [
      { code: "EXDEV", syscall: "rename", path: "/a", dest: "/b" },
      "cannot rename /a to /b: it is on another file system (EXDEV); choose a path on the same file system.",
    ],
  ])("names the path and the problem of %j", (fields, message) => {
    expect(fileSystemError(Object.assign(new Error("raw"), fields))?.message).toBe(message);
  });

  it("leaves other errors alone", () => {
    expect(fileSystemError(new Error("x"))).toBeUndefined();
    expect(
      fileSystemError(Object.assign(new Error("x"), { code: "ERR_SOMETHING" })),
    ).toBeUndefined();
    expect(fileSystemError("ENOSPC")).toBeUndefined();
  });
});
