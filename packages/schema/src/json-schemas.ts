import { z } from "zod";
import { Alert, AlertsResponse } from "./alert.js";
import { ApiError, EventsResponse, HealthResponse } from "./api.js";
import { EventLine } from "./event-line.js";
import { GlobalState } from "./global-state.js";
import { LocalState } from "./local-state.js";
import { PhaseSignal } from "./phase-signal.js";
import { LivenessResult, PrStatus } from "./poller-results.js";
import { Snapshot } from "./snapshot.js";
import { Delta } from "./sse-events.js";
import { WorkerSignal } from "./worker-signal.js";

/** The schemas published as JSON Schema, by output file name (without `.schema.json`). */
export const PUBLISHED_SCHEMAS: Record<string, z.ZodType> = {
  "worker-signal": WorkerSignal,
  "phase-signal": PhaseSignal,
  "global-state": GlobalState,
  "local-state": LocalState,
  "event-line": EventLine,
  snapshot: Snapshot,
  "sse-delta": Delta,
  "api-events": EventsResponse,
  "api-health": HealthResponse,
  "api-error": ApiError,
  "api-alerts": AlertsResponse,
  alert: Alert,
  "pr-status": PrStatus,
  "liveness-result": LivenessResult,
};

/** JSON Schema (draft 2020-12) for every published schema, describing accepted input. */
export function generateJsonSchemas(): Record<string, object> {
  const out: Record<string, object> = {};
  for (const [name, schema] of Object.entries(PUBLISHED_SCHEMAS)) {
    out[name] = z.toJSONSchema(schema, { io: "input", unrepresentable: "any", target: "draft-2020-12" });
  }
  return out;
}

/** The exact text written to `schemas/<name>.schema.json`. */
export function renderJsonSchema(schema: object): string {
  return `${JSON.stringify(schema, null, 2)}\n`;
}
