import {
  type FieldWarning,
  formatJsonPath,
  type GlobalWorker,
  isTerminalStatus,
  type PrState,
  type PrView,
  phaseOfStatus,
  type SchemaIssue,
  type SignalPr,
  type SourceKind,
  UNKNOWN_STATUS,
  type WorkerSignal,
  type WorkerView,
} from "@catalyst/schema";
import { buildPipelineWorkerView, isExecutionCore } from "./build-pipeline-view.js";
import { githubRepoOf } from "./github-repo.js";
import { getKey, type KeyedMap } from "./keyed-map.js";
import type { OrchestratorContext } from "./orchestrator-context.js";
import { ownValue, setOwn } from "./own-property.js";
import { overlaySignal } from "./phase-overlay.js";
import { signalDetailsOf } from "./signal-details.js";
import type { SignalRecord, WorkerLogFacts } from "./state.js";
import { FUTURE_SKEW_MS, msOf, newestTimestamp, timestampOrNull } from "./time.js";

// Precedence, field by field (the README's table says the same):
// - status/phase: the signal file beats global state.json; the log's newest status replaces that
//   only when it is newer than the file's updatedAt (workers exit before writing it, SEED).
// - a merged PR beats any status not newer than the merge (FORMATS §5.8.2–5.8.3).
// - PR state and CI: a live GitHub answer beats the files, except that nothing un-merges a PR.
// - liveness: the poller's answer for the current pid, ignored for terminal statuses (§5.9).

const SOURCE_ORDER: readonly SourceKind[] = ["signal", "state", "log", "github", "liveness"];

/** Status of a ticket that only a wave's ticket list names (not dispatched yet). */
export const PLANNED_STATUS = "queued";

export function toFieldWarning(issue: SchemaIssue, source: SourceKind, skip: number): FieldWarning {
  const rest = (issue.segments ?? []).slice(skip);
  return {
    field: rest.length > 0 ? formatJsonPath(rest) : issue.path,
    expected: issue.expected,
    received: issue.received,
    source,
  };
}

// Signal warnings are paths in the file; state.json ones are cut to the worker's own entry
// (`$.orchestrators.o.workers.T.usage` → `$.usage`).
function warningsOf(sig: SignalRecord | null, global: readonly SchemaIssue[] | undefined): FieldWarning[] {
  const out: FieldWarning[] = [];
  for (const issue of sig?.warnings ?? []) out.push(toFieldWarning(issue, "signal", 0));
  for (const issue of global ?? []) out.push(toFieldWarning(issue, "state", 4));
  return out;
}

/** Status shown when the only thing known about a worker is an unreadable signal file (FORMATS §5.10). */
export const CORRUPT_STATUS = "signal_corrupt";

// Two files with the same ticket: a readable one beats an unreadable one, then the newest
// updatedAt, then the later file key (readdir order, FORMATS §5.10).
function pickSignal(
  signals: KeyedMap<SignalRecord>,
  files: readonly string[] | undefined,
): SignalRecord | null {
  let best: SignalRecord | null = null;
  let bestScore = Number.NEGATIVE_INFINITY;
  for (const key of files ?? []) {
    const rec = getKey(signals, key);
    if (!rec) continue;
    const ms = msOf(rec.value?.updatedAt);
    const score = rec.value === null ? Number.NEGATIVE_INFINITY : Number.isNaN(ms) ? -Number.MAX_VALUE : ms;
    if (best === null || score >= bestScore) {
      best = rec;
      bestScore = score;
    }
  }
  return best;
}

function signalPr(signal: WorkerSignal | null): SignalPr | null {
  const pr = signal?.pr;
  if (typeof pr === "number") return { number: pr };
  // FORMATS §2.7: a pr object is kept only when it has a numeric `number`.
  return pr && typeof pr === "object" && typeof pr.number === "number" ? pr : null;
}

function fileState(value: unknown): PrState | null {
  if (typeof value !== "string") return null;
  const lower = value.toLowerCase();
  return lower === "open" || lower === "closed" || lower === "merged" ? lower : null;
}

export function buildPr(
  ctx: OrchestratorContext,
  sp: SignalPr | null,
  gp: GlobalWorker["pr"] | null | undefined,
  lp: WorkerLogFacts["pr"] | null | undefined,
): { pr: PrView | null; polled: boolean } {
  const gpr = gp && typeof gp.number === "number" ? gp : null;
  const number = sp?.number ?? gpr?.number ?? lp?.number ?? null;
  if (number === null || number === undefined) return { pr: null, polled: false };
  const url = sp?.url ?? gpr?.url ?? lp?.url ?? null;
  const repo = githubRepoOf(url);
  const poll = repo ? ownValue(ctx.prStatuses, `${repo}#${number}`) : undefined;
  const mergedAt =
    timestampOrNull(poll?.mergedAt) ??
    timestampOrNull(sp?.mergedAt) ??
    timestampOrNull(lp?.mergedAt) ??
    timestampOrNull(gpr?.mergedAt);
  const merged =
    poll?.state === "merged" ||
    mergedAt !== null ||
    sp?.ciStatus === "merged" ||
    gpr?.ciStatus === "merged" ||
    fileState(sp?.state) === "merged";
  // A poll that failed or answered UNKNOWN never overwrites what the files already say (§5.8.2 edge).
  // The log's `github.pr.closed` and check suites (FORMATS-TODAY §1.7) fill in what files lack.
  const state: PrState = merged
    ? "merged"
    : poll && poll.state !== "unknown"
      ? poll.state
      : (fileState(sp?.state) ?? (lp?.closedAt ? "closed" : "unknown"));
  const ciStatus = merged
    ? "merged"
    : poll && poll.ciStatus !== "unknown"
      ? poll.ciStatus
      : (lp?.ciStatus?.status ?? sp?.ciStatus ?? gpr?.ciStatus ?? "unknown");
  return {
    polled: poll !== undefined,
    pr: {
      number,
      url,
      repo,
      state,
      ciStatus,
      openedAt:
        timestampOrNull(sp?.prOpenedAt) ?? timestampOrNull(gpr?.prOpenedAt) ?? timestampOrNull(lp?.openedAt),
      mergedAt,
      reviewDecision: poll?.reviewDecision ?? null,
      isDraft: poll?.isDraft ?? null,
      mergeable: poll?.mergeable ?? null,
      title: poll?.title ?? (typeof sp?.title === "string" ? sp.title : null),
      checkedAt: poll?.checkedAt ?? null,
      stale: poll?.stale ?? false,
    },
  };
}

function phaseTimestampsOf(signal: WorkerSignal | null, log: WorkerLogFacts | null): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [status, value] of Object.entries(signal?.phaseTimestamps ?? {})) {
    const ts = timestampOrNull(value);
    if (ts !== null) setOwn(out, status, ts);
  }
  for (const [status, ts] of Object.entries(log?.phaseTimestamps ?? {})) {
    if (!Object.hasOwn(out, status)) setOwn(out, status, ts);
  }
  return out;
}

function text(value: unknown): string | null {
  return typeof value === "string" && value !== "" ? value : null;
}

/** Fuse everything known about one worker into its view, or null when no source knows it any more. */
export function buildWorkerView(ctx: OrchestratorContext, key: string): WorkerView | null {
  const { record } = ctx;
  // Execution-core tickets and orchestrate phase overlays: FORMATS-TODAY §3.4 and §2.3.
  if (isExecutionCore(record)) return buildPipelineWorkerView(ctx, key);
  const sig = pickSignal(record.signals, getKey(record.workerFiles, key));
  const s = overlaySignal(sig?.value ?? null, getKey(record.phases, key));
  const g = ownValue(ctx.entry?.workers, key) ?? null;
  const l = getKey(record.logWorkers, key) ?? null;
  // A ticket only a wave's ticket list names is planned but not dispatched yet.
  const planned = !sig && !s && !g && !l && ctx.waveOf.has(key);
  if (!sig && !s && !g && !l && !planned) return null;

  // A clock far ahead (or a hostile file) must not set updatedAt: 9999-12-31 would never go stale.
  // Such a time is ignored and shown as a warning on the worker, like a field of the wrong type.
  const future: FieldWarning[] = [];
  const skewed = (field: string, received: string, source: FieldWarning["source"]): FieldWarning => ({
    field,
    expected: `a time at most ${FUTURE_SKEW_MS / 60_000} minutes ahead of the monitor's clock (ignored)`,
    received,
    source,
  });
  const trusted = (field: string, value: unknown, source: FieldWarning["source"]): string | null => {
    const ts = timestampOrNull(value);
    if (ts === null || !(msOf(ts) > ctx.futureLimitMs)) return ts;
    future.push(skewed(field, ts, source));
    return null;
  };
  const signalUpdatedAt = trusted("$.updatedAt", s?.updatedAt, "signal");
  const stateUpdatedAt = trusted("$.updatedAt", g?.updatedAt, "state");
  const heartbeat = trusted("$.lastHeartbeat", s?.lastHeartbeat, "signal");
  if (l?.futureTs) future.push(skewed("$.ts", l.futureTs, "log"));

  let status: string;
  let phase: number;
  let statusMs: number;
  if (s && !(s.status === UNKNOWN_STATUS && typeof g?.status === "string")) {
    status = s.status;
    phase = s.phase;
    statusMs = msOf(s.updatedAt);
  } else if (g && typeof g.status === "string") {
    status = g.status;
    phase = g.phase ?? 0;
    statusMs = msOf(g.updatedAt);
  } else {
    status = sig ? CORRUPT_STATUS : planned ? PLANNED_STATUS : "unknown";
    phase = g?.phase ?? 0;
    statusMs = Number.NaN;
  }
  if (l?.status && (Number.isNaN(statusMs) || status === CORRUPT_STATUS || l.status.tsMs > statusMs)) {
    status = l.status.status;
    phase = phaseOfStatus(status) ?? l.status.phase ?? phase;
    statusMs = l.status.tsMs;
  }

  const { pr, polled } = buildPr(ctx, signalPr(s), g?.pr, l?.pr);
  let completedAt = timestampOrNull(s?.completedAt) ?? l?.completedAt ?? null;
  if (pr?.state === "merged" && status !== "done" && status !== "merged") {
    const mergedMs = msOf(pr.mergedAt);
    if (Number.isNaN(statusMs) || Number.isNaN(mergedMs) || statusMs <= mergedMs) {
      status = "merged";
      phase = Math.max(phase, 6);
      completedAt ??= pr.mergedAt;
    }
  }

  const live = getKey(record.liveness, key);
  let pid = typeof s?.pid === "number" ? s.pid : null;
  if (pid === null && !s && live && Number.isInteger(live.pid)) pid = live.pid;
  const liveApplies = live !== undefined && live.pid === pid && !isTerminalStatus(status);
  const alive = liveApplies ? live.alive : null;

  // The log raises attention on a worker too: needs input, turn cap, escalation (FORMATS-TODAY §1.7).
  const logAttention = l?.attention ? `${l.attention.type}: ${l.attention.message}` : null;
  const needsAttention =
    g?.needsAttention === true || ctx.attentionByTicket.has(key) || logAttention !== null;
  const attentionReason = needsAttention
    ? (text(g?.attentionReason) ?? ctx.attentionByTicket.get(key) ?? logAttention)
    : null;
  if (l?.dataLoss) {
    future.push({
      field: "$",
      expected: "every event of this worker in the log",
      received: `${l.dataLoss.event} was dropped by the writer (${l.dataLoss.bytes ?? "?"} bytes over the append cap)`,
      source: "log",
    });
  }

  const used = new Set<SourceKind>();
  if (sig || s) used.add("signal");
  if (g || (planned && ctx.waves.some((w) => w.tickets?.includes(key)))) used.add("state");
  if (planned && !used.has("state")) used.add("log");
  if (l) used.add("log");
  if (polled) used.add("github");
  if (liveApplies) used.add("liveness");

  return {
    orchestrator: record.id,
    ticket: key,
    title: text(g?.title),
    label: text(s?.label) ?? text(g?.label),
    status,
    phase,
    wave: typeof s?.wave === "number" ? s.wave : (ctx.waveOf.get(key) ?? null),
    pid,
    alive,
    pr,
    startedAt: timestampOrNull(s?.startedAt) ?? l?.dispatchedAt ?? null,
    updatedAt: newestTimestamp(signalUpdatedAt, stateUpdatedAt, l?.lastTs),
    completedAt,
    lastHeartbeat: heartbeat,
    phaseTimestamps: phaseTimestampsOf(s, l),
    cost: s?.cost ?? g?.usage ?? null,
    error: text(s?.error) ?? text(s?.failureReason) ?? l?.error ?? null,
    fixupCommit: text(s?.fixupCommit),
    followUpTo: text(s?.followUpTo),
    needsAttention,
    attentionReason,
    corrupt: sig?.corrupt ?? null,
    warnings:
      future.length > 0
        ? [...warningsOf(sig, ctx.globalWarnings.get(key)), ...future]
        : warningsOf(sig, ctx.globalWarnings.get(key)),
    sources: SOURCE_ORDER.filter((kind) => used.has(kind)),
    ...(l?.dataLoss
      ? {
          dataLoss: {
            event: l.dataLoss.event,
            bytes: l.dataLoss.bytes,
            ts: l.dataLoss.ts,
            count: l.dataLoss.count,
          },
        }
      : {}),
    ...(typeof s?.phaseName === "string" && s.phaseName !== "" ? { phaseName: s.phaseName } : {}),
    ...signalDetailsOf(s),
  };
}
