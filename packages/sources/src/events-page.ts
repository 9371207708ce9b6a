// One page of the event log (what `GET /api/events` serves): lines in time order from a reader of
// the shape of `readEvents` (the local log, or the central monitor's stream), filtered by
// orchestrator, worker and event type, cut at `limit` with the time to go on from.
import type { EventsResponse, NormalizedEvent } from "@catalyst/schema";
import type { ReadEvents } from "./read-events.js";

/** What a page asks for: `since` inclusive, `until` exclusive; a null set means any. */
export interface EventsPageQuery {
  since: Date | null;
  until: Date | null;
  orchestrators: ReadonlySet<string> | null;
  workers: ReadonlySet<string> | null;
  types: ReadonlySet<string> | null;
  limit: number;
}

/**
 * Reads one page. When `limit` cuts it, `next` is the time of the first line left out, so the next
 * page (`since = next`) may repeat lines that share that exact time.
 */
export async function readEventsPage(
  readEvents: ReadEvents,
  catalystDir: string,
  query: EventsPageQuery,
): Promise<EventsResponse> {
  const { orchestrators, workers, types, limit } = query;
  const filter = (e: NormalizedEvent): boolean =>
    (orchestrators === null || (e.orchestrator !== null && orchestrators.has(e.orchestrator))) &&
    (workers === null || (e.worker !== null && workers.has(e.worker))) &&
    (types === null || types.has(e.type));
  const iterable = readEvents(catalystDir, {
    ...(query.since === null ? {} : { since: query.since }),
    ...(query.until === null ? {} : { until: query.until }),
    filter,
  });
  const events: EventsResponse["events"] = [];
  let next: string | null = null;
  // The reader is lazy: once `limit` lines (and one more, for `next`) are out, the loop leaves and
  // the reader stops, so a small page reads the blocks of about that many lines.
  for await (const record of iterable) {
    if (events.length >= limit) {
      next = record.event.ts;
      break;
    }
    events.push(record.line);
  }
  return {
    events,
    skipped: iterable.stats.invalid + iterable.stats.oversized,
    truncated: next !== null,
    next,
    // A file that cannot be read is left out and named: the page says it is incomplete (issue 25).
    ...(iterable.stats.unreadableCount > 0 ? { unreadable: iterable.stats.unreadable } : {}),
  };
}
