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
  /** Written every `heartbeatMs` by a running publisher. */
  | { host: string; kind: "heartbeat"; at: string; intervalMs: number };
