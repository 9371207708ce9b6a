/** The event log could not be opened or read (not a bad line: those are skipped and counted). */
export class EventLogReadError extends Error {
  override name = "EventLogReadError";
  readonly path: string;
  constructor(path: string, options?: { cause?: unknown }) {
    super(`cannot read event log at ${path}`, options);
    this.path = path;
  }
}
