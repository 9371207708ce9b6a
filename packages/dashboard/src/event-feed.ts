// Turns SSE deltas into the lines of the live event stream, comparing with the state before the
// delta so a line can say what changed ("implementing → validating"), as the reference UI's
// events card did (FORMATS §5.13).
import type { Delta, Snapshot, WorkerView } from "@catalyst/schema";
import { type Tone, workerStatusTone } from "./status-tone.js";

/** What kind of change a feed line reports; styles.css colours the kind chip. */
export type FeedKind =
  | "new"
  | "status"
  | "phase"
  | "pr"
  | "live"
  | "attn"
  | "wave"
  | "orch"
  | "removed"
  | "update"
  | "log"
  | "host"
  | "sync";

/** One line of the event stream. */
export interface FeedEntry {
  /** The SSE id of the delta (0 for lines the client made itself). */
  id: number;
  /** ISO time of the change (the delta's `ts`). */
  at: string;
  kind: FeedKind;
  tone: Tone;
  orchestrator: string | null;
  worker: string | null;
  text: string;
}

function findWorker(snapshot: Snapshot | null, orchestrator: string, worker: string): WorkerView | null {
  const orch = snapshot?.orchestrators.find((o) => o.id === orchestrator);
  return orch?.workers[worker] ?? null;
}

function describeLiveness(alive: boolean | null, pid: number | null): string {
  const proc = pid === null ? "process" : `pid ${pid}`;
  if (alive === true) return `${proc} alive`;
  if (alive === false) return `${proc} stopped responding`;
  return `${proc} liveness unknown`;
}

/** What visibly changed between two views of a worker, besides status and phase; null if nothing. */
function describeWorkerChange(prev: WorkerView, next: WorkerView): string | null {
  const parts: string[] = [];
  if (prev.pid !== next.pid) parts.push(next.pid === null ? "pid cleared" : `pid ${next.pid}`);
  if ((prev.pr?.number ?? null) !== (next.pr?.number ?? null) && next.pr) parts.push(`PR #${next.pr.number}`);
  if (prev.wave !== next.wave && next.wave !== null) parts.push(`wave ${next.wave}`);
  if (prev.error !== next.error && next.error) parts.push(`error: ${next.error}`);
  if (!prev.needsAttention && next.needsAttention)
    parts.push(`needs attention${next.attentionReason ? `: ${next.attentionReason}` : ""}`);
  const cost = (w: WorkerView) => w.cost?.costUSD ?? 0;
  if (cost(next) > cost(prev)) parts.push(`cost $${cost(next).toFixed(2)}`);
  return parts.length > 0 ? parts.join(" · ") : null;
}

/** The feed line for one delta, or null when the delta is not worth a line. */
export function describeDelta(delta: Delta, before: Snapshot | null): FeedEntry | null {
  const base = { id: delta.id };
  switch (delta.event) {
    case "snapshot":
      return null;
    case "worker-update": {
      const d = delta.data;
      const prev = findWorker(before, d.orchestrator, d.worker);
      const line = {
        ...base,
        at: d.ts,
        orchestrator: d.orchestrator,
        worker: d.worker,
        tone: workerStatusTone(d.status),
      };
      if (!prev) return { ...line, kind: "new", text: `discovered · ${d.status} · phase ${d.phase}` };
      if (prev.status !== d.status) return { ...line, kind: "status", text: `${prev.status} → ${d.status}` };
      if (prev.phase !== d.phase) return { ...line, kind: "phase", text: `phase ${prev.phase} → ${d.phase}` };
      if ((prev.corrupt === null) !== (d.workerState.corrupt === null)) {
        const corrupt = d.workerState.corrupt;
        return corrupt
          ? { ...line, kind: "update", tone: "failed", text: `signal file unreadable: ${corrupt.reason}` }
          : { ...line, kind: "update", text: "signal file readable again" };
      }
      const details = describeWorkerChange(prev, d.workerState);
      return details ? { ...line, kind: "update", text: details } : null;
    }
    case "worker-removed": {
      const d = delta.data;
      return {
        ...base,
        at: d.ts,
        orchestrator: d.orchestrator,
        worker: d.worker,
        kind: "removed",
        tone: "abandoned",
        text: "worker removed",
      };
    }
    case "pr-update": {
      const d = delta.data;
      const prev = findWorker(before, d.orchestrator, d.worker)?.pr ?? null;
      const what = prev === null ? `PR #${d.pr} opened` : `PR #${d.pr}`;
      const tone: Tone = d.ciStatus.includes("failing") ? "failed" : d.state === "merged" ? "done" : "ship";
      const text =
        d.state === "merged"
          ? `PR #${d.pr} merged`
          : `${what} · CI ${d.ciStatus}${d.state === "open" || d.state === "unknown" ? "" : ` · ${d.state}`}`;
      return {
        ...base,
        at: d.ts,
        orchestrator: d.orchestrator,
        worker: d.worker,
        kind: "pr",
        tone,
        text,
      };
    }
    case "liveness-change": {
      const d = delta.data;
      const tone: Tone = d.alive === false ? "failed" : d.alive ? "implement" : "unknown";
      return {
        ...base,
        at: d.ts,
        orchestrator: d.orchestrator,
        worker: d.worker,
        kind: "live",
        tone,
        text: describeLiveness(d.alive, d.pid),
      };
    }
    case "attention-raised": {
      const d = delta.data;
      return {
        ...base,
        at: d.ts,
        orchestrator: d.orchestrator,
        worker: d.worker,
        kind: "attn",
        tone: "stalled",
        text: d.message ? `${d.attentionType}: ${d.message}` : d.attentionType,
      };
    }
    case "wave-completed": {
      const d = delta.data;
      const n = d.tickets.length;
      return {
        ...base,
        at: d.ts,
        orchestrator: d.orchestrator,
        worker: null,
        kind: "wave",
        tone: "done",
        text: `wave ${d.wave} completed (${n} ticket${n === 1 ? "" : "s"})`,
      };
    }
    case "orchestrator-update": {
      const { orchestratorState: next, ts } = delta.data;
      const prev = before?.orchestrators.find((o) => o.id === next.id) ?? null;
      const line = { ...base, at: ts, orchestrator: next.id, worker: null };
      if (!prev) return { ...line, kind: "new", tone: "plan", text: "orchestrator discovered" };
      if (prev.status !== next.status) {
        return {
          ...line,
          kind: "orch",
          tone: "plan",
          text: `status ${prev.status ?? "—"} → ${next.status ?? "—"}`,
        };
      }
      if (prev.currentWave !== next.currentWave) {
        return {
          ...line,
          kind: "wave",
          tone: "plan",
          text: `wave ${prev.currentWave} → ${next.currentWave}`,
        };
      }
      return null;
    }
    case "orchestrator-removed": {
      const d = delta.data;
      return {
        ...base,
        at: d.ts,
        orchestrator: d.orchestrator,
        worker: null,
        kind: "removed",
        tone: "abandoned",
        text: "orchestrator removed",
      };
    }
    case "needs-you":
      return null;
    case "log-event": {
      const d = delta.data;
      return {
        ...base,
        at: d.ts,
        orchestrator: d.orchestrator,
        worker: d.worker,
        kind: "log",
        tone: "unknown",
        text: d.event,
      };
    }
    case "hosts":
      return describeHosts(delta.id, delta.data, before);
  }
}

/** A line for the hosts that went stale, came back or appeared; null when none did. */
function describeHosts(
  id: number,
  data: Extract<Delta, { event: "hosts" }>["data"],
  before: Snapshot | null,
): FeedEntry | null {
  const prev = new Map((before?.hosts ?? []).map((h) => [h.name, h]));
  const parts: string[] = [];
  let worst: Tone = "implement";
  for (const host of data.hosts) {
    const old = prev.get(host.name);
    if (host.stale && !old?.stale) {
      parts.push(`${host.name} stale (no heartbeat)`);
      worst = "stalled";
    } else if (!host.stale && old?.stale) parts.push(`${host.name} back`);
    else if (!old) parts.push(`${host.name} joined`);
  }
  if (parts.length === 0) return null;
  return {
    id,
    at: data.ts,
    kind: "host",
    tone: worst,
    orchestrator: null,
    worker: null,
    text: `host ${parts.join(" · ")}`,
  };
}
