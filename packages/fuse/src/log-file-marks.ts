import type { LogRecord } from "@catalyst/schema";
import { ownValue } from "./own-property.js";
import type { FuseState, LogFileMark } from "./state.js";

// A log only grows, so every line folded from a file is older than or as old as the newest one
// folded. After a `log-reset` (truncated and regrown, or replaced) the tailer reads the file again
// from the start: while the reset's guard is up, a line older than the newest folded one, or as
// old and at an offset not past the last folded line's, was folded already and is skipped. The
// first newer line lifts the guard. The mark is a few numbers per file, whatever the line sizes.
// Said plainly: while guarded, a genuinely new line stamped earlier than the newest folded one
// (writers are only roughly in time order), or in the same second and written at a lower offset,
// is taken for a re-delivered one and skipped.

/** True when `record` should be folded; updates the file's mark in `state` (copy on write). */
export function admitLogRecord(state: FuseState, record: LogRecord): boolean {
  const tsMs = record.event.tsMs;
  if (!Number.isFinite(tsMs)) return true;
  const mark = ownValue(state.logFiles, record.file);
  if (mark?.guard && (tsMs < mark.maxTsMs || (tsMs === mark.maxTsMs && record.offset <= mark.lastOffset))) {
    return false;
  }
  let next: LogFileMark;
  if (!mark || mark.guard)
    next = { maxTsMs: Math.max(tsMs, mark?.maxTsMs ?? tsMs), lastOffset: record.offset, guard: false };
  else if (tsMs > mark.maxTsMs || record.offset > mark.lastOffset)
    next = {
      maxTsMs: Math.max(tsMs, mark.maxTsMs),
      lastOffset: Math.max(record.offset, mark.lastOffset),
      guard: false,
    };
  else next = mark;
  if (next !== mark) state.logFiles = { ...state.logFiles, [record.file]: next };
  return true;
}
