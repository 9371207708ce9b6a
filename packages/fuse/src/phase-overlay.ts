import type { PhaseSignal, WorkerSignal } from "@catalyst/schema";
import type { PhaseRecord } from "./state.js";
import { msOf, timestampOrNull } from "./time.js";

// The per-phase overlay of an orchestrate worker as the HEAD HUD applies it (FORMATS-TODAY §2.3,
// `worker-signals-reader.ts@0e4ea443`): `<orch>/workers/<TICKET>/phase-<name>.json` is the live
// status when present; the flat `<TICKET>.json` is stale by design in phase mode.

/** R2.7: statuses dropped from the overlay candidates unless that leaves none. */
const SETTLED: ReadonlySet<string> = new Set(["done", "failed", "complete", "skipped"]);

// Integer phase of a synthesized row, so the phase bar shows something sensible (FORMATS §2.3 steps).
const PHASE_NUMBER: ReadonlyMap<string, number> = new Map([
  ["triage", 0],
  ["research", 1],
  ["plan", 2],
  ["implement", 3],
  ["verify", 4],
  ["review", 4],
  ["remediate", 4],
  ["pr", 5],
  ["monitor-merge", 6],
  ["monitor-deploy", 6],
  ["teardown", 6],
]);

type Candidate = PhaseSignal & { ticket: string; orchestrator: string; phase: string; status: string };

/** R2.6: a phase file is a candidate only with string `ticket`, `orchestrator`, `phase` and `status`. */
function isCandidate(value: PhaseSignal | null): value is Candidate {
  return (
    value !== null &&
    typeof value.ticket === "string" &&
    typeof value.orchestrator === "string" &&
    typeof value.phase === "string" &&
    typeof value.status === "string"
  );
}

/** R2.7: the live candidate with the newest `updatedAt` (missing counts as 0). */
export function selectOverlay(records: Readonly<Record<string, PhaseRecord>> | undefined): Candidate | null {
  if (!records) return null;
  const all = Object.values(records)
    .map((r) => r.value)
    .filter(isCandidate);
  if (all.length === 0) return null;
  const live = all.filter((c) => !SETTLED.has(c.status));
  const pool = live.length > 0 ? live : all;
  let best: Candidate | null = null;
  let bestMs = Number.NEGATIVE_INFINITY;
  for (const c of pool) {
    const ms = msOf(timestampOrNull(c.updatedAt));
    const score = Number.isFinite(ms) ? ms : 0;
    if (best === null || score > bestMs) {
      best = c;
      bestMs = score;
    }
  }
  return best;
}

/**
 * R2.8/R2.9: the flat signal with its overlay applied (status, phaseName, updatedAt and
 * lastHeartbeat from the overlay, stalledReason overlay ?? flat, everything else flat), or a row
 * synthesized from the overlay alone. Without an overlay the flat signal is returned as is.
 */
export function overlaySignal(
  flat: WorkerSignal | null,
  records: Readonly<Record<string, PhaseRecord>> | undefined,
): WorkerSignal | null {
  const overlay = selectOverlay(records);
  if (!overlay) return flat;
  const updatedAt = timestampOrNull(overlay.updatedAt);
  const stalledReason = overlay.stalledReason ?? flat?.stalledReason ?? null;
  if (flat) {
    return {
      ...flat,
      status: overlay.status,
      phaseName: overlay.phase,
      ...(updatedAt === null ? {} : { updatedAt, lastHeartbeat: updatedAt }),
      stalledReason,
    };
  }
  return {
    ticket: overlay.ticket,
    orchestrator: overlay.orchestrator,
    workerName: `${overlay.orchestrator}-${overlay.ticket}`,
    status: overlay.status,
    phase: PHASE_NUMBER.get(overlay.phase) ?? 0,
    phaseName: overlay.phase,
    stalledReason,
    updatedAt,
    lastHeartbeat: updatedAt,
  };
}
