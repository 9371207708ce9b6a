import type { NormalizedEvent } from "@catalyst/schema";

/** The record filters a command line can ask for. Absent lists match everything. */
export interface EventFilterSpec {
  orchestrators?: readonly string[];
  workers?: readonly string[];
  types?: readonly string[];
}

/**
 * Build the predicate for `--orchestrator`, `--worker` and `--type`. A type matches the v1 name
 * (`worker-pr-merged`) or the name as written (canonical `orchestrator.worker.pr_merged`, v2
 * `github.pr.merged`), so either spelling works on a mixed-shape log (FORMATS §4.7).
 * Returns undefined when nothing is filtered.
 */
export function buildEventFilter(spec: EventFilterSpec): ((event: NormalizedEvent) => boolean) | undefined {
  const orchestrators = spec.orchestrators ? new Set(spec.orchestrators) : null;
  const workers = spec.workers ? new Set(spec.workers) : null;
  const types = spec.types ? new Set(spec.types) : null;
  if (!orchestrators && !workers && !types) return undefined;
  return (event) => {
    if (orchestrators && (event.orchestrator === null || !orchestrators.has(event.orchestrator)))
      return false;
    if (workers && (event.worker === null || !workers.has(event.worker))) return false;
    if (types && !types.has(event.type) && !types.has(writtenName(event))) return false;
    return true;
  };
}

function writtenName(event: NormalizedEvent): string {
  // Whatever the shape: `event`, `attributes["event.name"]` or a bare v3 `name` (FORMATS-TODAY R1.8).
  return event.name;
}
