/** The event log could not be opened or read (not a bad line: those are skipped and counted). */
export class EventLogReadError extends Error {
  override name = "EventLogReadError";
  readonly path: string;
  /** The errno code of the cause (`EACCES`, `EMFILE`, `ELOOP`…), when there is one. */
  readonly code: string | undefined;
  constructor(path: string, options?: { cause?: unknown }) {
    const code = errnoCode(options?.cause);
    super(`cannot read event log at ${path}${code ? ` (${code})` : ""}`, options);
    this.path = path;
    this.code = code;
  }
}

function errnoCode(cause: unknown): string | undefined {
  if (cause && typeof cause === "object" && "code" in cause && typeof cause.code === "string")
    return cause.code;
  return undefined;
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

/** Why a log file could not be read, in words (`permission denied`), else its errno code. */
export function describeReadError(error: unknown): string {
  const code = errnoCode(error);
  if (code === "EACCES" || code === "EPERM") return "permission denied";
  if (code === "EISDIR") return "a directory";
  if (code === "ELOOP") return "too many symbolic links (a loop?)";
  return code ?? (error instanceof Error ? error.message : String(error));
}
