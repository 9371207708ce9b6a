import type { Snapshot } from "@catalyst/schema";
import { EventLogReadError } from "@catalyst/sources";
import type { Context } from "hono";
import { parseTime } from "./events-api.js";
import { jsonError } from "./json-error.js";

/** The fleet at a past time (`@catalyst/engine`'s `createTimeTravel().snapshotAt`). */
export type SnapshotAt = (at: Date) => Promise<Snapshot>;

/**
 * `GET /api/snapshot?at=<ts>` (issue 25): the fleet as the event log had it at `ts`, with `at` set
 * so that it cannot pass for the live one. 400 for a time that does not parse, 501 on a monitor
 * with no local log (`--nats`), 503 while too many answers are being worked out (one fold runs at a
 * time; `Retry-After` says when to ask again) or when the log cannot be read (naming the path).
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
    return jsonError(
      c,
      501,
      "no_time_travel",
      "this monitor reads several hosts from NATS and has no local event log to travel in",
    );
  try {
    return c.json(await snapshotAt(at));
  } catch (error) {
    if (error instanceof Error && error.name === "TimeTravelBusyError") {
      c.header("Retry-After", "1");
      return jsonError(c, 503, "busy", error.message);
    }
    if (error instanceof EventLogReadError) return jsonError(c, 503, "log_unreadable", error.message);
    throw error;
  }
}
