import { GlobalState } from "./global-state.js";
import { LocalState } from "./local-state.js";
import { type ParseResult, parseJsonText } from "./parse-result.js";
import { WorkerSignal } from "./worker-signal.js";

/** Parse the text of a worker signal file; torn, empty or invalid text becomes an issue naming the file. */
export function parseSignalText(text: string, file?: string): ParseResult<WorkerSignal> {
  return parseJsonText(WorkerSignal, text, file);
}

/** Parse the text of the global `state.json`. */
export function parseGlobalStateText(text: string, file?: string): ParseResult<GlobalState> {
  return parseJsonText(GlobalState, text, file);
}

/** Parse the text of an orchestrator-local `state.json`. */
export function parseLocalStateText(text: string, file?: string): ParseResult<LocalState> {
  return parseJsonText(LocalState, text, file);
}
