// Stand-in for @catalyst/fuse's applyDelta until that package exports it: the same signature and
// the same reading of the delta payloads (sse-events.ts), so switching is a one-line change.
import type { Delta, OrchestratorView, Snapshot, WorkerView } from "@catalyst/schema";

function placeholderOrchestrator(id: string): OrchestratorView {
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
    sources: [],
    workers: {},
  };
}

function withWorker(
  snapshot: Snapshot,
  orchestrator: string,
  key: string,
  view: WorkerView | null,
): Snapshot {
  const exists = snapshot.orchestrators.some((o) => o.id === orchestrator);
  if (!exists && view === null) return snapshot;
  const list = exists
    ? snapshot.orchestrators
    : [...snapshot.orchestrators, placeholderOrchestrator(orchestrator)];
  return {
    ...snapshot,
    orchestrators: list.map((o) => {
      if (o.id !== orchestrator) return o;
      const workers = { ...o.workers };
      if (view === null) delete workers[key];
      else workers[key] = view;
      return { ...o, workers };
    }),
  };
}

/** Returns the snapshot with one delta applied; the input is not modified. */
export function applyDelta(snapshot: Snapshot, delta: Delta): Snapshot {
  switch (delta.event) {
    case "snapshot":
      return delta.data;
    case "worker-update":
    case "pr-update":
    case "liveness-change": {
      const d = delta.data;
      return { ...withWorker(snapshot, d.orchestrator, d.worker, d.workerState), generatedAt: d.ts };
    }
    case "worker-removed": {
      const d = delta.data;
      return { ...withWorker(snapshot, d.orchestrator, d.worker, null), generatedAt: d.ts };
    }
    case "orchestrator-update": {
      const { orchestratorState, ts } = delta.data;
      const existing = snapshot.orchestrators.find((o) => o.id === orchestratorState.id);
      const next: OrchestratorView = { ...orchestratorState, workers: existing?.workers ?? {} };
      const orchestrators = existing
        ? snapshot.orchestrators.map((o) => (o.id === next.id ? next : o))
        : [...snapshot.orchestrators, next];
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
    case "needs-you":
      return { ...snapshot, needsYou: delta.data.items, generatedAt: delta.data.ts };
    case "attention-raised":
    case "wave-completed":
    case "log-event":
      // Informational: the state they describe arrives as orchestrator-update / needs-you.
      return { ...snapshot, generatedAt: delta.data.ts };
  }
}
