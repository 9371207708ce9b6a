import type { OrchestratorView, Snapshot, WorkerView } from "@catalyst/schema/constants";

const AT = "2026-04-14T19:00:00Z";

/** A worker view with sensible defaults. */
export function worker(orchestrator: string, ticket: string, over: Partial<WorkerView> = {}): WorkerView {
  return {
    orchestrator,
    ticket,
    title: null,
    label: null,
    status: "implementing",
    phase: 3,
    wave: 1,
    pid: 100,
    alive: true,
    pr: null,
    startedAt: AT,
    updatedAt: AT,
    completedAt: null,
    lastHeartbeat: null,
    phaseTimestamps: {},
    cost: null,
    error: null,
    fixupCommit: null,
    followUpTo: null,
    needsAttention: false,
    attentionReason: null,
    corrupt: null,
    warnings: [],
    sources: ["signal"],
    ...over,
  };
}

/** An orchestrator holding `workers`. */
export function orchestrator(id: string, workers: WorkerView[]): OrchestratorView {
  const done = workers.filter((w) => w.status === "done").length;
  const failed = workers.filter((w) => w.status === "failed").length;
  return {
    id,
    workspace: "ws",
    path: null,
    status: "active",
    projectKey: null,
    repository: null,
    baseBranch: null,
    startedAt: AT,
    updatedAt: AT,
    completedAt: null,
    lastHeartbeat: null,
    currentWave: 1,
    totalWaves: 2,
    waves: [],
    progress: { total: workers.length, done, failed, active: workers.length - done - failed },
    usage: null,
    attention: [],
    corrupt: null,
    briefings: [],
    sources: ["state"],
    workers: Object.fromEntries(workers.map((w) => [w.ticket, w])),
  };
}

/** A snapshot of the given orchestrators; `failed` workers are listed in needs-you. */
export function snapshotOf(orchestrators: OrchestratorView[]): Snapshot {
  const needsYou = orchestrators.flatMap((o) =>
    Object.values(o.workers)
      .filter((w) => w.status === "failed")
      .map((w) => ({
        orchestrator: o.id,
        worker: w.ticket,
        reason: "failed" as const,
        message: "it failed",
        since: AT,
      })),
  );
  return { generatedAt: AT, orchestrators, needsYou, sourceErrors: [] };
}

/** A fleet of `n` workers in `orchs` orchestrators, every seventh one failed. */
export function bigFleet(n: number, orchs = 10): Snapshot {
  const per = Math.ceil(n / orchs);
  const list: OrchestratorView[] = [];
  for (let o = 0; o < orchs; o++) {
    const ws: WorkerView[] = [];
    for (let i = 0; i < per && o * per + i < n; i++) {
      const k = o * per + i;
      ws.push(
        worker(`orch-${o}`, `T-${k}`, { status: k % 7 === 0 ? "failed" : "implementing", phase: k % 7 }),
      );
    }
    list.push(orchestrator(`orch-${o}`, ws));
  }
  return snapshotOf(list);
}
