import { type LogRecord, normalizeEventLine, parseEventLine } from "@catalyst/schema";

/** A log line turned into a record, or the reason it was skipped. Blank lines are `blank`. */
export type LogLineResult = { ok: true; record: LogRecord } | { ok: false; blank: boolean; detail: string };

/** Parse one line of an event-log file (pure). Any of the four line shapes is accepted (FORMATS §4.5). */
export function parseLogLine(text: string, file: string, offset: number): LogLineResult {
  if (text.trim() === "") return { ok: false, blank: true, detail: "blank line" };
  const res = parseEventLine(text, file);
  if (!res.ok) return { ok: false, blank: false, detail: res.error.message };
  return { ok: true, record: { file, offset, text, line: res.value, event: normalizeEventLine(res.value) } };
}
