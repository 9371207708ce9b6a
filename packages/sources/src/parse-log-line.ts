import {
  type EventLineProblem,
  type LogRecord,
  normalizeEventLine,
  parseEventLine,
  timestampMs,
} from "@catalyst/schema";

/**
 * A log line turned into a record, or why it was skipped. Blank lines are `blank` (not counted);
 * every other skipped line has the `reason` it is counted under (FORMATS-TODAY R1.9).
 */
export type LogLineResult =
  | { ok: true; record: LogRecord }
  | { ok: false; blank: true; detail: string }
  | { ok: false; blank: false; detail: string; reason: EventLineProblem };

/**
 * Parse one line of an event-log file (pure). Every envelope shape is accepted: v1, v2, dual and
 * the bare v3 (FORMATS-TODAY R1.7); a dual line is one record.
 */
export function parseLogLine(text: string, file: string, offset: number): LogLineResult {
  if (text.trim() === "") return { ok: false, blank: true, detail: "blank line" };
  const res = parseEventLine(text, file);
  if (!res.ok) return { ok: false, blank: false, detail: res.error.message, reason: res.problem };
  return { ok: true, record: { file, offset, text, line: res.value, event: normalizeEventLine(res.value) } };
}

/** What the log index needs of a line: whether it is usable and its time, or why it is not. */
export type LogLineCheck =
  | { ok: true; tsMs: number }
  | { ok: false; blank: true }
  | { ok: false; blank: false; reason: EventLineProblem };

/**
 * {@link parseLogLine} without building the record: the same decision and the same time, for the
 * index, which parses every line once and keeps only its `ts` (normalising is the record's cost).
 */
export function checkLogLine(text: string, file: string): LogLineCheck {
  if (text.trim() === "") return { ok: false, blank: true };
  const res = parseEventLine(text, file);
  if (!res.ok) return { ok: false, blank: false, reason: res.problem };
  return { ok: true, tsMs: timestampMs(res.value.ts) };
}

/** The line parsers the log readers load (statically or lazily). */
export interface LineParsers {
  parseLogLine: typeof parseLogLine;
  checkLogLine: typeof checkLogLine;
}
