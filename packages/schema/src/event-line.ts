import { z } from "zod";
import { KNOWN_EVENT_TYPES, type KnownEventType } from "./constants.js";
import {
  jsonDepth,
  MAX_JSON_DEPTH,
  makeIssue,
  type ParseResult,
  parseWith,
  trimForMessage,
} from "./parse-result.js";
import { isTimestamp, Timestamp, timestampMs } from "./timestamp.js";

export { KNOWN_EVENT_TYPES, type KnownEventType };

/** The shape a log line was written in (FORMATS §4.1, §4.3, §4.7). */
export type EventShape = "v1" | "session" | "v2" | "canonical";

/**
 * One line of `events/YYYY-MM.jsonl` or the legacy `events.jsonl`, in any of the four shapes.
 * Only `ts` is required, plus an event name (`event`, or `attributes["event.name"]`).
 * Unknown keys and unknown event names are kept.
 */
export const EventLine = z
  .looseObject({
    ts: Timestamp,
    event: z.string().optional(),
    orchestrator: z.string().nullable().optional(),
    worker: z.string().nullable().optional(),
    detail: z.unknown().optional(),
    session: z.string().optional(),
    id: z.string().optional(),
    schemaVersion: z.number().optional(),
    source: z.string().optional(),
    scope: z.record(z.string(), z.unknown()).nullable().optional(),
    attributes: z.record(z.string(), z.unknown()).optional(),
    body: z.unknown().optional(),
  })
  .refine((line) => typeof line.event === "string" || typeof line.attributes?.["event.name"] === "string", {
    message: 'an `event` name or `attributes["event.name"]`',
    path: ["event"],
  });
export type EventLine = z.infer<typeof EventLine>;

/** One event, the same whatever shape it was written in. `raw` is the parsed line itself. */
export interface NormalizedEvent {
  ts: string;
  /** `ts` in epoch milliseconds. */
  tsMs: number;
  /** The v1 event name (`worker-pr-merged`); canonical names are mapped back where known. */
  type: string;
  orchestrator: string | null;
  worker: string | null;
  detail: unknown;
  shape: EventShape;
  raw: EventLine;
}

// FORMATS §4.7: v1 → canonical names. Reversed here so canonical lines read like v1 ones.
const V1_TO_CANONICAL: Record<string, string> = {
  "orchestrator-started": "orchestrator.started",
  "orchestrator-failed": "orchestrator.failed",
  "worker-dispatched": "orchestrator.worker.dispatched",
  "worker-pr-created": "orchestrator.worker.pr_created",
  "worker-pr-merged": "orchestrator.worker.pr_merged",
  "worker-done": "orchestrator.worker.done",
  "worker-failed": "orchestrator.worker.failed",
  "worker-launch-failed": "orchestrator.worker.launch_failed",
  "worker-revived": "orchestrator.worker.revived",
  "worker-status-terminal": "orchestrator.worker.status_terminal",
  "worker-phase-advanced": "orchestrator.worker.phase_advanced",
  "attention-raised": "orchestrator.attention.raised",
  "attention-resolved": "orchestrator.attention.resolved",
  "orchestrator-status": "orchestrator.status",
  archive: "orchestrator.archived",
};
const CANONICAL_TO_V1 = new Map(Object.entries(V1_TO_CANONICAL).map(([v1, c]) => [c, v1]));

/** Map a canonical `event.name` back to its v1 name (`orchestrator.X` → `X` for the catch-all rule). */
export function canonicalToV1(name: string): string {
  const mapped = CANONICAL_TO_V1.get(name);
  if (mapped) return mapped;
  if (name.startsWith("orchestrator.") && !name.slice("orchestrator.".length).includes(".")) {
    return name.slice("orchestrator.".length);
  }
  return name;
}

function str(value: unknown): string | null {
  return typeof value === "string" && value !== "" ? value : null;
}

/** Read the common fields out of a parsed line, whatever its shape. */
export function normalizeEventLine(line: EventLine): NormalizedEvent {
  const tsMs = timestampMs(line.ts);
  const attrs = line.attributes;
  if (attrs && typeof attrs["event.name"] === "string") {
    const body = line.body as { payload?: unknown } | null | undefined;
    return {
      ts: line.ts,
      tsMs,
      type: canonicalToV1(attrs["event.name"]),
      orchestrator: str(attrs["catalyst.orchestrator.id"]) ?? str(line.orchestrator),
      worker: str(attrs["catalyst.worker.ticket"]) ?? str(line.worker),
      detail: body && typeof body === "object" ? (body.payload ?? null) : null,
      shape: "canonical",
      raw: line,
    };
  }
  const scope = line.scope ?? null;
  const shape: EventShape =
    line.schemaVersion === 2
      ? "v2"
      : typeof line.session === "string" && !("orchestrator" in line)
        ? "session"
        : "v1";
  return {
    ts: line.ts,
    tsMs,
    type: line.event ?? "",
    orchestrator: str(line.orchestrator) ?? str(scope?.orchestrator),
    worker: str(line.worker) ?? str(scope?.worker) ?? str(scope?.ticket),
    detail: line.detail ?? null,
    shape,
    raw: line,
  };
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);
const optional = (v: unknown, check: (x: unknown) => boolean): boolean => v === undefined || check(v);
const isString = (x: unknown): boolean => typeof x === "string";
const isStringOrNull = (x: unknown): boolean => x === null || typeof x === "string";

/**
 * The same decision as `EventLine.safeParse(v).success`, without zod's per-field machinery: logs hold
 * millions of lines and nearly all are valid. A test checks the two agree on generated inputs.
 */
export function isValidEventLine(v: unknown): v is EventLine {
  if (!isRecord(v)) return false;
  if (typeof v.ts !== "string" || !isTimestamp(v.ts)) return false;
  if (!optional(v.event, isString)) return false;
  if (!optional(v.orchestrator, isStringOrNull) || !optional(v.worker, isStringOrNull)) return false;
  if (!optional(v.session, isString) || !optional(v.id, isString) || !optional(v.source, isString))
    return false;
  if (!optional(v.schemaVersion, (x) => typeof x === "number" && Number.isFinite(x))) return false;
  if (!optional(v.scope, (x) => x === null || isRecord(x))) return false;
  if (!optional(v.attributes, isRecord)) return false;
  const attrs = v.attributes as Record<string, unknown> | undefined;
  return typeof v.event === "string" || typeof attrs?.["event.name"] === "string";
}

/** Lines up to this many characters cannot nest deep enough to hurt, so they skip the depth scan. */
const DEPTH_SCAN_FROM = 2048;

/** Parse one log line of text (without its newline). Blank and non-JSON lines are issues, not throws. */
export function parseEventLine(text: string, file?: string): ParseResult<EventLine> {
  const fileField = file === undefined ? {} : { file };
  // Nesting deep enough to overflow a recursive walk needs thousands of brackets, so only long
  // lines pay for the depth scan (issue 17).
  if (text.length > DEPTH_SCAN_FROM && jsonDepth(text, MAX_JSON_DEPTH) > MAX_JSON_DEPTH) {
    return {
      ok: false,
      error: makeIssue({
        ...fileField,
        path: "$",
        expected: `JSON nested at most ${MAX_JSON_DEPTH} deep`,
        received: `a line nested more than ${MAX_JSON_DEPTH} deep`,
      }),
    };
  }
  let decoded: unknown;
  try {
    decoded = JSON.parse(text);
  } catch {
    return {
      ok: false,
      error: makeIssue({
        ...fileField,
        path: "$",
        expected: "one JSON object",
        received: trimForMessage(text),
      }),
    };
  }
  if (isValidEventLine(decoded)) return { ok: true, value: decoded };
  return parseWith(EventLine, decoded, file);
}
