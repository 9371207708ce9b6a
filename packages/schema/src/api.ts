import { z } from "zod";
import { NotifyChannelHealth } from "./alert.js";
import { EventLine } from "./event-line.js";
import { ComponentHealth } from "./poller-results.js";
import { CorruptMarker, HostView, LoadingState, Snapshot } from "./snapshot.js";
import { Timestamp } from "./timestamp.js";

/** `GET /api/snapshot`. */
export const SnapshotResponse = Snapshot;
export type SnapshotResponse = z.infer<typeof SnapshotResponse>;

/** `GET /api/events`: log lines in time order, served by seeking, not scanning. */
export const EventsResponse = z.object({
  events: z.array(EventLine),
  /** Lines skipped as invalid or oversized while reading this page. */
  skipped: z.number().int(),
  /** True when `limit` cut the page short; `next` is then the `since` for the following page. */
  truncated: z.boolean(),
  next: Timestamp.nullable(),
  /**
   * Log files left out because they could not be read (permission denied, a symlink loop, a
   * directory named like a month file), with the reason: the page lacks their lines. Absent when
   * every file was read.
   */
  unreadable: z.array(z.object({ file: z.string(), reason: z.string() })).optional(),
});
export type EventsResponse = z.infer<typeof EventsResponse>;

/** `GET /api/briefing`: one briefing's markdown, `wave` null for `DASHBOARD.md`. */
export const BriefingResponse = z.object({
  orchestrator: z.string(),
  wave: z.number().int().nullable(),
  name: z.string(),
  markdown: z.string(),
  /** True when the file was longer than the read cap and the text was cut. */
  truncated: z.boolean(),
});
export type BriefingResponse = z.infer<typeof BriefingResponse>;

/** `GET /healthz`. */
export const HealthResponse = z.object({
  status: z.enum(["ok", "degraded"]),
  version: z.string(),
  uptimeSec: z.number(),
  rssBytes: z.number().int(),
  catalystDir: z.string(),
  sources: ComponentHealth,
  pollers: z.object({ github: ComponentHealth, liveness: ComponentHealth }),
  clients: z.object({ count: z.number().int(), queueDepths: z.array(z.number().int()) }),
  lastEventId: z.number().int(),
  /**
   * Files the monitor cannot use right now, each with the reason (a FIFO, too large, too deep, a log
   * replaced by a directory, a dropped 10 MB line); `status` is `degraded` while there are any.
   * The first 100.
   */
  degradedSources: z.array(CorruptMarker),
  /** Non-null while the monitor is still loading at start-up (it answers meanwhile). */
  loading: LoadingState.nullable().optional(),
  /**
   * Only on a monitor that fuses several hosts (`--nats`): the broker connection (its URL with any
   * credentials removed) and every host with its current heartbeat and stale mark.
   */
  nats: z
    .object({
      url: z.string(),
      connected: z.boolean(),
      lastError: z.string().nullable(),
      lastErrorAt: Timestamp.nullable(),
    })
    .optional(),
  hosts: z.array(HostView).optional(),
  /** Event-loop delay since the previous `/healthz` (`perf_hooks.monitorEventLoopDelay`), in ms. */
  eventLoopDelayMs: z.object({ p50: z.number(), p99: z.number(), max: z.number() }).optional(),
  /**
   * Only when alerts are configured (`--notify-*`): each channel's delivery state (`status` is
   * `degraded` while one is failing), incidents open and pending, and alerts sent.
   */
  notify: z
    .object({
      channels: z.array(NotifyChannelHealth),
      openIncidents: z.number().int(),
      pending: z.number().int(),
      alertsSent: z.number().int(),
    })
    .optional(),
});
export type HealthResponse = z.infer<typeof HealthResponse>;

/** Every JSON error body: a stable code and a message for people. */
export const ApiError = z.object({ error: z.object({ code: z.string(), message: z.string() }) });
export type ApiError = z.infer<typeof ApiError>;
