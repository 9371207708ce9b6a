import type { LogRecord } from "@catalyst/schema";
import { ownValue } from "./own-property.js";
import type { FuseState } from "./state.js";

// After a `log-reset` (a file truncated and regrown, or replaced) the tailer reads the file again
// from its start. Lines it re-delivers that fuse already folded must not be applied twice, and a
// new line must never be lost, whatever its time stamp (writers stamp whole seconds, and a
// truncated file refills within the same second). So lines are recognised by content: fuse keeps
// the fingerprints of the last MAX_PRINTS live lines of each file; while a reset's guard is up, a
// line whose fingerprint is known is skipped, and the first unknown one lifts the guard.
// Said plainly: history lines read at start-up (`replayed`) are not fingerprinted, to keep cold
// start cheap, so a reset that re-delivers those folds them again (folding is idempotent for
// statuses, PRs, waves and attention; only their `log-event` deltas repeat). A fingerprint reads at
// most the first 2,048 and last 256 characters of a line, with its length.

const MAX_PRINTS = 1024;
const HEAD = 2048;
const TAIL = 256;

/** FNV-1a over the head and tail of `text`, plus its length: a few numbers, whatever the line. */
export function fingerprintLine(text: string): string {
  let h = 0x811c9dc5;
  const mix = (from: number, to: number) => {
    for (let i = from; i < to; i++) {
      h ^= text.charCodeAt(i);
      h = Math.imul(h, 0x01000193);
    }
  };
  if (text.length <= HEAD + TAIL) mix(0, text.length);
  else {
    mix(0, HEAD);
    mix(text.length - TAIL, text.length);
  }
  return `${text.length.toString(36)}.${(h >>> 0).toString(36)}`;
}

/**
 * True when `record` should be folded; remembers its fingerprint. `state.logFiles` and a file's
 * mark are copied the first time a reduce touches them (`copied` holds the files copied in this
 * reduce), then appended to in place, so the state passed to reduce is never modified.
 */
export function admitLogRecord(
  state: FuseState,
  record: LogRecord,
  replayed: boolean,
  copied: Set<string>,
): boolean {
  let mark = ownValue(state.logFiles, record.file);
  if (replayed && !mark?.guard) return true;
  const print = fingerprintLine(record.text);
  // Only while guarded is the list searched (rarely, and at most MAX_PRINTS entries).
  if (mark?.guard && mark.prints.includes(print)) return false;
  if (!mark || !copied.has(record.file)) {
    mark = { prints: mark ? mark.prints.slice(-MAX_PRINTS) : [], guard: false };
    state.logFiles = { ...state.logFiles, [record.file]: mark };
    copied.add(record.file);
  }
  mark.guard = false;
  mark.prints.push(print);
  if (mark.prints.length > 2 * MAX_PRINTS) mark.prints.splice(0, mark.prints.length - MAX_PRINTS);
  return true;
}
