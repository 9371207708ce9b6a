import {
  type Delta,
  KNOWN_CI_STATUSES,
  KNOWN_ORCHESTRATOR_STATUSES,
  KNOWN_WORKER_STATUSES,
  type NeedsYouItem,
  needsYouKey,
  type OrchestratorSummary,
  type Snapshot,
  type WorkerView,
} from "@catalyst/schema";

/** Token kinds of `catalyst_tokens`, as the `kind` label spells them. */
export const TOKEN_KINDS = ["input", "output", "cache_read", "cache_creation"] as const;
export type TokenKind = (typeof TOKEN_KINDS)[number];

/** One orchestrator's figures, as a scrape reads them. */
export interface OrchestratorCounts {
  id: string;
  /** `projectKey`, or "" when it has none. */
  project: string;
  /** The machine it runs on (`--nats`), or "" for a local one. */
  host: string;
  /** A known orchestrator status, `other` for a value a writer made up, `unknown` when absent. */
  status: string;
  /** Workers by `status\u0000phase` (a bounded status, see `boundedWorkerStatus`). */
  workers: ReadonlyMap<string, number>;
  /** PRs by bounded CI state. */
  prs: ReadonlyMap<string, number>;
  /** "Needs you" rows by reason. */
  needsYou: ReadonlyMap<string, number>;
  /** Sum of the workers' `cost.costUSD`. */
  costUsd: number;
  tokens: Readonly<Record<TokenKind, number>>;
  /** Workers carrying a `corrupt` marker, plus one when the orchestrator's own state is corrupt. */
  corrupt: number;
  /** Grows with every change of these figures: a renderer may cache an orchestrator's text by it. */
  version: number;
}

/** Per-label counts of the fleet, kept from fuse's deltas so a scrape never walks the workers. */
export interface FleetCounts {
  /** Start again from a whole snapshot (O(workers), once at start-up). */
  reset(snapshot: Snapshot): void;
  /** Fold a batch of deltas: O(the workers they name). */
  apply(deltas: readonly Delta[]): void;
  /** Every orchestrator's figures: O(orchestrators × labels), never a worker visited. */
  orchestrators(): Iterable<OrchestratorCounts>;
  /** The hosts (`--nats`): how many, how many stale. Null before a `hosts` delta or on a local monitor. */
  hosts(): {
    total: number;
    stale: number;
    /** `skipped`: lines the host's publisher could not take (0 when it reported none). */
    list: ReadonlyArray<{ name: string; lastHeartbeat: string | null; stale: boolean; skipped: number }>;
  } | null;
  /** Fleet-level "needs you" rows (orchestrator "", e.g. `budget`) by reason. */
  fleetNeedsYou(): ReadonlyMap<string, number>;
  /** Unreadable files that belong to no worker (the snapshot's `sourceErrors`). */
  sourceErrors(): number;
  /** Grows with every change of any count (a renderer may cache the whole text by it). */
  version(): number;
  /** Worker records looked at since creation (for the scale test: a scrape adds none). */
  visited(): number;
}

const KNOWN_STATUS: ReadonlySet<string> = new Set(KNOWN_WORKER_STATUSES);
const KNOWN_CI: ReadonlySet<string> = new Set(KNOWN_CI_STATUSES);
const KNOWN_ORCH: ReadonlySet<string> = new Set(KNOWN_ORCHESTRATOR_STATUSES);

/** Label values stay bounded: a status a newer writer made up is counted as `other`. */
export function boundedWorkerStatus(status: string): string {
  return KNOWN_STATUS.has(status) || status === "signal_corrupt" ? status : "other";
}

/** A CI state for the `status` label of `catalyst_pull_requests` (mixed values such as `passing,pending` are `other`). */
export function boundedCiStatus(ci: string): string {
  return KNOWN_CI.has(ci) ? ci : "other";
}

function boundedOrchestratorStatus(status: string | null): string {
  if (status === null) return "unknown";
  return KNOWN_ORCH.has(status) ? status : "other";
}

// Micro-dollars as integers: adding and taking away a worker's cost many times stays exact.
const MICRO = 1_000_000;

function toMicro(usd: unknown): number {
  return typeof usd === "number" && Number.isFinite(usd) && usd > 0 ? Math.round(usd * MICRO) : 0;
}

function tokenOf(value: unknown): number {
  return typeof value === "number" && Number.isFinite(value) && value > 0 ? Math.round(value) : 0;
}

/** What one worker adds to its orchestrator's counts. */
interface WorkerRecord {
  statusPhase: string;
  ci: string | null;
  costMicro: number;
  tokens: [number, number, number, number];
  corrupt: boolean;
}

function recordOf(view: WorkerView): WorkerRecord {
  const cost = view.cost;
  return {
    statusPhase: `${boundedWorkerStatus(view.status)}\u0000${view.phase}`,
    ci: view.pr === null ? null : boundedCiStatus(view.pr.ciStatus),
    costMicro: toMicro(cost?.costUSD),
    tokens: [
      tokenOf(cost?.inputTokens),
      tokenOf(cost?.outputTokens),
      tokenOf(cost?.cacheReadTokens),
      tokenOf(cost?.cacheCreationTokens),
    ],
    corrupt: view.corrupt !== null,
  };
}

interface OrchestratorRecord {
  id: string;
  version: number;
  project: string;
  host: string;
  status: string;
  ownCorrupt: boolean;
  workers: Map<string, WorkerRecord>;
  byStatus: Map<string, number>;
  prs: Map<string, number>;
  needsYou: Map<string, number>;
  /** Needs-you rows counted, by `needsYouKey`, with their reason. */
  rows: Map<string, string>;
  costMicro: number;
  tokens: [number, number, number, number];
  corruptWorkers: number;
}

function bump(map: Map<string, number>, key: string, by: number): void {
  const next = (map.get(key) ?? 0) + by;
  if (next === 0) map.delete(key);
  else map.set(key, next);
}

/** Creates empty counts; `reset` them from a snapshot, then `apply` every batch of deltas. */
export function createFleetCounts(): FleetCounts {
  const orchs = new Map<string, OrchestratorRecord>();
  let hosts: ReturnType<FleetCounts["hosts"]> = null;
  // Rows of no orchestrator (the daily budget): counted apart, never an orchestrator record.
  const fleetRows = new Map<string, string>();
  const fleetNeeds = new Map<string, number>();
  let sourceErrors = 0;
  let visited = 0;
  // One sequence for every record, so a record removed and made again never repeats a version.
  let changes = 0;

  const orchestrator = (id: string): OrchestratorRecord => {
    let rec = orchs.get(id);
    if (rec === undefined) {
      rec = {
        id,
        version: 0,
        project: "",
        host: "",
        status: "unknown",
        ownCorrupt: false,
        workers: new Map(),
        byStatus: new Map(),
        prs: new Map(),
        needsYou: new Map(),
        rows: new Map(),
        costMicro: 0,
        tokens: [0, 0, 0, 0],
        corruptWorkers: 0,
      };
      orchs.set(id, rec);
    }
    return rec;
  };

  const count = (rec: OrchestratorRecord, w: WorkerRecord, sign: 1 | -1): void => {
    rec.version = ++changes;
    bump(rec.byStatus, w.statusPhase, sign);
    if (w.ci !== null) bump(rec.prs, w.ci, sign);
    rec.costMicro += sign * w.costMicro;
    for (let i = 0; i < 4; i++) rec.tokens[i]! += sign * w.tokens[i]!;
    if (w.corrupt) rec.corruptWorkers += sign;
  };

  const setWorker = (orchestratorId: string, ticket: string, view: WorkerView | null): void => {
    visited += 1;
    const rec = view === null ? orchs.get(orchestratorId) : orchestrator(orchestratorId);
    if (rec === undefined) return;
    const prev = rec.workers.get(ticket);
    if (prev !== undefined) count(rec, prev, -1);
    if (view === null) {
      rec.workers.delete(ticket);
      return;
    }
    const next = recordOf(view);
    rec.workers.set(ticket, next);
    count(rec, next, 1);
  };

  const setSummary = (summary: OrchestratorSummary): void => {
    const rec = orchestrator(summary.id);
    rec.version = ++changes;
    rec.project = summary.projectKey ?? "";
    rec.host = summary.host ?? "";
    rec.status = boundedOrchestratorStatus(summary.status);
    rec.ownCorrupt = summary.corrupt !== null;
  };

  // Rows are matched by key within their orchestrator: a `changed` or `removed` row replaces
  // the one counted before (the key names the reason, so the counts stay exact).
  const rowsOf = (row: NeedsYouItem, create: boolean) => {
    if (row.orchestrator === "") {
      changes += 1;
      return { rows: fleetRows, counts: fleetNeeds };
    }
    const rec = create ? orchestrator(row.orchestrator) : orchs.get(row.orchestrator);
    if (rec === undefined) return null;
    rec.version = ++changes;
    return { rows: rec.rows, counts: rec.needsYou };
  };

  const addRow = (row: NeedsYouItem): void => {
    const at = rowsOf(row, true)!;
    const key = needsYouKey(row);
    const old = at.rows.get(key);
    if (old !== undefined) bump(at.counts, old, -1);
    at.rows.set(key, row.reason);
    bump(at.counts, row.reason, 1);
  };

  const removeRow = (row: NeedsYouItem): void => {
    const at = rowsOf(row, false);
    const key = needsYouKey(row);
    const old = at?.rows.get(key);
    if (at === null || old === undefined) return;
    at.rows.delete(key);
    bump(at.counts, old, -1);
  };

  const setHosts = (list: Snapshot["hosts"]): void => {
    if (list === undefined) {
      hosts = null;
      return;
    }
    hosts = {
      total: list.length,
      stale: list.filter((h) => h.stale).length,
      list: list.map((h) => ({
        name: h.name,
        lastHeartbeat: h.lastHeartbeat,
        stale: h.stale,
        skipped: h.skipped?.lines ?? 0,
      })),
    };
  };

  return {
    reset(snapshot) {
      changes += 1;
      orchs.clear();
      fleetRows.clear();
      fleetNeeds.clear();
      for (const o of snapshot.orchestrators) {
        const { workers, ...summary } = o;
        setSummary(summary);
        for (const [ticket, view] of Object.entries(workers)) setWorker(o.id, ticket, view);
      }
      for (const row of snapshot.needsYou) addRow(row);
      sourceErrors = snapshot.sourceErrors.length;
      setHosts(snapshot.hosts);
    },
    apply(deltas) {
      for (const delta of deltas) {
        switch (delta.event) {
          case "worker-update":
          case "pr-update":
          case "liveness-change":
            setWorker(delta.data.orchestrator, delta.data.worker, delta.data.workerState);
            break;
          case "worker-removed":
            setWorker(delta.data.orchestrator, delta.data.worker, null);
            break;
          case "orchestrator-update":
            setSummary(delta.data.orchestratorState);
            break;
          case "orchestrator-removed":
            // Fuse sends no worker-removed for the workers of a removed orchestrator: they, and
            // its needs-you rows, go with its record.
            changes += 1;
            orchs.delete(delta.data.orchestrator);
            break;
          case "needs-you":
            for (const row of delta.data.removed) removeRow(row);
            for (const row of delta.data.changed) addRow(row);
            for (const row of delta.data.added) addRow(row);
            if (delta.data.sourceErrors !== undefined) sourceErrors = delta.data.sourceErrors.length;
            break;
          case "hosts":
            setHosts(delta.data.hosts);
            break;
          case "snapshot":
            this.reset(delta.data);
            break;
          default:
            break;
        }
      }
    },
    *orchestrators() {
      for (const rec of orchs.values()) {
        yield {
          id: rec.id,
          project: rec.project,
          host: rec.host,
          status: rec.status,
          workers: rec.byStatus,
          prs: rec.prs,
          needsYou: rec.needsYou,
          costUsd: rec.costMicro / MICRO,
          tokens: {
            input: rec.tokens[0],
            output: rec.tokens[1],
            cache_read: rec.tokens[2],
            cache_creation: rec.tokens[3],
          },
          corrupt: rec.corruptWorkers + (rec.ownCorrupt ? 1 : 0),
          version: rec.version,
        };
      }
    },
    hosts: () => hosts,
    fleetNeedsYou: () => fleetNeeds,
    version: () => changes,
    sourceErrors: () => sourceErrors,
    visited: () => visited,
  };
}
