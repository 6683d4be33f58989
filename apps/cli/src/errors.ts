/**
 * Errors the CLI reports as one line. `UsageError` (bad arguments, unknown dataset or backend,
 * missing data file) exits with status 2 and prints the usage of the command; `CommandError`
 * (a run that failed for a reason the user can act on) exits with status 1.
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

/** A first line of an error message, without stack or trailing detail lines. */
export function oneLine(message: string): string {
  const first = message.split("\n").find((line) => line.trim() !== "") ?? message;
  return first.trim();
}
