/**
 * Errors the CLI reports as one line. `UsageError` (bad arguments, unknown dataset or backend,
 * a data path that does not exist) exits with status 2 and prints the usage of the command;
 * `CommandError` (a run that failed for a reason the user can act on) and its `DataError` (a
 * damaged or unfitting data file or checkpoint, bad run state) exit with status 1, without the
 * usage.
 */
export class CliError extends Error {
  constructor(
    message: string,
    /** Process exit status. */
    readonly exitCode: number,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** The command line is wrong: a bad option or value, a missing file, an unknown name. Exit status 2. */
export class UsageError extends CliError {
  constructor(
    message: string,
    /** Command whose usage to print (e.g. "train"); absent prints the top-level usage. */
    readonly command?: string,
  ) {
    super(message, 2);
  }
}

/** A command ran but failed in a way the user can act on (e.g. a gradient check failed). Exit status 1. */
export class CommandError extends CliError {
  constructor(message: string, exitCode = 1) {
    super(message, exitCode);
  }
}

/**
 * The data or state a command was given is bad, not the command line: a damaged or unfitting
 * data file, a damaged checkpoint, data that does not fit the network. Exit status 1, no usage.
 */
export class DataError extends CommandError {}

/** A first line of an error message, without stack or trailing detail lines. */
export function oneLine(message: string): string {
  const first = message.split("\n").find((line) => line.trim() !== "") ?? message;
  return first.trim();
}

/** What each file-system error code means, and what the user can do about it. */
const FILE_PROBLEMS: Readonly<Record<string, readonly [problem: string, hint: string]>> = {
  ENOENT: ["no such file or folder", "check the path"],
  ENOTDIR: ["a part of the path is a file, not a folder", "check the path"],
  EISDIR: ["it is a folder, not a file", "give the path of a file"],
  EACCES: ["permission denied", "check the permissions or choose another place"],
  EPERM: ["operation not permitted", "check the permissions or choose another place"],
  EROFS: ["the file system is read-only", "choose a writable place"],
  ENOSPC: ["no space left on the device", "free some space"],
  EDQUOT: ["the disk quota is exceeded", "free some space"],
  EFBIG: ["the file is too large for the file system", "choose another place"],
  EEXIST: ["it already exists", "choose another path"],
  ENOTEMPTY: ["the folder is not empty", "choose another path"],
  ENAMETOOLONG: ["the path is too long", "choose a shorter path"],
  ELOOP: ["too many symbolic links", "check the path"],
  EMFILE: ["too many open files", "raise the limit (ulimit -n)"],
  ENFILE: ["too many open files in the system", "close other programs"],
  EIO: ["an input/output error of the device", "check the disk"],
  EBUSY: ["the file or device is busy", "try again later"],
  EXDEV: ["it is on another file system", "choose a path on the same file system"],
};

/** Verbs for the system calls Node names in its errors. */
const FILE_ACTIONS: Readonly<Record<string, string>> = {
  open: "open",
  read: "read",
  write: "write",
  mkdir: "create the folder",
  rmdir: "delete",
  unlink: "delete",
  rm: "delete",
  rename: "rename",
  link: "create",
  scandir: "list the folder",
  opendir: "list the folder",
  stat: "read",
  lstat: "read",
  fstat: "read",
  access: "access",
  copyfile: "copy",
  fsync: "write",
  chmod: "change the permissions of",
};

/** A file operation failed because of the user's environment (a full disk, a read-only folder, a wrong path). Exit status 1. */
export class FileSystemError extends CommandError {
  constructor(
    message: string,
    /** Node's error code, e.g. "ENOSPC". */
    readonly code: string,
    /** The path the operation failed on, when known. */
    readonly path?: string,
  ) {
    super(message);
  }
}

/**
 * Node's file-system error (`code` such as ENOSPC, with `syscall` and `path`) as a
 * {@link FileSystemError} that names the path and the problem; undefined for other errors.
 */
export function fileSystemError(error: unknown): FileSystemError | undefined {
  if (error instanceof FileSystemError) return error;
  if (!(error instanceof Error)) return undefined;
  const { code, syscall, path, dest } = error as NodeJS.ErrnoException & { dest?: string };
  if (typeof code !== "string") return undefined;
  const known = FILE_PROBLEMS[code];
  if (known === undefined) return undefined;
  const action = (syscall !== undefined ? FILE_ACTIONS[syscall] : undefined) ?? "access";
  const target = path === undefined ? "a file" : dest !== undefined ? `${path} to ${dest}` : path;
  return new FileSystemError(
    `cannot ${action} ${target}: ${known[0]} (${code}); ${known[1]}.`,
    code,
    path,
  );
}
