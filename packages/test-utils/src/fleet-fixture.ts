// Hand-made snapshots and deltas for the dashboard tests: the shapes of packages/schema's
// snapshot.ts and sse-events.ts, with the awkward cases the page must show (corrupt file, dead
// pid, failed worker, merged PR, hostile strings).
import type { Delta, NeedsYouItem, OrchestratorView, Snapshot, WorkerView } from "@catalyst/schema";

export const T0 = "2026-04-14T19:00:00.000Z";

/** A worker view with defaults; override what the test cares about. */
export function workerView(orchestrator: string, ticket: string, over: Partial<WorkerView> = {}): WorkerView {
  return {
    orchestrator,
    ticket,
    title: null,
    label: null,
    status: "implementing",
    phase: 3,
    wave: 1,
    pid: null,
    alive: null,
    pr: null,
    startedAt: T0,
    updatedAt: new Date().toISOString(),
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

/** An orchestrator view with defaults. */
export function orchestratorView(
  id: string,
  workers: WorkerView[],
  over: Partial<OrchestratorView> = {},
): OrchestratorView {
  const done = workers.filter((w) => w.status === "done").length;
  const failed = workers.filter((w) => w.status === "failed").length;
  return {
    id,
    workspace: "default",
    path: `/tmp/catalyst/runs/${id}`,
    status: "active",
    projectKey: null,
    repository: "acme/api",
    baseBranch: "main",
    startedAt: T0,
    updatedAt: T0,
    completedAt: null,
    lastHeartbeat: null,
    currentWave: 1,
    totalWaves: 2,
    waves: [
      {
        wave: 1,
        status: "in_progress",
        tickets: workers.filter((w) => w.wave === 1).map((w) => w.ticket),
        completedAt: null,
        dependsOn: [],
      },
      {
        wave: 2,
        status: "blocked",
        tickets: workers.filter((w) => w.wave === 2).map((w) => w.ticket),
        completedAt: null,
        dependsOn: [1],
      },
    ],
    progress: { total: workers.length, done, failed, active: workers.length - done - failed },
    usage: null,
    attention: [],
    corrupt: null,
    briefings: [],
    sources: ["signal", "state"],
    workers: Object.fromEntries(workers.map((w) => [w.ticket, w])),
    ...over,
  };
}

const prView = (
  n: number,
  over: Partial<NonNullable<WorkerView["pr"]>> = {},
): NonNullable<WorkerView["pr"]> => ({
  number: n,
  url: `https://github.com/acme/api/pull/${n}`,
  repo: "acme/api",
  state: "open",
  ciStatus: "pending",
  openedAt: T0,
  mergedAt: null,
  reviewDecision: null,
  isDraft: false,
  mergeable: null,
  title: null,
  checkedAt: null,
  stale: false,
  ...over,
});

/** The standard test fleet: two orchestrators (projects CTL and WEB), nine workers. */
export function fleetSnapshot(): Snapshot {
  const a = "orch-api-2026-04-14";
  const b = "orch-web-2026-04-14";
  const stale = new Date(Date.now() - 25 * 60_000).toISOString();
  const apiWorkers = [
    workerView(a, "CTL-48", {
      status: "pr-created",
      phase: 5,
      pid: 4242,
      alive: false,
      pr: prView(123, { ciStatus: "passing" }),
      cost: { costUSD: 1.92, inputTokens: 120_000, outputTokens: 9000, cacheReadTokens: 800_000 },
    }),
    workerView(a, "CTL-49", {
      status: "implementing",
      phase: 3,
      pid: 4243,
      alive: true,
      label: "oneshot CTL-49",
    }),
    workerView(a, "CTL-50", {
      status: "failed",
      phase: 4,
      error: "tests failed after 3 attempts",
      needsAttention: true,
      attentionReason: "waiting-for-user",
      cost: { costUSD: 0.75 },
    }),
    workerView(a, "CTL-51", {
      status: "researching",
      phase: 1,
      updatedAt: stale,
      corrupt: {
        file: "/tmp/catalyst/runs/orch-api/workers/CTL-51.json",
        reason: "Unexpected end of JSON input",
        since: T0,
      },
    }),
    workerView(a, "CTL-52", {
      status: "done",
      phase: 6,
      wave: 1,
      pr: prView(120, { state: "merged", ciStatus: "merged", mergedAt: T0 }),
      cost: { costUSD: 2.5 },
    }),
    workerView(a, "CTL-53", { status: "dispatched", phase: 0, wave: 2 }),
  ];
  const webWorkers = [
    workerView(b, "WEB-7", { status: "validating", phase: 4, pid: 5001, alive: true }),
    workerView(b, "WEB-8", { status: "planning", phase: 2, pid: 5002, alive: true }),
    workerView(b, "WEB-9", {
      status: "shipping",
      phase: 5,
      // Hostile strings: must show as text, never run.
      title: `<img src=x onerror="document.body.dataset.pwned='1'">`,
      pr: prView(9, { url: "javascript:document.body.dataset.pwned='2'", ciStatus: "failing" }),
    }),
  ];
  const needsYou: NeedsYouItem[] = [
    {
      orchestrator: a,
      worker: "CTL-50",
      reason: "failed",
      message: "tests failed after 3 attempts",
      since: T0,
    },
    {
      orchestrator: a,
      worker: "CTL-48",
      reason: "dead",
      message: "pid 4242 stopped responding before the PR merged",
      since: T0,
    },
    {
      orchestrator: a,
      worker: "CTL-51",
      reason: "corrupt",
      message: "workers/CTL-51.json: Unexpected end of JSON input",
      since: T0,
    },
  ];
  return {
    generatedAt: new Date().toISOString(),
    orchestrators: [
      orchestratorView(a, apiWorkers, { projectKey: "CTL", usage: { costUSD: 5.17 } }),
      orchestratorView(b, webWorkers, { projectKey: "WEB", repository: "acme/web", workspace: "web" }),
    ],
    needsYou,
    sourceErrors: [],
  };
}

/** A worker-update delta carrying the full new worker view. */
export function workerUpdate(id: number, view: WorkerView): Delta {
  return {
    id,
    event: "worker-update",
    data: {
      orchestrator: view.orchestrator,
      worker: view.ticket,
      status: view.status,
      phase: view.phase,
      ts: view.updatedAt ?? T0,
      workerState: view,
    },
  };
}

/**
 * A fleet fused from two machines (`catalyst-monitor --nats`): host `alpha` runs
 * `alpha/orch-api` (CTL-1 implementing, CTL-2 failed), host `beta` runs `beta/orch-web` (WEB-1
 * validating with a live pid, WEB-2 shipping with a pid last seen dead). Both hosts fresh, with a
 * heartbeat `heartbeatAgoMs` before now; pass `staleHosts` to mark some stale.
 */
export function multiHostSnapshot(
  options: { staleHosts?: readonly string[]; heartbeatAgoMs?: number } = {},
): Snapshot {
  const beat = new Date(Date.now() - (options.heartbeatAgoMs ?? 2000)).toISOString();
  const stale = new Set(options.staleHosts ?? []);
  const api = "alpha/orch-api";
  const web = "beta/orch-web";
  const apiWorkers = [
    workerView(api, "CTL-1", { status: "implementing", phase: 3, pid: 7001, alive: true }),
    workerView(api, "CTL-2", { status: "failed", phase: 4, error: "tests failed" }),
  ];
  const webWorkers = [
    workerView(web, "WEB-1", { status: "validating", phase: 4, pid: 8001, alive: true }),
    workerView(web, "WEB-2", { status: "shipping", phase: 5, pid: 8002, alive: false }),
  ];
  return {
    generatedAt: new Date().toISOString(),
    orchestrators: [
      orchestratorView(api, apiWorkers, { host: "alpha", projectKey: "CTL", path: null }),
      orchestratorView(web, webWorkers, { host: "beta", projectKey: "WEB", path: null }),
    ],
    needsYou: [{ orchestrator: api, worker: "CTL-2", reason: "failed", message: "tests failed", since: T0 }],
    sourceErrors: [],
    hosts: ["alpha", "beta"].map((name) => ({ name, lastHeartbeat: beat, stale: stale.has(name) })),
  };
}

/** A `hosts` delta: the whole host list, as the monitor sends it when a host goes stale or back. */
export function hostsUpdate(id: number, hosts: NonNullable<Snapshot["hosts"]>): Delta {
  return { id, event: "hosts", data: { ts: new Date().toISOString(), hosts } };
}
