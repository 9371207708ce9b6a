// A bad command line or environment: the one UsageError of the three bins (`catalyst-monitor:
// <message>` on stderr, exit 2).
export { UsageError } from "@catalyst/sources/command-line";

// The port is taken by another process; the bin prints one line and exits 1.
export { PortInUseError } from "@catalyst/sse-server";

/** The pid file could not be written. */
export class PidFileError extends Error {
  override name = "PidFileError";
  readonly path: string;
  constructor(path: string, options?: { cause?: unknown }) {
    super(`cannot write pid file ${path}`, options);
    this.path = path;
  }
}
