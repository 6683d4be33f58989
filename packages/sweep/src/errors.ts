/**
 * Errors of @snn/sweep. Each message says what was wrong and what to do; callers print it as
 * one line.
 */

/** A sweep file (or a sweep's manifest) is malformed: the message names the file and the key. */
export class SweepFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SweepFileError";
  }
}

/** A sweep could not be submitted, run or read for a reason the user can act on. */
export class SweepError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SweepError";
  }
}

/** Redis could not be reached or refused us (wrong password, TLS mismatch); the message says which. */
export class RedisConnectionError extends Error {
  constructor(
    message: string,
    /** True when retrying cannot help (a wrong password, a bad URL). */
    readonly permanent: boolean,
  ) {
    super(message);
    this.name = "RedisConnectionError";
  }
}
