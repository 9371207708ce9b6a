import { appendFile, mkdir } from "node:fs/promises";
import { join } from "node:path";
import { v1ToCanonical } from "@catalyst/schema";
import { formatIsoSeconds, formatUtcMonth } from "./iso-seconds.js";

/** One v1 event line (FORMATS §4.1); the key order is the one `catalyst-state.sh` writes. */
export interface V1EventLine {
  ts: string;
  orchestrator: string;
  worker: string | null;
  event: string;
  detail: Record<string, unknown> | null;
}

/**
 * The envelope a line is written in (FORMATS-TODAY R1.7): `v1` (top-level `event`), `v2` (the
 * canonical OTel-shaped envelope), `dual` (both on one line), `v3` (a bare `name`, payload flat).
 */
export type LineShape = "v1" | "v2" | "dual" | "v3";

/** Which shapes a fleet writes: only the seed's v1, or today's mix of all four (plus tombstones). */
export type LineShapes = "v1" | "mixed";

/** Build a v1 line stamped with seconds precision. */
export function buildEventLine(
  at: Date,
  orchestrator: string,
  worker: string | null,
  event: string,
  detail: Record<string, unknown> | null = null,
): V1EventLine {
  return { ts: formatIsoSeconds(at), orchestrator, worker, event, detail };
}

/** The host name the simulated writers stamp on canonical lines. */
export const SIM_HOST = "fleet-sim";

function canonicalOf(line: V1EventLine, at: Date, name: string): Record<string, unknown> {
  const attributes: Record<string, unknown> = {
    "event.name": name,
    "catalyst.orchestrator.id": line.orchestrator,
  };
  if (line.worker !== null) attributes["catalyst.worker.ticket"] = line.worker;
  return {
    ts: line.ts,
    id: idOf(line, at),
    observedTs: line.ts,
    severityText: "INFO",
    severityNumber: 9,
    resource: {
      "service.name": "catalyst.orchestrator",
      "service.namespace": "catalyst",
      "host.name": SIM_HOST,
    },
    attributes,
    body: { payload: line.detail },
  };
}

// A stable id from the line itself (FORMATS-TODAY R1.16: ids are not always UUIDs): 16 hex.
function idOf(line: V1EventLine, at: Date): string {
  let a = 0x811c9dc5;
  let b = 0x01000193;
  const text = `${line.orchestrator}|${line.worker ?? ""}|${line.event}|${at.getTime()}`;
  for (let i = 0; i < text.length; i++) {
    a = Math.imul(a ^ text.charCodeAt(i), 0x01000193);
    b = Math.imul(b ^ text.charCodeAt(i), 0x5bd1e995);
  }
  return (a >>> 0).toString(16).padStart(8, "0") + (b >>> 0).toString(16).padStart(8, "0");
}

/**
 * The line as written in `shape`. v2 maps the v1 name as `catalyst-state.sh` does (FORMATS §4.7,
 * `orchestrator.<name>` where it has no mapping); dual is the v1 keys with the canonical ones
 * merged over them, the same name on both (R1.9, R1.11); v3 flattens the detail at top level, stamped with milliseconds (R1.13),
 * and keeps the orchestrator as a plain key so two orchestrations with one ticket stay apart.
 */
export function encodeEventLine(line: V1EventLine, shape: LineShape, at: Date): Record<string, unknown> {
  switch (shape) {
    case "v1":
      return { ...line };
    case "v2":
      return canonicalOf(line, at, v1ToCanonical(line.event));
    case "dual":
      // One name on both halves, or the line is invalid (R1.9).
      return { ...line, ...canonicalOf(line, at, line.event), ts: line.ts, observedTs: line.ts };
    case "v3":
      return {
        name: line.event,
        orchestrator: line.orchestrator,
        ...(line.worker !== null ? { ticket: line.worker } : {}),
        ...line.detail,
        ts: at.toISOString(),
      };
  }
}

// Of every 20 lines of a writer: 12 v2, 4 v1, 2 dual, 2 v3, about today's mix with the rare shapes
// made common enough to show. A fixed cycle keeps a seeded fleet's files the same run after run.
const CYCLE: readonly LineShape[] = [
  "v2",
  "v1",
  "v2",
  "v2",
  "v3",
  "v2",
  "dual",
  "v2",
  "v1",
  "v2",
  "v2",
  "v2",
  "v1",
  "v3",
  "v2",
  "dual",
  "v2",
  "v2",
  "v1",
  "v2",
];
/** Every this many worker lines, a tombstone follows (FORMATS-TODAY R1.6). */
const TOMBSTONE_EVERY = 97;

/** Picks the shape of each line a writer appends, in a fixed, seed-independent cycle. */
export interface LineShaper {
  /** The lines to append for one event: the line in its shape, sometimes followed by a tombstone. */
  encode(line: V1EventLine, at: Date): Record<string, unknown>[];
}

/** A shaper: `v1` writes every line as v1; `mixed` cycles through all four shapes. */
export function createLineShaper(shapes: LineShapes = "v1"): LineShaper {
  let n = 0;
  let workerLines = 0;
  return {
    encode(line, at) {
      if (shapes === "v1") return [{ ...line }];
      let shape = CYCLE[n++ % CYCLE.length]!;
      // A bare line carries its payload flat: a line without a worker or a detail stays canonical.
      if (shape === "v3" && (line.worker === null || line.detail === null)) shape = "v2";
      const out = [encodeEventLine(line, shape, at)];
      if (line.worker !== null && ++workerLines % TOMBSTONE_EVERY === 0) {
        out.push(buildTombstone(at, `session.context.${line.worker}`, 300_512));
      }
      return out;
    },
  };
}

/**
 * The line a bash writer appends instead of one over its 262,144-byte cap (FORMATS-TODAY R1.6).
 * The demo's tombstones name a `session.context` event of a worker (a dropped context dump).
 */
export function buildTombstone(at: Date, droppedName: string, bytes: number): Record<string, unknown> {
  const ts = `${at.toISOString().slice(0, 19)}.000Z`;
  return {
    ts,
    observedTs: ts,
    severityText: "ERROR",
    severityNumber: 17,
    body: { message: `event dropped: ${bytes} bytes exceeds the 262144-byte append cap` },
    attributes: {
      "event.name": "catalyst.event.oversized",
      "event.entity": "event",
      "event.action": "dropped",
      "catalyst.event.oversized.name": droppedName.replace(/[^A-Za-z0-9._:-]/g, "_").slice(0, 120),
      "catalyst.event.oversized.bytes": bytes,
      "catalyst.event.oversized.cap": 262_144,
    },
    resource: { "service.name": "catalyst.event-append", "host.name": SIM_HOST },
  };
}

/** The monthly log file a line stamped `at` belongs in: `events/YYYY-MM.jsonl`, UTC month (§1.3). */
export function eventLogPath(catalystDir: string, at: Date): string {
  return join(catalystDir, "events", `${formatUtcMonth(at)}.jsonl`);
}

/**
 * Append one compact line (or, through a `shaper`, the lines of one event in today's shapes) to
 * the UTC-month file. Everything goes out in a single append call: concurrent producers once
 * spliced lines together when it took two (FORMATS §1.5).
 */
export async function appendEventLine(
  catalystDir: string,
  at: Date,
  line: V1EventLine,
  shaper?: LineShaper,
): Promise<void> {
  await mkdir(join(catalystDir, "events"), { recursive: true });
  const lines = shaper ? shaper.encode(line, at) : [line];
  await appendFile(
    eventLogPath(catalystDir, at),
    lines.map((l) => `${JSON.stringify(l)}\n`).join(""),
    "utf8",
  );
}
