import type { FuseInput, GlobalState, ParseResult, SignalFileRead } from "@catalyst/schema";
import type { StateDraft } from "./draft.js";
import { freshOf } from "./draft-fresh.js";
import { ingestPhaseFile } from "./ingest-phase-file.js";
import { deleteKey, emptyKeyedMap, forEachKey, getKey, setKey } from "./keyed-map.js";
import { ownValue } from "./own-property.js";
import { dropParkedLiveness } from "./pending-liveness.js";
import { sameValue } from "./same-value.js";
import {
  MAX_LOG_PROBLEMS,
  type OrchestratorRecord,
  type SignalRecord,
  type StateFileRecord,
  workerKeyOf,
} from "./state.js";

// Fuse has no node:path; both separators are accepted so Windows paths work too.
function basename(file: string): string {
  const cut = Math.max(file.lastIndexOf("/"), file.lastIndexOf("\\"));
  return cut < 0 ? file : file.slice(cut + 1);
}

// Store one non-log input in the draft and mark what it can change. Log lines go through
// foldLogEvent; poller answers and signal reads land here.

function nextFileRecord<T>(
  prev: StateFileRecord<T> | null,
  file: string,
  result: ParseResult<T>,
  nowIso: string,
): StateFileRecord<T> {
  if (result.ok) return { file, value: result.value, corrupt: null, warnings: result.warnings ?? [] };
  // Keep the last good value beside the marker: a torn write must not blank the view (FORMATS §5.10).
  return {
    file,
    value: prev?.value ?? null,
    corrupt: { file, reason: result.error.message, since: prev?.corrupt?.since ?? nowIso },
    warnings: prev?.warnings ?? [],
  };
}

function reindexSignal(
  draft: StateDraft,
  rec: OrchestratorRecord,
  prev: SignalRecord | undefined,
  next: SignalRecord | undefined,
): void {
  const oldKey = prev ? workerKeyOf(prev) : null;
  const newKey = next ? workerKeyOf(next) : null;
  if (oldKey !== newKey) {
    if (prev && oldKey !== null) {
      const left = (getKey(rec.workerFiles, oldKey) ?? []).filter((k) => k !== prev.key);
      rec.workerFiles =
        left.length > 0
          ? setKey(rec.workerFiles, oldKey, left, freshOf(draft.state))
          : deleteKey(rec.workerFiles, oldKey);
    }
    if (next && newKey !== null) {
      const list = getKey(rec.workerFiles, newKey) ?? [];
      if (!list.includes(next.key))
        rec.workerFiles = setKey(rec.workerFiles, newKey, [...list, next.key].sort(), freshOf(draft.state));
    }
  }
  if (oldKey !== null) draft.markWorker(rec.id, oldKey);
  if (newKey !== null) draft.markWorker(rec.id, newKey);
}

function ingestSignal(draft: StateDraft, read: SignalFileRead, nowIso: string): void {
  const rec = draft.orchestrator(read.orchestrator, true);
  const prev = getKey(rec.signals, read.key);
  const next: SignalRecord = read.result.ok
    ? {
        file: read.file,
        key: read.key,
        value: read.result.value,
        corrupt: null,
        warnings: read.result.warnings ?? [],
      }
    : {
        file: read.file,
        key: read.key,
        value: prev?.value ?? null,
        corrupt: {
          file: read.file,
          reason: read.result.error.message,
          since: prev?.corrupt?.since ?? nowIso,
        },
        warnings: prev?.warnings ?? [],
      };
  rec.signals = setKey(rec.signals, read.key, next, freshOf(draft.state));
  reindexSignal(draft, rec, prev, next);
}

// catalyst-state.sh rewrites the whole global file on every worker write, so only what differs
// from the last good read is marked: one changed worker entry costs one worker rebuild.
function markGlobalChanges(
  draft: StateDraft,
  prev: GlobalState | null | undefined,
  next: GlobalState | null | undefined,
): void {
  if (prev === next) return;
  const ids = new Set([...Object.keys(prev?.orchestrators ?? {}), ...Object.keys(next?.orchestrators ?? {})]);
  for (const id of ids) {
    const before = ownValue(prev?.orchestrators, id);
    const after = ownValue(next?.orchestrators, id);
    // The same entry object (a caller that feeds a file in growing prefixes, as the monitor does
    // at start-up): nothing in it moved, and its record exists since it was first listed.
    if (before !== undefined && before === after) continue;
    draft.orchestrator(id, true);
    if (!before || !after || !sameValue(before.attention, after.attention)) {
      // Attention marks tickets (needsAttention); a new or vanished entry changes every worker.
      draft.markAll(id);
      continue;
    }
    const { workers: beforeWorkers, ...beforeRest } = before;
    const { workers: afterWorkers, ...afterRest } = after;
    if (!sameValue(beforeRest, afterRest)) draft.markSummary(id);
    const keys = new Set([...Object.keys(beforeWorkers ?? {}), ...Object.keys(afterWorkers ?? {})]);
    for (const key of keys) {
      if (!sameValue(ownValue(beforeWorkers, key), ownValue(afterWorkers, key))) draft.markWorker(id, key);
    }
  }
}

/** Apply one non-log input to the draft. */
export function ingestInput(
  draft: StateDraft,
  input: Exclude<FuseInput, { kind: "log-lines" }>,
  nowIso: string,
): void {
  const { state } = draft;
  switch (input.kind) {
    case "orchestrator-added": {
      const rec = draft.orchestrator(input.orchestrator.id, true);
      rec.ref = input.orchestrator;
      draft.markAll(rec.id);
      return;
    }
    case "orchestrator-removed": {
      // The directory is gone, and with it the signal files and the local state.
      dropParkedLiveness(state, input.id);
      const rec = draft.orchestrator(input.id, false);
      if (!rec) return;
      rec.ref = null;
      rec.local = null;
      rec.signals = emptyKeyedMap();
      rec.workerFiles = emptyKeyedMap();
      rec.phases = emptyKeyedMap();
      rec.liveness = emptyKeyedMap();
      draft.markAll(rec.id);
      return;
    }
    case "signal":
      ingestSignal(draft, input, nowIso);
      return;
    case "phase-signal":
    case "phase-signal-removed":
      ingestPhaseFile(draft, input, nowIso);
      return;
    case "signal-removed": {
      const rec = draft.orchestrator(input.orchestrator, false);
      const prev = rec ? getKey(rec.signals, input.key) : undefined;
      if (!rec || !prev) return;
      rec.signals = deleteKey(rec.signals, input.key);
      reindexSignal(draft, rec, prev, undefined);
      return;
    }
    case "local-state": {
      const rec = draft.orchestrator(input.orchestrator, true);
      rec.local = nextFileRecord(rec.local, input.file, input.result, nowIso);
      draft.markAll(rec.id);
      return;
    }
    case "local-state-removed": {
      const rec = draft.orchestrator(input.orchestrator, false);
      if (!rec) return;
      rec.local = null;
      draft.markAll(rec.id);
      return;
    }
    case "global-state": {
      // One record per file (one per host centrally); only this file's entries are diffed.
      const prev = ownValue(state.globals, input.file) ?? null;
      const next = nextFileRecord(prev, input.file, input.result, nowIso);
      state.globals = { ...state.globals, [input.file]: next };
      markGlobalChanges(draft, prev?.value, next.value);
      return;
    }
    case "global-state-removed": {
      const prev = ownValue(state.globals, input.file);
      if (!prev) return;
      const { [input.file]: _gone, ...rest } = state.globals;
      state.globals = rest;
      markGlobalChanges(draft, prev.value, null);
      return;
    }
    case "briefing": {
      const rec = draft.orchestrator(input.orchestrator, true);
      const name = basename(input.file);
      rec.briefings = {
        ...rec.briefings,
        [name]: { wave: input.wave, name, bytes: input.bytes, modifiedAt: input.modifiedAt },
      };
      draft.markSummary(rec.id);
      return;
    }
    case "briefing-removed": {
      const rec = draft.orchestrator(input.orchestrator, false);
      const name = basename(input.file);
      if (!rec || !Object.hasOwn(rec.briefings, name)) return;
      const { [name]: _gone, ...rest } = rec.briefings;
      rec.briefings = rest;
      draft.markSummary(rec.id);
      return;
    }
    case "pr-status": {
      const { status } = input;
      const key = `${status.repo}#${status.number}`;
      state.prStatuses = { ...state.prStatuses, [key]: status };
      for (const rec of Object.values(state.orchestrators)) {
        if (!rec.view) continue;
        forEachKey(rec.view.workers, (view, worker) => {
          if (view.pr && view.pr.repo === status.repo && view.pr.number === status.number) {
            draft.markWorker(rec.id, worker);
          }
        });
      }
      return;
    }
    case "liveness": {
      // An orchestrator not known yet gets a record that is dropped after this input, its answers
      // parked until it appears (see pending-liveness.ts).
      const rec = draft.orchestrator(input.orchestrator, true);
      rec.liveness = setKey(rec.liveness, input.worker, input.result, freshOf(draft.state));
      draft.markWorker(rec.id, input.worker);
      return;
    }
    case "log-reset": {
      // Folded history stays: a truncated or rotated log does not undo what already happened, and
      // the lines it re-delivers are not applied again (see foldLogRecords). The file starts over,
      // so its problem marker goes.
      const mark = ownValue(state.logFiles, input.file);
      if (mark)
        state.logFiles = { ...state.logFiles, [input.file]: { prints: mark.prints.slice(), guard: true } };
      if (Object.hasOwn(state.logProblems, input.file)) {
        const { [input.file]: _gone, ...rest } = state.logProblems;
        state.logProblems = rest;
      }
      return;
    }
    case "log-skipped": {
      // An invalid line is only counted; a dropped oversized line or a log path that is not a file
      // is shown as a source error (issue 17).
      if (input.reason === "invalid") return;
      const prev = ownValue(state.logProblems, input.file);
      const reason =
        input.reason === "oversized" ? `line at byte ${input.offset}: ${input.detail}` : input.detail;
      const next = {
        ...state.logProblems,
        [input.file]: { file: input.file, reason, since: prev?.since ?? nowIso },
      };
      const files = Object.keys(next);
      if (files.length > MAX_LOG_PROBLEMS) delete next[files[0]!];
      state.logProblems = next;
      return;
    }
    case "tick":
    case "hosts":
    case "budget":
      // `hosts` is kept and published by reduce (it is a delta of its own, not a view change).
      return;
  }
}
