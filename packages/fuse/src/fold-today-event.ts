import { type NormalizedEvent, parsePhaseAction, parsePhaseEvent } from "@catalyst/schema";
import type { FuseState, LogWorkerAttention, TimedStatus, WorkerLogFacts } from "./state.js";
import { timestampOrNull } from "./time.js";

// What today's Catalyst event names mean for a worker (FORMATS-TODAY §1.7), folded onto the
// worker's log facts. The seed-era v1 meanings stay in fold-log-event.ts; a name is read here
// only when it is one of today's.

/** A phase name's worker status and phase number (the oneshot lifecycle, FORMATS §2.3). */
const PHASE_STAGE: Readonly<Record<string, { status: string; phase: number }>> = {
  triage: { status: "researching", phase: 1 },
  research: { status: "researching", phase: 1 },
  plan: { status: "planning", phase: 2 },
  implement: { status: "implementing", phase: 3 },
  verify: { status: "validating", phase: 4 },
  review: { status: "validating", phase: 4 },
  remediate: { status: "validating", phase: 4 },
  pr: { status: "shipping", phase: 5 },
  "monitor-merge": { status: "merging", phase: 6 },
  "monitor-deploy": { status: "deploying", phase: 6 },
  teardown: { status: "done", phase: 6 },
};

const TERMINAL_FOR_COMPLETED_AT = new Set(["done", "failed", "stalled", "turn-cap-exhausted"]);

/** `orchestrator.X` names that `catalyst-state.sh` prefixed (FORMATS-TODAY R1.14) read as `X`. */
function unprefixed(name: string): string {
  return name.startsWith("orchestrator.phase.") ? name.slice("orchestrator.".length) : name;
}

function record(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

function text(value: unknown): string | null {
  return typeof value === "string" && value !== "" ? value : null;
}

function phaseName(event: NormalizedEvent, fallback: string | null): string | null {
  return typeof event.phase === "string" ? event.phase : fallback;
}

// Lines from concurrent writers are only roughly in time order, so a status replaces an earlier
// one only when it is at least as new (as in fold-log-event.ts).
function setStatus(facts: WorkerLogFacts, status: string, event: NormalizedEvent, phase?: number): void {
  const { ts, tsMs } = event;
  if (facts.status && tsMs < facts.status.tsMs) return;
  const next: TimedStatus = phase === undefined ? { status, ts, tsMs } : { status, ts, tsMs, phase };
  facts.status = next;
  if (!(status in facts.phaseTimestamps)) facts.phaseTimestamps = { ...facts.phaseTimestamps, [status]: ts };
  if (TERMINAL_FOR_COMPLETED_AT.has(status)) facts.completedAt = ts;
}

function setStage(facts: WorkerLogFacts, phase: string | null, event: NormalizedEvent): void {
  const stage = phase === null ? undefined : PHASE_STAGE[phase];
  setStatus(facts, stage?.status ?? "in_progress", event, stage?.phase);
}

function raise(facts: WorkerLogFacts, type: string, message: string, event: NormalizedEvent): void {
  const prev = facts.attention;
  if (prev && prev.sinceMs > event.tsMs) return;
  const next: LogWorkerAttention = { type, message, since: event.ts, sinceMs: event.tsMs };
  facts.attention = next;
}

// The worker moved on: attention raised before this line is settled.
function settle(facts: WorkerLogFacts, event: NormalizedEvent): void {
  if (facts.attention && facts.attention.sinceMs <= event.tsMs) facts.attention = null;
}

function reasonOf(event: NormalizedEvent, detail: Record<string, unknown>): string | null {
  const attrs = record(event.raw.attributes);
  return (
    text(detail.failure_reason) ??
    text(detail.failureReason) ??
    text(detail.reason) ??
    text(attrs["catalyst.worker.reason"]) ??
    text(detail.error)
  );
}

/** The CI status a completed check suite gives (FORMATS-TODAY §1.7), or null when not completed. */
function checkSuiteCi(event: NormalizedEvent, detail: Record<string, unknown>): string | null {
  if (event.name !== "github.check_suite.completed") return null;
  const attrs = record(event.raw.attributes);
  const conclusion = (
    text(attrs["cicd.pipeline.run.conclusion"]) ??
    text(detail.conclusion) ??
    ""
  ).toLowerCase();
  if (conclusion === "") return null;
  return conclusion === "success" || conclusion === "neutral" || conclusion === "skipped"
    ? "passing"
    : "failing";
}

/** A `github.*` PR event that is matched to workers by PR number when it names no ticket. */
export function isTodayPrEvent(event: NormalizedEvent): boolean {
  return (
    event.name === "github.pr.closed" ||
    event.name === "github.pr.opened" ||
    event.name === "github.check_suite.completed"
  );
}

function setPr(facts: WorkerLogFacts, fields: Partial<NonNullable<WorkerLogFacts["pr"]>>): void {
  const prev = facts.pr ?? { number: null, url: null, openedAt: null, mergedAt: null };
  facts.pr = {
    ...prev,
    number: fields.number ?? prev.number,
    url: fields.url ?? prev.url,
    openedAt: prev.openedAt ?? fields.openedAt ?? null,
    mergedAt: prev.mergedAt ?? fields.mergedAt ?? null,
    ...(fields.closedAt !== undefined ? { closedAt: prev.closedAt ?? fields.closedAt } : {}),
    ...(fields.ciStatus !== undefined &&
    (!prev.ciStatus || (fields.ciStatus !== null && fields.ciStatus.tsMs >= prev.ciStatus.tsMs))
      ? { ciStatus: fields.ciStatus }
      : {}),
  };
}

function foldPrEvent(
  facts: WorkerLogFacts,
  event: NormalizedEvent,
  detail: Record<string, unknown>,
): boolean {
  const number = event.prNumber;
  switch (event.name) {
    case "github.pr.closed": {
      if (detail.merged === true) {
        const mergedAt = timestampOrNull(detail.mergedAt) ?? timestampOrNull(detail.merged_at) ?? event.ts;
        setPr(facts, { ...(number !== null ? { number } : {}), mergedAt });
      } else if (number !== null) setPr(facts, { number, closedAt: event.ts });
      return true;
    }
    case "github.pr.opened":
    case "session.pr_opened": {
      if (number !== null) setPr(facts, { number, url: text(detail.url), openedAt: event.ts });
      return true;
    }
    case "github.check_suite.completed": {
      const ci = checkSuiteCi(event, detail);
      if (ci !== null)
        setPr(facts, {
          ...(facts.pr?.number == null && number !== null ? { number } : {}),
          ciStatus: { status: ci, ts: event.ts, tsMs: event.tsMs },
        });
      return true;
    }
    default:
      return false;
  }
}

/**
 * Fold one of today's events onto a worker's log facts: PR closed/opened and CI, needs input,
 * waiting, resumed, phase complete / failed / turn-cap, escalation and attention
 * (FORMATS-TODAY §1.7). Names it does not know change nothing.
 */
export function foldTodayWorkerEvent(
  facts: WorkerLogFacts,
  event: NormalizedEvent,
  detail: Record<string, unknown>,
): void {
  if (foldPrEvent(facts, event, detail)) return;
  const name = unprefixed(event.name);
  const attrs = record(event.raw.attributes);

  const lifecycle = parsePhaseEvent(name);
  if (lifecycle) {
    // `phase.dispatch.failed.<T>` names the slot, the phase is in the payload (R1.26).
    const phase =
      lifecycle.phase === "dispatch" || lifecycle.phase === "scheduler" || lifecycle.phase === "advance"
        ? phaseName(event, null)
        : lifecycle.phase;
    switch (lifecycle.status) {
      case "complete":
      case "skipped":
        settle(facts, event);
        setStage(facts, phase, event);
        return;
      case "failed":
      case "abandoned": {
        const stage = phase === null ? undefined : PHASE_STAGE[phase];
        setStatus(facts, "failed", event, stage?.phase);
        if (!facts.status || facts.status.tsMs === event.tsMs)
          facts.error =
            reasonOf(event, detail) ??
            (lifecycle.phase === "dispatch"
              ? `dispatch of ${phase ?? "a phase"} failed`
              : `${phase ?? "phase"} ${lifecycle.status}`);
        return;
      }
      case "turn-cap-exhausted": {
        const stage = phase === null ? undefined : PHASE_STAGE[phase];
        setStatus(facts, "turn-cap-exhausted", event, stage?.phase);
        raise(facts, "turn-cap-exhausted", `${phase ?? "phase"}: turn cap exhausted`, event);
        return;
      }
    }
  }

  const action = parsePhaseAction(name);
  if (action && action.ticket !== null) {
    const phase = phaseName(event, action.slot === "rescue" ? null : action.slot);
    switch (action.action) {
      case "park": {
        const stage = phase === null ? undefined : PHASE_STAGE[phase];
        setStatus(facts, "needs-input", event, stage?.phase);
        const why = reasonOf(event, detail);
        raise(facts, "needs-input", `${phase ?? "phase"} parked${why ? `: ${why}` : ""}`, event);
        return;
      }
      case "yield":
        setStatus(facts, "awaiting-work", event, phase ? PHASE_STAGE[phase]?.phase : undefined);
        return;
      case "resumed-after-preemption":
      case "boot-resume":
      case "revive":
        settle(facts, event);
        setStage(facts, phase, event);
        return;
      case "escalated": {
        const why = reasonOf(event, detail);
        raise(facts, "escalated", `${phase ?? "phase"} escalated${why ? `: ${why}` : ""}`, event);
        return;
      }
      default:
        return;
    }
  }

  if (name === "worker.transition" || name.startsWith("worker.transition.")) {
    const to = text(attrs["catalyst.worker.to_disposition"]) ?? text(detail.to_disposition);
    const from = text(attrs["catalyst.worker.from_disposition"]) ?? text(detail.from_disposition);
    const phase = phaseName(event, null);
    if (to === "needs-input" || to === "needs-human") {
      setStatus(facts, to, event, phase ? PHASE_STAGE[phase]?.phase : undefined);
      raise(facts, to, reasonOf(event, detail) ?? `${phase ?? "worker"} ${to}`, event);
    } else if (to === "queued" || to === "blocked") {
      setStatus(facts, to, event, phase ? PHASE_STAGE[phase]?.phase : undefined);
    } else if ((to === "cleared" || to === null) && from !== null) {
      settle(facts, event);
      setStage(facts, phase, event);
    }
    return;
  }

  if (name === "worker.session.resumed" || event.type === "worker-revived") {
    settle(facts, event);
    setStage(facts, phaseName(event, null), event);
    return;
  }

  if (name.startsWith("escalation.")) {
    raise(facts, "escalated", reasonOf(event, detail) ?? name, event);
    return;
  }
  if (name === "attention.context_pressure") {
    raise(
      facts,
      "context-pressure",
      reasonOf(event, detail) ?? text(detail.message) ?? "context pressure",
      event,
    );
    return;
  }
  if (name === "comms.message.posted" && attrs["event.action"] === "attention") {
    raise(facts, "attention", text(detail.message) ?? text(detail.body) ?? "attention requested", event);
  }
}

/** Keep the newest `node.heartbeat` per host (FORMATS-TODAY R1.31; newest timestamp wins). */
export function foldNodeHeartbeat(state: FuseState, event: NormalizedEvent): void {
  const host = event.host;
  if (host === null) return;
  const nodes = state.nodes ?? {};
  const prev = Object.hasOwn(nodes, host) ? nodes[host] : undefined;
  if (prev && prev.lastMs >= event.tsMs) return;
  const attrs = record(event.raw.attributes);
  const inFlight = attrs["catalyst.node.in_flight_count"];
  state.nodes = {
    ...nodes,
    [host]: {
      lastHeartbeat: event.ts,
      lastMs: event.tsMs,
      inFlight: typeof inFlight === "number" && Number.isInteger(inFlight) ? inFlight : null,
    },
  };
}

/** R1.31: ≤ 30 s live, ≤ 5 min degraded, else offline; a heartbeat in the future counts as age 0. */
export function nodeLiveness(lastMs: number, nowMs: number): "live" | "degraded" | "offline" {
  if (!Number.isFinite(lastMs)) return "offline";
  const age = Math.max(0, nowMs - lastMs);
  return age <= 30_000 ? "live" : age <= 300_000 ? "degraded" : "offline";
}
