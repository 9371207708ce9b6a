import { z } from "zod";
import { AttentionItem } from "./global-state.js";
import { WorkerStatus } from "./status.js";
import { Timestamp } from "./timestamp.js";
import { Cost } from "./worker-signal.js";

const NullableTimestamp = Timestamp.nullable();

/** Where a piece of the fused view came from. */
export const SourceKind = z.enum(["signal", "state", "log", "github", "liveness"]);
export type SourceKind = z.infer<typeof SourceKind>;

/** Marks a view whose file could not be read: the last good state is kept beside it. */
export const CorruptMarker = z.object({
  file: z.string(),
  reason: z.string(),
  /** When the problem was first seen. */
  since: Timestamp,
});
export type CorruptMarker = z.infer<typeof CorruptMarker>;

/**
 * An optional field that was dropped (or a required one replaced) so the rest of a file could be
 * kept: where it was, what was expected and what arrived. `source` names the file kind.
 */
export const FieldWarning = z.object({
  /** JSON path inside the worker's own entry, e.g. `$.cost.inputTokens`. */
  field: z.string(),
  expected: z.string(),
  received: z.string(),
  source: SourceKind,
});
export type FieldWarning = z.infer<typeof FieldWarning>;

/**
 * A briefing document of an orchestrator: `wave-<N>-briefing.md` (`wave` = N) or `DASHBOARD.md`
 * (`wave` = null). Only metadata travels in the snapshot; the text is fetched on demand.
 */
export const BriefingMeta = z.object({
  wave: z.number().int().nullable(),
  /** The file's basename. */
  name: z.string(),
  bytes: z.number().int(),
  modifiedAt: NullableTimestamp,
});
export type BriefingMeta = z.infer<typeof BriefingMeta>;

/** GitHub's view of a pull request, as the PR poller last saw it. */
export const PrState = z.enum(["open", "closed", "merged", "unknown"]);
export type PrState = z.infer<typeof PrState>;

/** A worker's PR, fused from the signal file, global state, the log and the GitHub poller. */
export const PrView = z.object({
  number: z.number().int(),
  url: z.string().nullable(),
  /** `owner/name`, parsed from a github.com URL; null for other hosts. */
  repo: z.string().nullable(),
  state: PrState,
  /** `pending`, `passing`, `failing`, `merged`, `unknown`, or a raw value a writer used. */
  ciStatus: z.string(),
  openedAt: NullableTimestamp,
  mergedAt: NullableTimestamp,
  reviewDecision: z.string().nullable(),
  isDraft: z.boolean().nullable(),
  mergeable: z.string().nullable(),
  title: z.string().nullable(),
  /** When GitHub last answered for this PR; null if never polled. */
  checkedAt: NullableTimestamp,
  /** True when the last poll failed and these fields are older than `checkedAt` suggests. */
  stale: z.boolean(),
});
export type PrView = z.infer<typeof PrView>;

/** One phase of an execution-core ticket, for the timeline (FORMATS-TODAY R3.15). */
export const PhaseSpan = z.object({
  phase: z.string(),
  /** The file's status, `unknown` when it has none (R3.10). */
  status: z.string(),
  startedAt: NullableTimestamp,
  completedAt: NullableTimestamp,
  updatedAt: NullableTimestamp,
});
export type PhaseSpan = z.infer<typeof PhaseSpan>;

/** An execution-core ticket's pipeline state, derived as the board does (FORMATS-TODAY §3.4, §3.5). */
export const PipelineView = z.object({
  /** Current phase (R3.10, R3.11): a pipeline phase, `remediate`, or the synthetic `done`. */
  phase: z.string(),
  /** That phase's file status (`unknown` when missing). */
  phaseStatus: z.string(),
  /** R3.12 board column: Triage, Research, Plan, Implement, Validate, PR or Done. */
  column: z.string(),
  /** R3.14: `needs-human` beats `waiting-on-you` (a blocked job); null when nothing is asked. */
  attention: z.enum(["needs-human", "waiting-on-you"]).nullable(),
  attentionSince: NullableTimestamp,
  /** The current (else latest) phase's Claude Code bg job id (R3.17). */
  jobId: z.string().nullable(),
  /** R3.18/R3.19 from the job's state.json; `unknown` without a job id or before a check (never `dead`). */
  job: z.enum(["alive", "dead", "waiting-on-you", "unknown"]),
  /** Host of the current (else latest terminal) phase, cut to its first label (R3.15). */
  host: z.string().nullable(),
  generation: z.number().int().nullable(),
  /** For `awaiting-work`: when the bounded self-wait ends (`firstYieldedAt` + `yieldMs`, at most 30 min). */
  yieldDeadline: NullableTimestamp,
  /** Every phase file present, in pipeline order, then `remediate` and `recovery-pass`. */
  phases: z.array(PhaseSpan),
});
export type PipelineView = z.infer<typeof PipelineView>;

/** Signal fields added since the seed (FORMATS-TODAY §2.2, R2.4), shown when a file has them. */
export const SignalDetails = z.object({
  blockedSince: NullableTimestamp,
  continuationCount: z.number().int().nullable(),
  handoffPath: z.string().nullable(),
  postMergeVerification: z
    .object({
      result: z.string().nullable(),
      verifiedAt: NullableTimestamp,
      remediationTicket: z.string().nullable(),
    })
    .nullable(),
  fixupAttempts: z.number().int().nullable(),
  lastReviveReason: z.string().nullable(),
  stalledReason: z.string().nullable(),
  deploy: z
    .object({
      environment: z.string().nullable(),
      result: z.string().nullable(),
      completedAt: NullableTimestamp,
    })
    .nullable(),
});
export type SignalDetails = z.infer<typeof SignalDetails>;

/** One worker as the monitor shows it. */
export const WorkerView = z.object({
  orchestrator: z.string(),
  ticket: z.string(),
  title: z.string().nullable(),
  label: z.string().nullable(),
  status: WorkerStatus,
  phase: z.number().int(),
  wave: z.number().int().nullable(),
  pid: z.number().int().nullable(),
  /** Pid liveness: null when unknown (no pid, not checked yet, or the status is terminal). */
  alive: z.boolean().nullable(),
  pr: PrView.nullable(),
  startedAt: NullableTimestamp,
  updatedAt: NullableTimestamp,
  completedAt: NullableTimestamp,
  lastHeartbeat: NullableTimestamp,
  phaseTimestamps: z.record(z.string(), Timestamp),
  cost: Cost.nullable(),
  error: z.string().nullable(),
  /** SHA a fix-up worker pushed onto an already-open PR (FORMATS §2.5, recovery pattern A). */
  fixupCommit: z.string().nullable(),
  /** Parent ticket of a follow-up worker (recovery pattern B). */
  followUpTo: z.string().nullable(),
  needsAttention: z.boolean(),
  attentionReason: z.string().nullable(),
  corrupt: CorruptMarker.nullable(),
  /**
   * Fields dropped from an otherwise readable signal file or state.json entry, and times beyond the
   * 5-minute clock-skew allowance that were not trusted (`source` says where each came from).
   */
  warnings: z.array(FieldWarning),
  sources: z.array(SourceKind),
  /**
   * Set when an oversized-line tombstone named one of this worker's events (FORMATS-TODAY R1.6):
   * that event was dropped by the writer and is missing from the log. Absent when none did.
   */
  dataLoss: z
    .object({
      /** The dropped event's name, e.g. `phase.plan.complete.CTL-1`. */
      event: z.string(),
      bytes: z.number().int().nullable(),
      /** The tombstone's time. */
      ts: Timestamp,
      /** How many tombstones named this worker. */
      count: z.number().int(),
    })
    .optional(),
  /**
   * The phase by name: an orchestrate worker's per-phase overlay (FORMATS-TODAY R2.8), or an
   * execution-core ticket's current phase. Absent when no phase file names one.
   */
  phaseName: z.string().optional(),
  /** Present only for an execution-core ticket (then `phase` is the column's index, 0 Triage … 6 Done). */
  pipeline: PipelineView.optional(),
  /** Newer signal fields, present when the file has any of them. */
  details: SignalDetails.optional(),
});
export type WorkerView = z.infer<typeof WorkerView>;

/** A wave of an orchestrator (local state, or derived from the log). */
export const WaveView = z.object({
  wave: z.number().int(),
  status: z.string().nullable(),
  tickets: z.array(z.string()),
  completedAt: NullableTimestamp,
  dependsOn: z.array(z.number().int()),
});
export type WaveView = z.infer<typeof WaveView>;

/** Progress derived from the workers (superseded/canceled are left out of `total`). */
export const ProgressView = z.object({
  total: z.number().int(),
  done: z.number().int(),
  failed: z.number().int(),
  active: z.number().int(),
});
export type ProgressView = z.infer<typeof ProgressView>;

/** One orchestrator and its workers. */
export const OrchestratorView = z.object({
  id: z.string(),
  /**
   * The machine it runs on, when the monitor fuses several hosts (`catalyst-monitor --nats`); the
   * id is then `<host>/<id on that host>`. Absent for a monitor of one catalyst dir.
   */
  host: z.string().optional(),
  /** The depth-1 parent under `wt/`, or `default` (FORMATS §5.2). */
  workspace: z.string(),
  /** The orchestrator directory, when one was discovered on disk. */
  path: z.string().nullable(),
  status: z.string().nullable(),
  projectKey: z.string().nullable(),
  repository: z.string().nullable(),
  baseBranch: z.string().nullable(),
  startedAt: NullableTimestamp,
  updatedAt: NullableTimestamp,
  completedAt: NullableTimestamp,
  lastHeartbeat: NullableTimestamp,
  currentWave: z.number().int(),
  totalWaves: z.number().int(),
  waves: z.array(WaveView),
  progress: ProgressView,
  usage: Cost.nullable(),
  attention: z.array(AttentionItem),
  /** Set when the orchestrator-local state.json is unreadable; the last good one is kept. */
  corrupt: CorruptMarker.nullable(),
  /** `DASHBOARD.md` first, then wave briefings by wave; text via `/api/briefing`. */
  briefings: z.array(BriefingMeta),
  sources: z.array(SourceKind),
  workers: z.record(z.string(), WorkerView),
});
export type OrchestratorView = z.infer<typeof OrchestratorView>;

/** An orchestrator without its workers, as carried by `orchestrator-update`. */
export const OrchestratorSummary = OrchestratorView.omit({ workers: true });
export type OrchestratorSummary = z.infer<typeof OrchestratorSummary>;

/**
 * Why a worker needs the operator, most urgent first; `budget` is the fleet's: today's spend passed
 * the monitor's daily budget (its row has orchestrator "" and no worker).
 */
export const NeedsYouReason = z.enum(["attention", "failed", "dead", "stalled", "corrupt", "budget"]);
export type NeedsYouReason = z.infer<typeof NeedsYouReason>;

/** One row of the "needs you" panel. */
export const NeedsYouItem = z.object({
  orchestrator: z.string(),
  worker: z.string().nullable(),
  reason: NeedsYouReason,
  message: z.string(),
  since: NullableTimestamp,
});
export type NeedsYouItem = z.infer<typeof NeedsYouItem>;

/** While the monitor is still reading its sources at start-up: what it is doing and how far it got. */
export const LoadingState = z.object({
  /** `scanning`: the first read of every signal and state file; `history`: folding the event log. */
  phase: z.enum(["scanning", "history"]),
  /** Event-log lines folded in so far (0 while scanning). */
  records: z.number().int(),
  startedAt: Timestamp,
});
export type LoadingState = z.infer<typeof LoadingState>;

/** One publishing machine, when the monitor fuses several hosts through NATS (`--nats`). */
export const HostView = z.object({
  name: z.string(),
  /** The host's last heartbeat as the broker stamped it; null before the first one arrived. */
  lastHeartbeat: NullableTimestamp,
  /**
   * No heartbeat for longer than the monitor's stale threshold: the host is silent or gone. Its
   * workers keep their last known state; they are not marked dead.
   */
  stale: z.boolean(),
  /**
   * Lines this host's publisher could not take (its skipped-line markers: the count this run, and
   * in how many log files), as `catalyst-monitor hosts list` shows them; absent when there are none.
   */
  skipped: z
    .object({ lines: z.number().int().nonnegative(), files: z.number().int().nonnegative() })
    .optional(),
});
export type HostView = z.infer<typeof HostView>;

/**
 * A host running today's execution-core daemon, as its `node.heartbeat` lines say (FORMATS-TODAY
 * R1.31): `live` when the last heartbeat is at most 30 s old, `degraded` up to 5 min, else `offline`;
 * a heartbeat stamped in the future counts as age 0.
 */
export const NodeView = z.object({
  name: z.string(),
  lastHeartbeat: Timestamp,
  liveness: z.enum(["live", "degraded", "offline"]),
  /** Tickets in flight on it, as the last heartbeat said; null when it did not say. */
  inFlight: z.number().int().nullable(),
});
export type NodeView = z.infer<typeof NodeView>;

/** The fused fleet: the seed's `{orchestrators, generatedAt}` plus derived fields. */
export const Snapshot = z.object({
  generatedAt: Timestamp,
  orchestrators: z.array(OrchestratorView),
  needsYou: z.array(NeedsYouItem),
  /** Problems with files that belong to no single worker (global state.json). */
  sourceErrors: z.array(CorruptMarker),
  /**
   * Present only while the monitor is still loading at start-up: the snapshot is then the fleet
   * read so far, and a snapshot without it follows when loading is done.
   */
  loading: LoadingState.optional(),
  /** Present only when the monitor fuses several hosts (`--nats`): every host seen, sorted by name. */
  hosts: z.array(HostView).optional(),
  /**
   * Present when the event log carries `node.heartbeat` lines: every such host, sorted by name,
   * with its liveness at `generatedAt`.
   */
  nodes: z.array(NodeView).optional(),
  /**
   * Present only on a historical answer (`GET /api/snapshot?at=`, issue 25): the fleet as the event
   * log had it at this time, folded from the log alone (no signal files, no pollers).
   */
  at: Timestamp.optional(),
});
export type Snapshot = z.infer<typeof Snapshot>;
