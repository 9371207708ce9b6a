// Today's Catalyst (FORMATS-TODAY §1.3–§1.6): one month file mixes four envelope shapes. These are
// the pure rules for telling them apart, resolving a line's name, deciding whether a line is usable,
// and reading the common fields out of any shape. No zod here: this runs on every log line.

/**
 * The envelope shape of a line as Catalyst HEAD names it (FORMATS-TODAY R1.7): `v1` has a top-level
 * `event`, `v2` has `attributes["event.name"]`, `dual` has both, `v3` has only a bare `name`.
 * (FORMATS.md's seed-era names differ: see `EventShape`.)
 */
export type EnvelopeShape = "v1" | "v2" | "dual" | "v3" | "unknown";

/** Why a log line cannot be used (counted, never thrown; FORMATS-TODAY R1.9). */
export type EventLineProblem =
  /** Not JSON at all (a torn or garbled line). */
  | "not-json"
  /** Nested deeper than a reader walks. */
  | "too-deep"
  /** JSON, but not an object (an array, a string, null). */
  | "not-object"
  /** An object with no name in `event`, `attributes["event.name"]` or `name`. */
  | "unknown-shape"
  /** No `ts` string. */
  | "no-ts"
  /** A `ts` that is not an ISO 8601 time. */
  | "bad-ts"
  /** A dual line whose `event` and `attributes["event.name"]` differ. */
  | "dual-mismatch"
  /** A field the seed formats define has the wrong type (e.g. `"orchestrator": 5`). */
  | "bad-field";

/** Every {@link EventLineProblem}, in a stable order (for reports). */
export const EVENT_LINE_PROBLEMS: readonly EventLineProblem[] = [
  "not-json",
  "too-deep",
  "not-object",
  "unknown-shape",
  "no-ts",
  "bad-ts",
  "dual-mismatch",
  "bad-field",
];

/** A ticket id as `phase-agent-emit-complete` accepts it (FORMATS-TODAY R1.26). */
export const TICKET_PATTERN = /^[A-Za-z][A-Za-z0-9_]*-\d+$/;

/** `phase.<P>.<status>.<T>`: the phase lifecycle names (FORMATS-TODAY R1.26). */
export const PHASE_EVENT_PATTERN =
  /^phase\.([^.]+)\.(complete|failed|turn-cap-exhausted|skipped|abandoned)\.([A-Za-z][A-Za-z0-9_]*-\d+)$/;

/** The name of the oversized-line tombstone (FORMATS-TODAY R1.6). */
export const OVERSIZED_EVENT = "catalyst.event.oversized";

/** Severity numbers by text (FORMATS-TODAY §1.4); a line without one is INFO/9 (R1.17). */
export const SEVERITY_NUMBERS: Readonly<Record<string, number>> = {
  TRACE: 1,
  DEBUG: 5,
  INFO: 9,
  WARN: 13,
  ERROR: 17,
  FATAL: 21,
};

type Rec = Record<string, unknown>;

const SEVERITY_TEXTS: ReadonlyMap<number, string> = new Map(
  Object.entries(SEVERITY_NUMBERS).map(([text, n]) => [n, text]),
);

/** `phase.<slot>.…` slots that are not phases (R1.26): the real phase is in the payload. */
const SLOT_EXCEPTIONS: ReadonlySet<string> = new Set(["dispatch", "scheduler", "advance"]);

/** A plain object (not an array, not null). */
export function isPlainObject(value: unknown): value is Rec {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function nonEmpty(value: unknown): string | null {
  return typeof value === "string" && value !== "" ? value : null;
}

function attrsOf(line: Rec): Rec | null {
  return isPlainObject(line.attributes) ? line.attributes : null;
}

/** FORMATS-TODAY R1.7 `classifyEnvelope`. */
export function classifyEnvelope(line: unknown): EnvelopeShape {
  if (!isPlainObject(line)) return "unknown";
  const v1 = nonEmpty(line.event) !== null;
  const v2 = nonEmpty(attrsOf(line)?.["event.name"]) !== null;
  if (v1 && v2) return "dual";
  if (v1) return "v1";
  if (v2) return "v2";
  return nonEmpty(line.name) !== null ? "v3" : "unknown";
}

/**
 * FORMATS-TODAY R1.8 `getEventName`: the first non-empty string of `event`,
 * `attributes["event.name"]`, `name`; `""` otherwise. Never throws.
 */
export function getEventName(line: unknown): string {
  if (!isPlainObject(line)) return "";
  return nonEmpty(line.event) ?? nonEmpty(attrsOf(line)?.["event.name"]) ?? nonEmpty(line.name) ?? "";
}

/**
 * The R1.9 part of validity that is about names: a name resolves, and a dual line's two names are
 * the same. (`ts` and field types are checked by the caller.)
 */
export function envelopeNameProblem(line: Rec): "unknown-shape" | "dual-mismatch" | null {
  const shape = classifyEnvelope(line);
  if (shape === "unknown") return "unknown-shape";
  if (shape === "dual" && line.event !== attrsOf(line)?.["event.name"]) return "dual-mismatch";
  return null;
}

/** The last `.`-separated segment of a name when it is a ticket id, else null (R1.28). */
export function trailingTicket(name: string): string | null {
  const dot = name.lastIndexOf(".");
  if (dot < 0) return null;
  const last = name.slice(dot + 1);
  return TICKET_PATTERN.test(last) ? last : null;
}

/** A phase lifecycle name split into its parts (R1.26), or null. */
export function parsePhaseEvent(name: string): { phase: string; status: string; ticket: string } | null {
  const m = PHASE_EVENT_PATTERN.exec(name);
  return m ? { phase: m[1]!, status: m[2]!, ticket: m[3]! } : null;
}

/**
 * `phase.<slot>.<action>[.<T>]` names beyond the lifecycle set (R1.27, R1.28): the slot and the
 * action, and the ticket when the last segment is one. Null for other names.
 */
export function parsePhaseAction(
  name: string,
): { slot: string; action: string; ticket: string | null } | null {
  if (!name.startsWith("phase.")) return null;
  const parts = name.split(".");
  if (parts.length < 3) return null;
  const ticket = TICKET_PATTERN.test(parts[parts.length - 1]!) ? parts[parts.length - 1]! : null;
  const action = ticket ? parts.slice(2, -1).join(".") : parts.slice(2).join(".");
  if (action === "") return null;
  return { slot: parts[1]!, action, ticket };
}

/** An FQDN cut to its first DNS label (R1.22, the board's CTL-1252 rule). */
export function shortHostName(host: string): string {
  const dot = host.indexOf(".");
  return dot > 0 ? host.slice(0, dot) : host;
}

function int(value: unknown): number | null {
  return typeof value === "number" && Number.isInteger(value) ? value : null;
}

/** The fields every shape can carry, read by the FORMATS-TODAY §1.5 ladders. */
export interface EnvelopeFields {
  /** R1.20 ladder. */
  orchestrator: string | null;
  /** R1.21 ladder (plus the seed-era `scope.worker`), ending with the ticket embedded in the name. */
  ticket: string | null;
  /** R1.22, cut to its first DNS label. */
  host: string | null;
  /** R1.23 first integer. */
  prNumber: number | null;
  /** Every PR number the line names (`body.payload.prNumbers` for check suites, else `prNumber`). */
  prNumbers: number[];
  /** R1.24: the catalyst session id (`sess_…`) and the Claude Code session UUID, kept apart. */
  catalystSession: string | null;
  claudeSession: string | null;
  /** R1.25: a phase name (string) or a `session.phase` number; null when none. */
  phase: string | number | null;
  /** `severityText`/`severityNumber`, INFO/9 when absent (R1.17). */
  severityText: string;
  severityNumber: number;
}

/** The payload of any shape: `body.payload` (v2, dual), `detail` (v1), the flat keys (v3). */
export function payloadOf(line: Rec, shape: EnvelopeShape): Rec {
  if (shape === "v2" || shape === "dual") {
    const body = isPlainObject(line.body) ? line.body : null;
    if (body && isPlainObject(body.payload)) return body.payload;
    return shape === "dual" ? line : {};
  }
  if (shape === "v1") return isPlainObject(line.detail) ? line.detail : {};
  return line; // v3: the payload is flattened at top level (R1.13)
}

/** Read the §1.5 fields out of a line of any shape (pure; never throws). */
export function readEnvelopeFields(line: Rec, name: string, shape: EnvelopeShape): EnvelopeFields {
  const attrs = attrsOf(line) ?? {};
  const resource = isPlainObject(line.resource) ? line.resource : {};
  const scope = isPlainObject(line.scope) ? line.scope : {};
  const detail = isPlainObject(line.detail) ? line.detail : {};
  const body = isPlainObject(line.body) ? line.body : {};
  const payload = isPlainObject(body.payload) ? body.payload : {};

  const orchestrator =
    nonEmpty(attrs["catalyst.orchestrator.id"]) ??
    nonEmpty(line.orchestrator) ??
    nonEmpty(scope.orchestrator) ??
    nonEmpty(resource["catalyst.orchestration"]) ??
    nonEmpty(attrs["catalyst.orchestration"]) ??
    nonEmpty(line.orch_id);

  const label = nonEmpty(attrs["event.label"]);
  const ticket =
    nonEmpty(attrs["catalyst.worker.ticket"]) ??
    nonEmpty(attrs["linear.issue.identifier"]) ??
    nonEmpty(scope.ticket) ??
    nonEmpty(detail.ticket) ??
    nonEmpty(payload.ticket) ??
    nonEmpty(line.ticket) ??
    nonEmpty(line.worker) ??
    nonEmpty(scope.worker) ??
    nonEmpty(payload.worker) ??
    (label !== null && TICKET_PATTERN.test(label) ? label : null) ??
    trailingTicket(name);

  const heartbeat = name === "node.heartbeat" || name === "node.capacity.changed";
  const rawHost =
    (heartbeat ? nonEmpty(payload["host.name"]) : null) ??
    nonEmpty(resource["host.name"]) ??
    nonEmpty(resource["catalyst.node.name"]) ??
    (name === "node.heartbeat" ? label : null);

  const detailPr = isPlainObject(detail.pr) ? detail.pr : {};
  const payloadPr = isPlainObject(payload.pr) ? payload.pr : {};
  const listed = Array.isArray(payload.prNumbers)
    ? payload.prNumbers.filter((n): n is number => int(n) !== null)
    : Array.isArray(detail.prNumbers)
      ? detail.prNumbers.filter((n): n is number => int(n) !== null)
      : [];
  const orphan = /^phase\.orphan-pr\.detected\.(\d+)$/.exec(name);
  const prNumber =
    int(attrs["vcs.pr.number"]) ??
    int(detail.pr) ??
    int(detailPr.number) ??
    int(scope.pr) ??
    int(payload.pr) ??
    int(payloadPr.number) ??
    listed[0] ??
    int(line.pr) ??
    (orphan ? Number(orphan[1]) : null);
  const prNumbers = listed.length > 0 ? listed : prNumber !== null ? [prNumber] : [];

  const catalystSession = nonEmpty(attrs["catalyst.session.id"]) ?? nonEmpty(line.session);
  const claudeSession = nonEmpty(attrs["claude.session.id"]) ?? nonEmpty(payload.session_id);

  const lifecycle = parsePhaseEvent(name);
  const phase: string | number | null =
    (lifecycle && !SLOT_EXCEPTIONS.has(lifecycle.phase) ? lifecycle.phase : null) ??
    nonEmpty(payload.phase) ??
    int(payload.phase) ??
    nonEmpty(payload.phase_name) ??
    nonEmpty(payload.target_phase) ??
    nonEmpty(attrs["catalyst.worker.phase"]) ??
    nonEmpty(attrs["catalyst.worker.to_stage"]) ??
    int(attrs["catalyst.phase"]) ??
    nonEmpty(payload.to) ??
    // v1/v3 carry their payload flat or in `detail` (R1.11: dual's flat `phase` stays top-level too)
    nonEmpty(detail.phase) ??
    (shape === "v1" || shape === "v3" ? nonEmpty(line.phase) : null);

  const text = nonEmpty(line.severityText)?.toUpperCase() ?? null;
  const num = int(line.severityNumber);
  const severityNumber = num ?? (text !== null ? (SEVERITY_NUMBERS[text] ?? 9) : 9);
  const severityText = text ?? SEVERITY_TEXTS.get(severityNumber) ?? "INFO";

  return {
    orchestrator,
    ticket,
    host: rawHost === null ? null : shortHostName(rawHost),
    prNumber,
    prNumbers,
    catalystSession,
    claudeSession,
    phase,
    severityText,
    severityNumber,
  };
}

/** What a tombstone says was dropped (R1.6), or null when the line is not one. */
export interface DroppedEvent {
  /** The dropped event's (scrubbed) name, `_unknown_` when the writer found none. */
  name: string;
  bytes: number | null;
  cap: number | null;
  /** The ticket embedded in the dropped name, when its last segment is one. */
  ticket: string | null;
}

/** Read an oversized-line tombstone (R1.5, R1.6). */
export function readTombstone(line: Rec, name: string): DroppedEvent | null {
  if (name !== OVERSIZED_EVENT) return null;
  const attrs = attrsOf(line) ?? {};
  const dropped = nonEmpty(attrs["catalyst.event.oversized.name"]) ?? "_unknown_";
  return {
    name: dropped,
    bytes: int(attrs["catalyst.event.oversized.bytes"]),
    cap: int(attrs["catalyst.event.oversized.cap"]),
    ticket: trailingTicket(dropped),
  };
}
