import {
  columnOfPhase,
  type PhaseSignal,
  type PhaseSpan,
  PIPELINE_COLUMNS,
  PIPELINE_PHASES,
  type PipelineView,
} from "@catalyst/schema";
import { ownValue } from "./own-property.js";
import { msOf, newestTimestamp, timestampOrNull } from "./time.js";

// How the HEAD board derives one execution-core ticket (FORMATS-TODAY §3.4, `board-data.mjs@d8fab3b4`).
// Pure: the phase files of one ticket in, the derived state out. Each rule is labelled R3.n.

/**
 * R3.8: "terminal" differs by reader. This derivation mirrors the board's `TERMINAL` set, so
 * `turn-cap-exhausted`, `needs-input`, `awaiting-work`, `preempted`, `aborted` and `needs-human`
 * are "current" (still the ticket's phase), unlike the execution-core signal reader.
 */
export const BOARD_TERMINAL: ReadonlySet<string> = new Set([
  "done",
  "failed",
  "stalled",
  "skipped",
  "signal_corrupt",
  "superseded",
  "canceled",
]);

/** The status of a phase file as the board reads it: `status || "unknown"` (R3.10). */
export function statusOf(signal: PhaseSignal): string {
  return typeof signal.status === "string" && signal.status !== "" ? signal.status : "unknown";
}

/** A ticket's phase files by phase name (only those with a readable value). */
export type PhaseFiles = Readonly<Record<string, PhaseSignal>>;

/** The current phase as `deriveCurrentPhase` gives it. */
export interface CurrentPhase {
  phase: string;
  status: string;
  /** The file the phase came from; null for "no signals at all". */
  signal: PhaseSignal | null;
  failureReason: string | null;
}

function failureOf(signal: PhaseSignal | null): string | null {
  if (!signal) return null;
  return signal.failureReason ?? signal.attentionReason ?? signal.stalledReason ?? null;
}

/**
 * R3.10: the first present phase in pipeline order whose status is not terminal; when all are
 * terminal, the last one if it failed or stalled, `done` after teardown, else the last terminal
 * phase (a gap stays at the last phase written). No phase files: (`triage`, `unknown`).
 */
export function deriveCurrentPhase(files: PhaseFiles): CurrentPhase {
  let last: { phase: string; status: string; signal: PhaseSignal; index: number } | null = null;
  for (let index = 0; index < PIPELINE_PHASES.length; index++) {
    const phase = PIPELINE_PHASES[index]!;
    const signal = ownValue(files, phase);
    if (!signal) continue;
    const status = statusOf(signal);
    if (!BOARD_TERMINAL.has(status)) return { phase, status, signal, failureReason: failureOf(signal) };
    last = { phase, status, signal, index };
  }
  if (last === null) return { phase: "triage", status: "unknown", signal: null, failureReason: null };
  if (last.status === "failed" || last.status === "stalled") {
    return {
      phase: last.phase,
      status: last.status,
      signal: last.signal,
      failureReason: failureOf(last.signal),
    };
  }
  if (last.index === PIPELINE_PHASES.length - 1) {
    return { phase: "done", status: last.status, signal: last.signal, failureReason: failureOf(last.signal) };
  }
  return {
    phase: last.phase,
    status: last.status,
    signal: last.signal,
    failureReason: failureOf(last.signal),
  };
}

/**
 * R3.11: a non-terminal `remediate` is the current phase; a terminal one is when it was written
 * after the current phase's file (or that has no `updatedAt`). We compare parsed times, never
 * strings (R0.1), where the board compares the strings.
 */
export function applyRemediate(current: CurrentPhase, files: PhaseFiles): CurrentPhase {
  const remediate = ownValue(files, "remediate");
  if (!remediate) return current;
  const status = statusOf(remediate);
  const take = { phase: "remediate", status, signal: remediate, failureReason: failureOf(remediate) };
  if (!BOARD_TERMINAL.has(status)) return take;
  const remMs = msOf(timestampOrNull(remediate.updatedAt) ?? timestampOrNull(remediate.completedAt));
  const curMs = msOf(timestampOrNull(current.signal?.updatedAt));
  if (Number.isNaN(curMs) || (Number.isFinite(remMs) && remMs > curMs)) return take;
  return current;
}

/** R3.15: the host name cut to its first label (`mini.example.com` → `mini`). */
export function shortHost(name: string): string {
  const cut = name.indexOf(".");
  return cut > 0 ? name.slice(0, cut) : name;
}

function hostOf(signal: PhaseSignal | null | undefined): string | null {
  const name = signal?.host?.name;
  return typeof name === "string" && name !== "" ? shortHost(name) : null;
}

/** R3.17: the bg job id of a phase file (`bg_job_id`, else the camelCase `bgJobId`). */
export function jobIdOf(signal: PhaseSignal | null | undefined): string | null {
  const id = signal?.bg_job_id ?? signal?.bgJobId ?? null;
  return typeof id === "string" && id !== "" ? id : null;
}

/** The phases whose job is worth checking: a job runs for them (`dispatched`, `running`, a self-wait). */
export const JOB_CHECKED_STATUSES: ReadonlySet<string> = new Set(["dispatched", "running", "awaiting-work"]);

/** R3.6: a yield is bounded at 30 minutes from `firstYieldedAt`; `yieldMs` may shorten it, never lengthen. */
export const YIELD_CEILING_MS = 30 * 60_000;

/**
 * When an `awaiting-work` phase's bounded wait ends. A present but unparseable `firstYieldedAt`
 * counts as expired (the schema says so): the deadline is then the file's own last write.
 */
export function yieldDeadlineOf(signal: PhaseSignal): string | null {
  const anchor = signal.firstYieldedAt ?? signal.yieldedAt;
  const window = Math.min(
    typeof signal.yieldMs === "number" && signal.yieldMs > 0 ? signal.yieldMs : YIELD_CEILING_MS,
    YIELD_CEILING_MS,
  );
  const ms = msOf(timestampOrNull(anchor));
  if (Number.isFinite(ms)) return new Date(ms + window).toISOString();
  if (anchor !== undefined && anchor !== null && anchor !== "") {
    return timestampOrNull(signal.updatedAt) ?? timestampOrNull(signal.startedAt);
  }
  return null;
}

/** Every phase file in pipeline order, then the ancillary ones (R3.9), for the timeline (R3.15). */
export function phaseSpansOf(files: PhaseFiles): PhaseSpan[] {
  const out: PhaseSpan[] = [];
  for (const phase of [...PIPELINE_PHASES, "remediate", "recovery-pass"]) {
    const signal = ownValue(files, phase);
    if (!signal) continue;
    const status = statusOf(signal);
    const stamped = signal.phaseTimestamps ? ownValue(signal.phaseTimestamps, status) : undefined;
    out.push({
      phase,
      status,
      startedAt: timestampOrNull(signal.startedAt),
      completedAt:
        timestampOrNull(signal.completedAt) ?? (BOARD_TERMINAL.has(status) ? timestampOrNull(stamped) : null),
      updatedAt: timestampOrNull(signal.updatedAt),
    });
  }
  return out;
}

/** The derived state of one ticket, before liveness and PR polling are applied. */
export interface DerivedPipeline {
  pipeline: Omit<PipelineView, "job">;
  /** The status the worker view shows (see README: `between-phases`, `done`). */
  status: string;
  /** The column's index, 0 Triage … 6 Done: the worker view's integer `phase`. */
  columnIndex: number;
  failureReason: string | null;
  /** R3.15: newest `updatedAt || completedAt` over the pipeline files. */
  updatedAt: string | null;
  startedAt: string | null;
  completedAt: string | null;
  /** R3.15: the first PR among phase-pr, monitor-merge, monitor-deploy. */
  pr: { number: number; url: string | null } | null;
  /** The current signal's job, checked when a job runs for that phase. */
  checkJob: boolean;
}

/** R3.14 without the PR-stuck rule and the Linear label (not read here; see the README). */
function needsHumanSince(
  files: PhaseFiles,
  current: CurrentPhase,
): { needed: boolean; since: string | null } {
  let needed = false;
  const anchors: Array<string | null> = [];
  for (const [phase, signal] of Object.entries(files)) {
    const status = statusOf(signal);
    anchors.push(timestampOrNull(signal.needsHumanSince));
    // Any phase failed or stalled while the ticket is not done; an escalation (recovery-pass)
    // or a park (needs-input, which applies the needs-input label in Catalyst) asks a human too.
    if ((status === "failed" || status === "stalled") && current.phase !== "done") needed = true;
    if (status === "needs-human" || (status === "needs-input" && phase === current.phase)) needed = true;
  }
  if (!needed) return { needed, since: null };
  return {
    needed,
    since:
      newestTimestamp(...anchors) ??
      timestampOrNull(current.signal?.updatedAt) ??
      timestampOrNull(current.signal?.completedAt),
  };
}

/** Derive one execution-core ticket from its phase files (R3.9–R3.15). */
export function derivePipeline(files: PhaseFiles): DerivedPipeline {
  const current = applyRemediate(deriveCurrentPhase(files), files);
  const column = columnOfPhase(current.phase);
  const columnIndex = PIPELINE_COLUMNS.indexOf(column);
  // The signal the host, job and generation come from: the current one, else the latest terminal.
  let latest: PhaseSignal | null = current.signal;
  let generation: number | null =
    typeof current.signal?.generation === "number" ? current.signal.generation : null;
  let updatedAt: string | null = null;
  let startedAt: string | null = null;
  for (const phase of PIPELINE_PHASES) {
    const signal = ownValue(files, phase);
    if (!signal) continue;
    latest ??= signal;
    if (generation === null && typeof signal.generation === "number") generation = signal.generation;
    updatedAt = newestTimestamp(
      updatedAt,
      timestampOrNull(signal.updatedAt) ?? timestampOrNull(signal.completedAt),
    );
    if (startedAt === null) startedAt = timestampOrNull(signal.startedAt);
  }
  let pr: DerivedPipeline["pr"] = null;
  for (const phase of ["pr", "monitor-merge", "monitor-deploy"]) {
    const number = ownValue(files, phase)?.pr?.number;
    if (typeof number === "number") {
      pr = { number, url: ownValue(files, phase)?.pr?.url ?? null };
      break;
    }
  }
  const attention = needsHumanSince(files, current);
  const none = current.signal === null;
  const finished = current.phase === "done";
  // The board's lane `between-phases`: every phase so far is finished and the next is not dispatched.
  const between = !finished && !none && (current.status === "done" || current.status === "skipped");
  const status = finished ? "done" : between ? "between-phases" : current.status;
  return {
    pipeline: {
      phase: current.phase,
      phaseStatus: current.status,
      column,
      attention: attention.needed ? "needs-human" : null,
      attentionSince: attention.since,
      jobId: jobIdOf(current.signal),
      host: hostOf(current.signal) ?? hostOf(latest),
      generation,
      yieldDeadline:
        current.signal && current.status === "awaiting-work" ? yieldDeadlineOf(current.signal) : null,
      phases: phaseSpansOf(files),
    },
    status,
    columnIndex,
    failureReason: current.failureReason,
    updatedAt,
    startedAt,
    completedAt: finished
      ? (timestampOrNull(current.signal?.completedAt) ?? timestampOrNull(current.signal?.updatedAt))
      : null,
    pr,
    checkJob:
      current.signal !== null && JOB_CHECKED_STATUSES.has(current.status) && jobIdOf(current.signal) !== null,
  };
}
