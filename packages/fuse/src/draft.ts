import { createOrchestratorRecord, type FuseState, type OrchestratorRecord } from "./state.js";

type MapField = "signals" | "workerFiles" | "logWorkers" | "liveness";

/**
 * Copy-on-write access to a FuseState during one reduce. The input state is never mutated: a
 * record, or one of its maps, is shallow-copied the first time it is written. This keeps a signal
 * change on a 2,000-worker fleet to a few object copies instead of a deep clone.
 */
export interface StateDraft {
  readonly state: FuseState;
  /** The writable record of an orchestrator, created when `create` is set and it does not exist. */
  orchestrator(id: string, create: true): OrchestratorRecord;
  orchestrator(id: string, create: false): OrchestratorRecord | undefined;
  /** A writable copy of one of a record's maps (copied once per draft). */
  map<K extends MapField>(record: OrchestratorRecord, field: K): OrchestratorRecord[K];
  /** Drop an orchestrator record entirely. */
  remove(id: string): void;
  /** Orchestrators whose views must be recomputed: all workers, or only the named ones. */
  readonly dirty: Map<string, Set<string> | "all">;
  markWorker(orchestrator: string, worker: string): void;
  markAll(orchestrator: string): void;
  /** Recompute the orchestrator's own fields but no worker. */
  markSummary(orchestrator: string): void;
}

/** Start a draft over `base`. */
export function createDraft(base: FuseState): StateDraft {
  const state: FuseState = { ...base, orchestrators: { ...base.orchestrators } };
  const copiedRecords = new Set<string>();
  const copiedMaps = new Map<string, Set<MapField>>();
  const dirty = new Map<string, Set<string> | "all">();

  function orchestrator(id: string, create: boolean): OrchestratorRecord | undefined {
    const existing = state.orchestrators[id];
    if (existing && copiedRecords.has(id)) return existing;
    if (!existing && !create) return undefined;
    const record = existing ? { ...existing } : createOrchestratorRecord(id);
    state.orchestrators[id] = record;
    copiedRecords.add(id);
    copiedMaps.set(id, new Set());
    return record;
  }

  return {
    state,
    orchestrator: orchestrator as StateDraft["orchestrator"],
    map(record, field) {
      const copied = copiedMaps.get(record.id);
      if (!copied) throw new Error(`internal: ${record.id} was not opened for writing`);
      if (!copied.has(field)) {
        (record as unknown as Record<MapField, unknown>)[field] = { ...record[field] };
        copied.add(field);
      }
      return record[field];
    },
    remove(id) {
      delete state.orchestrators[id];
      copiedRecords.delete(id);
      copiedMaps.delete(id);
    },
    dirty,
    markWorker(orch, worker) {
      const current = dirty.get(orch);
      if (current === "all") return;
      if (current) current.add(worker);
      else dirty.set(orch, new Set([worker]));
    },
    markAll(orch) {
      dirty.set(orch, "all");
    },
    markSummary(orch) {
      if (!dirty.has(orch)) dirty.set(orch, new Set());
    },
  };
}
