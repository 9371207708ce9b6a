import type { OrchestratorView, Snapshot, WorkerView } from "@catalyst/schema/constants";
import { orchestratorView, workerView } from "@catalyst/test-utils";

const AT = "2026-04-14T19:00:00Z";

/** A worker view: the shared fixture's, at a fixed time, with a live pid. */
export function worker(orchestrator: string, ticket: string, over: Partial<WorkerView> = {}): WorkerView {
  return workerView(orchestrator, ticket, { pid: 100, alive: true, updatedAt: AT, ...over });
}

/** An orchestrator holding `workers` (the shared fixture's, without its wave list). */
export function orchestrator(id: string, workers: WorkerView[]): OrchestratorView {
  return orchestratorView(id, workers, {
    workspace: "ws",
    path: null,
    repository: null,
    baseBranch: null,
    startedAt: AT,
    updatedAt: AT,
    waves: [],
    sources: ["state"],
  });
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
