import { z } from "zod";
import { KNOWN_EVENT_TYPES, type KnownEventType } from "./constants.js";
import {
  classifyEnvelope,
  type DroppedEvent,
  type EnvelopeFields,
  type EnvelopeShape,
  type EventLineProblem,
  envelopeNameProblem,
  getEventName,
  isPlainObject,
  readEnvelopeFields,
  readTombstone,
} from "./event-envelope.js";
import {
  jsonDepth,
  MAX_JSON_DEPTH,
  makeIssue,
  type ParseResult,
  parseWith,
  type SchemaIssue,
  trimForMessage,
} from "./parse-result.js";
import { isTimestamp, Timestamp, timestampMs } from "./timestamp.js";

export { KNOWN_EVENT_TYPES, type KnownEventType };

/**
 * The shape a log line was written in, in FORMATS.md's seed-era names (§4.1, §4.3, §4.7), plus
 * `bare` for today's `{name, …, ts}` lines. See `NormalizedEvent.envelope` for today's names.
 */
export type EventShape = "v1" | "session" | "v2" | "canonical" | "bare";

/**
 * One line of `events/YYYY-MM.jsonl` or the legacy `events.jsonl`, in any shape: v1 (`event`), v2
 * (`attributes["event.name"]`), dual (both, and they must agree) or v3 (a bare `name`)
 * (FORMATS-TODAY R1.7–R1.9). Only `ts` is required, plus a name. Unknown keys and unknown event
 * names are kept; the keys the seed formats define must have their types.
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
  .superRefine((line, ctx) => {
    const problem = envelopeNameProblem(line);
    if (problem === "unknown-shape")
      ctx.addIssue({
        code: "custom",
        message: 'a name: a non-empty `event`, `attributes["event.name"]` or `name`',
        path: ["event"],
      });
    else if (problem === "dual-mismatch")
      ctx.addIssue({
        code: "custom",
        message: '`attributes["event.name"]` equal to `event` (a dual line)',
        path: ["attributes", "event.name"],
      });
  });
export type EventLine = z.infer<typeof EventLine>;

/**
 * One event, the same whatever shape it was written in (FORMATS-TODAY §1.5). `raw` is the parsed
 * line itself. A dual line is one event.
 */
/**
 * One line of any shape, normalised. The FORMATS-TODAY fields (host, PR numbers, sessions, phase,
 * severity) are `EnvelopeFields`' own, documented there.
 */
export interface NormalizedEvent
  extends Pick<
    EnvelopeFields,
    | "host"
    | "prNumber"
    | "prNumbers"
    | "catalystSession"
    | "claudeSession"
    | "phase"
    | "severityText"
    | "severityNumber"
  > {
  ts: string;
  /** `ts` in epoch milliseconds. */
  tsMs: number;
  /** The v1 event name (`worker-pr-merged`); canonical names are mapped back where known. */
  type: string;
  /** The name as written (R1.8 `getEventName`), e.g. `phase.plan.complete.CTL-412`. */
  name: string;
  /** R1.20 ladder. */
  orchestrator: string | null;
  /**
   * The ticket (R1.21 ladder, ending with a ticket embedded in the name). For a tombstone, the
   * ticket embedded in the dropped event's name.
   */
  worker: string | null;
  /** The payload: `body.payload` (v2, dual), `detail` (v1), else the line's own other keys (v1, v3). */
  detail: unknown;
  /** Seed-era shape name (FORMATS.md §4). */
  shape: EventShape;
  /** Today's envelope shape (FORMATS-TODAY R1.7). */
  envelope: Exclude<EnvelopeShape, "unknown">;
  /** Set on an oversized-line tombstone (R1.6): what was dropped. The line is not that event. */
  dropped: DroppedEvent | null;
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

/** Map a v1 event name to the canonical name `catalyst-state.sh` writes for it (FORMATS §4.7). */
export function v1ToCanonical(name: string): string {
  return Object.hasOwn(V1_TO_CANONICAL, name) ? V1_TO_CANONICAL[name]! : `orchestrator.${name}`;
}

/** Map a canonical `event.name` back to its v1 name (`orchestrator.X` → `X` for the catch-all rule). */
export function canonicalToV1(name: string): string {
  const mapped = CANONICAL_TO_V1.get(name);
  if (mapped) return mapped;
  if (name.startsWith("orchestrator.") && !name.slice("orchestrator.".length).includes(".")) {
    return name.slice("orchestrator.".length);
  }
  return name;
}

/** Read the common fields out of a parsed line, whatever its shape (FORMATS-TODAY §1.5). */
export function normalizeEventLine(line: EventLine): NormalizedEvent {
  const tsMs = timestampMs(line.ts);
  const classified = classifyEnvelope(line);
  // A valid line always classifies; `unknown` only reaches here from a caller that skipped parsing.
  const envelope = classified === "unknown" ? "v1" : classified;
  const name = getEventName(line);
  const fields = readEnvelopeFields(line, name, envelope);
  const dropped = readTombstone(line, name);
  const shape: EventShape =
    envelope === "v2" || envelope === "dual"
      ? "canonical"
      : envelope === "v3"
        ? "bare"
        : line.schemaVersion === 2
          ? "v2"
          : typeof line.session === "string" && !("orchestrator" in line)
            ? "session"
            : "v1";
  let detail: unknown;
  if (envelope === "v1" && "detail" in line) detail = line.detail ?? null;
  else if (envelope === "v1") {
    // Today's v1 lines carry no `detail`: their payload is flat, like v3's (FORMATS-TODAY §1.3).
    const { event: _event, ts: _ts, ...rest } = line as Record<string, unknown>;
    detail = rest;
  } else if (envelope === "v3") {
    const { name: _name, ts: _ts, ...rest } = line as Record<string, unknown>;
    detail = rest;
  } else {
    const body = line.body as { payload?: unknown } | null | undefined;
    detail = body && typeof body === "object" ? (body.payload ?? null) : null;
    // A dual line's flat keys are its v1 payload (R1.11); the canonical payload wins a collision.
    if (envelope === "dual" && isPlainObject(line.detail))
      detail = isPlainObject(detail) ? { ...line.detail, ...detail } : line.detail;
  }
  return {
    ts: line.ts,
    tsMs,
    type: canonicalToV1(name),
    name,
    orchestrator: fields.orchestrator,
    worker: dropped ? dropped.ticket : fields.ticket,
    detail,
    shape,
    envelope,
    host: fields.host,
    prNumber: fields.prNumber,
    prNumbers: fields.prNumbers,
    catalystSession: fields.catalystSession,
    claudeSession: fields.claudeSession,
    phase: fields.phase,
    severityText: fields.severityText,
    severityNumber: fields.severityNumber,
    dropped,
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
  return envelopeNameProblem(v) === null;
}

/**
 * Why a decoded line is not usable, or null when it is (FORMATS-TODAY R1.9 plus the seed-era field
 * types): the reason a reader counts it under.
 */
export function eventLineProblem(v: unknown): EventLineProblem | null {
  if (!isRecord(v)) return "not-object";
  const named = envelopeNameProblem(v);
  if (named !== null) return named;
  if (typeof v.ts !== "string" || v.ts === "") return "no-ts";
  if (!isTimestamp(v.ts)) return "bad-ts";
  return isValidEventLine(v) ? null : "bad-field";
}

/** Lines up to this many characters cannot nest deep enough to hurt, so they skip the depth scan. */
const DEPTH_SCAN_FROM = 2048;

/** A parsed log line, or the issue and the reason it is counted under (FORMATS-TODAY R1.9). */
export type EventLineParse =
  | { ok: true; value: EventLine }
  | { ok: false; error: SchemaIssue; problem: EventLineProblem };

/** Parse one log line of text (without its newline). Blank and non-JSON lines are issues, not throws. */
export function parseEventLine(text: string, file?: string): EventLineParse {
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
      problem: "too-deep",
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
      problem: "not-json",
    };
  }
  if (isValidEventLine(decoded)) return { ok: true, value: decoded };
  const res: ParseResult<EventLine> = parseWith(EventLine, decoded, file);
  if (res.ok) return { ok: true, value: res.value };
  return { ok: false, error: res.error, problem: eventLineProblem(decoded) ?? "bad-field" };
}
