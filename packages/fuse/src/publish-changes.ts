import {
  type AttentionItem,
  type CorruptMarker,
  isTerminalStatus,
  type NeedsYouItem,
  needsYouKey,
  type OrchestratorSummary,
  type WorkerView,
} from "@catalyst/schema";
import {
  buildOrchestratorSummary,
  buildProgress,
  countProgress,
  orchestratorExists,
} from "./build-orchestrator-view.js";
import { buildWorkerView } from "./build-worker-view.js";
import { type DeltaDraft, livenessChangeDelta, prUpdateDelta, workerUpdateDelta } from "./delta-draft.js";
import {
  attentionTicketsOf,
  deriveOrchestratorNeeds,
  deriveWorkerNeeds,
  NEEDS_NEVER_DUE,
  workerNeedsDueMs,
} from "./derive-needs-you.js";
import type { StateDraft } from "./draft.js";
import type { LoggedWaveCompletion } from "./fold-log-event.js";
import { emptyKeyedMap, forEachKey, getKey, type KeyedMap, keysOf, withChanges } from "./keyed-map.js";
import type { ResolvedOptions } from "./options.js";
import { buildOrchestratorContext } from "./orchestrator-context.js";
import { ownValue } from "./own-property.js";
import { sameValue } from "./same-value.js";
import type { OrchestratorRecord } from "./state.js";
import { addTicketOwner, removeTicketOwner } from "./ticket-owners.js";

/** What one publish pass needs besides the draft. */
export interface PublishContext {
  nowIso: string;
  nowMs: number;
  options: ResolvedOptions;
  /**
   * Re-evaluate "needs you" for every worker (a tick), not only the dirty ones; a `[k, n]` part:
   * for the orchestrators at places k, k + n, k + 2n… of the record table only (a tick's part).
   */
  everyone: boolean | readonly [number, number];
  logged: readonly LoggedWaveCompletion[];
  /**
   * Counts the work done (worker views built, rows derived; orchestrators published), so tests can
   * check it follows the change.
   */
  work: { visited: number; published?: number };
}

const NOT_PLAIN_FIELDS = new Set(["pr", "alive", "sources"]);

// One worker change can be several seed events at once (a merge changes the PR and the status);
// each carries the same full view, so applying any subset in order gives the same result.
function workerChangeDeltas(prev: WorkerView, view: WorkerView, ts: string): DeltaDraft[] {
  let other = false;
  for (const key of Object.keys(view) as Array<keyof WorkerView>) {
    if (!NOT_PLAIN_FIELDS.has(key) && !sameValue(prev[key], view[key])) {
      other = true;
      break;
    }
  }
  const prChanged = !sameValue(prev.pr, view.pr);
  const out: DeltaDraft[] = [];
  if (other || (prChanged && view.pr === null)) out.push(workerUpdateDelta(view, ts));
  if (prChanged && view.pr !== null) out.push(prUpdateDelta({ ...view, pr: view.pr }, ts));
  if (prev.alive !== view.alive) out.push(livenessChangeDelta(view, ts));
  if (out.length === 0) out.push(workerUpdateDelta(view, ts)); // only `sources` changed
  return out;
}

function attentionKey(item: AttentionItem): string {
  return JSON.stringify([item.type, item.ticketId ?? null, item.message ?? null, item.since ?? null]);
}

function attentionRaised(
  id: string,
  before: readonly AttentionItem[],
  after: OrchestratorSummary,
  nowIso: string,
): DeltaDraft[] {
  const seen = new Set(before.map(attentionKey));
  const out: DeltaDraft[] = [];
  for (const item of after.attention) {
    if (seen.has(attentionKey(item))) continue;
    out.push({
      event: "attention-raised",
      data: {
        orchestrator: id,
        worker: typeof item.ticketId === "string" && item.ticketId !== "" ? item.ticketId : null,
        attentionType: item.type,
        message: item.message ?? "",
        ts: typeof item.since === "string" && item.since !== "" ? item.since : nowIso,
      },
    });
  }
  return out;
}

/** Which workers' "needs you" rows must be re-derived after the views were published. */
type NeedsScope = Set<string> | "all";

function publishOrchestrator(
  draft: StateDraft,
  id: string,
  marks: Set<string> | "all",
  ctx: PublishContext,
  out: DeltaDraft[],
): NeedsScope | null {
  const rec = draft.orchestrator(id, true);
  const context = buildOrchestratorContext(draft.state, rec, ctx.nowMs);
  const old = rec.view;
  if (!orchestratorExists(rec, context.entry !== null)) {
    if (old) out.push({ event: "orchestrator-removed", data: { orchestrator: id, ts: ctx.nowIso } });
    for (const key of keysOf(rec.logWorkers)) removeTicketOwner(draft.state, key, id);
    if (old) for (const key of keysOf(old.workers)) removeTicketOwner(draft.state, key, id);
    draft.remove(id);
    return null;
  }
  let keys: Iterable<string> = marks;
  if (marks === "all") {
    const all = new Set<string>(keysOf(rec.workerFiles));
    for (const key of keysOf(rec.phases)) all.add(key);
    for (const key of Object.keys(context.entry?.workers ?? {})) all.add(key);
    for (const key of keysOf(rec.logWorkers)) all.add(key);
    for (const key of context.waveOf.keys()) all.add(key);
    if (old) for (const key of keysOf(old.workers)) all.add(key);
    keys = all;
  }
  const before: KeyedMap<WorkerView> = old?.workers ?? emptyKeyedMap();
  // Every worker that changed, applied to the map in one step once all are known.
  const changes: Array<readonly [string, WorkerView | undefined]> = [];
  let progress = old?.summary.progress ?? { total: 0, done: 0, failed: 0, active: 0 };
  const workerDeltas: DeltaDraft[] = [];
  for (const key of keys) {
    ctx.work.visited += 1;
    const view = buildWorkerView(context, key);
    const prev = getKey(before, key);
    if (view === null && prev === undefined) continue;
    if (view !== null && prev !== undefined && sameValue(prev, view)) continue;
    if (prev) progress = countProgress(progress, prev, -1);
    if (view === null) {
      removeTicketOwner(draft.state, key, id);
      changes.push([key, undefined]);
      workerDeltas.push({ event: "worker-removed", data: { orchestrator: id, worker: key, ts: ctx.nowIso } });
    } else {
      progress = countProgress(progress, view, 1);
      if (!prev) addTicketOwner(draft.state, key, id);
      changes.push([key, view]);
      workerDeltas.push(
        ...(prev ? workerChangeDeltas(prev, view, ctx.nowIso) : [workerUpdateDelta(view, ctx.nowIso)]),
      );
    }
  }
  const workers = withChanges(before, changes);
  if (marks === "all") progress = buildProgress(workers);
  const summary = buildOrchestratorSummary(context, progress);
  const summaryChanged = !old || !sameValue(old.summary, summary);
  if (summaryChanged) {
    out.push(...attentionRaised(id, old?.summary.attention ?? [], summary, ctx.nowIso));
    out.push({
      event: "orchestrator-update",
      data: { orchestrator: id, ts: ctx.nowIso, orchestratorState: summary },
    });
  }
  out.push(...workerDeltas);
  if (summaryChanged || workers !== before) {
    rec.view = { summary: summaryChanged || !old ? summary : old.summary, workers };
  }
  const attentionChanged =
    !old || !sameValue(old.summary.attention, summary.attention) || old.summary.corrupt !== summary.corrupt;
  return marks === "all" || attentionChanged ? "all" : marks;
}

function markWaveCompleted(draft: StateDraft, orchestrator: string, wave: number): boolean {
  const key = `${orchestrator}\u0000${wave}`;
  if (ownValue(draft.state.wavesCompleted, key)) return false;
  draft.state.wavesCompleted = { ...draft.state.wavesCompleted, [key]: true };
  return true;
}

// Derived completion: every ticket of the wave is a known worker in a terminal status. A
// compatible writer logs wave-completed itself (FORMATS §4.4); whichever comes first is emitted.
function publishWaves(
  draft: StateDraft,
  ids: readonly string[],
  ctx: PublishContext,
  out: DeltaDraft[],
): void {
  for (const done of ctx.logged) {
    if (markWaveCompleted(draft, done.orchestrator, done.wave)) {
      out.push({ event: "wave-completed", data: { ...done, derived: false } });
    }
  }
  for (const id of ids) {
    const view = ownValue(draft.state.orchestrators, id)?.view;
    if (!view) continue;
    for (const wave of view.summary.waves) {
      if (wave.tickets.length === 0) continue;
      const complete = wave.tickets.every((ticket) => {
        const worker = getKey(view.workers, ticket);
        return worker !== undefined && isTerminalStatus(worker.status);
      });
      if (complete && markWaveCompleted(draft, id, wave.wave)) {
        out.push({
          event: "wave-completed",
          data: { orchestrator: id, wave: wave.wave, tickets: wave.tickets, ts: ctx.nowIso, derived: true },
        });
      }
    }
  }
}

/** The rows of one `needs-you` delta, collected over every orchestrator an input touched. */
interface NeedsDiff {
  added: NeedsYouItem[];
  changed: NeedsYouItem[];
  removed: NeedsYouItem[];
}

// Rows are few per worker (at most one per reason), so a keyed diff of two short lists is cheap.
function diffRows(before: readonly NeedsYouItem[], after: readonly NeedsYouItem[], diff: NeedsDiff): void {
  if (before.length === 0 && after.length === 0) return;
  const old = new Map<string, NeedsYouItem>();
  for (const item of before) old.set(needsYouKey(item), item);
  for (const item of after) {
    const key = needsYouKey(item);
    const prev = old.get(key);
    if (prev === undefined) diff.added.push(item);
    else {
      old.delete(key);
      if (!sameValue(prev, item)) diff.changed.push(item);
    }
  }
  for (const item of old.values()) diff.removed.push(item);
}

// Two attention items can render the same row (FORMATS §3.5 repeats stall checks): keep the first.
function uniqueRows(items: NeedsYouItem[]): NeedsYouItem[] {
  if (items.length < 2) return items;
  const seen = new Set<string>();
  return items.filter((item) => {
    const key = needsYouKey(item);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Every published row of an orchestrator (its own, then its workers'). */
export function needsRowsOf(rec: OrchestratorRecord): NeedsYouItem[] {
  const rows = rec.ownNeeds.slice();
  forEachKey(rec.workerNeeds, (items) => {
    rows.push(...items);
  });
  return rows;
}

// Re-derive the rows of the workers in `scope` (all of them on a tick or an attention change)
// and of the orchestrator itself; only the rows that differ go into `diff`.
function refreshNeeds(
  draft: StateDraft,
  rec: OrchestratorRecord,
  scope: NeedsScope,
  ctx: PublishContext,
  diff: NeedsDiff,
): void {
  const view = rec.view;
  if (!view) return;
  const tickets = attentionTicketsOf(view.summary);
  // When a stall next comes due here: exact after a pass over every worker; after a few, the
  // earlier of the last figure and theirs (a tick may then re-derive once too early, never late).
  const { stallAfterMs } = ctx.options;
  const known = rec.needsDue?.stallAfterMs === stallAfterMs ? rec.needsDue.atMs : 0;
  let due = scope === "all" ? NEEDS_NEVER_DUE : known;
  const derive = (worker: WorkerView) => {
    ctx.work.visited += 1;
    due = Math.min(due, workerNeedsDueMs(worker, ctx.nowMs, stallAfterMs));
    return uniqueRows(
      deriveWorkerNeeds(worker, tickets, getKey(rec.liveness, worker.ticket), ctx.nowMs, stallAfterMs),
    );
  };
  // Each key is updated at most once per pass, so the rows before are the record's; the changed
  // rows go into the map in one step at the end.
  const changes: Array<readonly [string, NeedsYouItem[] | undefined]> = [];
  const update = (key: string, worker: WorkerView | undefined): void => {
    const items = worker ? derive(worker) : [];
    const prev = getKey(rec.workerNeeds, key) ?? [];
    if (prev.length === 0 && items.length === 0) return;
    if (sameValue(prev, items)) return;
    diffRows(prev, items, diff);
    changes.push([key, items.length === 0 ? undefined : items]);
  };
  if (scope === "all") {
    forEachKey(view.workers, (worker, key) => update(key, worker));
    // Workers gone from the view since their rows were derived.
    for (const key of keysOf(rec.workerNeeds))
      if (getKey(view.workers, key) === undefined) update(key, undefined);
  } else {
    for (const key of scope) update(key, getKey(view.workers, key));
  }
  const workerNeeds = withChanges(rec.workerNeeds, changes);
  const own = uniqueRows(deriveOrchestratorNeeds(view.summary));
  const ownChanged = !sameValue(own, rec.ownNeeds);
  if (ownChanged) diffRows(rec.ownNeeds, own, diff);
  // After a partial pass the later derivation time counts: a tick before it (a clock that went
  // back) re-derives.
  const fromMs =
    scope === "all" || rec.needsDue === undefined ? ctx.nowMs : Math.max(rec.needsDue.fromMs, ctx.nowMs);
  const dueChanged =
    rec.needsDue?.atMs !== due ||
    rec.needsDue.stallAfterMs !== stallAfterMs ||
    rec.needsDue.fromMs !== fromMs;
  if (!ownChanged && workerNeeds === rec.workerNeeds && !dueChanged) return;
  const writable = draft.orchestrator(rec.id, true);
  writable.workerNeeds = workerNeeds;
  if (dueChanged) writable.needsDue = { fromMs, atMs: due, stallAfterMs };
  if (ownChanged) writable.ownNeeds = own;
}

/** No stall can have come due in this orchestrator since its rows were derived. */
function notDue(rec: OrchestratorRecord | undefined, ctx: PublishContext): boolean {
  const due = rec?.needsDue;
  return (
    due !== undefined &&
    due.stallAfterMs === ctx.options.stallAfterMs &&
    due.fromMs <= ctx.nowMs &&
    ctx.nowMs < due.atMs
  );
}

function publishNeedsYou(
  draft: StateDraft,
  scopes: ReadonlyMap<string, NeedsScope>,
  gone: readonly OrchestratorRecord[],
  ctx: PublishContext,
  out: DeltaDraft[],
): void {
  const { state } = draft;
  const diff: NeedsDiff = { added: [], changed: [], removed: [] };
  for (const rec of gone) diff.removed.push(...needsRowsOf(rec));
  // A tick re-derives the orchestrators where a stall may have come due, not the fleet: at 10,000
  // workers that all stalled long ago it passes every one by (issue 26). A tick's part `[k, n]`
  // looks only at the orchestrators at places k, k + n, k + 2n… of the record table.
  let targets: Array<[string, NeedsScope]>;
  if (ctx.everyone === false) targets = [...scopes];
  else {
    const [k, n] = ctx.everyone === true ? [0, 1] : ctx.everyone;
    const ids = Object.keys(state.orchestrators);
    const part = new Map<string, NeedsScope>(scopes);
    for (let i = k; i < ids.length; i += n) {
      const id = ids[i]!;
      if (scopes.has(id) || !notDue(ownValue(state.orchestrators, id), ctx)) part.set(id, "all");
    }
    targets = [...part];
  }
  for (const [id, scope] of targets) {
    const rec = ownValue(state.orchestrators, id);
    if (rec) refreshNeeds(draft, rec, scope, ctx, diff);
  }
  // Every unreadable global state.json (one per host centrally), then the log files with a problem.
  const sourceErrors: CorruptMarker[] = [];
  for (const file of Object.values(state.globals)) if (file.corrupt) sourceErrors.push(file.corrupt);
  sourceErrors.push(...Object.values(state.logProblems));
  const errorsChanged = !sameValue(sourceErrors, state.sourceErrors);
  const rowsChanged = diff.added.length + diff.changed.length + diff.removed.length > 0;
  if (!rowsChanged && !errorsChanged) return;
  if (errorsChanged) state.sourceErrors = sourceErrors;
  out.push({
    event: "needs-you",
    data: errorsChanged ? { ts: ctx.nowIso, ...diff, sourceErrors } : { ts: ctx.nowIso, ...diff },
  });
}

/**
 * Recompute every view the draft marked dirty (with `only`: those of these orchestrators, the
 * other marks left alone, a cost that follows `only`) and append the deltas that describe the change.
 */
export function publishChanges(
  draft: StateDraft,
  ctx: PublishContext,
  out: DeltaDraft[],
  only?: ReadonlySet<string>,
): void {
  const ids = (only ? [...only].filter((id) => draft.dirty.has(id)) : [...draft.dirty.keys()]).sort();
  if (ctx.work.published !== undefined) ctx.work.published += ids.length;
  const scopes = new Map<string, NeedsScope>();
  const gone: OrchestratorRecord[] = [];
  for (const id of ids) {
    const before = ownValue(draft.state.orchestrators, id);
    const scope = publishOrchestrator(draft, id, draft.dirty.get(id) ?? "all", ctx, out);
    if (scope === null) {
      if (before) gone.push(before);
    } else scopes.set(id, scope);
  }
  publishWaves(draft, ids, ctx, out);
  publishNeedsYou(draft, scopes, gone, ctx, out);
}
