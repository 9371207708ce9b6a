import { compileFastValid } from "./fast-valid.js";
import { GlobalState, OrchestratorEntry } from "./global-state.js";
import { LocalState } from "./local-state.js";
import { invalidJson, jsonDepth, MAX_JSON_DEPTH, type ParseResult, parseJsonText } from "./parse-result.js";
import { JobState, PhaseSignal } from "./phase-signal.js";
import { phaseOfStatus } from "./status.js";
import { parseTolerant, type TolerancePolicy } from "./tolerant-parse.js";
import { WorkerSignal } from "./worker-signal.js";

/** The status a signal file gets when its own is missing or not a string. */
export const UNKNOWN_STATUS = "unknown";

// A signal file's identity is its ticket: without one it is corrupt. A bad status or phase gets a
// stand-in (the phase from the status when it is a lifecycle one), everything else is dropped.
export const signalPolicy: TolerancePolicy = {
  isIdentity: (path) => path.length === 1 && path[0] === "ticket",
  fallback: (path, doc) => {
    if (path.length !== 1) return undefined;
    if (path[0] === "status") return UNKNOWN_STATUS;
    if (path[0] === "phase") return typeof doc.status === "string" ? (phaseOfStatus(doc.status) ?? 0) : 0;
    return undefined;
  },
};

// The state.json documents zod would accept unchanged skip zod (fast-valid.ts); anything else goes
// to zod. Signal files always go through zod: with the fast check on them, a monitor's live writes
// at 2,000 workers showed p99 up to 3.8 times the plain-server floor (quiet, 5 of 5 runs) and back
// within 2 times without it (10 of 10), though the check itself accepts those writes cheaply; see
// BENCHMARKS.md "The 2,000-worker write tail". A state.json is one file per orchestrator.
const globalValid = compileFastValid(GlobalState);
const entryValid = compileFastValid(OrchestratorEntry);
const localValid = compileFastValid(LocalState);

// state.json entries are all optional: a bad field is dropped from its entry, never the whole file.
export const statePolicy: TolerancePolicy = { isIdentity: () => false };

/**
 * Parse the text of a worker signal file. Torn, empty or non-object text, or a missing or
 * non-string `ticket`, is an issue naming the file; a bad optional field is dropped and reported
 * in `warnings`, so the worker keeps its status, phase and PR.
 */
export function parseSignalText(text: string, file?: string): ParseResult<WorkerSignal> {
  return parseJsonText(WorkerSignal, text, file, (decoded) =>
    parseTolerant(WorkerSignal, decoded, signalPolicy, file),
  );
}

/** Parse the text of the global `state.json`; a bad field of an entry is dropped with a warning. */
export function parseGlobalStateText(text: string, file?: string): ParseResult<GlobalState> {
  return parseJsonText(GlobalState, text, file, (decoded) =>
    globalValid(decoded)
      ? { ok: true, value: decoded as GlobalState }
      : parseTolerant(GlobalState, decoded, statePolicy, file),
  );
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/**
 * {@link parseGlobalStateText} in steps, for a caller that gives the event loop a turn between
 * them (issue 26: at 10,000 workers the global `state.json` is ~4 MB, and its nesting check,
 * decode and check ran as one block of ~100 ms). Yields after the nesting check, after the decode
 * and after each orchestrator entry checked; returns the result `parseGlobalStateText` gives for
 * the same text. A document the fast check does not accept as it is (a bad field, a stray shape)
 * goes to zod's tolerant parse whole, in the last step, as before.
 */
export function* parseGlobalStateSteps(
  text: string,
  file?: string,
): Generator<undefined, ParseResult<GlobalState>, undefined> {
  if (text.trim() === "" || jsonDepth(text, MAX_JSON_DEPTH) > MAX_JSON_DEPTH)
    return parseGlobalStateText(text, file);
  yield;
  let decoded: unknown;
  try {
    decoded = JSON.parse(text);
  } catch (cause) {
    return invalidJson(text, file, cause);
  }
  yield;
  const whole = (): ParseResult<GlobalState> =>
    globalValid(decoded)
      ? { ok: true, value: decoded as GlobalState }
      : parseTolerant(GlobalState, decoded, statePolicy, file);
  if (!isPlainObject(decoded) || !Object.hasOwn(decoded, "orchestrators")) return whole();
  const orchestrators = decoded.orchestrators;
  // The fast check of the record, one entry a step (fast-valid's record rule: a plain object,
  // no `__proto__` key, every value an entry); the rest of the document with an empty record.
  if (!isPlainObject(orchestrators) || !globalValid({ ...decoded, orchestrators: {} })) return whole();
  for (const key in orchestrators) {
    if (key === "__proto__" || !entryValid(orchestrators[key])) return whole();
    yield;
  }
  return { ok: true, value: decoded as GlobalState };
}

/** Parse the text of an orchestrator-local `state.json`; a bad field is dropped with a warning. */
export function parseLocalStateText(text: string, file?: string): ParseResult<LocalState> {
  return parseJsonText(LocalState, text, file, (decoded) =>
    localValid(decoded)
      ? { ok: true, value: decoded as LocalState }
      : parseTolerant(LocalState, decoded, statePolicy, file),
  );
}

// A phase file names its ticket and phase by its path, so no field is its identity (R3.4).
const phasePolicy: TolerancePolicy = { isIdentity: () => false };

/**
 * Parse the text of an execution-core phase file or a per-phase overlay
 * (`workers/<TICKET>/phase-<name>.json`, FORMATS-TODAY §3.2). Only torn, empty or non-object text
 * is an issue; a bad field is dropped and reported in `warnings`.
 */
export function parsePhaseSignalText(text: string, file?: string): ParseResult<PhaseSignal> {
  return parseJsonText(PhaseSignal, text, file, (decoded) =>
    parseTolerant(PhaseSignal, decoded, phasePolicy, file),
  );
}

/** Parse the text of a Claude Code job `state.json` (FORMATS-TODAY §3.5). */
export function parseJobStateText(text: string, file?: string): ParseResult<JobState> {
  return parseJsonText(JobState, text, file, (decoded) =>
    parseTolerant(JobState, decoded, phasePolicy, file),
  );
}
