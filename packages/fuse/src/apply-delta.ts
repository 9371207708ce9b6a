import {
  type Delta,
  type NeedsYouItem,
  type NeedsYouUpdate,
  needsYouKey,
  type OrchestratorView,
  type Snapshot,
  type WorkerView,
} from "@catalyst/schema";
import { compareNeedsYou } from "./compare-needs-you.js";
import type { DeltaDraft } from "./delta-draft.js";
import { setOwn } from "./own-property.js";
import { compareIds } from "./to-snapshot.js";

function emptyOrchestrator(id: string): OrchestratorView {
  return {
    id,
    workspace: "default",
    path: null,
    status: null,
    projectKey: null,
    repository: null,
    baseBranch: null,
    startedAt: null,
    updatedAt: null,
    completedAt: null,
    lastHeartbeat: null,
    currentWave: 0,
    totalWaves: 0,
    waves: [],
    progress: { total: 0, done: 0, failed: 0, active: 0 },
    usage: null,
    attention: [],
    corrupt: null,
    briefings: [],
    sources: [],
    workers: {},
  };
}

function upsertOrchestrator(
  list: readonly OrchestratorView[],
  id: string,
  update: (current: OrchestratorView | undefined) => OrchestratorView,
): OrchestratorView[] {
  const index = list.findIndex((o) => o.id === id);
  if (index >= 0) {
    const out = list.slice();
    out[index] = update(list[index]);
    return out;
  }
  const next = update(undefined);
  const at = list.findIndex((o) => compareIds(o.id, id) > 0);
  const out = list.slice();
  out.splice(at < 0 ? out.length : at, 0, next);
  return out;
}

function setWorker(snapshot: Snapshot, orchestrator: string, key: string, view: WorkerView | null): Snapshot {
  if (view === null && !snapshot.orchestrators.some((o) => o.id === orchestrator)) return snapshot;
  const orchestrators = upsertOrchestrator(snapshot.orchestrators, orchestrator, (current) => {
    const base = current ?? emptyOrchestrator(orchestrator);
    const workers = { ...base.workers };
    if (view === null) delete workers[key];
    else setOwn(workers, key, view);
    return { ...base, workers };
  });
  return { ...snapshot, orchestrators };
}

// Drop the removed and changed keys, then insert the new rows where the sort puts them, so the
// list equals the one `toSnapshot` sorts. Adding a key already present replaces it (idempotent).
function patchNeedsYou(list: readonly NeedsYouItem[], update: NeedsYouUpdate): NeedsYouItem[] {
  const incoming = [...update.added, ...update.changed];
  if (incoming.length === 0 && update.removed.length === 0) return list as NeedsYouItem[];
  const drop = new Set<string>();
  for (const item of update.removed) drop.add(needsYouKey(item));
  for (const item of incoming) drop.add(needsYouKey(item));
  const out = list.filter((item) => !drop.has(needsYouKey(item)));
  for (const item of incoming.sort(compareNeedsYou)) {
    let lo = 0;
    let hi = out.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareNeedsYou(out[mid] as NeedsYouItem, item) <= 0) lo = mid + 1;
      else hi = mid;
    }
    out.splice(lo, 0, item);
  }
  return out;
}

/**
 * Patch a snapshot with one delta, client-side. The input is not modified. State-changing
 * deltas move `generatedAt` to their `ts`; `log-event`, `attention-raised` and `wave-completed`
 * are informational (the state they imply arrives as `orchestrator-update` and `needs-you`).
 */
export function applyDelta(snapshot: Snapshot, delta: Delta | DeltaDraft): Snapshot {
  switch (delta.event) {
    case "snapshot":
      return delta.data;
    case "worker-update":
    case "pr-update":
    case "liveness-change": {
      const { orchestrator, worker, workerState, ts } = delta.data;
      return { ...setWorker(snapshot, orchestrator, worker, workerState), generatedAt: ts };
    }
    case "worker-removed": {
      const { orchestrator, worker, ts } = delta.data;
      return { ...setWorker(snapshot, orchestrator, worker, null), generatedAt: ts };
    }
    case "orchestrator-update": {
      const { orchestratorState, ts } = delta.data;
      const orchestrators = upsertOrchestrator(snapshot.orchestrators, orchestratorState.id, (current) => ({
        ...orchestratorState,
        workers: current?.workers ?? {},
      }));
      return { ...snapshot, orchestrators, generatedAt: ts };
    }
    case "orchestrator-removed": {
      const { orchestrator, ts } = delta.data;
      return {
        ...snapshot,
        orchestrators: snapshot.orchestrators.filter((o) => o.id !== orchestrator),
        generatedAt: ts,
      };
    }
    case "needs-you": {
      const { sourceErrors, ts } = delta.data;
      return {
        ...snapshot,
        needsYou: patchNeedsYou(snapshot.needsYou, delta.data),
        sourceErrors: sourceErrors ?? snapshot.sourceErrors,
        generatedAt: ts,
      };
    }
    case "hosts": {
      const { hosts, ts } = delta.data;
      return { ...snapshot, hosts, generatedAt: ts };
    }
    case "attention-raised":
    case "wave-completed":
    case "log-event":
      return snapshot;
  }
}
