import {
  type Cost,
  type FieldWarning,
  formatJsonPath,
  type LivenessResult,
  type PipelineView,
  type SourceKind,
  type WorkerView,
} from "@catalyst/schema";
import { buildPr, CORRUPT_STATUS } from "./build-worker-view.js";
import { type DerivedPipeline, derivePipeline, type PhaseFiles } from "./derive-pipeline.js";
import { getKey } from "./keyed-map.js";
import type { OrchestratorContext } from "./orchestrator-context.js";
import type { OrchestratorRecord, PhaseRecord } from "./state.js";

/**
 * The orchestrator id execution-core tickets are grouped under: the basename of their ORCH_DIR,
 * `$CATALYST_DIR/execution-core` (FORMATS-TODAY R2.1). A monitor of several hosts names it
 * `<host>/execution-core`. Events name an execution-core ticket's orchestrator by the ticket
 * itself (R1.20); the worker key here is that ticket.
 */
export const EXECUTION_CORE_ID = "execution-core";

/** True for the record of an execution-core dir (local or relayed from a host). */
export function isExecutionCore(record: OrchestratorRecord): boolean {
  if (record.ref?.source === "execution-core") return true;
  return record.id === EXECUTION_CORE_ID || record.id.endsWith(`/${EXECUTION_CORE_ID}`);
}

/** R3.18/R3.19: the job answer as the view shows it; `unknown` unless a check of this job answered. */
export function jobOf(derived: DerivedPipeline, live: LivenessResult | undefined): PipelineView["job"] {
  if (!derived.checkJob || !live || live.jobId !== derived.pipeline.jobId) return "unknown";
  if (live.reason === "job-alive") return "alive";
  if (live.reason === "job-dead") return "dead";
  if (live.reason === "job-blocked") return "waiting-on-you";
  return "unknown";
}

// "Cost where written": phase files carry no cost in the schema, but a writer may add the usage
// object; the ticket's cost is the sum over its phase files.
function sumCost(files: PhaseFiles): Cost | null {
  let out: Cost | null = null;
  for (const signal of Object.values(files)) {
    const cost = signal.cost;
    if (!cost) continue;
    out ??= {};
    for (const field of [
      "costUSD",
      "inputTokens",
      "outputTokens",
      "cacheReadTokens",
      "cacheCreationTokens",
      "numTurns",
    ] as const) {
      const value = cost[field];
      if (typeof value === "number" && Number.isFinite(value)) out[field] = (out[field] ?? 0) + value;
    }
  }
  return out;
}

/** The view of one execution-core ticket, or null when none of its phase files is known any more. */
export function buildPipelineWorkerView(ctx: OrchestratorContext, key: string): WorkerView | null {
  const { record } = ctx;
  const records = getKey(record.phases, key);
  if (!records) return null;
  const files: Record<string, NonNullable<PhaseRecord["value"]>> = {};
  const warnings: FieldWarning[] = [];
  let corrupt: PhaseRecord["corrupt"] = null;
  for (const [phase, rec] of Object.entries(records)) {
    if (rec.value) files[phase] = rec.value;
    corrupt ??= rec.corrupt;
    for (const issue of rec.warnings) {
      warnings.push({
        field: formatJsonPath(["phases", phase, ...(issue.segments ?? [])]),
        expected: issue.expected,
        received: issue.received,
        source: "signal",
      });
    }
  }
  const derived = derivePipeline(files);
  const live = getKey(record.liveness, key);
  const job = jobOf(derived, live);
  const attention = derived.pipeline.attention ?? (job === "waiting-on-you" ? "waiting-on-you" : null);
  const pipeline: PipelineView = {
    ...derived.pipeline,
    job,
    attention,
    attentionSince: derived.pipeline.attention
      ? derived.pipeline.attentionSince
      : attention
        ? (live?.checkedAt ?? null)
        : null,
  };
  const l = getKey(record.logWorkers, key) ?? null;
  const signalPr = derived.pr
    ? { number: derived.pr.number, ...(derived.pr.url === null ? {} : { url: derived.pr.url }) }
    : null;
  const { pr, polled } = buildPr(ctx, signalPr, null, l?.pr);
  const readable = Object.keys(files).length > 0;
  const used = new Set<SourceKind>(["signal"]);
  if (l) used.add("log");
  if (polled) used.add("github");
  if (job !== "unknown") used.add("liveness");
  return {
    orchestrator: record.id,
    ticket: key,
    title: null,
    label: null,
    status: readable ? derived.status : CORRUPT_STATUS,
    phase: derived.columnIndex,
    wave: null,
    pid: null,
    alive: job === "alive" ? true : job === "dead" ? false : null,
    pr,
    startedAt: derived.startedAt,
    updatedAt: derived.updatedAt,
    completedAt: derived.completedAt,
    lastHeartbeat: null,
    phaseTimestamps: {},
    cost: sumCost(files),
    error: derived.failureReason,
    fixupCommit: null,
    followUpTo: null,
    needsAttention: attention !== null,
    attentionReason: attention,
    corrupt,
    warnings,
    sources: (["signal", "state", "log", "github", "liveness"] as const).filter((k) => used.has(k)),
    phaseName: derived.pipeline.phase,
    pipeline,
  };
}
