import type { NeedsYouItem, Snapshot } from "./snapshot.js";
import type { Delta } from "./sse-events.js";

// Zod-free values and types: event names, statuses, lifecycle order and the status → phase map.
// Browser code and other light consumers import this entry (`@catalyst/schema/constants`) so
// that zod stays out of their bundles; the schemas in this package build on the same lists.

/** The success path of a worker, in order (FORMATS §2.3); `failed` may replace any step after dispatch. */
export const WORKER_LIFECYCLE = [
  "dispatched",
  "researching",
  "planning",
  "implementing",
  "validating",
  "shipping",
  "pr-created",
  "merging",
  "done",
] as const;

/**
 * Worker statuses we know: the lifecycle, followed by side and later states (FORMATS §2.3).
 * Writers use values outside any enum (§8.12), so a status is always kept as its raw string.
 */
export const KNOWN_WORKER_STATUSES = [
  ...WORKER_LIFECYCLE,
  "failed",
  "stalled",
  "remediation",
  "in_progress",
  "merged",
  "superseded",
  "canceled",
  "deploying",
  "deploy-failed",
  // FORMATS-TODAY §2.2 (CTL-484): a continuation is pending, so not terminal.
  "turn-cap-exhausted",
] as const;
export type KnownWorkerStatus = (typeof KNOWN_WORKER_STATUSES)[number];

// FORMATS §2.3: the phase each lifecycle status is written with (oneshot mapping); `merged` is the
// monitor's display status for a merged PR, in phase 6 like `done`.
const PHASE_BY_STATUS: ReadonlyMap<string, number> = new Map([
  ["dispatched", 0],
  ["researching", 1],
  ["planning", 2],
  ["implementing", 3],
  ["validating", 4],
  ["shipping", 5],
  ["pr-created", 5],
  ["merging", 6],
  ["done", 6],
  ["merged", 6],
]);

/** The phase a lifecycle status belongs to, or undefined for side and unknown statuses. */
export function phaseOfStatus(status: string): number | undefined {
  return PHASE_BY_STATUS.get(status);
}

/** Statuses after which a worker does no more work (union of the monitor's done sets, FORMATS §2.3). */
export const TERMINAL_WORKER_STATUSES: ReadonlySet<string> = new Set([
  "done",
  "merged",
  "failed",
  "stalled",
  "superseded",
  "canceled",
]);

/** Statuses excluded from progress denominators (`04373001`). */
export const ABANDONED_WORKER_STATUSES: ReadonlySet<string> = new Set(["superseded", "canceled"]);

const known: ReadonlySet<string> = new Set(KNOWN_WORKER_STATUSES);

/** True when the status is one of KNOWN_WORKER_STATUSES. */
export function isKnownWorkerStatus(status: string): status is KnownWorkerStatus {
  return known.has(status);
}

/** True when the status is terminal (the worker will not write again). */
export function isTerminalStatus(status: string): boolean {
  return TERMINAL_WORKER_STATUSES.has(status);
}

/**
 * The execution-core pipeline in order (FORMATS-TODAY R3.5, the board's `PHASE_ORDER`).
 * `remediate` and `recovery-pass` are ancillary and not in the order.
 */
export const PIPELINE_PHASES = [
  "triage",
  "research",
  "plan",
  "implement",
  "verify",
  "review",
  "pr",
  "monitor-merge",
  "monitor-deploy",
  "teardown",
] as const;
export type PipelinePhase = (typeof PIPELINE_PHASES)[number];

/** Phase files that are not in the pipeline order but still read (R3.9). */
export const ANCILLARY_PHASES = ["remediate", "recovery-pass"] as const;

/** The pipeline columns the board shows, in order (R3.12 `PHASE_TO_LINEAR`, without `Todo`). */
export const PIPELINE_COLUMNS = [
  "Triage",
  "Research",
  "Plan",
  "Implement",
  "Validate",
  "PR",
  "Done",
] as const;
export type PipelineColumn = (typeof PIPELINE_COLUMNS)[number];

const PHASE_TO_COLUMN: ReadonlyMap<string, PipelineColumn> = new Map([
  ["triage", "Triage"],
  ["research", "Research"],
  ["plan", "Plan"],
  ["implement", "Implement"],
  ["verify", "Validate"],
  ["remediate", "Validate"],
  ["review", "Validate"],
  ["pr", "PR"],
  ["monitor-merge", "PR"],
  ["monitor-deploy", "Done"],
  ["teardown", "Done"],
  ["done", "Done"],
]);

/** R3.12: the board column of a phase, `Research` for anything it does not map (as the board does). */
export function columnOfPhase(phase: string): PipelineColumn {
  return PHASE_TO_COLUMN.get(phase) ?? "Research";
}

/** Orchestrator statuses in global state (§3.2); others are kept verbatim. */
export const KNOWN_ORCHESTRATOR_STATUSES = ["active", "paused", "completed", "failed", "abandoned"] as const;

/** PR CI statuses written into signal files (§2.4); mixed values such as `passing,pending` occur. */
export const KNOWN_CI_STATUSES = ["pending", "passing", "failing", "merged", "unknown"] as const;

/** Attention types: the template enum plus values real writers pass (§3.5). */
export const KNOWN_ATTENTION_TYPES = [
  "needs-review",
  "verification-failed",
  "stalled",
  "merge-conflict",
  "ci-failing",
  "waiting-for-user",
  "remediation",
  "pr-closed",
  "merge-conflicts",
  "launch-failure",
  "fixup-budget-exhausted",
] as const;

/** Wave statuses seen in skills, tests and UI (§3.6). */
export const KNOWN_WAVE_STATUSES = [
  "provisioning",
  "blocked",
  "pending",
  "in_progress",
  "active",
  "complete",
  "failed",
] as const;

/** v1 event types: the template enums at 168b0093 and 1ce9444c plus values writers emit (§4.2). */
export const KNOWN_EVENT_TYPES = [
  "orchestrator-started",
  "orchestrator-completed",
  "orchestrator-failed",
  "orchestrator-paused",
  "orchestrator-resumed",
  "orchestrator-heartbeat",
  "orchestrator-status",
  "wave-started",
  "wave-completed",
  "worker-dispatched",
  "worker-status-change",
  "worker-phase-advanced",
  "worker-status-terminal",
  "worker-pr-created",
  "worker-pr-merged",
  "worker-done",
  "worker-failed",
  "worker-stalled",
  "worker-launch-failed",
  "worker-revived",
  "verification-started",
  "verification-passed",
  "verification-failed",
  "remediation-started",
  "attention-raised",
  "attention-resolved",
  "worker-usage-captured",
  "archive",
] as const;
export type KnownEventType = (typeof KNOWN_EVENT_TYPES)[number];

/** Every SSE event name: the seed's vocabulary plus the monitor's additions (see sse-events.ts). */
export const SSE_EVENT_NAMES = [
  "snapshot",
  "worker-update",
  "worker-removed",
  "pr-update",
  "liveness-change",
  "attention-raised",
  "wave-completed",
  "orchestrator-update",
  "orchestrator-removed",
  "needs-you",
  "log-event",
  "hosts",
] as const;
/**
 * The keep-alive event: `event: ka`, `data: {}`, no `id:` (the resume point does not move). A named
 * event rather than an SSE comment because a browser's EventSource never shows comments, and a
 * client's silence watchdog must see that a filtered stream matching nothing is still alive.
 */
export const SSE_KEEP_ALIVE_EVENT = "ka";

/**
 * The identity of a "needs you" row across `needs-you` deltas: one row per orchestrator, worker
 * and reason, and for `attention` rows also per message (one per attention type and ticket).
 */
export function needsYouKey(
  item: Pick<NeedsYouItem, "orchestrator" | "worker" | "reason" | "message">,
): string {
  const base = `${item.orchestrator}\u0000${item.worker ?? ""}\u0000${item.reason}`;
  return item.reason === "attention" ? `${base}\u0000${item.message}` : base;
}

/** An SSE event name. */
export type SseEventName = (typeof SSE_EVENT_NAMES)[number];

// Types only (erased at run time, so they bring no zod along).

export type { BriefingResponse, HealthResponse } from "./api.js";
export type {
  HostView,
  LoadingState,
  NeedsYouItem,
  OrchestratorView,
  PrView,
  Snapshot,
  WaveView,
  WorkerView,
} from "./snapshot.js";
export type { Delta, DeltaData } from "./sse-events.js";

// Contracts between members: one home for each shape that fuse, pollers, engine and sse-server pass
// between them (each member used to declare its own copy).

/** A pull request to poll on GitHub. */
export interface PrRef {
  /** `owner/name`. */
  repo: string;
  number: number;
}

/** A worker whose pid the liveness poller checks (fuse lists those with a pid and a live status). */
export interface LivenessTarget {
  orchestrator: string;
  worker: string;
  pid: number | null;
  /** The signal file's `startedAt` (dispatch time); used to spot a reused pid. */
  startedAt: string | null;
  /**
   * An execution-core worker's Claude Code bg job (FORMATS-TODAY §3.5): checked instead of the pid
   * (then `pid` is null).
   */
  jobId?: string;
}

/** What a server or an in-process view reads from fuse: the snapshot, the ring and live deltas (`Fuse` fits it). */
export interface DeltaFeed {
  snapshot(): Snapshot;
  lastId(): number;
  since(id: number): { ok: true; deltas: Delta[] } | { ok: false; reason: "gap" };
  subscribe(listener: (deltas: Delta[]) => void): () => void;
}
