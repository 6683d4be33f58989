/**
 * The file writes of a run directory: atomic replacement of a file (temporary file, flush,
 * rename; the temporary file is removed on any failure), appends, and folder creation that
 * cannot hang on special file systems. The calls go through {@link FileOps}, so tests can
 * simulate a full disk.
 */
import { statSync, type Stats } from "node:fs";
import { appendFile, mkdir, open, rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { FileSystemError } from "./errors";

/** The file-system calls the run directory and checkpoints of `snn train` make. */
export interface FileOps {
  /** Creates or truncates `path` and writes `data` to it, flushed to the disk. */
  writeFile(path: string, data: string | Uint8Array): Promise<void>;
  appendFile(path: string, data: string): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  /** Removes a file; no error if it does not exist. */
  remove(path: string): Promise<void>;
}

/** {@link FileOps} of Node's file system. */
export const nodeFileOps: FileOps = {
  async writeFile(path, data) {
    const handle = await open(path, "w");
    try {
      await handle.writeFile(data).catch(withPath(path));
      await handle.sync().catch(withPath(path));
    } finally {
      await handle.close();
    }
  },
  appendFile: (path, data) => appendFile(path, data).catch(withPath(path)),
  rename: (from, to) => rename(from, to),
  remove: (path) => rm(path, { force: true }),
};

/** Adds the path to an error of a write on an open file (Node names none for ENOSPC there). */
function withPath(path: string): (error: unknown) => never {
  return (error) => {
    if (error instanceof Error && (error as NodeJS.ErrnoException).path === undefined)
      Object.assign(error, { path });
    throw error;
  };
}

/** The temporary file {@link writeFileAtomic} writes `file` through (hidden, in the same folder). */
export function temporaryFileFor(file: string): string {
  return join(dirname(file), `.${basename(file)}.${process.pid}.${Date.now()}.tmp`);
}

/**
 * Writes a file through a temporary file and a rename, so that readers never see half of it
 * and a failure (a full disk, a read-only folder) leaves the old file as it was and no
 * temporary file behind. Missing folders on the way are created. A device, named pipe or
 * socket at `file` (or a link to one) is refused, not replaced: the rename would put a regular
 * file in its place, which for root means e.g. `--plot /dev/null` destroying /dev/null.
 */
export async function writeFileAtomic(
  file: string,
  content: string | Uint8Array,
  ops: FileOps = nodeFileOps,
): Promise<void> {
  checkReplaceable(file);
  await makeDirectories(dirname(file));
  const temp = temporaryFileFor(file);
  try {
    await ops.writeFile(temp, content);
    await ops.rename(temp, file);
  } catch (error) {
    await ops.remove(temp).catch(() => undefined);
    throw error;
  }
}

/**
 * Throws a {@link FileSystemError} (exit status 1) when `file` is a device, a named pipe or a
 * socket, or a link to one: something a file written in its place would destroy. A missing
 * file, a regular file and a folder (whose rename fails with EISDIR) pass.
 */
export function checkReplaceable(file: string): void {
  const kind = specialFileKind(file);
  if (kind !== undefined)
    throw new FileSystemError(
      `cannot replace ${file}: it is ${kind}, not a regular file; give the path of a file.`,
      "EINVAL",
      file,
    );
}

/**
 * What kind of special file `path` is (following links), e.g. "a character device", or
 * undefined for a regular file, a folder, or nothing there.
 */
export function specialFileKind(path: string): string | undefined {
  let stats: Stats;
  try {
    stats = statSync(path);
  } catch {
    return undefined; // missing (or unreadable: a write reports it)
  }
  if (stats.isCharacterDevice()) return "a character device";
  if (stats.isBlockDevice()) return "a block device";
  if (stats.isFIFO()) return "a named pipe (FIFO)";
  if (stats.isSocket()) return "a socket";
  return undefined;
}

/**
 * Creates `dir` and its missing parents, one level at a time (Node's recursive mkdir can loop
 * forever under /proc). An existing file on the way fails with ENOTDIR naming it. Returns the
 * folders this call created, outermost first (not those another process made meanwhile).
 */
export async function makeDirectories(dir: string): Promise<string[]> {
  const missing: string[] = [];
  let at = dir;
  for (;;) {
    let isDirectory: boolean | undefined;
    try {
      isDirectory = statSync(at).isDirectory();
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      // ENOTDIR: a file further up; found as the loop goes up.
      if (code !== "ENOENT" && code !== "ENOTDIR") throw error;
    }
    if (isDirectory === true) break;
    if (isDirectory === false)
      throw Object.assign(new Error(`ENOTDIR: not a directory, mkdir '${at}'`), {
        code: "ENOTDIR",
        syscall: "mkdir",
        path: at,
      });
    missing.push(at);
    const parent = dirname(at);
    if (parent === at) break;
    at = parent;
  }
  const made: string[] = [];
  for (const path of missing.reverse()) {
    try {
      await mkdir(path);
      made.push(path);
    } catch (error) {
      // Made meanwhile by another process: fine.
      if ((error as NodeJS.ErrnoException).code !== "EEXIST" || !statSync(path).isDirectory())
        throw error;
    }
  }
  return made;
}
