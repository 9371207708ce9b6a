import {
  isTerminalStatus,
  type LivenessResult,
  type NeedsYouItem,
  type OrchestratorSummary,
  type WorkerView,
} from "@catalyst/schema";
import { compareNeedsYou } from "./compare-needs-you.js";
import { derivePipelineNeeds } from "./derive-pipeline-needs.js";
import { msOf, newestTimestamp } from "./time.js";

export { compareNeedsYou };

// The "needs you" list (B9) is derived, never stored on disk: open attention items, failed and
// stalled workers, dead pids of live workers, and unreadable files. Messages hold no durations,
// so the list (and its delta) changes only when a worker's situation does, not every tick.

/** Tickets that have an open attention item in the orchestrator's list. */
export function attentionTicketsOf(summary: OrchestratorSummary): Set<string> {
  const out = new Set<string>();
  for (const item of summary.attention) if (typeof item.ticketId === "string") out.add(item.ticketId);
  return out;
}

/** The orchestrator's own rows: its open attention items and an unreadable local state.json. */
export function deriveOrchestratorNeeds(summary: OrchestratorSummary): NeedsYouItem[] {
  const items: NeedsYouItem[] = [];
  const orchestrator = summary.id;
  const seen = new Set<string>();
  // Repeated stall checks prepend duplicate items (FORMATS §3.5): one row per ticket and type.
  for (const item of summary.attention) {
    const worker = typeof item.ticketId === "string" && item.ticketId !== "" ? item.ticketId : null;
    const dedupe = `${worker ?? ""}\u0000${item.type}`;
    if (seen.has(dedupe)) continue;
    seen.add(dedupe);
    items.push({
      orchestrator,
      worker,
      reason: "attention",
      message: item.message ? `${item.type}: ${item.message}` : item.type,
      since: typeof item.since === "string" && item.since !== "" ? item.since : null,
    });
  }
  if (summary.corrupt) {
    items.push({
      orchestrator,
      worker: null,
      reason: "corrupt",
      message: summary.corrupt.reason,
      since: summary.corrupt.since,
    });
  }
  return items;
}

/** One worker's rows, evaluated at `nowMs`. */
export function deriveWorkerNeeds(
  w: WorkerView,
  attentionTickets: ReadonlySet<string>,
  live: LivenessResult | undefined,
  nowMs: number,
  stallAfterMs: number,
): NeedsYouItem[] {
  if (w.pipeline) return derivePipelineNeeds(w, nowMs);
  const items: NeedsYouItem[] = [];
  const orchestrator = w.orchestrator;
  const worker = w.ticket;
  const terminal = isTerminalStatus(w.status);
  if (w.needsAttention && !attentionTickets.has(worker)) {
    items.push({
      orchestrator,
      worker,
      reason: "attention",
      message: w.attentionReason ?? "needs attention",
      since: w.updatedAt,
    });
  }
  if (w.status === "failed" || w.status === "deploy-failed") {
    items.push({
      orchestrator,
      worker,
      reason: "failed",
      message: w.error ? `${w.status}: ${w.error}` : `Status: ${w.status}`,
      since: w.completedAt ?? w.updatedAt,
    });
  }
  if (w.alive === false && !terminal) {
    items.push({
      orchestrator,
      worker,
      reason: "dead",
      message: `Worker died (pid ${w.pid ?? "?"})`,
      since: live?.checkedAt ?? null,
    });
  }
  if (w.status === "stalled") {
    items.push({ orchestrator, worker, reason: "stalled", message: "Status: stalled", since: w.updatedAt });
  } else if (!terminal && w.status !== "signal_corrupt") {
    const last = stalledSince(w, nowMs, stallAfterMs);
    if (last !== null) {
      items.push({
        orchestrator,
        worker,
        reason: "stalled",
        message: `No update since ${last}`,
        since: last,
      });
    }
  }
  if (w.corrupt) {
    items.push({
      orchestrator,
      worker,
      reason: "corrupt",
      message: w.corrupt.reason,
      since: w.corrupt.since,
    });
  }
  return items;
}

/** `needsDue.atMs` of an orchestrator whose rows no passing of time can change (finite: JSON-safe). */
export const NEEDS_NEVER_DUE = Number.MAX_SAFE_INTEGER;

/**
 * The earliest time (ms) at which `deriveWorkerNeeds` could give this worker other rows with nothing
 * but the clock moved: when its stall comes due. NEEDS_NEVER_DUE when time cannot change them
 * (terminal, waiting, already stalled); 0 (always) for a pipeline ticket, whose rules read the
 * clock in more ways.
 */
export function workerNeedsDueMs(w: WorkerView, nowMs: number, stallAfterMs: number): number {
  if (w.pipeline) return 0;
  if (w.status === "stalled" || isTerminalStatus(w.status) || w.status === "signal_corrupt")
    return NEEDS_NEVER_DUE;
  if (w.pr && (w.pr.state === "open" || w.pr.state === "merged")) return NEEDS_NEVER_DUE;
  if (WAITING_STATUSES.has(w.status)) return NEEDS_NEVER_DUE;
  const lastMs = msOf(newestTimestamp(w.updatedAt, w.lastHeartbeat));
  if (!Number.isFinite(lastMs) || nowMs - lastMs > stallAfterMs) return NEEDS_NEVER_DUE;
  // stalledSince holds once nowMs - lastMs > stallAfterMs.
  return lastMs + stallAfterMs + 1;
}

// Today's workers that wait on purpose (FORMATS-TODAY §1.7): on a human (its own attention row),
// or held by the scheduler. Not stalled.
const WAITING_STATUSES: ReadonlySet<string> = new Set(["needs-input", "needs-human", "queued", "blocked"]);

// lastHeartbeat is often written once and never refreshed (FORMATS §2.6), so the newer of it and
// updatedAt counts. A worker waiting on an open PR is not stalled (`5e4e3bdb`, FORMATS §7).
function stalledSince(w: WorkerView, nowMs: number, stallAfterMs: number): string | null {
  if (w.pr && (w.pr.state === "open" || w.pr.state === "merged")) return null;
  if (WAITING_STATUSES.has(w.status)) return null;
  const last = newestTimestamp(w.updatedAt, w.lastHeartbeat);
  const lastMs = msOf(last);
  return Number.isFinite(lastMs) && nowMs - lastMs > stallAfterMs ? last : null;
}
