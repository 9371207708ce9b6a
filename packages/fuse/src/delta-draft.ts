import type { Delta, LogRecord, WorkerView } from "@catalyst/schema";

/**
 * A Delta before it gets its sequence id. Distributes over the union, so `event` still narrows
 * `data` (a plain `Omit<Delta, "id">` would lose that).
 */
export type DeltaDraft = Delta extends infer D ? (D extends unknown ? Omit<D, "id"> : never) : never;

/** `worker-update` with the seed's flat fields and the full view. */
export function workerUpdateDelta(view: WorkerView, ts: string): DeltaDraft {
  return {
    event: "worker-update",
    data: {
      orchestrator: view.orchestrator,
      worker: view.ticket,
      status: view.status,
      phase: view.phase,
      ts,
      workerState: view,
    },
  };
}

/** `pr-update` for a worker whose PR view changed (the view must carry a PR). */
export function prUpdateDelta(
  view: WorkerView & { pr: NonNullable<WorkerView["pr"]> },
  ts: string,
): DeltaDraft {
  return {
    event: "pr-update",
    data: {
      orchestrator: view.orchestrator,
      worker: view.ticket,
      pr: view.pr.number,
      ciStatus: view.pr.ciStatus,
      state: view.pr.state,
      mergedAt: view.pr.mergedAt,
      ts,
      workerState: view,
    },
  };
}

/** `liveness-change` for a worker whose `alive` flipped. */
export function livenessChangeDelta(view: WorkerView, ts: string): DeltaDraft {
  return {
    event: "liveness-change",
    data: {
      orchestrator: view.orchestrator,
      worker: view.ticket,
      alive: view.alive,
      pid: view.pid,
      ts,
      workerState: view,
    },
  };
}

/** `log-event` for one log record; `ts` is the line's own time. */
export function logEventDelta(record: LogRecord): DeltaDraft {
  const { event } = record;
  return {
    event: "log-event",
    data: {
      orchestrator: event.orchestrator,
      worker: event.worker,
      event: event.type,
      ts: event.ts,
      line: record.line,
    },
  };
}
