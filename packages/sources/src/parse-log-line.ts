import { type EventLineProblem, type LogRecord, normalizeEventLine, parseEventLine } from "@catalyst/schema";

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
