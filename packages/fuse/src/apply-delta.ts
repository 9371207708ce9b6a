import type { Delta, OrchestratorView, Snapshot, WorkerView } from "@catalyst/schema";
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
      const { items, sourceErrors, ts } = delta.data;
      return {
        ...snapshot,
        needsYou: items,
        sourceErrors: sourceErrors ?? snapshot.sourceErrors,
        generatedAt: ts,
      };
    }
    case "attention-raised":
    case "wave-completed":
    case "log-event":
      return snapshot;
  }
}
