import type { EventLine, NormalizedEvent } from "./event-line.js";
import type { GlobalState } from "./global-state.js";
import type { LocalState } from "./local-state.js";
import type { ParseResult } from "./parse-result.js";
import type { PhaseSignal } from "./phase-signal.js";
import type { LivenessResult, PrStatus } from "./poller-results.js";
import type { HostView } from "./snapshot.js";
import type { WorkerSignal } from "./worker-signal.js";

// The plain-data contract between the packages: @catalyst/sources produces these, the pollers
// produce PrStatus and LivenessResult, and @catalyst/fuse consumes all of them as FuseInput.

/** An orchestrator directory found under `runs/` or `wt/` (FORMATS §5.2). */
export interface OrchestratorRef {
  /** The directory basename. */
  id: string;
  /** Depth-1 parent name under `wt/`, else `default`. */
  workspace: string;
  /** Absolute path of the orchestrator directory (the one holding `workers/`). */
  path: string;
  /** `execution-core`: the execution-core daemon's dir, `$CATALYST_DIR/execution-core` (FORMATS-TODAY §3). */
  source: "runs" | "wt" | "execution-core";
  /**
   * The machine it runs on, set by a relay consumer that reads several hosts (then `id` and `path`
   * are namespaced by host); absent for a local catalyst dir.
   */
  host?: string;
}

/** One signal file read. `key` is the filename without `.json` (the fallback worker key). */
export interface SignalFileRead {
  orchestrator: string;
  key: string;
  file: string;
  result: ParseResult<WorkerSignal>;
}

/**
 * One per-phase file read, `<orch-dir>/workers/<TICKET>/phase-<phase>.json`: an execution-core
 * phase signal (FORMATS-TODAY §3.2) or an orchestrate worker's per-phase overlay (§2.3).
 */
export interface PhaseFileRead {
  orchestrator: string;
  /** The ticket directory's name. */
  ticket: string;
  /** The phase from the file name (`phase-<phase>.json`). */
  phase: string;
  file: string;
  result: ParseResult<PhaseSignal>;
}

/** The orchestrator-local `state.json` read. */
export interface LocalStateRead {
  orchestrator: string;
  file: string;
  result: ParseResult<LocalState>;
}

/** The global `$CATALYST_DIR/state.json` read. */
export interface GlobalStateRead {
  file: string;
  result: ParseResult<GlobalState>;
}

/** A briefing document found in an orchestrator directory (`DASHBOARD.md`, `wave-<N>-briefing.md`). */
export interface BriefingFileRead {
  orchestrator: string;
  file: string;
  /** N for `wave-<N>-briefing.md`, null for `DASHBOARD.md`. */
  wave: number | null;
  bytes: number;
  /** The file's mtime as ISO 8601, or null when unknown. */
  modifiedAt: string | null;
}

/** One complete event-log line, with where it came from. */
export interface LogRecord {
  file: string;
  /** Byte offset of the line's first byte in `file`. */
  offset: number;
  /** The line as written, without its newline. */
  text: string;
  line: EventLine;
  event: NormalizedEvent;
}

/** A change seen by the sources watcher (or read at start-up). */
export type SourceChange =
  | { kind: "orchestrator-added"; orchestrator: OrchestratorRef }
  | { kind: "orchestrator-removed"; id: string }
  | ({ kind: "signal" } & SignalFileRead)
  | { kind: "signal-removed"; orchestrator: string; key: string; file: string }
  | ({ kind: "phase-signal" } & PhaseFileRead)
  | { kind: "phase-signal-removed"; orchestrator: string; ticket: string; phase: string; file: string }
  | ({ kind: "local-state" } & LocalStateRead)
  | { kind: "local-state-removed"; orchestrator: string; file: string }
  | ({ kind: "briefing" } & BriefingFileRead)
  | { kind: "briefing-removed"; orchestrator: string; file: string; wave: number | null }
  | ({ kind: "global-state" } & GlobalStateRead)
  | { kind: "global-state-removed"; file: string }
  | {
      kind: "log-lines";
      records: LogRecord[];
      /** History read at start-up rather than appended live: folded in, but not re-announced. */
      replayed?: boolean;
    }
  | { kind: "log-reset"; file: string; reason: "truncated" | "replaced" | "deleted" }
  | {
      kind: "log-skipped";
      file: string;
      offset: number;
      /** `unreadable`: the log path is not a regular file (a directory, a FIFO); offset is 0. */
      reason: "invalid" | "oversized" | "unreadable";
      detail: string;
    };

/** Everything fuse accepts: source changes, poller answers, and a clock tick for time-based rules. */
export type FuseInput =
  | SourceChange
  | { kind: "pr-status"; status: PrStatus }
  | { kind: "liveness"; orchestrator: string; worker: string; result: LivenessResult }
  /**
   * Re-evaluates the time-based rules (stalls). Whole, every worker; with `part: [k, n]`, only the
   * orchestrators whose place in fuse's list is k modulo n, so a wiring can spread one pass over
   * n applies instead of holding the event loop for the whole fleet at once (issue 26).
   */
  | { kind: "tick"; part?: readonly [index: number, of: number] }
  /**
   * The hosts of a monitor that fuses several machines, whole and sorted, each marked stale or not
   * by the wiring (fuse has no clock). Published as a `hosts` delta when it differs.
   */
  | { kind: "hosts"; hosts: HostView[] }
  /**
   * The daily budget (`catalyst-monitor --budget-usd`): `over` while today's spend is past the
   * limit, null otherwise. Fuse has no clock and no spend history: the wiring decides, fuse keeps
   * the fleet-level `budget` row of the "needs you" list and publishes it when it changes.
   */
  | { kind: "budget"; over: { limitUsd: number; spentUsd: number; since: string } | null };
