import type { ServerResponse } from "node:http";
import { securityHeaders } from "@catalyst/dashboard";
import { type EventLoopDelay, type HealthInputs, healthReport } from "@catalyst/engine";
import type { PushEndpoints } from "@catalyst/notify-channels";
import type {
  AlertsResponse,
  ComponentHealth,
  HealthResponse,
  HostView,
  LoadingState,
} from "@catalyst/schema";
import { readBriefingText } from "@catalyst/sources";
import {
  createSnapshotFrames,
  createSseHub,
  parseDeltaFilter,
  respondSse,
  type SnapshotFrames,
  type SseHub,
  type SseHubOptions,
  type SteppedDeltaFeed,
} from "@catalyst/sse-server";
import { RESPONSE_ALREADY_SENT } from "@hono/node-server/utils/response";
import { Hono } from "hono";
import { type AccessOptions, createAccessGuard } from "./access-guard.js";
import { type ReadBriefing, serveBriefing } from "./briefing-api.js";
import { type ReadEvents, serveEvents } from "./events-api.js";
import { jsonError } from "./json-error.js";
import { mountPushRoutes } from "./push-routes.js";
import { type LogStart, type SnapshotAt, serveLogSpan, serveSnapshotAt } from "./snapshot-at-api.js";
import { mountStaticAssets } from "./static-assets.js";

/** Health reporters of the running pieces, read by `/healthz`. */
export interface HealthReporters {
  sources?: () => ComponentHealth;
  github?: () => ComponentHealth;
  liveness?: () => ComponentHealth;
}

/** Everything the app serves from; `createApp` opens no socket and starts nothing. */
export interface AppDeps {
  /** Fuse (or anything shaped like it): snapshot, ids, ring and delta subscription. */
  feed: SteppedDeltaFeed;
  /** The SSE hub; created from `feed` and `sse` when absent. Pass one to read its counters. */
  hub?: SseHub;
  sse?: SseHubOptions;
  catalystDir: string;
  /** The dashboard's built files (`dist/public`). */
  publicDir: string;
  access: AccessOptions;
  /**
   * `@catalyst/sources` `readEvents`, for `/api/events` (on the central `--nats` monitor, the engine's
   * reader of the merged stream, of the same shape).
   */
  readEvents: ReadEvents;
  /** Briefing reader for `/api/briefing`. @default `@catalyst/sources` `readBriefingText` */
  readBriefing?: ReadBriefing;
  health?: HealthReporters;
  /** @default "0.0.0" */
  version?: string;
  /** For `uptimeSec`. @default now */
  startedAt?: Date;
  /** Called with an unexpected handler error (the app answers 500). */
  onError?: (error: unknown) => void;
  /**
   * The snapshot's encodings `/api/snapshot` answers from (sse-server's `createSnapshotFrames`);
   * pass the ones `hub` was made with, so both share one. Made from `feed` when absent.
   */
  snapshotFrames?: SnapshotFrames;
  /** `/api/snapshot?at=`: the fleet at a past time from the event log (centrally: every host's, from the stream); absent: 501. */
  snapshotAt?: SnapshotAt;
  /** `/api/log-span`'s start when cheaper than `readEvents` (the central monitor's time index); absent: `readEvents`. */
  logStart?: LogStart;
  /** What start-up is still doing (null once loaded), for `/healthz`. */
  loading?: () => LoadingState | null;
  /** Event-loop delay since the previous read, for `/healthz`. */
  eventLoopDelay?: () => EventLoopDelay;
  /** Prometheus metrics for `GET /metrics` (`@catalyst/metrics`); without them the route is a 404. */
  metrics?: { contentType: string; render(): Promise<string> };
  /** A monitor of several hosts (`--nats`): the broker connection and the hosts, for `/healthz`. */
  central?: { nats: () => NonNullable<HealthResponse["nats"]>; hosts: () => HostView[] };
  /** Alerts: `/healthz`'s `notify` (null until alerting started) and `/api/alerts`. */
  notify?: {
    health: () => HealthResponse["notify"] | null;
    alerts: (after: number) => AlertsResponse;
    /** Web Push (`--notify-push`): the dashboard's key and subscription routes; null when off. */
    push?: () => PushEndpoints | null;
  };
}

/** The reporters' current health, leaving out those not given. */
function definedHealth(health: HealthReporters = {}): Pick<HealthInputs, "sources" | "github" | "liveness"> {
  const out: Pick<HealthInputs, "sources" | "github" | "liveness"> = {};
  for (const key of ["sources", "github", "liveness"] as const) {
    const read = health[key];
    if (read !== undefined) out[key] = read();
  }
  return out;
}

/**
 * Builds the monitor's HTTP app: `/events` (SSE), `/api/snapshot`, `/api/events`, `/healthz`
 * and the dashboard, all behind the Host/Origin/token guard.
 */
export function createApp(deps: AppDeps): Hono {
  // One encoding of the snapshot for `/api/snapshot` and the SSE snapshot frames, built in steps:
  // a client that connects after the snapshot was answered (a dashboard's first load) gets the
  // same bytes, and ~10 MB at 10,000 workers is not built and held twice (issue 26).
  const frames = deps.snapshotFrames ?? createSnapshotFrames(deps.feed);
  const hub = deps.hub ?? createSseHub(deps.feed, { frames, ...deps.sse });
  const startedAt = deps.startedAt ?? new Date();
  const app = new Hono();
  const security = securityHeaders(deps.publicDir);

  // First, so refusals (403, 401, 404) carry the headers too.
  app.use("*", async (c, next) => {
    await next();
    if (c.res === RESPONSE_ALREADY_SENT) return;
    for (const [name, value] of Object.entries(security)) c.res.headers.set(name, value);
  });
  app.use("*", createAccessGuard(deps.access));

  app.get("/events", (c) => {
    const parsed = parseDeltaFilter((name) => c.req.query(name));
    if (!parsed.ok) return jsonError(c, 400, "bad_filter", parsed.message);
    const lastEventId = c.req.header("last-event-id") ?? c.req.query("lastEventId") ?? null;
    // Under @hono/node-server the stream is written to the Node response directly (RESPONSE_ALREADY_SENT).
    const outgoing = (c.env as { outgoing?: ServerResponse } | undefined)?.outgoing;
    // A Node response reports its own close to the hub; only the web-stream path needs the
    // request's AbortSignal (reading it makes an AbortController and a listener per connection).
    const open =
      outgoing === undefined || outgoing.headersSent
        ? { lastEventId, filter: parsed.filter, signal: c.req.raw.signal }
        : { lastEventId, filter: parsed.filter };
    const response = respondSse(hub, open, {
      // Hono runs HEAD through the GET route.
      head: c.req.method === "HEAD",
      ...(outgoing === undefined ? {} : { outgoing }),
      headers: security,
      ...(deps.onError === undefined ? {} : { onError: deps.onError }),
    });
    return response ?? RESPONSE_ALREADY_SENT;
  });

  // Serialised and encoded once per snapshot object: many pollers of a large fleet share the bytes
  // (a string body was encoded to UTF-8 again for every answer: 10 MB at 10,000 workers); while
  // loading, rebuilt at most as often as their cost allows (sse-server's createSnapshotFrames).
  app.get("/api/snapshot", async (c) => {
    const at = c.req.query("at");
    if (at !== undefined) return serveSnapshotAt(c, at, deps.snapshotAt ?? null);
    const bytes = await frames.json((deps.loading?.() ?? null) !== null);
    return c.body(bytes, 200, { "Content-Type": "application/json" });
  });

  const metrics = deps.metrics;
  if (metrics !== undefined) {
    // Behind the same guard as every route (token when bound beyond loopback): Prometheus sends it
    // as `authorization: { credentials_file: ... }` or `?token=`.
    app.get("/metrics", async (c) =>
      c.body(await metrics.render(), 200, { "Content-Type": metrics.contentType }),
    );
  }

  app.get("/api/events", (c) => serveEvents(c, deps.catalystDir, deps.readEvents));
  app.get("/api/log-span", (c) => serveLogSpan(c, deps.catalystDir, deps.readEvents, deps.logStart ?? null));

  app.get("/api/alerts", (c) => {
    const after = c.req.query("after") ?? "0";
    if (!/^\d{1,15}$/.test(after))
      return jsonError(c, 400, "bad_after", "after must be a sequence number (0 or more)");
    return c.json(deps.notify?.alerts(Number(after)) ?? { alerts: [], lastSeq: 0, open: 0 });
  });

  mountPushRoutes(app, () => deps.notify?.push?.() ?? null);

  app.get("/api/briefing", (c) =>
    serveBriefing(c, () => deps.feed.snapshot(), deps.readBriefing ?? readBriefingText),
  );

  app.get("/healthz", (c) => {
    const body = healthReport({
      version: deps.version ?? "0.0.0",
      startedAt,
      catalystDir: deps.catalystDir,
      ...definedHealth(deps.health),
      loading: deps.loading?.() ?? null,
      snapshot: () => deps.feed.snapshot(),
      lastEventId: deps.feed.lastId(),
      clients: { count: hub.clientCount(), queueDepths: hub.queueDepths() },
      ...(deps.eventLoopDelay ? { eventLoopDelay: deps.eventLoopDelay() } : {}),
      ...(deps.central ? { central: { nats: deps.central.nats(), hosts: deps.central.hosts() } } : {}),
    });
    const notify = deps.notify?.health() ?? null;
    if (notify !== null) {
      body.notify = notify;
      if (notify.channels.some((channel) => channel.state === "failing")) body.status = "degraded";
    }
    return c.json(body);
  });

  mountStaticAssets(app, deps.publicDir);

  app.notFound((c) => jsonError(c, 404, "not_found", `no route for ${c.req.method} ${c.req.path}`));
  app.onError((error, c) => {
    deps.onError?.(error);
    return jsonError(c, 500, "internal", "internal error; see the monitor's log");
  });
  return app;
}
