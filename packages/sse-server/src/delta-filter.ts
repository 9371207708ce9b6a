import type { Delta, NeedsYouItem } from "@catalyst/schema";
import { SSE_EVENT_NAMES } from "@catalyst/schema";

/** Which deltas one SSE client asked for (`?orchestrator=&worker=&type=a,b`); null means any. */
export interface DeltaFilter {
  orchestrator: string | null;
  worker: string | null;
  types: ReadonlySet<string> | null;
}

/** The filter that lets every delta through. */
export const NO_FILTER: DeltaFilter = { orchestrator: null, worker: null, types: null };

const KNOWN_NAMES: ReadonlySet<string> = new Set(SSE_EVENT_NAMES);
const MAX_FILTER_CHARS = 256;

/** Parses the SSE filter query; an unknown event name or an over-long value is an error message. */
export function parseDeltaFilter(
  query: (name: string) => string | undefined,
): { ok: true; filter: DeltaFilter } | { ok: false; message: string } {
  const orchestrator = query("orchestrator")?.trim() || null;
  const worker = query("worker")?.trim() || null;
  const typeText = query("type")?.trim() || "";
  for (const [name, value] of [
    ["orchestrator", orchestrator],
    ["worker", worker],
    ["type", typeText],
  ] as const) {
    if (value !== null && value.length > MAX_FILTER_CHARS)
      return { ok: false, message: `query parameter ${name} is longer than ${MAX_FILTER_CHARS} characters` };
  }
  let types: Set<string> | null = null;
  if (typeText !== "") {
    types = new Set(
      typeText
        .split(",")
        .map((t) => t.trim())
        .filter((t) => t !== ""),
    );
    const unknown = [...types].filter((t) => !KNOWN_NAMES.has(t));
    if (unknown.length > 0)
      return {
        ok: false,
        message: `unknown event type ${JSON.stringify(unknown[0])}; expected one of ${SSE_EVENT_NAMES.join(", ")}`,
      };
  }
  return { ok: true, filter: { orchestrator, worker, types } };
}

/** True when the filter passes every delta (every field null). */
export function isOpenFilter(filter: DeltaFilter): boolean {
  return filter.orchestrator === null && filter.worker === null && filter.types === null;
}

/**
 * Whether a delta passes the filter. `needs-you` carries the rows that changed, so it passes the
 * orchestrator or worker filter when any added, changed or removed row names it; a delta that names no worker never passes a worker filter.
 */
export function matchesDelta(filter: DeltaFilter, delta: Delta): boolean {
  if (filter.types !== null && !filter.types.has(delta.event)) return false;
  if (filter.orchestrator === null && filter.worker === null) return true;
  if (delta.event === "snapshot") return true;
  if (delta.event === "needs-you") {
    const { added, changed, removed } = delta.data;
    const names = (item: NeedsYouItem): boolean =>
      (filter.orchestrator === null || item.orchestrator === filter.orchestrator) &&
      (filter.worker === null || item.worker === filter.worker);
    return added.some(names) || changed.some(names) || removed.some(names);
  }
  const data = delta.data as { orchestrator?: string | null; worker?: string | null };
  if (filter.orchestrator !== null && data.orchestrator !== filter.orchestrator) return false;
  if (filter.worker !== null && data.worker !== filter.worker) return false;
  return true;
}
