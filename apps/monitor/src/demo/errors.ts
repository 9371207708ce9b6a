/** The global state lock directory stayed taken for longer than the writer waits (FORMATS §1.5). */
export class StateLockTimeoutError extends Error {
  override name = "StateLockTimeoutError";
  readonly lockDir: string;
  readonly waitedMs: number;
  constructor(lockDir: string, waitedMs: number, options?: { cause?: unknown }) {
    super(`failed to acquire state lock ${lockDir} after ${waitedMs} ms`, options);
    this.lockDir = lockDir;
    this.waitedMs = waitedMs;
  }
}

/** The demo was pointed at a directory that already holds files: it only writes into empty or new dirs. */
export class DemoDirNotEmptyError extends Error {
  override name = "DemoDirNotEmptyError";
  readonly dir: string;
  readonly entries: string[];
  constructor(dir: string, entries: string[]) {
    const shown = entries.slice(0, 3).join(", ") + (entries.length > 3 ? ", …" : "");
    super(`expected an empty or missing directory for the demo fleet at ${dir}, found ${shown}`);
    this.dir = dir;
    this.entries = entries;
  }
}
