import type { EventsResponse, NormalizedEvent } from "@catalyst/schema";
import { timestampMs } from "@catalyst/schema";
import { EventLogReadError, type ReadEvents } from "@catalyst/sources";
import type { Context } from "hono";
import { jsonError } from "./json-error.js";

export type { ReadEvents };

/** @default page size of `/api/events` */
export const DEFAULT_EVENTS_LIMIT = 1000;
const MAX_EVENTS_LIMIT = 10_000;

function parseTime(text: string | undefined): Date | null | "invalid" {
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
 * exactly those a full scan filtered by `ts` would give (sources' indexed `readEvents`). `since` is inclusive, `until`
 * exclusive; when `limit` cuts the page, `next` is the time of the first line left out, so the
 * next page (`since=next`) may repeat lines that share that exact time.
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
  const orchestrators = listParam(c.req.query("orchestrator"));
  const workers = listParam(c.req.query("worker"));
  const types = listParam(c.req.query("type"));
  const filter = (e: NormalizedEvent): boolean =>
    (orchestrators === null || (e.orchestrator !== null && orchestrators.has(e.orchestrator))) &&
    (workers === null || (e.worker !== null && workers.has(e.worker))) &&
    (types === null || types.has(e.type));

  const iterable = readEvents(catalystDir, {
    ...(since === null ? {} : { since }),
    ...(until === null ? {} : { until }),
    filter,
  });
  const events: EventsResponse["events"] = [];
  let next: string | null = null;
  try {
    // The reader is lazy: once `limit` lines (and one more, for `next`) are out, the loop leaves
    // and the reader stops, so a small page reads a few blocks, not the whole log.
    for await (const record of iterable) {
      if (events.length >= limit) {
        next = record.event.ts;
        break;
      }
      events.push(record.line);
    }
  } catch (error) {
    // The log as a whole cannot be read (the events dir is not listable, the process is out of
    // descriptors): a clear error naming the path, never a 500 and never an empty page.
    if (error instanceof EventLogReadError)
      return jsonError(c, 503, "log_unreadable", `${error.message}${error.code ? "" : describeCause(error)}`);
    throw error;
  }
  const body: EventsResponse = {
    events,
    skipped: iterable.stats.invalid + iterable.stats.oversized,
    truncated: next !== null,
    next,
    // A file that cannot be read is left out and named: the page says it is incomplete.
    ...(iterable.stats.unreadableCount > 0 ? { unreadable: iterable.stats.unreadable } : {}),
  };
  return c.json(body);
}

function describeCause(error: Error): string {
  const cause = error.cause;
  return cause instanceof Error ? ` (${cause.message})` : "";
}
