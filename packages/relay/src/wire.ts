import type {
  GlobalState,
  LivenessResult,
  LocalState,
  OrchestratorRef,
  ParseResult,
  PhaseSignal,
  WorkerSignal,
} from "@catalyst/schema";

// What travels through the broker. Every message names its host; file paths are relative to the
// host's catalyst dir.

/** One event-log line on the stream. */
export interface LogMessage {
  host: string;
  file: string;
  generation: number;
  offset: number;
  text: string;
}

/** The most of a briefing's text that goes into its KV value (NATS caps a message at 1 MiB by default). */
export const MAX_RELAYED_BRIEFING_BYTES = 256 * 1024;
/** The most of a skipped line's detail that is relayed. */
export const MAX_RELAYED_DETAIL_CHARS = 1_000;

/** One KV value. */
export type StateMessage =
  | { host: string; kind: "orchestrator"; orchestrator: OrchestratorRef }
  | {
      host: string;
      kind: "signal";
      orchestrator: string;
      key: string;
      file: string;
      result: ParseResult<WorkerSignal>;
    }
  | {
      host: string;
      kind: "phase";
      orchestrator: string;
      ticket: string;
      phase: string;
      file: string;
      result: ParseResult<PhaseSignal>;
    }
  | { host: string; kind: "local-state"; orchestrator: string; file: string; result: ParseResult<LocalState> }
  | { host: string; kind: "global-state"; file: string; result: ParseResult<GlobalState> }
  /** A worker's pid (or execution-core job) check on its own host, written when the answer changes. */
  | { host: string; kind: "liveness"; orchestrator: string; worker: string; result: LivenessResult }
  /** A briefing (`DASHBOARD.md`, `wave-<N>-briefing.md`) with its text, cut at `MAX_RELAYED_BRIEFING_BYTES`. */
  | {
      host: string;
      kind: "briefing";
      orchestrator: string;
      file: string;
      wave: number | null;
      bytes: number;
      modifiedAt: string | null;
      /** Null when the file could not be read when it changed. */
      text: string | null;
      truncated: boolean;
    }
  /** The last line of a log file the host could not take (invalid, oversized, not a file), and how many so far. */
  | {
      host: string;
      kind: "skipped";
      file: string;
      offset: number;
      reason: "invalid" | "oversized" | "unreadable";
      detail: string;
      count: number;
    }
  /** Written every `heartbeatMs` by a running publisher. */
  | { host: string; kind: "heartbeat"; at: string; intervalMs: number };
