// The fleet a monitor runs: the engine of a local catalyst dir, or the central engine of every
// host on a NATS broker, and the steps around it (folding in, the start-up history line, publishing
// the catalyst dir). The library never prints: the app passes its logger in.

import type { NatsConnectionSettings } from "@catalyst/relay";
import type { CentralEngine, CentralEngineOptions } from "./central.js";
import {
  createEngine,
  type Engine,
  type EngineOptions,
  rateLimitedWarn,
  reportSourceErrors,
} from "./engine.js";
import type { EngineLogger, LivenessPollerLike } from "./monitor.js";
import { createTimeTravel, type TimeTravel } from "./snapshot-at.js";

/** The app's logger as the fleet uses it: warnings, errors and the odd info line. */
export interface FleetLogger extends EngineLogger {
  info(message: string, fields?: Record<string, unknown>): void;
}

/** A fleet, not yet started. */
export interface Fleet {
  engine: Engine | CentralEngine;
  central: CentralEngine | null;
  /** The `--nats` URL with any user, password or token replaced by `***` (it may be logged). */
  natsShown: string | null;
  /** Where the start-up history starts (for the log). */
  historySince: Date;
  /** File-system errors the local watcher recovered from, since start (for /metrics). */
  sourceReadErrors: () => number;
  /**
   * The fleet at a past time (`/api/snapshot?at=`): from the local event log, or centrally from
   * every host's relayed lines (`createCentralTimeTravel`, checkpoints in the cache dir).
   */
  timeTravel: TimeTravel | null;
  /**
   * The own ts of the log's first line (the dashboard scrubber's span) when the monitor has a
   * cheaper way than its `readEvents` (centrally: the stream's time index); null: ask `readEvents`.
   */
  logStart: (() => Promise<Date | null>) | null;
}

/** What `createFleet` needs: the local catalyst dir's settings, or a central broker. */
export interface FleetOptions {
  catalystDir: string;
  jobsDir: string | null;
  maxFileBytes: number;
  cacheDir: string;
  githubToken: string | null;
  historyMs: number;
  /**
   * `--pid-interval`: how often the local catalyst dir's worker pids (and execution-core jobs) are
   * checked; unused centrally (each host checks its own). @default 5_000
   */
  livenessIntervalMs?: number;
  /** `--nats`: read every host from this broker instead of the catalyst dir. */
  central: {
    url: string;
    broker: Pick<NatsConnectionSettings, "servers" | "auth">;
    durable: string;
    staleAfterMs: number;
    /** A host silent this long is forgotten (its keys deleted); null: never. */
    forgetAfterMs: number | null;
    /** How long start-up waits for a broker that is down, starting or slow (`--nats-wait`). @default 0 */
    connectWaitMs?: number;
  } | null;
  logger: FleetLogger;
  /** Runs once loading is over. */
  onLoaded: () => void;
  /** Refreshes every SSE client. */
  onSnapshotTimer: () => void;
}

/** The options the local and the central engine share. */
export function commonOptions(options: FleetOptions) {
  const { logger } = options;
  return {
    githubToken: options.githubToken,
    historyMs: options.historyMs,
    logger,
    // Loading is over: every client gets the full snapshot, without the `loading` mark.
    onLoaded: options.onLoaded,
    onSnapshotTimer: options.onSnapshotTimer,
    // A throwing subscriber (a bug in our own wiring) is logged; the libraries carry on.
    onListenerError: (error: unknown) => logger.error("a subscriber failed", { error: String(error) }),
  } satisfies Partial<EngineOptions> & Partial<CentralEngineOptions>;
}

/** The engine for the options, not yet started (the central engine is loaded on demand). */
export async function createFleet(options: FleetOptions): Promise<Fleet> {
  const { logger } = options;
  const common = commonOptions(options);
  const historySince = new Date(Date.now() - options.historyMs);
  // The central engine (and with it the NATS client) is loaded only for `--nats`.
  if (options.central !== null) {
    const { createCentralFleet } = await import("./central-fleet.js");
    return createCentralFleet(options, options.central, historySince);
  }
  // Each source error is counted for /metrics; the log gets one line per kind every 10 s.
  let sourceReadErrors = 0;
  const report = reportSourceErrors(logger);
  const engine = createEngine({
    ...common,
    catalystDir: options.catalystDir,
    maxFileBytes: options.maxFileBytes,
    jobsDir: options.jobsDir,
    cacheDir: options.cacheDir,
    ...(options.livenessIntervalMs === undefined ? {} : { livenessIntervalMs: options.livenessIntervalMs }),
    onSourceError: (error) => {
      sourceReadErrors += 1;
      report(error);
    },
  });
  return {
    engine,
    central: null,
    natsShown: null,
    historySince,
    sourceReadErrors: () => sourceReadErrors,
    timeTravel: createTimeTravel({ catalystDir: options.catalystDir, cacheDir: options.cacheDir }),
    logStart: null,
  };
}

/** The `/healthz` fields of a central monitor: the broker connection and the hosts. */
export function centralHealth({ central, natsShown }: Fleet) {
  if (central === null || natsShown === null) return {};
  const { parts } = central;
  return { central: { nats: () => ({ url: natsShown, ...parts.nats() }), hosts: () => parts.hosts() } };
}

/** Starts folding the sources into fuse; a central monitor says that the broker failed it. */
export async function startFolding({ engine, central }: Fleet): Promise<void> {
  try {
    await engine.start();
  } catch (error) {
    if (central === null) throw error;
    throw new Error(
      `cannot read from the NATS broker given to --nats (${error instanceof Error ? error.message : String(error)})`,
    );
  }
}

/** One line once the start-up history is folded in. */
export function logHistory(fleet: Fleet, historyMs: number, logger: FleetLogger): void {
  void fleet.engine.historyLoaded().then(({ records, error, complete }) => {
    if (error !== null || historyMs <= 0) return;
    const fields = { since: fleet.historySince.toISOString(), lines: records };
    // Stopped part-way (SIGTERM while folding): say so, never "folded" with a partial count (issue 25).
    if (complete === false) logger.info("event log history fold stopped early", fields);
    else logger.info("event log history folded in", fields);
  });
}

/** `--publish`: also publishes the catalyst dir to the broker; resolves to its stop once started. */
export async function startPublishing(options: {
  broker: Pick<NatsConnectionSettings, "servers" | "auth" | "description">;
  hostName: string;
  catalystDir: string;
  stateDir: string;
  /** How long start-up waits for a broker that is down, starting or slow (`--nats-wait`). @default 0 */
  connectWaitMs?: number;
  logger: FleetLogger;
  /**
   * The host's own pid / job checks (the local engine's liveness poller): every answer at start,
   * then each changed one, relayed so a central monitor shows `alive` and raises dead workers.
   */
  liveness?: Pick<LivenessPollerLike, "subscribe" | "checkNow">;
}): Promise<() => Promise<void>> {
  const { broker, logger } = options;
  const warn = rateLimitedWarn(logger);
  // The NATS client is loaded only for `--publish`.
  const { createRelayPublisher, RelayConnectError } = await import("@catalyst/relay");
  const publisher = createRelayPublisher({
    servers: broker.servers,
    auth: broker.auth,
    hostName: options.hostName,
    catalystDir: options.catalystDir,
    stateDir: options.stateDir,
    ...(options.connectWaitMs === undefined ? {} : { connectWaitMs: options.connectWaitMs }),
    // A broker that is down fails every publish: one line per 10 s (never the URL: it may hold credentials).
    onError: (error) => warn("publish", "publishing to NATS failed; retrying", { error: String(error) }),
  });
  try {
    await publisher.start();
  } catch (error) {
    // A RelayConnectError already names the broker (credentials hidden) and what went wrong.
    throw new Error(
      error instanceof RelayConnectError
        ? `--publish: ${error.message}`
        : `cannot publish to the NATS broker given to --publish (${error instanceof Error ? error.message : String(error)})`,
    );
  }
  const liveness = options.liveness;
  const unsubscribe = liveness?.subscribe((reports) => publisher.publishLiveness(reports));
  // The poller reports changes only, and its first round ran before the publisher started.
  if (liveness?.checkNow) publisher.publishLiveness(liveness.checkNow());
  logger.info("publishing to NATS JetStream", { hostName: options.hostName, auth: broker.description });
  return async () => {
    unsubscribe?.();
    await publisher.stop();
  };
}
