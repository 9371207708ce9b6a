import type { NormalizedEvent, Snapshot } from "@catalyst/schema";
import type { DeltaDraft } from "./delta-draft.js";
import { createDraft } from "./draft.js";
import { foldLogEvent } from "./fold-log-event.js";
import { type FuseOptions, resolveOptions } from "./options.js";
import { publishChanges } from "./publish-changes.js";
import { createInitialState } from "./state.js";
import { isoOf } from "./time.js";
import { toSnapshot } from "./to-snapshot.js";

/**
 * Time travel: fold the event log from its start up to and including `at` and return the fleet
 * as the log describes it then (for `catalyst-replay --at`). Lines after `at` are ignored wherever
 * they appear, since concurrent writers only roughly keep time order (FORMATS §4.1). Streams:
 * the iterable is read once and not kept.
 */
export function foldEvents(events: Iterable<NormalizedEvent>, at: Date, options?: FuseOptions): Snapshot {
  const resolved = resolveOptions(options);
  const atIso = isoOf(at);
  const atMs = at.getTime();
  const draft = createDraft(createInitialState());
  for (const event of events) {
    if (event.tsMs <= atMs) foldLogEvent(draft, event);
  }
  const discarded: DeltaDraft[] = [];
  publishChanges(
    draft,
    { nowIso: atIso, nowMs: atMs, options: resolved, everyone: true, logged: [], work: { visited: 0 } },
    discarded,
  );
  return toSnapshot(draft.state, at);
}
