import {
  type AttentionItem,
  type CorruptMarker,
  isTerminalStatus,
  type NeedsYouItem,
  type OrchestratorView,
  type WorkerView,
} from "@catalyst/schema";
import { buildOrchestratorSummary, orchestratorExists } from "./build-orchestrator-view.js";
import { buildWorkerView } from "./build-worker-view.js";
import { type DeltaDraft, livenessChangeDelta, prUpdateDelta, workerUpdateDelta } from "./delta-draft.js";
import { compareNeedsYou, deriveNeedsYou } from "./derive-needs-you.js";
import type { StateDraft } from "./draft.js";
import type { LoggedWaveCompletion } from "./fold-log-event.js";
import type { ResolvedOptions } from "./options.js";
import { buildOrchestratorContext } from "./orchestrator-context.js";
import { sameValue } from "./same-value.js";

/** What one publish pass needs besides the draft. */
export interface PublishContext {
  nowIso: string;
  nowMs: number;
  options: ResolvedOptions;
  /** Re-evaluate "needs you" for every orchestrator (a tick), not only the dirty ones. */
  everyone: boolean;
  logged: readonly LoggedWaveCompletion[];
}

const NOT_PLAIN_FIELDS = new Set(["pr", "alive", "sources"]);

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

function sameSummary(a: OrchestratorView, b: OrchestratorView): boolean {
  for (const key of Object.keys(b) as Array<keyof OrchestratorView>) {
    if (key !== "workers" && !sameValue(a[key], b[key])) return false;
  }
  return true;
}

function summaryOf(view: OrchestratorView): Omit<OrchestratorView, "workers"> {
  const { workers: _workers, ...summary } = view;
  return summary;
}

function workerKeysToRebuild(
  draft: StateDraft,
  id: string,
  marks: Set<string> | "all",
  entryWorkers: Record<string, unknown> | undefined,
): Iterable<string> {
  if (marks !== "all") return marks;
  const rec = draft.state.orchestrators[id];
  const keys = new Set<string>(Object.keys(rec?.workerFiles ?? {}));
  for (const key of Object.keys(entryWorkers ?? {})) keys.add(key);
  for (const key of Object.keys(rec?.logWorkers ?? {})) keys.add(key);
  for (const key of Object.keys(rec?.view?.workers ?? {})) keys.add(key);
  return keys;
}

function publishOrchestrator(
  draft: StateDraft,
  id: string,
  marks: Set<string> | "all",
  ctx: PublishContext,
  out: DeltaDraft[],
): void {
  const rec = draft.orchestrator(id, true);
  const context = buildOrchestratorContext(draft.state, rec);
  const old = rec.view;
  if (!orchestratorExists(rec, context.entry !== null)) {
    if (old) out.push({ event: "orchestrator-removed", data: { orchestrator: id, ts: ctx.nowIso } });
    draft.remove(id);
    return;
  }
  let workers: Record<string, WorkerView> = old?.workers ?? {};
  let copied = false;
  const workerDeltas: DeltaDraft[] = [];
  for (const key of workerKeysToRebuild(draft, id, marks, context.entry?.workers)) {
    const view = buildWorkerView(context, key);
    const prev = old?.workers[key];
    if (view === null && prev === undefined) continue;
    if (view !== null && prev !== undefined && sameValue(prev, view)) continue;
    if (!copied) {
      workers = { ...workers };
      copied = true;
    }
    if (view === null) {
      delete workers[key];
      workerDeltas.push({ event: "worker-removed", data: { orchestrator: id, worker: key, ts: ctx.nowIso } });
    } else {
      workers[key] = view;
      workerDeltas.push(
        ...(prev ? workerChangeDeltas(prev, view, ctx.nowIso) : [workerUpdateDelta(view, ctx.nowIso)]),
      );
    }
  }
  const next: OrchestratorView = { ...buildOrchestratorSummary(context, workers), workers };
  const summaryChanged = !old || !sameSummary(old, next);
  if (summaryChanged) {
    const before = new Set((old?.attention ?? []).map(attentionKey));
    for (const item of next.attention) {
      if (before.has(attentionKey(item))) continue;
      out.push({
        event: "attention-raised",
        data: {
          orchestrator: id,
          worker: typeof item.ticketId === "string" && item.ticketId !== "" ? item.ticketId : null,
          attentionType: item.type,
          message: item.message ?? "",
          ts: typeof item.since === "string" && item.since !== "" ? item.since : ctx.nowIso,
        },
      });
    }
    out.push({
      event: "orchestrator-update",
      data: { orchestrator: id, ts: ctx.nowIso, orchestratorState: summaryOf(next) },
    });
  }
  out.push(...workerDeltas);
  rec.view = copied || summaryChanged ? next : old;
}

function markWaveCompleted(draft: StateDraft, orchestrator: string, wave: number): boolean {
  const key = `${orchestrator}\u0000${wave}`;
  if (draft.state.wavesCompleted[key]) return false;
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
    const view = draft.state.orchestrators[id]?.view;
    if (!view) continue;
    for (const wave of view.waves) {
      if (wave.tickets.length === 0) continue;
      const complete = wave.tickets.every((ticket) => {
        const worker = view.workers[ticket];
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

function publishNeedsYou(
  draft: StateDraft,
  ids: readonly string[],
  removed: boolean,
  ctx: PublishContext,
  out: DeltaDraft[],
): void {
  const { state } = draft;
  let changed = removed;
  const targets = ctx.everyone ? Object.keys(state.orchestrators) : ids;
  for (const id of targets) {
    const current = state.orchestrators[id];
    if (!current?.view) continue;
    const items = deriveNeedsYou(current, current.view, ctx.nowMs, ctx.options.stallAfterMs);
    if (sameValue(items, current.needsYou)) continue;
    draft.orchestrator(id, true).needsYou = items;
    changed = true;
  }
  let needsYou: NeedsYouItem[] = state.needsYou;
  if (changed) {
    const all: NeedsYouItem[] = [];
    for (const id of Object.keys(state.orchestrators)) all.push(...(state.orchestrators[id]?.needsYou ?? []));
    all.sort(compareNeedsYou);
    needsYou = all;
  }
  const sourceErrors: CorruptMarker[] = state.global?.corrupt ? [state.global.corrupt] : [];
  const needsChanged = !sameValue(needsYou, state.needsYou);
  const errorsChanged = !sameValue(sourceErrors, state.sourceErrors);
  if (!needsChanged && !errorsChanged) return;
  if (needsChanged) state.needsYou = needsYou;
  if (errorsChanged) state.sourceErrors = sourceErrors;
  out.push({
    event: "needs-you",
    data: { ts: ctx.nowIso, items: state.needsYou, sourceErrors: state.sourceErrors },
  });
}

/** Recompute every view the draft marked dirty and append the deltas that describe the change. */
export function publishChanges(draft: StateDraft, ctx: PublishContext, out: DeltaDraft[]): void {
  const ids = [...draft.dirty.keys()].sort();
  let removed = false;
  for (const id of ids) {
    const marks = draft.dirty.get(id) ?? "all";
    const had = Boolean(draft.state.orchestrators[id]?.view);
    publishOrchestrator(draft, id, marks, ctx, out);
    if (had && !draft.state.orchestrators[id]) removed = true;
  }
  publishWaves(draft, ids, ctx, out);
  publishNeedsYou(draft, ids, removed, ctx, out);
}
