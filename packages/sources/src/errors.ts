/** The event log could not be opened or read (not a bad line: those are skipped and counted). */
export class EventLogReadError extends Error {
  override name = "EventLogReadError";
  readonly path: string;
  constructor(path: string, options?: { cause?: unknown }) {
    super(`cannot read event log at ${path}`, options);
    this.path = path;
  }
}

/** A directory watch failed; the watcher rescans and reports it through `health()`, never throws it. */
export class WatchError extends Error {
  override name = "WatchError";
  readonly dir: string;
  constructor(dir: string, options?: { cause?: unknown }) {
    super(`watch on ${dir} failed; rescanning`, options);
    this.dir = dir;
  }
}
