/**
 * Reading a JSON file named on the command line (`--events`, a gradient-check fixture, a sweep
 * file): a file that cannot be read (a folder, no permission) is a file-system error naming the
 * path and the problem, not "not valid JSON".
 */
import { readFileSync } from "node:fs";
import { fileSystemError } from "./errors";

/**
 * The parsed contents of `path` (shown to the user as `shown`). A read failure throws a
 * `FileSystemError` (exit status 1) naming `path`; text that is not JSON throws
 * `invalid(message)`, the error the caller uses for bad contents.
 */
export function readJsonFile(
  path: string,
  shown: string,
  invalid: (message: string) => Error,
): unknown {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    // Node names no path in a failed read of an open file (EISDIR): add it.
    if (error instanceof Error && (error as NodeJS.ErrnoException).path === undefined)
      Object.assign(error, { path });
    throw fileSystemError(error) ?? error;
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw invalid(
      `${shown} is not valid JSON: ${error instanceof Error ? error.message : String(error)}.`,
    );
  }
}
