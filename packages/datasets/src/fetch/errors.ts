import { DatasetError } from "../errors";

/** Why a download failed; each has its own advice in the message. */
export type DownloadFailure =
  /** The server could not be reached (offline, DNS, refused connection, proxy or firewall). */
  | "offline"
  /** The server answered with an error status (404, 500, ...). */
  | "http"
  /** The connection broke or went silent mid-file: the part received is kept and resumes. */
  | "interrupted"
  /** The `signal` passed in was aborted (e.g. Ctrl-C): the part received is kept and resumes. */
  | "aborted"
  /** The file's checksum or size differs from the published one: it was deleted. */
  | "checksum"
  /** The server's checksum list is missing or does not list the file. */
  | "unverifiable"
  /** The downloaded file is not what it should be (not gzip, wrong size after unpacking). */
  | "format"
  /** The cache directory cannot be written. */
  | "filesystem";

/** A dataset download failed; `reason` says how, the message says what to do. */
export class DatasetDownloadError extends DatasetError {
  constructor(
    message: string,
    readonly reason: DownloadFailure,
    where: { file?: string | undefined; url?: string | undefined } = {},
  ) {
    super(message, { file: where.file });
    this.url = where.url;
  }

  /** The address that failed, when there is one. */
  readonly url: string | undefined;
}
