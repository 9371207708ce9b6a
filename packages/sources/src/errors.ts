/** The event log could not be opened or read (not a bad line: those are skipped and counted). */
export class EventLogReadError extends Error {
  override name = "EventLogReadError";
  readonly path: string;
  constructor(path: string, options?: { cause?: unknown }) {
    super(`cannot read event log at ${path}`, options);
    this.path = path;
  }
}

/** A file refused before reading: not a regular file (a FIFO, a device), or over the size cap. */
export class FileRejectedError extends Error {
  override name = "FileRejectedError";
  readonly path: string;
  /** `not a regular file (a FIFO)`, `too large (…)`. */
  readonly reason: string;
  constructor(path: string, reason: string) {
    super(`refused to read ${path}: ${reason}`);
    this.path = path;
    this.reason = reason;
  }
}
