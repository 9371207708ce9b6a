// A bad command line: the one UsageError of the three bins (`catalyst-replay: <message>`, exit 2).
export { UsageError } from "@catalyst/sources/command-line";

/** The prefix of every error line (`catalyst-replay: <message>`). */
export const BIN = "catalyst-replay";

/** The event log could not be read: the CLI names the path and exits with code 1. */
export class ReplayReadError extends Error {
  override name = "ReplayReadError";
  readonly path: string;
  constructor(path: string, options?: { cause?: unknown }) {
    super(`cannot read event log at ${path}${describeCause(options?.cause)}`, options);
    this.path = path;
  }
}

/**
 * Some log files could not be read (permission denied, a symlink loop…): everything else was
 * printed, each such file was named on stderr, and the CLI exits 1 because the output is incomplete.
 */
export class UnreadableFilesError extends Error {
  override name = "UnreadableFilesError";
  readonly files: number;
  constructor(files: number) {
    super(
      `${files} event-log file${files === 1 ? "" : "s"} could not be read; the output is missing ${files === 1 ? "its" : "their"} lines`,
    );
    this.files = files;
  }
}

/** `--strict` met a malformed or oversized line: the CLI exits with code 1. */
export class MalformedLineError extends Error {
  override name = "MalformedLineError";
  readonly invalid: number;
  readonly oversized: number;
  constructor(counts: { invalid: number; oversized: number }) {
    super(
      `malformed event-log line (--strict): ${counts.invalid} invalid, ${counts.oversized} oversized so far`,
    );
    this.invalid = counts.invalid;
    this.oversized = counts.oversized;
  }
}

function describeCause(cause: unknown): string {
  if (cause && typeof cause === "object" && "code" in cause && typeof cause.code === "string") {
    return ` (${cause.code})`;
  }
  return "";
}
