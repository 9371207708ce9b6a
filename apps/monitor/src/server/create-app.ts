import type { ServerResponse } from "node:http";
import type { ComponentHealth, HealthResponse } from "@catalyst/schema";
import { readBriefingText } from "@catalyst/sources";
import { RESPONSE_ALREADY_SENT } from "@hono/node-server/utils/response";
import { Hono } from "hono";
import { type AccessOptions, createAccessGuard } from "./access-guard.js";
import { type ReadBriefing, serveBriefing } from "./briefing-api.js";
import { parseDeltaFilter } from "./delta-filter.js";
import { type ReadEvents, serveEvents } from "./events-api.js";
import { jsonError } from "./json-error.js";
import { createSseHub, type DeltaFeed, type SseHub, type SseHubOptions } from "./sse-hub.js";
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
  /** `@catalyst/sources` `readEvents`, for `/api/events`. */
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

/**
 * Builds the monitor's HTTP app: `/events` (SSE), `/api/snapshot`, `/api/events`, `/healthz`
 * and the dashboard, all behind the Host/Origin/token guard.
 */
export function createApp(deps: AppDeps): Hono {
  const hub = deps.hub ?? createSseHub(deps.feed, deps.sse);
  const startedAt = deps.startedAt ?? new Date();
  const app = new Hono();

  app.use("*", createAccessGuard(deps.access));

  app.get("/events", (c) => {
    const parsed = parseDeltaFilter((name) => c.req.query(name));
    if (!parsed.ok) return jsonError(c, 400, "bad_filter", parsed.message);
    const lastEventId = c.req.header("last-event-id") ?? c.req.query("lastEventId") ?? null;
    const open = { lastEventId, filter: parsed.filter, signal: c.req.raw.signal };
    const outgoing = (c.env as { outgoing?: ServerResponse } | undefined)?.outgoing;
    if (outgoing !== undefined && !outgoing.headersSent) {
      // Under @hono/node-server, write to the response directly: no web-stream hop per frame,
      // which cut the CPU of a 1,000-client fan-out by about 40% (BENCHMARKS.md, P3).
      outgoing.writeHead(200, SSE_HEADERS);
      outgoing.flushHeaders();
      hub.attach(open, outgoing);
      return RESPONSE_ALREADY_SENT;
    }
    return new Response(hub.open(open), { status: 200, headers: SSE_HEADERS });
  });

  app.get("/api/snapshot", (c) => c.json(deps.feed.snapshot()));

  app.get("/api/events", (c) => serveEvents(c, deps.catalystDir, deps.readEvents));

  app.get("/api/briefing", (c) =>
    serveBriefing(c, () => deps.feed.snapshot(), deps.readBriefing ?? readBriefingText),
  );

  app.get("/healthz", (c) => {
    const sources = deps.health?.sources?.() ?? UNCONFIGURED;
    const body: HealthResponse = {
      status: isFailing(sources) ? "degraded" : "ok",
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
    };
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
