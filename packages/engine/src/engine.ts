import type { LoadingState, Snapshot } from "@catalyst/schema";
import { buildParts, type PartsOptions, type ReadEvents } from "./build-parts.js";
import {
  createMonitor,
  type EngineLogger,
  type FuseLike,
  type HistoryResult,
  type Monitor,
  type MonitorParts,
} from "./monitor.js";

/** Settings of an in-process fleet. */
export interface EngineOptions extends PartsOptions {
  /** How far back the start-up history reads the event log; 0 reads none. @default 24 h */
  historyMs?: number;
  /**
   * Gets what the wiring recovered from; the engine itself never prints. Without `onSourceError`,
   * unreadable source files are reported here too, one line per kind of problem every 10 s.
   */
  logger?: EngineLogger;
  /** Stall-rule tick. @default 5_000 */
  tickMs?: number;
  /** Called once the scan and the history are in (the snapshot no longer carries `loading`). */
  onLoaded?: () => void;
  /** Called on the full-snapshot timer (a server's SSE hub re-sends every client the snapshot). */
  onSnapshotTimer?: () => void;
}

/** A live fleet in-process: fuse fed by the catalyst dir, the log history and the pollers. */
export interface Engine {
  /** The fused fleet: snapshot, delta ring and live deltas. */
  readonly feed: FuseLike;
  /** The exact event-log reader (e.g. one worker's recent events). */
  readonly readEvents: ReadEvents;
  readonly parts: MonitorParts;
  /** The current snapshot, marked `loading` while the scan or the history is still coming in. */
  snapshot(): Snapshot;
  loading(): LoadingState | null;
  /** Resolves once the first scan is applied (the history keeps loading after). */
  start(): Promise<void>;
  historyLoaded(): Promise<HistoryResult>;
  stop(): Promise<void>;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * A warning that repeats while something stays broken (a broker away, every read failing for lack
 * of descriptors): written at most once per `intervalMs` for the same key, at once for a new key.
 */
export function rateLimitedWarn(
  logger: Pick<EngineLogger, "warn">,
  intervalMs = 10_000,
  now: () => number = Date.now,
): (key: string, message: string, fields?: Record<string, unknown>) => void {
  let last: { key: string; at: number } | null = null;
  return (key, message, fields) => {
    const at = now();
    if (last?.key === key && at - last.at < intervalMs) return;
    last = { key, at };
    logger.warn(message, fields);
  };
}

/** Source errors for a logger: one line per kind of problem every 10 s, saying what to do. */
export function reportSourceErrors(logger: Pick<EngineLogger, "warn">): (error: unknown) => void {
  const warn = rateLimitedWarn(logger);
  return (error) => {
    const code = (error as { code?: unknown } | null)?.code;
    // Out of descriptors, every read fails at once: one line for all of them.
    const descriptors = code === "EMFILE" || code === "ENFILE";
    warn(
      descriptors ? String(code) : String(error),
      descriptors
        ? "out of file descriptors reading the catalyst dir (raise ulimit -n); retrying"
        : "could not read a source file; retrying",
      { error: String(error) },
    );
  };
}

/** Fuse's snapshot, marked `loading` while the monitor is still reading its sources. */
export function snapshotWithLoading(
  feed: Pick<FuseLike, "snapshot">,
  monitor: Pick<Monitor, "loading">,
): Snapshot {
  const snapshot = feed.snapshot();
  const loading = monitor.loading();
  return loading === null ? snapshot : { ...snapshot, loading };
}

/**
 * Builds the real parts for `catalystDir` and wires them (what `catalyst-monitor` runs behind its
 * server, without the server): for a terminal view, a script or a test that wants the fleet live.
 */
export function createEngine(options: EngineOptions): Engine {
  const onSourceError =
    options.onSourceError ?? (options.logger === undefined ? undefined : reportSourceErrors(options.logger));
  const parts = buildParts(onSourceError === undefined ? options : { ...options, onSourceError });
  const historyMs = options.historyMs ?? DAY_MS;
  const monitor = createMonitor(parts, {
    ...(options.logger === undefined ? {} : { logger: options.logger }),
    ...(options.tickMs === undefined ? {} : { tickMs: options.tickMs }),
    ...(options.onLoaded === undefined ? {} : { onLoaded: options.onLoaded }),
    ...(options.onSnapshotTimer === undefined ? {} : { onSnapshotTimer: options.onSnapshotTimer }),
    history:
      historyMs > 0
        ? {
            since: new Date(parts.clock.now().getTime() - historyMs),
            read: (since) => parts.readEvents(options.catalystDir, { since }),
          }
        : null,
  });
  return {
    feed: parts.fuse,
    readEvents: parts.readEvents,
    parts,
    snapshot: () => snapshotWithLoading(parts.fuse, monitor),
    loading: () => monitor.loading(),
    start: () => monitor.start(),
    historyLoaded: () => monitor.historyLoaded(),
    stop: () => monitor.stop(),
  };
}
