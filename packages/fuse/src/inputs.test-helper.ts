// Builders for FuseInput values in tests: real parsers from @catalyst/schema, plain objects in.
import {
  type FuseInput,
  type LivenessResult,
  normalizeEventLine,
  type OrchestratorRef,
  type PrStatus,
  parseEventLine,
  parseGlobalStateText,
  parseLocalStateText,
  parseSignalText,
} from "@catalyst/schema";

export const ORCH = "orch-api-redesign-2026-04-14";
export const DIR = "/tmp/catalyst-test";
export const NOW = new Date("2026-04-14T19:22:00.000Z");

/** A Date `minutes` after NOW. */
export function at(minutes: number): Date {
  return new Date(NOW.getTime() + minutes * 60_000);
}

export function orchestratorAdded(id = ORCH, workspace = "ctl"): FuseInput {
  const orchestrator: OrchestratorRef = { id, workspace, path: `${DIR}/wt/${workspace}/${id}`, source: "wt" };
  return { kind: "orchestrator-added", orchestrator };
}

/** A signal file read from a JSON-able object (the text goes through the real parser). */
export function signal(fields: Record<string, unknown>, key?: string, orchestrator = ORCH): FuseInput {
  const fileKey = key ?? String(fields.ticket ?? "unknown");
  const file = `${DIR}/wt/ctl/${orchestrator}/workers/${fileKey}.json`;
  return {
    kind: "signal",
    orchestrator,
    key: fileKey,
    file,
    result: parseSignalText(JSON.stringify(fields), file),
  };
}

/** A signal file read whose text is torn. */
export function tornSignal(key: string, orchestrator = ORCH): FuseInput {
  const file = `${DIR}/wt/ctl/${orchestrator}/workers/${key}.json`;
  return { kind: "signal", orchestrator, key, file, result: parseSignalText('{"ticket": "CTL', file) };
}

export function signalRemoved(key: string, orchestrator = ORCH): FuseInput {
  return {
    kind: "signal-removed",
    orchestrator,
    key,
    file: `${DIR}/wt/ctl/${orchestrator}/workers/${key}.json`,
  };
}

export function localState(fields: Record<string, unknown> | string, orchestrator = ORCH): FuseInput {
  const file = `${DIR}/wt/ctl/${orchestrator}/state.json`;
  const text = typeof fields === "string" ? fields : JSON.stringify(fields);
  return { kind: "local-state", orchestrator, file, result: parseLocalStateText(text, file) };
}

export function globalState(fields: Record<string, unknown> | string): FuseInput {
  const file = `${DIR}/state.json`;
  const text = typeof fields === "string" ? fields : JSON.stringify(fields);
  return { kind: "global-state", file, result: parseGlobalStateText(text, file) };
}

/** One global state holding one orchestrator entry. */
export function globalWith(entry: Record<string, unknown>, id = ORCH): FuseInput {
  return globalState({ version: "1.0.0", orchestrators: { [id]: { id, ...entry } } });
}

/** Log lines from plain objects; each goes through the real line parser and normaliser. */
export function logLines(...lines: Array<Record<string, unknown>>): FuseInput {
  const file = `${DIR}/events/2026-04.jsonl`;
  let offset = 0;
  const records = lines.map((fields) => {
    const text = JSON.stringify(fields);
    const parsed = parseEventLine(text, file);
    if (!parsed.ok) throw new Error(`bad test line: ${parsed.error.message}`);
    const record = { file, offset, text, line: parsed.value, event: normalizeEventLine(parsed.value) };
    offset += text.length + 1;
    return record;
  });
  return { kind: "log-lines", records };
}

/** A v1 log line for ORCH. */
export function line(
  ts: string,
  event: string,
  worker: string | null,
  detail: unknown = null,
): Record<string, unknown> {
  return { ts, orchestrator: ORCH, worker, event, detail };
}

export function prStatus(fields: Partial<PrStatus> & { number: number }): FuseInput {
  return {
    kind: "pr-status",
    status: {
      repo: "acme/api",
      state: "open",
      ciStatus: "pending",
      mergedAt: null,
      reviewDecision: null,
      isDraft: false,
      mergeable: "MERGEABLE",
      url: `https://github.com/acme/api/pull/${fields.number}`,
      title: null,
      checkedAt: NOW.toISOString(),
      stale: false,
      ...fields,
    },
  };
}

export function liveness(
  worker: string,
  pid: number | null,
  alive: boolean | null,
  orchestrator = ORCH,
): FuseInput {
  const result: LivenessResult = {
    pid,
    alive,
    reason: alive === true ? "alive" : alive === false ? "dead" : "no-pid",
    checkedAt: NOW.toISOString(),
  };
  return { kind: "liveness", orchestrator, worker, result };
}

/** Signal fields of an in-flight worker (FORMATS §2.8 B, trimmed). */
export function working(ticket: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    ticket,
    orchestrator: ORCH,
    workerName: `${ORCH}-${ticket}`,
    status: "implementing",
    phase: 3,
    startedAt: "2026-04-14T18:37:53Z",
    updatedAt: "2026-04-14T19:20:00Z",
    pid: 63744,
    pr: null,
    ...extra,
  };
}
