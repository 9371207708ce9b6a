import type { FuseInput } from "@catalyst/schema";
import type { DeltaDraft } from "./delta-draft.js";
import { logEventDelta } from "./delta-draft.js";
import { createDraft } from "./draft.js";
import { foldLogEvent, type LoggedWaveCompletion } from "./fold-log-event.js";
import { ingestInput } from "./ingest-input.js";
import { admitLogRecord } from "./log-file-marks.js";
import { type FuseOptions, resolveOptions } from "./options.js";
import { publishChanges } from "./publish-changes.js";
import type { FuseState } from "./state.js";
import { isoOf } from "./time.js";

/**
 * Fold one input into the state and return the new state with the deltas that describe what
 * became visible. Pure: `state` is not modified, `now` is the only time read, and an input that
 * changes nothing visible yields no delta.
 */
export function reduce(
  state: FuseState,
  input: FuseInput,
  now: Date,
  options?: FuseOptions,
): { state: FuseState; deltas: DeltaDraft[] } {
  const resolved = resolveOptions(options);
  const nowIso = isoOf(now);
  const draft = createDraft(state);
  const deltas: DeltaDraft[] = [];
  const logged: LoggedWaveCompletion[] = [];
  if (input.kind === "log-lines") {
    const copied = new Set<string>();
    for (const record of input.records) {
      if (!admitLogRecord(draft.state, record, input.replayed === true, copied)) continue;
      if (!input.replayed) deltas.push(logEventDelta(record));
      const completion = foldLogEvent(draft, record.event);
      if (completion) logged.push(completion);
    }
  } else {
    ingestInput(draft, input, nowIso);
  }
  publishChanges(
    draft,
    { nowIso, nowMs: now.getTime(), options: resolved, everyone: input.kind === "tick", logged },
    deltas,
  );
  return { state: draft.state, deltas };
}
