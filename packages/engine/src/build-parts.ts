import { createFuse } from "@catalyst/fuse";
import {
  createLivenessPoller,
  createPrPoller,
  DEFAULT_LIVENESS_INTERVAL_MS,
  systemClock,
} from "@catalyst/pollers";
import { createSourceWatcher, type ReadEvents, readEvents, readJobLiveness } from "@catalyst/sources";
import type { MonitorParts } from "./monitor.js";

/** The exact, indexed event-log reader, bound to the parts' cache dir (sources' `readEvents`). */
export type { ReadEvents };

/** Settings of the real parts. */
export interface PartsOptions {
  catalystDir: string;
  /** GitHub token for PR polling; null disables it (health says why). */
  githubToken: string | null;
  /** Pid check interval (execution-core jobs are checked on the same cadence). @default 5_000 */
  livenessIntervalMs?: number;
  /**
   * Claude Code's jobs root, where execution-core phases' `<bg_job_id>/state.json` live
   * (FORMATS-TODAY §3.5; the bins resolve `--jobs-dir`, `$CATALYST_REVIVE_JOBS_DIR`, `~/.claude/jobs`).
   * @default null: jobs are not checked, execution-core liveness stays unknown
   */
  jobsDir?: string | null;
  /** Size cap of signal and state files. @default 4 MiB */
  maxFileBytes?: number;
  /** Called with fs errors the watcher recovered from (EMFILE, EACCES), for the log. */
  onSourceError?: (error: unknown) => void;
  /** Where the event-log index is kept (sources' resolveCacheDir); absent: in memory per read. */
  cacheDir?: string;
  /**
   * Told about an error thrown by a subscriber of fuse, the watcher or a poller (a bug in the code
   * wired to them). The producer carries on either way; without this the error is rethrown on a
   * later microtask (the libraries' default), which ends a process that has no handler for it.
   */
  onListenerError?: (error: unknown) => void;
}

/** Builds the real library objects the monitor wires (sources, fuse, pollers). */
export function buildParts(options: PartsOptions): MonitorParts & { readEvents: ReadEvents } {
  const clock = systemClock;
  const jobsDir = options.jobsDir ?? null;
  const listenerErrors =
    options.onListenerError === undefined ? {} : { onListenerError: options.onListenerError };
  return {
    // Ids grow across restarts (start time in ms × 1000), so a client resuming with an id from an
    // earlier process gets a gap and a fresh snapshot rather than deltas from another sequence.
    fuse: createFuse({ idBase: clock.now().getTime() * 1000, ...listenerErrors }),
    watcher: createSourceWatcher({
      catalystDir: options.catalystDir,
      ...(options.maxFileBytes === undefined ? {} : { maxFileBytes: options.maxFileBytes }),
      ...(options.onSourceError === undefined ? {} : { onError: options.onSourceError }),
      ...listenerErrors,
    }),
    prPoller: createPrPoller({ token: options.githubToken, clock, ...listenerErrors }),
    liveness: createLivenessPoller({
      clock,
      intervalMs: options.livenessIntervalMs ?? DEFAULT_LIVENESS_INTERVAL_MS,
      ...(jobsDir === null ? {} : { deps: { jobProbe: (jobId: string) => readJobLiveness(jobsDir, jobId) } }),
      ...listenerErrors,
    }),
    clock,
    // /api/events and the start-up history: the exact, indexed reader, its index kept in the cache dir.
    readEvents: (dir, read) =>
      readEvents(dir, { ...read, ...(options.cacheDir === undefined ? {} : { indexDir: options.cacheDir }) }),
  };
}
