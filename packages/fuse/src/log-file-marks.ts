import type { LogRecord } from "@catalyst/schema";
import { ownValue } from "./own-property.js";
import type { FuseState, LogFileMark } from "./state.js";

// A log only grows, so every line folded from a file is older than or as old as the newest one
// folded. After a `log-reset` (truncated and regrown, or replaced) the tailer reads the file again
// from the start: a line not newer than the mark was folded already and is skipped, lines stamped
// exactly at the mark are compared by text. The first newer line lifts the guard.
// Said plainly: while guarded, a genuinely new line stamped earlier than the newest folded one
// (writers are only roughly in time order) is taken for a re-delivered one and skipped.

const MAX_TEXTS_AT_MAX = 256;

/** True when `record` should be folded; updates the file's mark in `state` (copy on write). */
export function admitLogRecord(state: FuseState, record: LogRecord): boolean {
  const tsMs = record.event.tsMs;
  if (!Number.isFinite(tsMs)) return true;
  const mark = ownValue(state.logFiles, record.file);
  if (
    mark?.guard &&
    (tsMs < mark.maxTsMs || (tsMs === mark.maxTsMs && mark.textsAtMax.includes(record.text)))
  ) {
    return false;
  }
  let next: LogFileMark;
  if (!mark || tsMs > mark.maxTsMs) next = { maxTsMs: tsMs, textsAtMax: [record.text], guard: false };
  else if (tsMs === mark.maxTsMs && mark.textsAtMax.length < MAX_TEXTS_AT_MAX)
    next = { ...mark, textsAtMax: [...mark.textsAtMax, record.text] };
  else next = mark;
  if (next !== mark) state.logFiles = { ...state.logFiles, [record.file]: next };
  return true;
}
