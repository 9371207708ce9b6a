import {
  ABANDONED_WORKER_STATUSES,
  isTerminalStatus,
  type OrchestratorSummary,
  type ProgressView,
  type SourceKind,
  type WaveView,
  type WorkerView,
} from "@catalyst/schema";
import { forEachKey, type KeyedMap } from "./keyed-map.js";
import type { OrchestratorContext } from "./orchestrator-context.js";
import type { OrchestratorRecord } from "./state.js";
import { msOf, newestTimestamp, timestampOrNull } from "./time.js";

/** True while some source still names the orchestrator (an `archive` line releases the log's hold). */
export function orchestratorExists(record: OrchestratorRecord, hasGlobalEntry: boolean): boolean {
  if (record.ref || record.local || hasGlobalEntry) return true;
  if (record.workerFiles.size > 0 || record.phases.size > 0) return true;
  return record.log !== null && !record.log.archived;
}

/**
 * Add (sign 1) or remove (sign -1) one worker's share of the progress counters, so a change to
 * one worker updates progress without a pass over the others. Superseded/canceled workers leave
 * the denominator (FORMATS §2.3, `04373001`).
 */
export function countProgress(progress: ProgressView, worker: WorkerView, sign: 1 | -1): ProgressView {
  const { status } = worker;
  if (ABANDONED_WORKER_STATUSES.has(status)) return progress;
  const next = { ...progress, total: progress.total + sign };
  if (status === "done" || status === "merged") next.done += sign;
  else if (status === "failed") next.failed += sign;
  else if (!isTerminalStatus(status)) next.active += sign;
  return next;
}

/** Progress counted from scratch. */
export function buildProgress(workers: KeyedMap<WorkerView>): ProgressView {
  let progress: ProgressView = { total: 0, done: 0, failed: 0, active: 0 };
  forEachKey(workers, (worker) => {
    progress = countProgress(progress, worker, 1);
  });
  return progress;
}

function buildWaves(ctx: OrchestratorContext): WaveView[] {
  const byNumber = new Map<number, WaveView>();
  for (const [key, logWave] of Object.entries(ctx.record.log?.waves ?? {})) {
    const wave = Number(key);
    byNumber.set(wave, {
      wave,
      status: logWave.completedAt ? "complete" : "in_progress",
      tickets: logWave.tickets,
      completedAt: logWave.completedAt,
      dependsOn: [],
    });
  }
  // The local state.json is the orchestrator's own plan: its fields win, the log fills gaps.
  for (const wave of ctx.waves) {
    const fromLog = byNumber.get(wave.wave);
    byNumber.set(wave.wave, {
      wave: wave.wave,
      status: wave.status ?? fromLog?.status ?? null,
      tickets: wave.tickets ?? fromLog?.tickets ?? [],
      completedAt: timestampOrNull(wave.completedAt) ?? fromLog?.completedAt ?? null,
      dependsOn: wave.dependsOn ?? [],
    });
  }
  return [...byNumber.values()].sort((a, b) => a.wave - b.wave);
}

function pickStatus(ctx: OrchestratorContext): string | null {
  const fromState = typeof ctx.entry?.status === "string" ? ctx.entry.status : null;
  const fromLog = ctx.record.log?.status ?? null;
  if (fromLog === null) return fromState;
  if (fromState === null) return fromLog.status;
  const stateMs = msOf(ctx.entry?.updatedAt);
  return Number.isNaN(stateMs) || fromLog.tsMs > stateMs ? fromLog.status : fromState;
}

function text(value: unknown): string | null {
  return typeof value === "string" && value !== "" ? value : null;
}

/** The orchestrator's own fields, fused from its ref, local and global state and the log. */
export function buildOrchestratorSummary(
  ctx: OrchestratorContext,
  progress: ProgressView,
): OrchestratorSummary {
  const { record, entry } = ctx;
  const local = record.local?.value ?? null;
  const log = record.log;
  const waves = buildWaves(ctx);
  const maxLogWave = Object.keys(log?.waves ?? {}).reduce((max, key) => Math.max(max, Number(key)), 0);
  const used = new Set<SourceKind>();
  if (record.workerFiles.size > 0) used.add("signal");
  if (record.local || entry) used.add("state");
  if (log) used.add("log");
  return {
    id: record.id,
    // Only a relay consumer sets it (several hosts); a local orchestrator has no `host` key at all.
    ...(typeof record.ref?.host === "string" ? { host: record.ref.host } : {}),
    workspace: record.ref?.workspace ?? "default",
    path: record.ref?.path ?? null,
    status: pickStatus(ctx),
    projectKey: text(entry?.projectKey),
    repository: text(entry?.repository),
    baseBranch: text(entry?.baseBranch) ?? text(local?.baseBranch),
    startedAt:
      timestampOrNull(entry?.startedAt) ?? timestampOrNull(local?.startedAt) ?? log?.startedAt ?? null,
    updatedAt: newestTimestamp(entry?.updatedAt, log?.lastTs),
    completedAt: timestampOrNull(entry?.completedAt) ?? log?.completedAt ?? null,
    lastHeartbeat: newestTimestamp(entry?.lastHeartbeat, log?.lastHeartbeat),
    currentWave: local?.currentWave ?? entry?.progress?.currentWave ?? maxLogWave,
    totalWaves:
      local?.totalWaves ??
      (ctx.waves.length > 0 ? ctx.waves.length : undefined) ??
      entry?.progress?.totalWaves ??
      waves.length,
    waves,
    progress,
    usage: entry?.usage ?? null,
    attention: ctx.attention,
    corrupt: record.local?.corrupt ?? null,
    briefings: Object.values(record.briefings).sort(
      (a, b) => (a.wave ?? Number.NEGATIVE_INFINITY) - (b.wave ?? Number.NEGATIVE_INFINITY),
    ),
    sources: (["signal", "state", "log"] as const).filter((kind) => used.has(kind)),
  };
}
