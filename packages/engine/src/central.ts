import { createFuse } from "@catalyst/fuse";
import { createPrPoller, systemClock } from "@catalyst/pollers";
import {
  createRelayConsumer,
  type NatsAuth,
  type RelayConsumer,
  type RelayNames,
  readRelayEvents,
  toLogRecord,
} from "@catalyst/relay";
import type { ComponentHealth, HostView, LoadingState, LogRecord, Snapshot } from "@catalyst/schema";
import type { BriefingTextResult, EventReadStats, ReadEventsOptions } from "@catalyst/sources";
import type { ReadEvents } from "./build-parts.js";
import { snapshotWithLoading } from "./engine.js";
import {
  createMonitor,
  type EngineLogger,
  type FuseLike,
  type HostsInput,
  type LivenessPollerLike,
  type MonitorParts,
  type WatcherInput,
  type WatcherLike,
} from "./monitor.js";

// The central monitor of several machines: the relay consumer stands where a catalyst dir's watcher
// stands, and fuse gets every host's changes, ids namespaced `<host>/<id>`. Worker pids belong to
// the publishing machines, so nothing here checks them: each host relays its own answers, a silent
// host is marked stale in `hosts`, and its workers keep their last known state and answer (never
// dead because their host went quiet).

/** Settings of the central parts. */
export interface CentralOptions extends RelayNames {
  /** NATS URL(s) of the broker the hosts publish to. */
  servers: string | string[];
  /** Passed to the NATS client as they are (token, user/pass, TLS…); never printed. */
  connectOptions?: Record<string, unknown>;
  /** Credentials read from the `--nats-*` flags / NATS_* variables (`@catalyst/relay/command-line`); never printed. */
  auth?: NatsAuth;
  /**
   * How long start-up waits for a broker that cannot be reached yet (down, starting) or does not
   * answer its JetStream requests in time, before `start()` fails. @default 0: fails at once
   */
  connectWaitMs?: number;
  /** The durable consumer's name: a restarted monitor resumes after its ack floor. @default "catalyst-central" */
  durable?: string;
  /** GitHub token for PR polling; null disables it (health says why). */
  githubToken: string | null;
  /** A host whose last heartbeat is older than this is stale. Publishers beat every 5 s. @default 30_000 */
  staleAfterMs?: number;
  /** How often the stale marks are re-computed. @default 1_000 */
  hostsCheckMs?: number;
  /**
   * A host whose last heartbeat is older than this is gone for good: its KV keys are deleted (as
   * `catalyst-monitor hosts forget` does), so every central monitor drops it. Null: never.
   * @default 7 days
   */
  forgetAfterMs?: number | null;
  /**
   * How often the time index of hosts whose publisher is gone (stale, see `staleAfterMs`) is
   * pruned: their weeks whose lines the stream no longer holds (a running publisher prunes its
   * own). Null: never. @default 10 minutes
   */
  indexPruneEveryMs?: number | null;
  /** Told what a prune of gone hosts' index dropped (weeks), or why it failed. */
  onIndexPruned?: (hosts: readonly string[], result: { weeks: number } | { error: unknown }) => void;
  /** Told when a host was forgotten for `forgetAfterMs` (for the log), or why that failed. */
  onHostForgotten?: (host: string, result: { keys: number } | { error: unknown }) => void;
  /**
   * Start-up history: lines an earlier run of this durable folded, stamped at or after this, are
   * folded again (replayed). Null: none.
   */
  historySince: Date | null;
  /** Told about what the consumer recovered from (a malformed message, a dropped connection). */
  onRelayError?: (error: unknown) => void;
  /** As in `buildParts`: an error thrown by a subscriber of fuse or a poller. */
  onListenerError?: (error: unknown) => void;
}

/** Default {@link CentralOptions.staleAfterMs}: six missed heartbeats. */
export const DEFAULT_STALE_AFTER_MS = 30_000;
/** Default {@link CentralOptions.indexPruneEveryMs}. */
export const DEFAULT_INDEX_PRUNE_EVERY_MS = 10 * 60 * 1000;
/** Default {@link CentralOptions.forgetAfterMs}: a week without a heartbeat. */
export const DEFAULT_FORGET_AFTER_MS = 7 * 24 * 60 * 60 * 1000;

/** The central parts: the monitor's parts plus the relay consumer and the hosts. */
export interface CentralParts extends MonitorParts {
  consumer: RelayConsumer;
  /**
   * `/api/events` on the central monitor: every host's lines read from the stream (`readRelayEvents`:
   * a `since`/`until` window through the stream's time index, else the whole stream; filtered by
   * each line's own ts, sorted by time then host, file, offset), with
   * orchestrator ids and files namespaced as the live view has them. The catalyst dir it is given
   * is ignored.
   */
  readEvents: ReadEvents;
  /** Every host seen, sorted, with its current heartbeat and stale mark. */
  hosts(): HostView[];
  /**
   * `/api/briefing` on the central monitor: a relayed briefing's text (by the orchestrator path
   * the snapshot shows, namespaced), read from the broker's KV when asked. Same shape as sources'
   * `readBriefingText`.
   */
  readBriefing(orchestratorPath: string, wave: number | null): Promise<BriefingTextResult>;
  /** The broker connection, for `/healthz`. */
  nats(): { connected: boolean; lastError: string | null; lastErrorAt: string | null };
}

function hostsEqual(a: readonly HostView[] | null, b: readonly HostView[]): boolean {
  if (a === null || a.length !== b.length) return false;
  return a.every(
    (h, i) =>
      h.name === b[i]!.name &&
      h.stale === b[i]!.stale &&
      (h.skipped?.lines ?? 0) === (b[i]!.skipped?.lines ?? 0) &&
      (h.skipped?.files ?? 0) === (b[i]!.skipped?.files ?? 0),
  );
}

/**
 * No pid checks centrally (the pids are on the publishing machines): each host's own answers, as
 * its publisher relayed them through the KV, one per changed answer. A silent host relays nothing,
 * so its workers keep their last answer: "host stale", never dead because the host went quiet.
 */
function relayedLiveness(consumer: RelayConsumer): LivenessPollerLike {
  type Listener = Parameters<LivenessPollerLike["subscribe"]>[0];
  const listeners = new Set<Listener>();
  const health: ComponentHealth = {
    enabled: true,
    reason:
      "central monitor (--nats): each host checks its own workers' pids and jobs and relays the answers; a silent host shows as stale, its workers keep their last answer",
    lastSuccessAt: null,
    lastErrorAt: null,
    lastError: null,
    nextRunAt: null,
  };
  let unsubscribe: (() => void) | null = consumer.subscribe(({ changes, liveness }) => {
    if (liveness === undefined || liveness.length === 0) return;
    health.lastSuccessAt = new Date().toISOString();
    // A first-load batch (a host's files and answers): the watcher applies the answers with the files.
    if (changes.length > 0) return;
    for (const l of [...listeners]) l(liveness);
  });
  return {
    start() {},
    async stop() {
      unsubscribe?.();
      unsubscribe = null;
    },
    track() {},
    subscribe(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    health: () => ({ ...health }),
  };
}

/**
 * The relay consumer as the monitor's watcher: every host's changes, then `{kind: "hosts"}`
 * whenever a host appears, goes stale or comes back (checked every `hostsCheckMs`).
 */
function relayWatcher(
  consumer: RelayConsumer,
  hosts: () => HostView[],
  checkMs: number,
  pace: { pending: Promise<void> | void },
  onCheck: () => void = () => {},
): WatcherLike {
  type Listener = Parameters<WatcherLike["subscribe"]>[0];
  const listeners = new Set<Listener>();
  let lastFed: HostView[] | null = null;
  let timer: ReturnType<typeof setInterval> | null = null;
  let unsubscribe: (() => void) | null = null;
  const send = (changes: Parameters<Listener>[0]): void => {
    for (const l of [...listeners]) pace.pending = l(changes);
  };
  const feedHosts = (): void => {
    onCheck();
    const now = hosts();
    // Only the set and the stale marks count: a heartbeat every 5 s per host is not a change.
    if (hostsEqual(lastFed, now)) return;
    lastFed = now;
    const input: HostsInput = { kind: "hosts", hosts: now };
    send([input]);
  };
  return {
    async start() {
      unsubscribe = consumer.subscribe(({ changes, liveness }) => {
        // A first-load batch carries the host's answers too: applied after its files, in the same
        // pass, so each worker is built once with its answer (relayedLiveness leaves them).
        if (changes.length === 0 || liveness === undefined || liveness.length === 0) {
          send(changes);
          return;
        }
        const inputs: WatcherInput[] = changes.slice();
        for (const answer of liveness) inputs.push({ kind: "liveness", ...answer });
        send(inputs);
      });
      await consumer.start();
      feedHosts();
      timer = setInterval(feedHosts, checkMs);
      timer.unref?.();
    },
    async stop() {
      if (timer !== null) clearInterval(timer);
      timer = null;
      unsubscribe?.();
      await consumer.stop();
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    health() {
      const h = consumer.health();
      return {
        enabled: true,
        reason: h.connected ? "reading every host from NATS JetStream" : "not connected to the NATS broker",
        lastSuccessAt: h.lastSuccessAt,
        lastErrorAt: h.connected ? h.lastErrorAt : (h.lastErrorAt ?? new Date().toISOString()),
        lastError: h.connected ? h.lastError : (h.lastError ?? "not connected to the NATS broker"),
        nextRunAt: null,
      };
    },
    progress() {
      const p = consumer.progress();
      return { phase: p.phase === "history" ? "history" : "scanning", records: p.records };
    },
  };
}

/**
 * The exact reader of every host's lines on the stream, shaped as sources' `readEvents`: records
 * carry `<host>/<file>` and `<host>/<orchestrator>` as the consumer namespaces them, and the
 * caller's filter sees them so (a filter on `h1/o1` matches host h1's `o1`).
 */
function centralReadEvents(options: CentralOptions): ReadEvents {
  return (_catalystDir: string, read: ReadEventsOptions = {}) => {
    const events = readRelayEvents({
      servers: options.servers,
      ...(options.connectOptions === undefined ? {} : { connectOptions: options.connectOptions }),
      ...(options.auth === undefined ? {} : { auth: options.auth }),
      ...(options.stream === undefined ? {} : { stream: options.stream }),
      ...(options.subjectPrefix === undefined ? {} : { subjectPrefix: options.subjectPrefix }),
      ...(options.indexBucket === undefined ? {} : { indexBucket: options.indexBucket }),
      ...(read.since === undefined ? {} : { since: read.since }),
      ...(read.until === undefined ? {} : { until: read.until }),
      // A query is not a live consumer: one attempt, then an error the route reports.
      maxReconnectAttempts: 0,
    });
    const stats: EventReadStats = {
      get invalid() {
        return events.stats.invalid + events.stats.malformed;
      },
      oversized: 0,
      files: 0,
      bytesRead: 0,
      bytesIndexed: 0,
      unreadable: [],
      unreadableCount: 0,
    };
    async function* records(): AsyncGenerator<LogRecord> {
      for await (const event of events) {
        const record = toLogRecord(event);
        if (record === null) continue;
        const { host, ...rest } = record;
        const ev = rest.event;
        const out: LogRecord = {
          ...rest,
          file: `${host}/${rest.file}`,
          event: ev.orchestrator === null ? ev : { ...ev, orchestrator: `${host}/${ev.orchestrator}` },
        };
        if (read.filter && !read.filter(out.event)) continue;
        yield out;
      }
    }
    return { stats, [Symbol.asyncIterator]: records };
  };
}

/** Builds the central monitor's parts: fuse, the relay consumer as its watcher, the PR poller. */
export function buildCentralParts(options: CentralOptions): CentralParts {
  const clock = systemClock;
  const listenerErrors =
    options.onListenerError === undefined ? {} : { onListenerError: options.onListenerError };
  const staleAfterMs = options.staleAfterMs ?? DEFAULT_STALE_AFTER_MS;
  const pace: { pending: Promise<void> | void } = { pending: undefined };
  const consumer = createRelayConsumer({
    servers: options.servers,
    ...(options.connectOptions === undefined ? {} : { connectOptions: options.connectOptions }),
    ...(options.auth === undefined ? {} : { auth: options.auth }),
    ...(options.durable === undefined ? {} : { durable: options.durable }),
    ...(options.connectWaitMs === undefined ? {} : { connectWaitMs: options.connectWaitMs }),
    ...(options.bucket === undefined ? {} : { bucket: options.bucket }),
    ...(options.stream === undefined ? {} : { stream: options.stream }),
    ...(options.subjectPrefix === undefined ? {} : { subjectPrefix: options.subjectPrefix }),
    // Start-up reads the history window through the stream's time index, never the whole stream.
    ...(options.indexBucket === undefined ? {} : { indexBucket: options.indexBucket }),
    history: options.historySince === null ? null : { since: options.historySince },
    // A history batch is folded before the next is read: the monitor's queue holds one at a time.
    pace: () => pace.pending,
    ...(options.onRelayError === undefined ? {} : { onError: options.onRelayError }),
  });
  const startedAt = clock.now().getTime();
  const forgetAfterMs = options.forgetAfterMs === undefined ? DEFAULT_FORGET_AFTER_MS : options.forgetAfterMs;
  const forgetting = new Set<string>();
  // Hosts silent past forgetAfterMs: their keys deleted (once per host at a time; the heartbeat's
  // deletion then drops the host from every consumer's list).
  const forgetGone = (): void => {
    if (forgetAfterMs === null) return;
    const now = clock.now().getTime();
    const beats = consumer.heartbeats();
    for (const name of forgetting) if (!beats.has(name)) forgetting.delete(name);
    for (const [name, beat] of beats) {
      if (now - beat <= forgetAfterMs || forgetting.has(name)) continue;
      forgetting.add(name);
      consumer.forgetHost(name).then(
        (keys) => options.onHostForgotten?.(name, { keys }),
        (error: unknown) => {
          forgetting.delete(name); // tried again on a later check
          options.onHostForgotten?.(name, { error });
        },
      );
    }
  };
  const pruneEveryMs =
    options.indexPruneEveryMs === undefined ? DEFAULT_INDEX_PRUNE_EVERY_MS : options.indexPruneEveryMs;
  let prunedAt = clock.now().getTime();
  let pruning = false;
  // The time index of hosts silent past the stale threshold: no publisher prunes it any more.
  const pruneGone = (): void => {
    const now = clock.now().getTime();
    if (pruneEveryMs === null || pruning || now - prunedAt < pruneEveryMs) return;
    prunedAt = now;
    const gone = [...consumer.heartbeats()]
      .filter(([name, beat]) => now - beat > staleAfterMs && !forgetting.has(name))
      .map(([name]) => name)
      .sort();
    if (gone.length === 0) return;
    pruning = true;
    consumer
      .pruneIndex(gone)
      .then(
        (weeks) => options.onIndexPruned?.(gone, { weeks }),
        (error: unknown) => options.onIndexPruned?.(gone, { error }),
      )
      .finally(() => {
        pruning = false;
      });
  };
  const hosts = (): HostView[] => {
    const now = clock.now().getTime();
    const beats = consumer.heartbeats();
    const names = new Set([...beats.keys(), ...consumer.hosts().keys()]);
    const skipped = consumer.skipped();
    return [...names].sort().map((name) => {
      const beat = beats.get(name);
      // A host never heard beating is stale once the monitor has waited as long as the threshold.
      const stale = beat === undefined ? now - startedAt > staleAfterMs : now - beat > staleAfterMs;
      const view: HostView = {
        name,
        lastHeartbeat: beat === undefined ? null : new Date(beat).toISOString(),
        stale,
      };
      const lines = skipped.get(name);
      if (lines !== undefined && lines.lines > 0) view.skipped = lines;
      return view;
    });
  };
  return {
    fuse: createFuse({ idBase: clock.now().getTime() * 1000, ...listenerErrors }),
    watcher: relayWatcher(consumer, hosts, options.hostsCheckMs ?? 1_000, pace, () => {
      forgetGone();
      pruneGone();
    }),
    prPoller: createPrPoller({ token: options.githubToken, clock, ...listenerErrors }),
    liveness: relayedLiveness(consumer),
    clock,
    consumer,
    readEvents: centralReadEvents(options),
    hosts,
    readBriefing: (path, wave) => consumer.readBriefing(path, wave),
    nats() {
      const h = consumer.health();
      return { connected: h.connected, lastError: h.lastError, lastErrorAt: h.lastErrorAt };
    },
  };
}

/** Settings of an in-process central fleet. */
export interface CentralEngineOptions extends Omit<CentralOptions, "historySince"> {
  /** How far back the start-up history reaches (by each line's own ts); 0 for none. @default 24 h */
  historyMs?: number;
  logger?: EngineLogger;
  /** Stall-rule tick. @default 5_000 */
  tickMs?: number;
  onLoaded?: () => void;
  /** Called on the full-snapshot timer (a server's SSE hub re-sends every client the snapshot). */
  onSnapshotTimer?: () => void;
}

/** A fleet of several machines in-process, read from NATS: what `catalyst-monitor --nats` runs. */
export interface CentralEngine {
  readonly feed: FuseLike;
  /** Every host's log lines, read from the stream (`CentralParts.readEvents`). */
  readonly readEvents: ReadEvents;
  readonly parts: CentralParts;
  /** The current snapshot, marked `loading` until every host's state and the stream are in. */
  snapshot(): Snapshot;
  loading(): LoadingState | null;
  /** Resolves once the KV's current values and the stream up to its last sequence at start are applied. */
  start(): Promise<void>;
  /** After start: how many stream lines the start-up history folded (`historyMs`), as the local engine's. */
  historyLoaded(): Promise<{ records: number; error: string | null; complete?: boolean }>;
  stop(): Promise<void>;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** Builds the central parts and wires them (the relay does its own history; no pid checks). */
export function createCentralEngine(options: CentralEngineOptions): CentralEngine {
  const historyMs = options.historyMs ?? DAY_MS;
  const parts = buildCentralParts({
    ...options,
    historySince: historyMs > 0 ? new Date(systemClock.now().getTime() - historyMs) : null,
  });
  const monitor = createMonitor(parts, {
    ...(options.logger === undefined ? {} : { logger: options.logger }),
    ...(options.tickMs === undefined ? {} : { tickMs: options.tickMs }),
    ...(options.onLoaded === undefined ? {} : { onLoaded: options.onLoaded }),
    ...(options.onSnapshotTimer === undefined ? {} : { onSnapshotTimer: options.onSnapshotTimer }),
    history: null,
  });
  return {
    feed: parts.fuse,
    readEvents: parts.readEvents,
    parts,
    snapshot: () => snapshotWithLoading(parts.fuse, monitor),
    loading: () => monitor.loading(),
    start: () => monitor.start(),
    // The relay consumer folds the history itself, while starting.
    historyLoaded: async () => ({ records: parts.consumer.stats().historyLines, error: null }),
    stop: () => monitor.stop(),
  };
}
