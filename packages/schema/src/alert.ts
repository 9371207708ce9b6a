import { z } from "zod";
import { Timestamp } from "./timestamp.js";

/**
 * One alert of the monitor (`@catalyst/notify` makes them): what a webhook receives as JSON and
 * what `GET /api/alerts` lists. `kind` is a needs-you reason (`failed`, `dead`, `attention`, …,
 * kept verbatim), `ci-failing`, `pr-merged`, `wave-completed`, `orchestrator-finished`,
 * `host-stale` or `test`.
 */
export const Alert = z.object({
  kind: z.string(),
  /** `firing` when the incident opens (or a one-shot event), `resolved` when it closes. */
  state: z.enum(["firing", "resolved"]),
  severity: z.enum(["critical", "warning", "info"]),
  /** Stable for the incident's life, across monitor restarts. */
  incident: z.string(),
  title: z.string(),
  /** One line, at most 300 characters. */
  message: z.string(),
  orchestrator: z.string().nullable(),
  worker: z.string().nullable(),
  host: z.string().nullable(),
  /** The dashboard deep link (`?orch=&worker=`), or null. */
  url: z.string().nullable(),
  at: Timestamp,
  /** Workers (conditions) the incident counts. */
  count: z.number().int(),
});
export type Alert = z.infer<typeof Alert>;

/** `GET /api/alerts?after=<seq>`: the monitor's last alerts (at most 50), oldest first. */
export const AlertsResponse = z.object({
  /** Each alert with its sequence number in this monitor run (1, 2, …). */
  alerts: z.array(Alert.extend({ seq: z.number().int() })),
  /** The newest sequence number; pass it as `after` to get only newer ones. */
  lastSeq: z.number().int(),
  /** Incidents open now: the dashboard's and catalyst-top's bell count. */
  open: z.number().int(),
});
export type AlertsResponse = z.infer<typeof AlertsResponse>;

/** One channel's delivery state, under `notify` in `/healthz`. */
export const NotifyChannelHealth = z.object({
  name: z.string(),
  kind: z.string(),
  state: z.enum(["ok", "failing"]),
  sent: z.number().int(),
  failed: z.number().int(),
  dropped: z.number().int(),
  queued: z.number().int(),
  lastError: z.string().nullable(),
  lastErrorAt: Timestamp.nullable(),
  lastSentAt: Timestamp.nullable(),
});
export type NotifyChannelHealth = z.infer<typeof NotifyChannelHealth>;
