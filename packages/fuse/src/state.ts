import type {
  AttentionItem,
  BriefingMeta,
  CorruptMarker,
  GlobalState,
  HostView,
  LivenessResult,
  LocalState,
  NeedsYouItem,
  OrchestratorRef,
  OrchestratorSummary,
  PhaseSignal,
  PrStatus,
  SchemaIssue,
  WorkerSignal,
  WorkerView,
} from "@catalyst/schema";
import { emptyKeyedMap, type KeyedMap } from "./keyed-map.js";
import type { TicketOwners } from "./ticket-owners.js";

// Everything fuse remembers, as plain data (no Maps, no classes), so a state can be inspected,
// cloned with structuredClone or written to disk by a caller. Per-worker maps are KeyedMaps, so a
// change copies a small bucket rather than every worker. Raw inputs are kept beside the
// views last published from them; deltas are the difference between old and new views.

/** The last read of one signal file. `value` is the last good parse, kept when a later read fails. */
export interface SignalRecord {
  file: string;
  /** The filename without `.json`. */
  key: string;
  value: WorkerSignal | null;
  corrupt: CorruptMarker | null;
  /** Fields the tolerant parse dropped from `value` (empty when none). */
  warnings: SchemaIssue[];
}

/**
 * The last read of one per-phase file (`workers/<TICKET>/phase-<phase>.json`): an execution-core
 * phase signal or an orchestrate worker's overlay. `value` is the last good parse.
 */
export interface PhaseRecord {
  file: string;
  phase: string;
  value: PhaseSignal | null;
  corrupt: CorruptMarker | null;
  warnings: SchemaIssue[];
}

/** The last read of a state.json (local or global), with the last good value kept. */
export interface StateFileRecord<T> {
  file: string;
  value: T | null;
  corrupt: CorruptMarker | null;
  /** Fields the tolerant parse dropped from `value` (empty when none). */
  warnings: SchemaIssue[];
}

/** A status learned from the event log and when it was written. */
export interface TimedStatus {
  status: string;
  ts: string;
  tsMs: number;
  /** The worker phase (0..6) the event implies, when the status alone does not (today's phase names). */
  phase?: number;
}

/** Something the log says the operator must look at, raised on one worker (FORMATS-TODAY §1.7). */
export interface LogWorkerAttention {
  /** `needs-input`, `turn-cap-exhausted`, `escalated`, `context-pressure`, `attention`. */
  type: string;
  message: string;
  since: string;
  sinceMs: number;
}

/** An oversized-line tombstone naming this worker's event (FORMATS-TODAY R1.6): data was lost. */
export interface LogDataLoss {
  /** The dropped event's name as the tombstone gives it. */
  event: string;
  bytes: number | null;
  ts: string;
  /** How many tombstones named this worker. */
  count: number;
}

/** What the event log said about one worker. */
export interface WorkerLogFacts {
  status: TimedStatus | null;
  dispatchedAt: string | null;
  completedAt: string | null;
  lastTs: string | null;
  error: string | null;
  pr: {
    number: number | null;
    url: string | null;
    openedAt: string | null;
    mergedAt: string | null;
    /** Closed without a merge (`github.pr.closed`, merged false). */
    closedAt?: string | null;
    /** CI as the last completed check suite for this PR concluded (`passing` / `failing`). */
    ciStatus?: TimedStatus | null;
  } | null;
  phaseTimestamps: Record<string, string>;
  /** Open attention the log raised for this worker (needs input, turn cap, escalation). */
  attention?: LogWorkerAttention | null;
  /** The newest tombstone naming one of this worker's events. */
  dataLoss?: LogDataLoss | null;
  /** The newest line stamped beyond the clock-skew allowance; it was not folded in. */
  futureTs?: string | null;
}

/** One wave as the log described it (`wave-started`, `wave-completed`). */
export interface LogWave {
  tickets: string[];
  startedAt: string | null;
  completedAt: string | null;
}

/** What the event log said about one orchestrator. */
export interface OrchestratorLogFacts {
  startedAt: string | null;
  status: TimedStatus | null;
  completedAt: string | null;
  lastHeartbeat: string | null;
  lastTs: string | null;
  /** After an `archive` line the log alone no longer keeps the orchestrator in the fleet. */
  archived: boolean;
  waves: Record<string, LogWave>;
  /** Open attention items raised in the log, newest first (used when no state file has them). */
  attention: AttentionItem[];
}

/** An orchestrator view as last published: its own fields and its workers. */
export interface PublishedOrchestrator {
  summary: OrchestratorSummary;
  workers: KeyedMap<WorkerView>;
}

/** Everything known about one orchestrator, plus its last published view. */
export interface OrchestratorRecord {
  id: string;
  ref: OrchestratorRef | null;
  local: StateFileRecord<LocalState> | null;
  /** Signal file key → its last read. */
  signals: KeyedMap<SignalRecord>;
  /** Worker key → signal file keys that resolve to it (sorted). */
  workerFiles: KeyedMap<string[]>;
  /** Ticket → phase name → its phase file's last read (execution-core, or orchestrate overlays). */
  phases: KeyedMap<Record<string, PhaseRecord>>;
  log: OrchestratorLogFacts | null;
  logWorkers: KeyedMap<WorkerLogFacts>;
  liveness: KeyedMap<LivenessResult>;
  /** The view last published as deltas; null before the orchestrator first appeared. */
  view: PublishedOrchestrator | null;
  /** Worker key → its "needs you" rows (only workers that have some). */
  workerNeeds: KeyedMap<NeedsYouItem[]>;
  /** The orchestrator's own published "needs you" rows (attention items, unreadable state). */
  ownNeeds: NeedsYouItem[];
  /** Briefing file name → its metadata (`DASHBOARD.md`, `wave-<N>-briefing.md`). */
  briefings: Record<string, BriefingMeta>;
}

/**
 * What has been folded from one log file, so lines re-delivered after a `log-reset` (a truncated
 * file that grew again, a replaced one) are not applied twice (see log-file-marks.ts).
 */
export interface LogFileMark {
  /** Fingerprints of the last live lines folded from the file, oldest first (bounded). */
  prints: string[];
  /** Set by a `log-reset`: known lines are skipped until an unknown one arrives. */
  guard: boolean;
}

/** The whole fuse state: opaque to callers, but plain data. */
export interface FuseState {
  orchestrators: Record<string, OrchestratorRecord>;
  /**
   * Every global state.json read, by its file: one for a local catalyst dir, one per host for a
   * monitor that fuses several machines. An orchestrator's entry is looked up across them.
   */
  globals: Record<string, StateFileRecord<GlobalState>>;
  /** The hosts of a multi-machine monitor, as last given by a `hosts` input; null before any. */
  hosts: HostView[] | null;
  /** The fleet-level "needs you" row of a daily budget passed (`budget` input); null otherwise. */
  budgetRow: NeedsYouItem | null;
  /** PR poller answers keyed `owner/name#number`. */
  prStatuses: Record<string, PrStatus>;
  /** `orchestrator\u0000wave` of every wave-completed already emitted (never emitted twice). */
  wavesCompleted: Record<string, true>;
  /** The published `sourceErrors`. */
  sourceErrors: CorruptMarker[];
  /**
   * Event-log files with a problem, by path: a line dropped as oversized, or a log path that is not
   * a regular file. Cleared by that file's `log-reset`; at most {@link MAX_LOG_PROBLEMS} files.
   */
  logProblems: Record<string, CorruptMarker>;
  /** Log file path → what has been folded from it. */
  logFiles: Record<string, LogFileMark>;
  /**
   * Ticket → the orchestrators that have a worker with that key (published, or known from the log):
   * where an event that names only a ticket (v3, v1 reap lines, execution-core) is folded.
   */
  ticketOwners?: TicketOwners;
  /** Host → its newest `node.heartbeat` (FORMATS-TODAY R1.31); liveness is derived at snapshot time. */
  nodes?: Record<string, NodeHeartbeat>;
  /**
   * Liveness answers for orchestrators with no record yet (a central monitor can read a host's
   * answer before the files that make its orchestrator exist), handed to the record when it
   * appears. Bounded; see pending-liveness.ts.
   */
  pendingLiveness?: PendingLiveness;
}

/** Parked liveness answers: orchestrator id → worker key → answer and the order it was parked in. */
export interface PendingLiveness {
  answers: KeyedMap<{ workers: Record<string, { result: LivenessResult; at: number }> }>;
  count: number;
  /** Their size as JSON (ids and keys included), roughly. */
  bytes: number;
  /** The next parking order number. */
  next: number;
}

/** The newest `node.heartbeat` of one host. */
export interface NodeHeartbeat {
  lastHeartbeat: string;
  lastMs: number;
  /** `catalyst.node.in_flight_count`, when the heartbeat carried it. */
  inFlight: number | null;
}

/** How many log files can carry a problem marker at once (bounded like every buffer). */
export const MAX_LOG_PROBLEMS = 16;

/** An empty fleet. */
export function createInitialState(): FuseState {
  return {
    orchestrators: {},
    globals: {},
    hosts: null,
    budgetRow: null,
    prStatuses: {},
    wavesCompleted: {},
    sourceErrors: [],
    logProblems: {},
    logFiles: {},
  };
}

/** A fresh record for an orchestrator first named by some input. */
export function createOrchestratorRecord(id: string): OrchestratorRecord {
  return {
    id,
    ref: null,
    local: null,
    signals: emptyKeyedMap(),
    workerFiles: emptyKeyedMap(),
    phases: emptyKeyedMap(),
    log: null,
    logWorkers: emptyKeyedMap(),
    liveness: emptyKeyedMap(),
    view: null,
    workerNeeds: emptyKeyedMap(),
    ownNeeds: [],
    briefings: {},
  };
}

/** The worker key a signal file resolves to: its ticket when non-empty, else the file key (FORMATS §2.7). */
export function workerKeyOf(record: SignalRecord): string {
  const ticket = record.value?.ticket;
  return typeof ticket === "string" && ticket !== "" ? ticket : record.key;
}
