import { type Snapshot, timestampMs } from "@catalyst/schema";
import { EventLogReadError, type ReadEvents, readEventsPage } from "@catalyst/sources";
import { snapshotJsonStream } from "@catalyst/sse-server";
import type { Context } from "hono";
import { parseTime } from "./events-api.js";
import { jsonError } from "./json-error.js";

/** The fleet at a past time (`@catalyst/engine`'s `createTimeTravel().snapshotAt`). */
export type SnapshotAt = (at: Date) => Promise<Snapshot>;

/**
 * `GET /api/snapshot?at=<ts>` (issue 25): the fleet as the event log had it at `ts` (centrally: every
 * host's relayed log), with `at` set so that it cannot pass for the live one. 400 for a time that
 * does not parse, 501 when the monitor has no time travel, 503 while too many answers are being
 * worked out (one fold runs at a time; `Retry-After` says when to ask again), when the log cannot be
 * read (naming the path) or when the central monitor's broker cannot be read (naming it, no secret).
 */
export async function serveSnapshotAt(
  c: Context,
  text: string,
  snapshotAt: SnapshotAt | null,
): Promise<Response> {
  const at = parseTime(text);
  if (at === null || at === "invalid")
    return jsonError(c, 400, "bad_at", "at must be an ISO 8601 time, e.g. 2026-04-14T03:00:00Z, or a date");
  if (snapshotAt === null)
    return jsonError(c, 501, "no_time_travel", "this monitor has no event log to travel in");
  try {
    // Written one orchestrator at a time with turns of the event loop between chunks: a fleet of
    // 10,000 workers (~7 MB of JSON) is never stringified in one go while the monitor serves.
    return c.body(snapshotJsonStream(await snapshotAt(at)), 200, { "Content-Type": "application/json" });
  } catch (error) {
    if (error instanceof Error && error.name === "TimeTravelBusyError") {
      c.header("Retry-After", "1");
      return jsonError(c, 503, "busy", error.message);
    }
    if (error instanceof EventLogReadError) return jsonError(c, 503, "log_unreadable", error.message);
    // The central monitor's broker (a RelayConnectError's one line names it without credentials).
    if (error instanceof Error && error.name === "RelayConnectError") {
      c.header("Retry-After", "5");
      return jsonError(c, 503, "broker_unreachable", error.message);
    }
    throw error;
  }
}

/** The own ts of the log's first line, when the monitor has a cheaper way than reading the log (central). */
export type LogStart = () => Promise<Date | null>;

/**
 * `GET /api/log-span` (issue 25): `{ first }`, the own ts of the log's first line (null: an empty
 * log), the start of the dashboard's time scrubber; its end is now. Locally the first line of the
 * indexed log (one line read); centrally `logStart` (the stream's time index: the earliest hour's
 * lines, not the stream). 503 as `/api/snapshot?at=` when the log or the broker cannot be read.
 */
export async function serveLogSpan(
  c: Context,
  catalystDir: string,
  readEvents: ReadEvents,
  logStart: LogStart | null,
): Promise<Response> {
  try {
    if (logStart !== null) {
      const first = await logStart();
      return c.json({ first: first === null ? null : first.toISOString() });
    }
    const page = await readEventsPage(readEvents, catalystDir, {
      since: new Date(0),
      until: null,
      orchestrators: null,
      workers: null,
      types: null,
      limit: 1,
    });
    const ms = timestampMs(page.events[0]?.ts ?? "");
    return c.json({ first: Number.isFinite(ms) ? new Date(ms).toISOString() : null });
  } catch (error) {
    if (error instanceof EventLogReadError) return jsonError(c, 503, "log_unreadable", error.message);
    if (error instanceof Error && error.name === "RelayConnectError") {
      c.header("Retry-After", "5");
      return jsonError(c, 503, "broker_unreachable", error.message);
    }
    throw error;
  }
}
