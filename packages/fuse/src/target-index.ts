import {
  type Delta,
  isTerminalStatus,
  type LivenessTarget,
  type PrRef,
  type WorkerView,
} from "@catalyst/schema";
import { JOB_CHECKED_STATUSES } from "./derive-pipeline.js";

/** What the pollers should watch now; `version` grows whenever either list changed. */
export interface PollTargets {
  version: number;
  liveness: readonly LivenessTarget[];
  prRefs: readonly PrRef[];
}

/** The pid check a worker view asks for, if any: it has a pid and a status that is not terminal. */
export function livenessTargetOf(view: WorkerView): LivenessTarget | null {
  const p = view.pipeline;
  if (p) {
    // Only a phase a job runs for (dispatched, running, a self-wait) is checked (R3.17–R3.19).
    if (p.jobId === null || !JOB_CHECKED_STATUSES.has(p.phaseStatus)) return null;
    return {
      orchestrator: view.orchestrator,
      worker: view.ticket,
      pid: null,
      startedAt: view.startedAt,
      jobId: p.jobId,
    };
  }
  if (view.pid === null || isTerminalStatus(view.status)) return null;
  return { orchestrator: view.orchestrator, worker: view.ticket, pid: view.pid, startedAt: view.startedAt };
}

/** The PR a worker view asks to poll, if any: it has a repo and is neither merged nor closed. */
export function prRefOf(view: WorkerView): PrRef | null {
  const pr = view.pr;
  if (pr === null || pr.repo === null || pr.state === "merged" || pr.state === "closed") return null;
  return { repo: pr.repo, number: pr.number };
}

/** The poll targets, kept up to date from the deltas: O(1) work per worker delta. */
export interface TargetIndex {
  apply(delta: Delta): void;
  current(): PollTargets;
}

interface WorkerTargets {
  liveness: LivenessTarget | null;
  /** `repo#number` of `prRef`. */
  pr: string | null;
  prRef: PrRef | null;
}

/** Create an empty index; feed it every delta in order. */
export function createTargetIndex(): TargetIndex {
  // orchestrator → worker → what that worker asks for
  const byOrchestrator = new Map<string, Map<string, WorkerTargets>>();
  // `repo#number` → how many workers ask for it (one PR can be named by several workers)
  const prCounts = new Map<string, { ref: PrRef; count: number }>();
  let version = 0;
  let cached: PollTargets | null = null;

  const dropPr = (key: string | null): void => {
    if (key === null) return;
    const entry = prCounts.get(key);
    if (!entry) return;
    entry.count -= 1;
    if (entry.count === 0) prCounts.delete(key);
  };
  const setWorker = (orchestrator: string, worker: string, next: WorkerTargets | null): void => {
    let workers = byOrchestrator.get(orchestrator);
    const prev = workers?.get(worker) ?? null;
    const prevLive = prev?.liveness ?? null;
    const nextLive = next?.liveness ?? null;
    const sameLive =
      prevLive === nextLive ||
      (prevLive !== null &&
        nextLive !== null &&
        prevLive.pid === nextLive.pid &&
        prevLive.jobId === nextLive.jobId &&
        prevLive.startedAt === nextLive.startedAt);
    const samePr = (prev?.pr ?? null) === (next?.pr ?? null);
    if (sameLive && samePr) {
      if (next && prev) workers?.set(worker, next);
      return;
    }
    if (!samePr) {
      dropPr(prev?.pr ?? null);
      if (next?.pr && next.prRef) {
        const entry = prCounts.get(next.pr);
        if (entry) entry.count += 1;
        else prCounts.set(next.pr, { ref: next.prRef, count: 1 });
      }
    }
    if (next === null || (next.liveness === null && next.pr === null)) {
      workers?.delete(worker);
      if (workers?.size === 0) byOrchestrator.delete(orchestrator);
    } else {
      if (!workers) {
        workers = new Map();
        byOrchestrator.set(orchestrator, workers);
      }
      workers.set(worker, next);
    }
    version += 1;
    cached = null;
  };

  return {
    apply(delta) {
      switch (delta.event) {
        case "worker-update":
        case "pr-update":
        case "liveness-change": {
          const view = delta.data.workerState;
          const pr = prRefOf(view);
          setWorker(delta.data.orchestrator, delta.data.worker, {
            liveness: livenessTargetOf(view),
            pr: pr ? `${pr.repo}#${pr.number}` : null,
            prRef: pr,
          });
          return;
        }
        case "worker-removed":
          setWorker(delta.data.orchestrator, delta.data.worker, null);
          return;
        case "orchestrator-removed": {
          const workers = byOrchestrator.get(delta.data.orchestrator);
          if (workers)
            for (const worker of [...workers.keys()]) setWorker(delta.data.orchestrator, worker, null);
          return;
        }
        default:
          return;
      }
    },
    current() {
      if (cached) return cached;
      const liveness: LivenessTarget[] = [];
      for (const workers of byOrchestrator.values())
        for (const t of workers.values()) if (t.liveness) liveness.push(t.liveness);
      cached = { version, liveness, prRefs: [...prCounts.values()].map((e) => e.ref) };
      return cached;
    },
  };
}
