import type { ServerResponse } from "node:http";
import { securityHeaders } from "@catalyst/dashboard";
import type {
  ComponentHealth,
  CorruptMarker,
  DeltaFeed,
  HealthResponse,
  HostView,
  LoadingState,
  Snapshot,
} from "@catalyst/schema";
import { readBriefingText } from "@catalyst/sources";
import {
  createSnapshotSerializer,
  createSseHub,
  parseDeltaFilter,
  type SseHub,
  type SseHubOptions,
} from "@catalyst/sse-server";
import { RESPONSE_ALREADY_SENT } from "@hono/node-server/utils/response";
import { Hono } from "hono";
import { type AccessOptions, createAccessGuard } from "./access-guard.js";
import { type ReadBriefing, serveBriefing } from "./briefing-api.js";
import type { EventLoopDelay } from "./event-loop-delay.js";
import { type ReadEvents, serveEvents } from "./events-api.js";
import { jsonError } from "./json-error.js";
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
  feed: DeltaFeed;
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
  /** What `/api/snapshot` serves; `feed.snapshot` when absent. */
  apiSnapshot?: () => Snapshot;
  /** What start-up is still doing (null once loaded), for `/healthz`. */
  loading?: () => LoadingState | null;
  /** Event-loop delay since the previous read, for `/healthz`. */
  eventLoopDelay?: () => EventLoopDelay;
  /** Prometheus metrics for `GET /metrics` (`@catalyst/metrics`); without them the route is a 404. */
  metrics?: { contentType: string; render(): Promise<string> };
  /** A monitor of several hosts (`--nats`): the broker connection and the hosts, for `/healthz`. */
  central?: { nats: () => NonNullable<HealthResponse["nats"]>; hosts: () => HostView[] };
}

const UNCONFIGURED: ComponentHealth = {
  enabled: false,
  reason: "not configured",
  lastSuccessAt: null,
  lastErrorAt: null,
  lastError: null,
  nextRunAt: null,
};

function isFailing(health: ComponentHealth): boolean {
  if (health.lastErrorAt === null) return false;
  return health.lastSuccessAt === null || Date.parse(health.lastErrorAt) > Date.parse(health.lastSuccessAt);
}

const SSE_HEADERS = {
  "Content-Type": "text/event-stream; charset=utf-8",
  "Cache-Control": "no-cache, no-transform",
  "X-Accel-Buffering": "no",
};

/** How many degraded files `/healthz` lists. */
const MAX_DEGRADED = 100;

/** Every file the snapshot marks as unusable: global/log problems, local states, signal files. */
export function degradedSources(snapshot: Snapshot): CorruptMarker[] {
  const out: CorruptMarker[] = [...snapshot.sourceErrors];
  for (const o of snapshot.orchestrators) {
    if (out.length >= MAX_DEGRADED) break;
    if (o.corrupt) out.push(o.corrupt);
    for (const w of Object.values(o.workers)) if (w.corrupt) out.push(w.corrupt);
  }
  return out.slice(0, MAX_DEGRADED);
}

/**
 * Builds the monitor's HTTP app: `/events` (SSE), `/api/snapshot`, `/api/events`, `/healthz`
 * and the dashboard, all behind the Host/Origin/token guard.
 */
export function createApp(deps: AppDeps): Hono {
  const hub = deps.hub ?? createSseHub(deps.feed, deps.sse);
  const startedAt = deps.startedAt ?? new Date();
  const app = new Hono();
  const security = securityHeaders(deps.publicDir);
  const sseHeaders = { ...SSE_HEADERS, ...security };

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
    // HEAD: the headers a GET would get, and no stream (Hono runs HEAD through the GET route).
    if (c.req.method === "HEAD") return new Response(null, { status: 200, headers: sseHeaders });
    const lastEventId = c.req.header("last-event-id") ?? c.req.query("lastEventId") ?? null;
    const open = { lastEventId, filter: parsed.filter, signal: c.req.raw.signal };
    const outgoing = (c.env as { outgoing?: ServerResponse } | undefined)?.outgoing;
    if (outgoing !== undefined && !outgoing.headersSent) {
      // Under @hono/node-server, write to the response directly: no web-stream hop per frame,
      // which cut the CPU of a 1,000-client fan-out by about 40% (BENCHMARKS.md, P3).
      outgoing.writeHead(200, sseHeaders);
      outgoing.flushHeaders();
      try {
        hub.attach(open, outgoing);
      } catch (error) {
        // The headers are out: a 500 can no longer be sent, so end the stream (the client
        // reconnects) rather than let the error handler write into it.
        deps.onError?.(error);
        outgoing.destroy();
      }
      return RESPONSE_ALREADY_SENT;
    }
    return new Response(hub.open(open), { status: 200, headers: sseHeaders });
  });

  // Serialised once per snapshot object: many pollers of a large fleet share the bytes.
  let snapshotJson: { snapshot: Snapshot; text: string } | null = null;
  const serializeSnapshot = createSnapshotSerializer();
  app.get("/api/snapshot", (c) => {
    const snapshot = deps.apiSnapshot?.() ?? deps.feed.snapshot();
    if (snapshotJson?.snapshot !== snapshot) snapshotJson = { snapshot, text: serializeSnapshot(snapshot) };
    return c.body(snapshotJson.text, 200, { "Content-Type": "application/json" });
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

  app.get("/api/briefing", (c) =>
    serveBriefing(c, () => deps.feed.snapshot(), deps.readBriefing ?? readBriefingText),
  );

  app.get("/healthz", (c) => {
    const sources = deps.health?.sources?.() ?? UNCONFIGURED;
    const loading = deps.loading?.() ?? null;
    // While loading, the fleet is still being read: listing its bad files would mean building a
    // full snapshot per request, which is what loading must not wait for.
    const degraded = loading ? [] : degradedSources(deps.feed.snapshot());
    const body: HealthResponse = {
      status: isFailing(sources) || degraded.length > 0 ? "degraded" : "ok",
      version: deps.version ?? "0.0.0",
      uptimeSec: Math.round((Date.now() - startedAt.getTime()) / 1000),
      rssBytes: process.memoryUsage.rss(),
      catalystDir: deps.catalystDir,
      sources,
      pollers: {
        github: deps.health?.github?.() ?? UNCONFIGURED,
        liveness: deps.health?.liveness?.() ?? UNCONFIGURED,
      },
      clients: { count: hub.clientCount(), queueDepths: hub.queueDepths() },
      lastEventId: deps.feed.lastId(),
      degradedSources: degraded,
      loading,
    };
    if (deps.eventLoopDelay) body.eventLoopDelayMs = deps.eventLoopDelay();
    if (deps.central) {
      body.nats = deps.central.nats();
      body.hosts = deps.central.hosts();
      if (!body.nats.connected) body.status = "degraded";
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
