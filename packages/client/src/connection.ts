// The SSE connection: one EventSource on /events, our own reconnect with exponential backoff (the
// built-in retry of EventSource has no backoff and no visible state), and resume by `?lastEventId=`
// when the same server instance is still running.
import {
  type Delta,
  type HealthResponse,
  SSE_EVENT_NAMES,
  SSE_KEEP_ALIVE_EVENT,
  type SseEventName,
} from "@catalyst/schema/constants";
import { type Backoff, backoffDelay, canResume } from "./reconnect-policy.js";

/** What the header shows about the connection. */
export type ConnectionStatus =
  | { state: "connecting"; attempt: number }
  | { state: "live"; since: number; resumed: boolean }
  | { state: "reconnecting"; attempt: number; retryAt: number; reason: string };

/** The part of an SSE message event the connection reads. */
export interface MessageEventLike {
  readonly data: string;
  readonly lastEventId: string;
}

/**
 * The part of the WHATWG `EventSource` the connection uses (browsers' own, or the `eventsource`
 * package in Node). Declared here so the package needs neither the DOM library nor Node's types.
 */
export interface EventSourceLike {
  readonly readyState: number;
  // biome-ignore lint/suspicious/noExplicitAny: the handlers' event types differ between implementations
  onopen: ((event: any) => unknown) | null;
  // biome-ignore lint/suspicious/noExplicitAny: the handlers' event types differ between implementations
  onerror: ((event: any) => unknown) | null;
  // biome-ignore lint/suspicious/noExplicitAny: the listener's event type differs between implementations
  addEventListener(type: string, listener: (event: any) => void): void;
  close(): void;
}

/** A constructor of `EventSourceLike`, with the `CLOSED` constant. */
export interface EventSourceConstructor {
  new (url: string): EventSourceLike;
  readonly CLOSED: number;
}

export interface ConnectionOptions {
  /** Origin of the monitor, e.g. `location.origin` or `http://127.0.0.1:7400`. */
  baseUrl: string;
  /** Sent as `?token=` when the monitor requires one (non-loopback `--host`). */
  token?: string | null;
  /** The id of the last frame applied, for resume. */
  lastId(): number;
  onFrame(delta: Delta): void;
  onBadFrame(name: string): void;
  onStatus(status: ConnectionStatus): void;
  /** Called when a stream opens; `resumed` is false when a fresh snapshot follows. */
  onOpen(resumed: boolean): void;
  backoff?: Partial<Backoff>;
  /**
   * Reconnect when a live stream brings nothing for this long. The monitor sends a full snapshot
   * every 60 s, so silence means a dead link that the browser has not noticed (a laptop that
   * slept, a dropped NAT entry), while the page would still say "live".
   * @default 150_000
   */
  silentAfterMs?: number;
  /** @default Math.random */
  random?: () => number;
  /** @default globalThis.EventSource (Node 20 has none: pass `EventSource` from the `eventsource` package) */
  EventSource?: EventSourceConstructor;
  /** Used for the `/healthz` probe before a reconnect. @default globalThis.fetch */
  fetch?: typeof globalThis.fetch;
}

export interface Connection {
  start(): void;
  stop(): void;
  /** Skips the remaining backoff wait and reconnects now. */
  retryNow(): void;
}

/** Creates the connection to a monitor; nothing happens until start(). */
export function createMonitorConnection(options: ConnectionOptions): Connection {
  const EventSourceImpl =
    options.EventSource ?? (globalThis as { EventSource?: EventSourceConstructor }).EventSource;
  if (!EventSourceImpl) {
    throw new TypeError(
      "no EventSource here: pass one as options.EventSource (in Node, `EventSource` from the `eventsource` package)",
    );
  }
  const fetchImpl = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const backoff: Backoff = { initialMs: 500, maxMs: 15_000, ...options.backoff };
  const random = options.random ?? Math.random;
  const silentAfterMs = options.silentAfterMs ?? 150_000;
  let watchdog: ReturnType<typeof setTimeout> | null = null;
  let source: EventSourceLike | null = null;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let attempt = 0;
  let stopped = true;
  let lostAt = 0;

  const withToken = (path: string, params: Record<string, string> = {}): string => {
    const url = new URL(path, options.baseUrl);
    for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
    if (options.token) url.searchParams.set("token", options.token);
    return url.href;
  };

  const stopWatchdog = () => {
    if (watchdog) clearTimeout(watchdog);
    watchdog = null;
  };

  // Re-armed by every frame; fires only when the stream has gone quiet.
  const armWatchdog = (es: EventSourceLike) => {
    stopWatchdog();
    watchdog = setTimeout(() => {
      watchdog = null;
      if (source !== es) return;
      es.close();
      source = null;
      lostAt = Date.now();
      scheduleReconnect(`no data for ${Math.round(silentAfterMs / 1000)}s`);
    }, silentAfterMs);
  };

  const handleMessage = (name: SseEventName, event: MessageEventLike) => {
    const id = Number(event.lastEventId);
    let data: unknown;
    try {
      data = JSON.parse(event.data);
    } catch {
      options.onBadFrame(name);
      return;
    }
    if (!Number.isFinite(id) || typeof data !== "object" || data === null) {
      options.onBadFrame(name);
      return;
    }
    // The server frames what fuse produced (schema-valid); the client trusts the shape.
    options.onFrame({ id, event: name, data } as Delta);
  };

  const open = (resumeFrom: number | null) => {
    if (stopped) return;
    options.onStatus({ state: "connecting", attempt });
    const params: Record<string, string> = resumeFrom === null ? {} : { lastEventId: String(resumeFrom) };
    const es = new EventSourceImpl(withToken("/events", params));
    source = es;
    es.onopen = () => {
      if (source !== es) return;
      attempt = 0;
      armWatchdog(es);
      options.onOpen(resumeFrom !== null);
      options.onStatus({ state: "live", since: Date.now(), resumed: resumeFrom !== null });
    };
    es.onerror = () => {
      if (source !== es) return;
      stopWatchdog();
      es.close();
      source = null;
      if (attempt === 0) lostAt = Date.now();
      scheduleReconnect(es.readyState === EventSourceImpl.CLOSED ? "connection lost" : "stream error");
    };
    for (const name of SSE_EVENT_NAMES) {
      es.addEventListener(name, (event: MessageEventLike) => {
        if (source !== es) return;
        armWatchdog(es);
        handleMessage(name, event);
      });
    }
    // The hub's keep-alive carries nothing; it only says the stream is alive.
    es.addEventListener(SSE_KEEP_ALIVE_EVENT, () => {
      if (source === es) armWatchdog(es);
    });
  };

  const scheduleReconnect = (reason: string) => {
    if (stopped) return;
    attempt += 1;
    const delay = backoffDelay(attempt, backoff, random);
    options.onStatus({ state: "reconnecting", attempt, retryAt: Date.now() + delay, reason });
    timer = setTimeout(() => {
      timer = null;
      void probe();
    }, delay);
  };

  // Ask /healthz first: it tells whether the server is back at all (so a dead server costs one
  // cheap request per attempt) and whether it is the same instance (so resume is safe).
  const probe = async () => {
    let health: Partial<HealthResponse> | null = null;
    const abort = new AbortController();
    const timeout = setTimeout(() => abort.abort(), 3000);
    try {
      // `cache` is a browser option (Node's fetch has no HTTP cache and ignores it).
      const init = { signal: abort.signal, cache: "no-store" } as RequestInit;
      const res = await fetchImpl(withToken("/healthz"), init);
      health = (await res.json().catch(() => ({}))) as Partial<HealthResponse>;
    } catch {
      health = null;
    } finally {
      clearTimeout(timeout);
    }
    if (stopped) return;
    if (health === null) {
      scheduleReconnect("server unreachable");
      return;
    }
    const lastId = options.lastId();
    const resume =
      typeof health.lastEventId === "number" && typeof health.uptimeSec === "number"
        ? canResume(
            lastId,
            { lastEventId: health.lastEventId, uptimeSec: health.uptimeSec },
            Date.now() - lostAt,
          )
        : false;
    open(resume ? lastId : null);
  };

  return {
    start() {
      if (!stopped) return;
      stopped = false;
      attempt = 0;
      open(null);
    },
    stop() {
      stopped = true;
      stopWatchdog();
      if (timer) clearTimeout(timer);
      timer = null;
      source?.close();
      source = null;
    },
    retryNow() {
      if (stopped || timer === null) return;
      clearTimeout(timer);
      timer = null;
      void probe();
    },
  };
}
