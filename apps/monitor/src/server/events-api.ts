import { timestampMs } from "@catalyst/schema";
import { EventLogReadError, type ReadEvents, readEventsPage } from "@catalyst/sources";
import type { Context } from "hono";
import { jsonError } from "./json-error.js";

export type { ReadEvents };

/** @default page size of `/api/events` */
export const DEFAULT_EVENTS_LIMIT = 1000;
const MAX_EVENTS_LIMIT = 10_000;

/** A query time: ISO 8601, or a bare date (UTC midnight); null when absent, "invalid" when not a time. */
export function parseTime(text: string | undefined): Date | null | "invalid" {
  if (text === undefined || text.trim() === "") return null;
  const value = text.trim();
  const ms = /^\d{4}-\d{2}-\d{2}$/.test(value) ? Date.parse(`${value}T00:00:00Z`) : timestampMs(value);
  return Number.isFinite(ms) ? new Date(ms) : "invalid";
}

function listParam(text: string | undefined): Set<string> | null {
  const items = (text ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  return items.length === 0 ? null : new Set(items);
}

/**
 * `GET /api/events?since=&until=&orchestrator=&worker=&type=&limit=`: log lines in time order,
 * exactly those a full scan filtered by `ts` would give (sources' `readEventsPage` over the indexed
 * `readEvents`); see `readEventsPage` for `since`, `until` and `next`.
 */
export async function serveEvents(
  c: Context,
  catalystDir: string,
  readEvents: ReadEvents,
): Promise<Response> {
  const since = parseTime(c.req.query("since"));
  const until = parseTime(c.req.query("until"));
  if (since === "invalid" || until === "invalid")
    return jsonError(c, 400, "bad_time", "since and until must be ISO 8601 times, e.g. 2026-04-14T19:00:00Z");
  const limitText = c.req.query("limit");
  const limit = limitText === undefined || limitText === "" ? DEFAULT_EVENTS_LIMIT : Number(limitText);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_EVENTS_LIMIT)
    return jsonError(c, 400, "bad_limit", `limit must be an integer from 1 to ${MAX_EVENTS_LIMIT}`);
  try {
    const page = await readEventsPage(readEvents, catalystDir, {
      since,
      until,
      orchestrators: listParam(c.req.query("orchestrator")),
      workers: listParam(c.req.query("worker")),
      types: listParam(c.req.query("type")),
      limit,
    });
    return c.json(page);
  } catch (error) {
    // The log as a whole cannot be read (the events dir is not listable, the process is out of
    // descriptors): a clear error naming the path, never a 500 and never an empty page. A single
    // unreadable month file is not an error: the page names it in `unreadable`.
    if (error instanceof EventLogReadError) return jsonError(c, 503, "log_unreadable", error.message);
    throw error;
  }
}
