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

/** `start()` was called on a fleet that was already stopped: a stopped fleet has given its dir back. */
export class DemoFleetStoppedError extends Error {
  override name = "DemoFleetStoppedError";
  readonly dir: string;
  constructor(dir: string) {
    super(`expected a fleet that was not stopped yet; the demo fleet at ${dir} was stopped`);
    this.dir = dir;
  }
}

/** No stand-in worker process could be started (neither `sleep` nor Node itself). */
export class WorkerProcessSpawnError extends Error {
  override name = "WorkerProcessSpawnError";
  constructor(options?: { cause?: unknown }) {
    super("expected a pid for a stand-in worker process, received none (spawn failed)", options);
  }
}
