import type { FuseInput, LogRecord, NeedsYouItem, NormalizedEvent } from "@catalyst/schema";
import type { DeltaDraft } from "./delta-draft.js";
import { logEventDelta } from "./delta-draft.js";
import { createDraft, type StateDraft } from "./draft.js";
import { foldLogEvent, type LoggedWaveCompletion, lineFoldReach } from "./fold-log-event.js";
import { ingestInput } from "./ingest-input.js";
import { admitLogRecord } from "./log-file-marks.js";
import { type FuseOptions, type ResolvedOptions, resolveOptions } from "./options.js";
import { dropParkedLivenessOfGoneHosts } from "./pending-liveness.js";
import { type PublishContext, publishChanges } from "./publish-changes.js";
import { sameValue } from "./same-value.js";
import { type FuseState, MAX_LOG_PROBLEMS } from "./state.js";
import { ownersOfTicket } from "./ticket-owners.js";
import { FUTURE_SKEW_MS, isoOf } from "./time.js";

// A tombstone whose dropped event names no worker fuse knows (e.g. `session.context`) has no
// worker to mark: the loss is shown as a problem of its log file (FORMATS-TODAY R1.6), like a line
// the reader itself dropped as oversized.
function markUnplacedTombstone(state: FuseState, record: LogRecord): void {
  const dropped = record.event.dropped;
  if (!dropped) return;
  if (dropped.ticket !== null && ownersOfTicket(state, dropped.ticket).length > 0) return;
  const reason = `event dropped by its writer: ${dropped.name} (${dropped.bytes ?? "?"} bytes over the ${dropped.cap ?? "?"}-byte append cap), tombstone at byte ${record.offset}`;
  const next = { ...state.logProblems, [record.file]: { file: record.file, reason, since: record.event.ts } };
  const files = Object.keys(next);
  if (files.length > MAX_LOG_PROBLEMS) delete next[files[0]!];
  state.logProblems = next;
}

/**
 * What lines of a batch folded that becomes true only at the publish: an archived orchestrator
 * that nothing else names is dropped (a later line of it starts afresh, its tickets are no longer
 * its own); the tickets of a wave's list become its workers (ticket owners, in the order the
 * publishes add them). Lines that read these publish the lines before them first.
 */
interface PendingPublish {
  archived: Set<string>;
  /** Orchestrators with a wave line in the batch, and the tickets those lines named or dropped. */
  waveOrchestrators: Set<string>;
  waveTickets: Set<string>;
}

function emptyPending(): PendingPublish {
  return { archived: new Set(), waveOrchestrators: new Set(), waveTickets: new Set() };
}

// Called before the line is folded: a wave line's tickets, and those of the list it replaces.
function notePending(draft: StateDraft, event: NormalizedEvent, pending: PendingPublish): void {
  if (event.orchestrator === null) return;
  if (event.type === "archive") pending.archived.add(event.orchestrator);
  else if (event.type === "wave-started" || event.type === "wave-completed") {
    pending.waveOrchestrators.add(event.orchestrator);
    const detail = event.detail as { tickets?: unknown; wave?: unknown } | null;
    const tickets = detail?.tickets;
    if (Array.isArray(tickets))
      for (const t of tickets) if (typeof t === "string") pending.waveTickets.add(t);
    const waves = draft.orchestrator(event.orchestrator, false)?.log?.waves;
    const before =
      waves && Object.hasOwn(waves, String(detail?.wave)) ? waves[String(detail?.wave)] : undefined;
    for (const t of before?.tickets ?? []) pending.waveTickets.add(t);
  }
}

/**
 * The orchestrators to publish before folding `event` (none: null), and what of `pending` that
 * settles. Follows `lineFoldReach` (what a line names and reads): the tickets it names include a
 * wave list's and a tombstone's; a `views` line resolves through the ticket owners or the views.
 */
function readsPending(
  draft: StateDraft,
  event: NormalizedEvent,
  pending: PendingPublish,
): Set<string> | null {
  const reach = lineFoldReach(event);
  if (reach.kind === "fleet") return null;
  const ids = new Set<string>();
  // A ticket of a wave line of the batch, named again: the wave's publish makes it a worker.
  if (pending.waveTickets.size > 0 && reach.tickets.some((t) => pending.waveTickets.has(t))) {
    for (const id of pending.waveOrchestrators) ids.add(id);
    pending.waveOrchestrators.clear();
    pending.waveTickets.clear();
  }
  // An archived orchestrator named again (the publish would have dropped it first), or a line
  // found by ticket or a tombstone, which read the owners an archive's publish removes.
  if (
    pending.archived.size > 0 &&
    (reach.kind === "views" || (reach.orchestrator !== null && pending.archived.has(reach.orchestrator)))
  ) {
    for (const id of pending.archived) ids.add(id);
    pending.archived.clear();
  }
  // A PR line without a worker is matched by PR number against the orchestrator's worker views.
  if (
    reach.kind === "views" &&
    reach.tickets.length === 0 &&
    reach.orchestrator !== null &&
    draft.dirty.has(reach.orchestrator)
  )
    ids.add(reach.orchestrator);
  return ids.size === 0 ? null : ids;
}

/**
 * Publish the marked orchestrators among `ids` (with their logged wave completions) and leave
 * the other marks and completions for later: only what the next line reads is published early.
 */
function publishSome(
  draft: StateDraft,
  ids: ReadonlySet<string>,
  ctx: Omit<PublishContext, "logged">,
  logged: LoggedWaveCompletion[],
  deltas: DeltaDraft[],
): void {
  const now = logged.filter((done) => ids.has(done.orchestrator));
  const later = logged.filter((done) => !ids.has(done.orchestrator));
  publishChanges(draft, { ...ctx, logged: now }, deltas, ids);
  for (const id of ids) draft.dirty.delete(id);
  logged.length = 0;
  logged.push(...later);
}

/**
 * Fold one input into the state and return the new state with the deltas that describe what
 * became visible. Pure: `state` is not modified, `now` is the only time read, and an input that
 * changes nothing visible yields no delta. `visited` counts the worker views rebuilt and the
 * "needs you" rows re-derived: the work follows the change (one worker, or one orchestrator when
 * its own fields moved), not the fleet, except on a `tick`, which re-checks every stall.
 */
export function reduce(
  state: FuseState,
  input: FuseInput,
  now: Date,
  options?: FuseOptions,
): { state: FuseState; deltas: DeltaDraft[]; visited: number } {
  const resolved = resolveOptions(options);
  const draft = createDraft(state);
  const deltas: DeltaDraft[] = [];
  const visited = reduceInto(draft, input, isoOf(now), now.getTime(), resolved, deltas);
  return { state: draft.state, deltas, visited };
}

/**
 * Inputs that only store a read (a file, a pid answer) and mark the views it can change: in a
 * coalesced batch their publishing waits. Removals are not among them (publishing a removal can
 * drop a whole record), nor inputs that read the published views (log lines look workers up by
 * ticket and PR, a PR status finds its workers in the views) or publish on their own.
 */
const DEFERRABLE: ReadonlySet<FuseInput["kind"]> = new Set<FuseInput["kind"]>([
  "orchestrator-added",
  "signal",
  "phase-signal",
  "local-state",
  "briefing",
  "global-state",
  "liveness",
]);

/**
 * Replayed log lines (history, no `log-event` deltas) that read nothing published (each line's
 * reach is its own orchestrator or none, see `lineFoldReach`): in a coalesced batch they are
 * folded at once and published with the reads around them, which gives the state publishing in
 * between gives. Not with an `archive` line: its publish can drop the orchestrator before the
 * lines after it (see `readsPending`).
 */
function foldsAheadOfViews(input: Extract<FuseInput, { kind: "log-lines" }>): boolean {
  if (input.replayed !== true) return false;
  for (const record of input.records)
    if (record.event.type === "archive" || lineFoldReach(record.event).kind === "views") return false;
  return true;
}

/**
 * Fold a batch of log lines into the draft. With `publish` (which publishes the named
 * orchestrators' marks and wave completions), a line that reads what only a publish makes true
 * has what it reads of the lines before it published first, so the fold is the same however the
 * lines are batched (one line per batch is the reference, see `readsPending`).
 */
function foldLogLines(
  draft: StateDraft,
  input: Extract<FuseInput, { kind: "log-lines" }>,
  futureLimitMs: number,
  deltas: DeltaDraft[],
  logged: LoggedWaveCompletion[],
  publish?: (ids: ReadonlySet<string>) => void,
): void {
  const copied = new Set<string>();
  const pending = emptyPending();
  for (const record of input.records) {
    if (!admitLogRecord(draft.state, record, input.replayed === true, copied)) continue;
    const ids = publish ? readsPending(draft, record.event, pending) : null;
    if (ids) publish?.(ids);
    if (!input.replayed) deltas.push(logEventDelta(record));
    if (publish) notePending(draft, record.event, pending);
    const completion = foldLogEvent(draft, record.event, futureLimitMs);
    if (completion) logged.push(completion);
    if (record.event.dropped) markUnplacedTombstone(draft.state, record);
  }
}

/** What a batch did, for tests that check the work follows the change. */
export interface BatchWork {
  /** Worker views rebuilt and "needs you" rows re-derived. */
  visited: number;
  /** Orchestrator publishes (one per orchestrator a publish pass had marked). */
  published: number;
}

/**
 * `reduce` over several inputs in order, with one copy-on-write draft for all of them: the same
 * state and deltas as reducing them one by one, but the fleet's record table is copied once per
 * batch rather than once per input (a start-up scan is thousands of inputs). `ownsState`: the
 * caller drops `state` for the result and nothing else holds it, so the table is not copied at all.
 *
 * `coalesce`: runs of DEFERRABLE inputs are ingested first and published once, so an orchestrator
 * whose 20 signal files are in the batch is rebuilt once, not 20 times (issue 26). The state at the
 * end is the same; the deltas describe each run in one step (a worker read twice is sent once, with
 * its last view; what held only in the middle of a run, such as a wave complete for one input, is
 * not reported).
 */
export function reduceBatch(
  state: FuseState,
  inputs: readonly FuseInput[],
  now: Date,
  options?: FuseOptions,
  ownsState = false,
  coalesce = false,
  work: BatchWork = { visited: 0, published: 0 },
): { state: FuseState; deltas: DeltaDraft[] } {
  const resolved = resolveOptions(options);
  const nowIso = isoOf(now);
  const nowMs = now.getTime();
  const draft = createDraft(state, ownsState);
  const deltas: DeltaDraft[] = [];
  let deferred = false;
  let logged: LoggedWaveCompletion[] = [];
  const publishDeferred = (): void => {
    if (!deferred) return;
    deferred = false;
    publishChanges(draft, { nowIso, nowMs, options: resolved, everyone: false, logged, work }, deltas);
    logged = [];
    draft.dirty.clear();
  };
  for (const input of inputs) {
    if (coalesce && input.kind === "log-lines" && foldsAheadOfViews(input)) {
      foldLogLines(draft, input, nowMs + FUTURE_SKEW_MS, deltas, logged);
      deferred = true;
      continue;
    }
    if (coalesce && DEFERRABLE.has(input.kind)) {
      ingestInput(draft, input as Exclude<FuseInput, { kind: "log-lines" }>, nowIso);
      deferred = true;
      continue;
    }
    publishDeferred();
    reduceInto(draft, input, nowIso, nowMs, resolved, deltas, work);
    draft.dirty.clear();
  }
  publishDeferred();
  return { state: draft.state, deltas };
}

/** The fleet-level budget row: added, changed (a new figure) or removed, as one `needs-you` delta. */
function publishBudget(
  draft: StateDraft,
  input: Extract<FuseInput, { kind: "budget" }>,
  nowIso: string,
  deltas: DeltaDraft[],
): void {
  const before = draft.state.budgetRow;
  const over = input.over;
  const after: NeedsYouItem | null =
    over === null
      ? null
      : {
          orchestrator: "",
          worker: null,
          reason: "budget",
          message: `spent $${over.spentUsd.toFixed(2)} today, over the daily budget of $${over.limitUsd.toFixed(2)}`,
          since: over.since,
        };
  if (before === null && after === null) return;
  if (before !== null && after !== null && sameValue(before, after)) return;
  draft.state.budgetRow = after;
  deltas.push({
    event: "needs-you",
    data: {
      ts: nowIso,
      added: before === null && after !== null ? [after] : [],
      changed: before !== null && after !== null ? [after] : [],
      removed: before !== null && after === null ? [before] : [],
    },
  });
}

/** A tick's `[k, n]` part when it names one (0 ≤ k < n, integers); else null (the whole fleet). */
function validPart(part: readonly [number, number] | undefined): readonly [number, number] | null {
  if (part === undefined) return null;
  const [k, n] = part;
  return Number.isInteger(k) && Number.isInteger(n) && n > 0 && k >= 0 && k < n ? part : null;
}

function reduceInto(
  draft: StateDraft,
  input: FuseInput,
  nowIso: string,
  nowMs: number,
  resolved: ResolvedOptions,
  deltas: DeltaDraft[],
  work: { visited: number; published?: number } = { visited: 0 },
): number {
  const logged: LoggedWaveCompletion[] = [];
  const futureLimitMs = nowMs + FUTURE_SKEW_MS;
  const visitedBefore = work.visited;
  if (input.kind === "log-lines") {
    // A line that reads what only a publish makes true publishes the lines before it first.
    foldLogLines(draft, input, futureLimitMs, deltas, logged, (ids) =>
      publishSome(draft, ids, { nowIso, nowMs, options: resolved, everyone: false, work }, logged, deltas),
    );
  } else if (input.kind === "hosts") {
    // A host that left the list (forgotten) takes its parked liveness answers with it.
    dropParkedLivenessOfGoneHosts(draft.state, input.hosts);
    // The host list is small (one row per machine) and published whole when it differs.
    if (draft.state.hosts === null || !sameValue(draft.state.hosts, input.hosts)) {
      const hosts = input.hosts.map((h) => ({ ...h }));
      draft.state.hosts = hosts;
      deltas.push({ event: "hosts", data: { ts: nowIso, hosts } });
    }
  } else if (input.kind === "budget") {
    publishBudget(draft, input, nowIso, deltas);
  } else {
    ingestInput(draft, input, nowIso);
  }
  publishChanges(
    draft,
    {
      nowIso,
      nowMs,
      options: resolved,
      everyone: input.kind === "tick" ? (validPart(input.part) ?? true) : false,
      logged,
      work,
    },
    deltas,
  );
  return work.visited - visitedBefore;
}
