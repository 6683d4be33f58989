/**
 * Errors raised by @snn/datasets. Each message says what was wrong, where (file and sample
 * when there is one) and what to do. Catch `DatasetError` to handle all of them.
 */
export class DatasetError extends Error {
  /** The file the problem was found in, when there is one. */
  readonly file: string | undefined;
  /** The 0-based sample index the problem was found in, when there is one. */
  readonly sample: number | undefined;

  constructor(
    message: string,
    where: { file?: string | undefined; sample?: number | undefined } = {},
  ) {
    super(message);
    this.name = new.target.name;
    this.file = where.file;
    this.sample = where.sample;
  }
}

/** A file is missing, unreadable, of the wrong format, truncated or has content that breaks the layout. */
export class DatasetFormatError extends DatasetError {}

/** A function was called with bad options or arguments (non-positive `dt`, index out of range, ...). */
export class DatasetOptionsError extends DatasetError {}
