import type { AttentionItem, NormalizedEvent } from "@catalyst/schema";
import type { StateDraft } from "./draft.js";
import { freshOf } from "./draft-fresh.js";
import { foldNodeHeartbeat, foldTodayWorkerEvent, isTodayPrEvent } from "./fold-today-event.js";
import { forEachKey, getKey, setKey } from "./keyed-map.js";
import type { LogWave, OrchestratorLogFacts, TimedStatus, WorkerLogFacts } from "./state.js";
import { addTicketOwner, ownersOfTicket } from "./ticket-owners.js";
import { msOf, newestTimestamp, timestampOrNull } from "./time.js";

/** A `wave-completed` line seen in the log (fuse emits it once per orchestrator and wave). */
export interface LoggedWaveCompletion {
  orchestrator: string;
  wave: number;
  tickets: string[];
  ts: string;
}

const TERMINAL_FOR_COMPLETED_AT = new Set(["done", "failed", "stalled"]);

function emptyOrchestratorFacts(): OrchestratorLogFacts {
  return {
    startedAt: null,
    status: null,
    completedAt: null,
    lastHeartbeat: null,
    lastTs: null,
    archived: false,
    waves: {},
    attention: [],
  };
}

function emptyWorkerFacts(): WorkerLogFacts {
  return {
    status: null,
    dispatchedAt: null,
    completedAt: null,
    lastTs: null,
    error: null,
    pr: null,
    phaseTimestamps: {},
  };
}

function record(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

function text(value: unknown): string | null {
  return typeof value === "string" && value !== "" ? value : null;
}

function int(value: unknown): number | null {
  return typeof value === "number" && Number.isInteger(value) ? value : null;
}

function strings(value: unknown): string[] | null {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : null;
}

// Lines from concurrent writers are only roughly in time order (FORMATS §4.1), so a status from
// the log replaces an earlier one only when it is at least as new.
function setStatus(facts: WorkerLogFacts, status: string, ts: string, tsMs: number): void {
  if (facts.status && tsMs < facts.status.tsMs) return;
  const next: TimedStatus = { status, ts, tsMs };
  facts.status = next;
  if (!(status in facts.phaseTimestamps)) facts.phaseTimestamps = { ...facts.phaseTimestamps, [status]: ts };
  if (TERMINAL_FOR_COMPLETED_AT.has(status)) facts.completedAt = ts;
}

function setPr(facts: WorkerLogFacts, fields: Partial<NonNullable<WorkerLogFacts["pr"]>>): void {
  const prev = facts.pr ?? { number: null, url: null, openedAt: null, mergedAt: null };
  facts.pr = {
    number: fields.number ?? prev.number,
    url: fields.url ?? prev.url,
    openedAt: prev.openedAt ?? fields.openedAt ?? null,
    mergedAt: prev.mergedAt ?? fields.mergedAt ?? null,
  };
}

function githubPrNumber(event: NormalizedEvent, detail: Record<string, unknown>): number | null {
  return (
    event.prNumber ??
    int(record(event.raw.scope).pr) ??
    int(detail.pr) ??
    int(record(detail.pr).number) ??
    int(detail.number) ??
    int(record(detail.pull_request).number)
  );
}

// A `github.*` line without a worker is matched to one by its PR number (FORMATS §8, CTL-398); a
// check suite names several PRs and is matched against all of them (FORMATS-TODAY R1.23).
function workersOfPrs(draft: StateDraft, orchestrator: string, numbers: readonly number[]): string[] {
  const view = draft.orchestrator(orchestrator, false)?.view;
  const found: string[] = [];
  if (view && numbers.length > 0) {
    forEachKey(view.workers, (worker, key) => {
      if (worker.pr && numbers.includes(worker.pr.number)) found.push(key);
    });
  }
  return found;
}

function foldWorkerEvent(
  facts: WorkerLogFacts,
  event: NormalizedEvent,
  detail: Record<string, unknown>,
): void {
  const { ts, tsMs } = event;
  switch (event.type) {
    case "worker-dispatched":
      facts.dispatchedAt ??= ts;
      setStatus(facts, "dispatched", ts, tsMs);
      break;
    case "worker-status-change":
    case "worker-status-terminal": {
      // Canonical lines carry the new status as `event.value` too (FORMATS §4.7).
      const to = text(detail.to) ?? text(record(event.raw.attributes)["event.value"]);
      if (to) setStatus(facts, to, ts, tsMs);
      const pr = record(detail.pr);
      const number = int(pr.number);
      if (number !== null) setPr(facts, { number, url: text(pr.url) });
      break;
    }
    case "worker-pr-created": {
      const number = int(detail.pr) ?? int(record(detail.pr).number) ?? event.prNumber;
      if (number !== null) setPr(facts, { number, url: text(detail.url), openedAt: ts });
      break;
    }
    case "worker-pr-merged": {
      const number = int(detail.pr) ?? int(record(detail.pr).number) ?? event.prNumber;
      const mergedAt = timestampOrNull(detail.mergedAt) ?? ts;
      if (number !== null) setPr(facts, { number, mergedAt });
      break;
    }
    case "github.pr.merged": {
      // v2 webhook lines (FORMATS §4.3): the PR number sits in `scope.pr` or the detail.
      const number = githubPrNumber(event, detail);
      const mergedAt = timestampOrNull(detail.mergedAt) ?? timestampOrNull(detail.merged_at) ?? ts;
      if (number !== null) setPr(facts, { number, mergedAt });
      break;
    }
    case "worker-done":
      setStatus(facts, "done", ts, tsMs);
      break;
    case "worker-failed":
      setStatus(facts, "failed", ts, tsMs);
      facts.error = text(detail.reason) ?? facts.error;
      break;
    case "worker-launch-failed":
      setStatus(facts, "failed", ts, tsMs);
      facts.error = text(detail.reason) ?? "launch-failure";
      break;
    case "worker-stalled":
      setStatus(facts, "stalled", ts, tsMs);
      break;
  }
}

function openWorker(
  draft: StateDraft,
  orchestrator: string,
  worker: string,
  ts: string,
  futureLimitMs: number,
  touch = true,
): WorkerLogFacts {
  const rec = draft.orchestrator(orchestrator, true);
  const known = getKey(rec.logWorkers, worker);
  const facts = { ...(known ?? emptyWorkerFacts()) };
  // A line stamped beyond the skew allowance is folded, but its time is flagged, not trusted.
  if (!touch) {
    // a tombstone is not the worker's activity: it does not move updatedAt
  } else if (msOf(ts) > futureLimitMs) facts.futureTs = newestTimestamp(facts.futureTs, ts);
  else facts.lastTs = newestTimestamp(facts.lastTs, ts);
  rec.logWorkers = setKey(rec.logWorkers, worker, facts, freshOf(draft.state));
  if (!known) addTicketOwner(draft.state, worker, orchestrator);
  draft.markWorker(orchestrator, worker);
  return facts;
}

/** Fold what a worker-level line says into one worker's facts (seed-era meanings, then today's). */
function foldOntoWorker(
  facts: WorkerLogFacts,
  event: NormalizedEvent,
  detail: Record<string, unknown>,
): void {
  if (event.dropped) {
    // FORMATS-TODAY R1.6: a tombstone marks data loss; it is never the dropped event itself.
    const prev = facts.dataLoss;
    if (!prev || event.tsMs >= msOf(prev.ts))
      facts.dataLoss = {
        event: event.dropped.name,
        bytes: event.dropped.bytes,
        ts: event.ts,
        count: (prev?.count ?? 0) + 1,
      };
    else facts.dataLoss = { ...prev, count: prev.count + 1 };
    return;
  }
  foldWorkerEvent(facts, event, detail);
  foldTodayWorkerEvent(facts, event, detail);
}

/**
 * Lines that name a ticket but no orchestrator (v3, v1 reap lines), or whose orchestrator is the
 * ticket itself (execution-core, FORMATS-TODAY R1.20), go to the workers fuse already knows by
 * that ticket; they never create an orchestrator of their own.
 */
function foldByTicket(
  draft: StateDraft,
  event: NormalizedEvent,
  ticket: string,
  futureLimitMs: number,
): void {
  const detail = record(event.detail);
  for (const orchestrator of ownersOfTicket(draft.state, ticket)) {
    if (draft.orchestrator(orchestrator, false) === undefined) continue;
    const facts = openWorker(draft, orchestrator, ticket, event.ts, futureLimitMs, event.dropped === null);
    foldOntoWorker(facts, event, detail);
  }
}

/**
 * What folding one log line touches, for a caller that folds start-up history before the views
 * are published (see `planEarlyHistory`):
 * - `own`: it changes the record of `orchestrator` alone (its log facts, the facts of the workers
 *   it names) and reads nothing published, so it gives the same state folded before or after that
 *   orchestrator's files are published; `tickets` are the workers it names (its worker, a wave's
 *   tickets, a coalesced phase change's workers), which become that orchestrator's workers;
 * - `views`: it resolves through what is published: a line naming only a ticket (every
 *   orchestrator that has it, by the ticket-owner table), a `github.*` line with no worker (the
 *   orchestrator's published workers, by PR number), a tombstone (the owners of its ticket), an
 *   execution-core line whose orchestrator is its ticket (whether that record exists);
 *   `orchestrator` is the record it names (or null) and `tickets` the tickets it resolves through;
 * - `fleet`: it changes no orchestrator (a `node.heartbeat`, a line naming neither orchestrator
 *   nor ticket, a line with no valid time).
 */
export type LineFoldReach =
  | { kind: "own"; orchestrator: string; tickets: readonly string[] }
  | { kind: "views"; orchestrator: string | null; tickets: readonly string[] }
  | { kind: "fleet" };

const FLEET_REACH: LineFoldReach = { kind: "fleet" };

/** See {@link LineFoldReach}; follows {@link foldLogEvent} branch by branch. */
export function lineFoldReach(event: NormalizedEvent): LineFoldReach {
  const orchestrator = event.orchestrator;
  const ticket = event.worker;
  if (event.dropped) {
    const tickets = [event.dropped.ticket, ticket].filter((t): t is string => t !== null);
    return { kind: "views", orchestrator, tickets };
  }
  if (!Number.isFinite(event.tsMs) || event.name === "node.heartbeat") return FLEET_REACH;
  if (orchestrator === null)
    return ticket === null ? FLEET_REACH : { kind: "views", orchestrator: null, tickets: [ticket] };
  if (ticket !== null && (orchestrator === ticket || orchestrator.endsWith(`/${ticket}`)))
    return { kind: "views", orchestrator, tickets: [ticket] };
  if (ticket === null && (event.type === "github.pr.merged" || isTodayPrEvent(event)))
    return { kind: "views", orchestrator, tickets: [] };
  const tickets: string[] = ticket === null ? [] : [ticket];
  const detail = record(event.detail);
  if (event.type === "wave-started" || event.type === "wave-completed") {
    for (const t of strings(detail.tickets) ?? []) tickets.push(t);
  } else if (event.type === "worker-phase-advanced" && Array.isArray(detail.changes)) {
    for (const raw of detail.changes) {
      const worker = text(record(raw).worker);
      if (worker !== null) tickets.push(worker);
    }
  }
  return { kind: "own", orchestrator, tickets };
}

/**
 * Start-up history (lines in log order, each with its event) split so that most of it can be
 * folded before the views are published: `early[i]` is the orchestrator line i may be folded with,
 * ahead of every view (in the same apply as that orchestrator's first read, one publish for
 * both), or null when it must be folded after the views, in log order, as the history always was.
 * An orchestrator's lines are all early or all late (their order among themselves is kept); they
 * are late when a `views` line names it or one of the tickets it names, so no late line can see
 * a difference. Folding the early lines with their orchestrators and then the late ones in their
 * order (in the same batches as before, counted over every line) gives the state folding every
 * line after the views gives.
 */
export function planEarlyHistory(events: readonly NormalizedEvent[]): Array<string | null> {
  const reach = events.map(lineFoldReach);
  const lateOrchestrators = new Set<string>();
  const lateTickets = new Set<string>();
  for (const r of reach) {
    if (r.kind !== "views") continue;
    if (r.orchestrator !== null) lateOrchestrators.add(r.orchestrator);
    for (const t of r.tickets) lateTickets.add(t);
  }
  if (lateTickets.size > 0)
    for (const r of reach)
      if (r.kind === "own" && r.tickets.some((t) => lateTickets.has(t)))
        lateOrchestrators.add(r.orchestrator);
  return reach.map((r) =>
    r.kind === "own" && !lateOrchestrators.has(r.orchestrator) ? r.orchestrator : null,
  );
}

/**
 * Fold one event-log line into the draft: history fills in what signal files miss, such as
 * `pr.mergedAt` and statuses a worker exits before writing (SEED "Workers exit before merge").
 * Returns the wave completion when the line is a `wave-completed`.
 */
export function foldLogEvent(
  draft: StateDraft,
  event: NormalizedEvent,
  futureLimitMs = Number.POSITIVE_INFINITY,
): LoggedWaveCompletion | null {
  if (!Number.isFinite(event.tsMs)) return null;
  if (event.name === "node.heartbeat") {
    foldNodeHeartbeat(draft.state, event);
    return null;
  }
  const orchestrator = event.orchestrator;
  const ticket = event.worker;
  // Execution-core passes the ticket as the orchestrator id (R1.20); a central monitor has
  // namespaced it as `<host>/<ticket>` (tickets never hold a `/`).
  const ticketIsOrchestrator =
    ticket !== null && (orchestrator === ticket || orchestrator?.endsWith(`/${ticket}`) === true);
  if (
    orchestrator === null ||
    (ticketIsOrchestrator && draft.orchestrator(orchestrator, false) === undefined)
  ) {
    if (ticket !== null) foldByTicket(draft, event, ticket, futureLimitMs);
    return null; // session lines name no orchestrator
  }
  const rec = draft.orchestrator(orchestrator, true);
  const facts: OrchestratorLogFacts = { ...(rec.log ?? emptyOrchestratorFacts()) };
  rec.log = facts;
  if (!(event.tsMs > futureLimitMs)) facts.lastTs = newestTimestamp(facts.lastTs, event.ts);
  if (event.type !== "archive") facts.archived = false;
  const detail = record(event.detail);
  const { ts, tsMs } = event;
  const setOrchestratorStatus = (status: string) => {
    if (!facts.status || tsMs >= facts.status.tsMs) facts.status = { status, ts, tsMs };
  };
  let completion: LoggedWaveCompletion | null = null;

  switch (event.type) {
    case "orchestrator-started":
      facts.startedAt ??= ts;
      setOrchestratorStatus("active");
      break;
    case "orchestrator-completed":
      setOrchestratorStatus("completed");
      facts.completedAt = ts;
      break;
    case "orchestrator-failed":
      setOrchestratorStatus("failed");
      break;
    case "orchestrator-paused":
      setOrchestratorStatus("paused");
      break;
    case "orchestrator-resumed":
      setOrchestratorStatus("active");
      break;
    case "orchestrator-heartbeat":
      facts.lastHeartbeat = newestTimestamp(facts.lastHeartbeat, ts);
      break;
    case "orchestrator-status": {
      const status = text(detail.status) ?? text(detail.to);
      if (status) setOrchestratorStatus(status);
      break;
    }
    case "wave-started":
    case "wave-completed": {
      const wave = int(detail.wave);
      if (wave === null) break;
      const prev: LogWave = facts.waves[String(wave)] ?? { tickets: [], startedAt: null, completedAt: null };
      const tickets = strings(detail.tickets) ?? prev.tickets;
      const next: LogWave =
        event.type === "wave-started"
          ? { ...prev, tickets, startedAt: prev.startedAt ?? ts }
          : { ...prev, tickets, completedAt: prev.completedAt ?? ts };
      facts.waves = { ...facts.waves, [String(wave)]: next };
      if (event.type === "wave-completed") completion = { orchestrator, wave, tickets, ts };
      draft.markAll(orchestrator);
      break;
    }
    case "archive":
      facts.archived = true;
      draft.markAll(orchestrator);
      break;
    case "attention-raised": {
      const item: AttentionItem = {
        type: text(detail.attentionType) ?? "unknown",
        ticketId: event.worker,
        message: text(detail.reason) ?? text(detail.message) ?? "",
        since: ts,
      };
      // The same line folded again (history re-delivered after a log-reset) adds nothing.
      const again = facts.attention.some(
        (a) =>
          a.type === item.type &&
          a.ticketId === item.ticketId &&
          a.since === ts &&
          a.message === item.message,
      );
      if (!again) facts.attention = [item, ...facts.attention];
      break;
    }
    case "attention-resolved":
      // Resolving a ticket removes every item with that ticketId (FORMATS §3.5).
      facts.attention = facts.attention.filter((item) => (item.ticketId ?? null) !== event.worker);
      break;
    case "worker-phase-advanced": {
      // Coalesced transitions (FORMATS §4.2, 682e8178): each change names its own worker and time.
      const changes = Array.isArray(detail.changes) ? detail.changes : [];
      for (const raw of changes) {
        const change = record(raw);
        const worker = text(change.worker) ?? event.worker;
        const to = text(change.to);
        const changeTs = timestampOrNull(change.ts) ?? ts;
        if (!worker || !to) continue;
        const workerFacts = openWorker(draft, orchestrator, worker, changeTs, futureLimitMs);
        setStatus(workerFacts, to, changeTs, Date.parse(changeTs));
      }
      break;
    }
  }

  let workers: string[] = event.worker === null ? [] : [event.worker];
  if (workers.length === 0 && (event.type === "github.pr.merged" || isTodayPrEvent(event))) {
    const number = githubPrNumber(event, detail);
    const numbers = event.prNumbers.length > 0 ? event.prNumbers : number === null ? [] : [number];
    workers = workersOfPrs(draft, orchestrator, numbers);
  }
  for (const worker of workers) {
    const workerFacts = openWorker(draft, orchestrator, worker, ts, futureLimitMs, event.dropped === null);
    foldOntoWorker(workerFacts, event, detail);
  }
  if (workers.length === 0) draft.markSummary(orchestrator);
  return completion;
}
