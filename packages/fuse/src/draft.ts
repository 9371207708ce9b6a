import { registerDraftState } from "./draft-fresh.js";
import { ownValue, setOwn } from "./own-property.js";
import { parkLiveness, unparkLiveness } from "./pending-liveness.js";
import { createOrchestratorRecord, type FuseState, type OrchestratorRecord } from "./state.js";

/**
 * Copy-on-write access to a FuseState during one reduce. The input state is never mutated: an
 * orchestrator record is shallow-copied the first time it is written, and its per-worker maps are
 * persistent KeyedMaps, so a signal change on a 2,000-worker fleet copies a few small objects.
 */
export interface StateDraft {
  readonly state: FuseState;
  /** The writable record of an orchestrator, created when `create` is set and it does not exist. */
  orchestrator(id: string, create: true): OrchestratorRecord;
  orchestrator(id: string, create: false): OrchestratorRecord | undefined;
  /** Drop an orchestrator record entirely. */
  remove(id: string): void;
  /** Orchestrators whose views must be recomputed: all workers, or only the named ones. */
  readonly dirty: Map<string, Set<string> | "all">;
  markWorker(orchestrator: string, worker: string): void;
  markAll(orchestrator: string): void;
  /** Recompute the orchestrator's own fields but no worker. */
  markSummary(orchestrator: string): void;
}

/**
 * Start a draft over `base`. With `ownsTable`, the caller guarantees nothing else reads
 * `base.orchestrators` afterwards (createFuse's private state), so the record table is changed in
 * place instead of copied: at 500 orchestrators the copy was most of what a start-up allocated.
 * Records themselves are still copied before their first write.
 */
export function createDraft(base: FuseState, ownsTable = false): StateDraft {
  const state: FuseState = {
    ...base,
    orchestrators: ownsTable ? base.orchestrators : { ...base.orchestrators },
  };
  // What this draft's writes create may be changed in place by its later writes (draft-fresh.ts).
  registerDraftState(state);
  const copiedRecords = new Set<string>();
  const dirty = new Map<string, Set<string> | "all">();

  function orchestrator(id: string, create: boolean): OrchestratorRecord | undefined {
    const existing = ownValue(state.orchestrators, id);
    if (existing && copiedRecords.has(id)) return existing;
    if (!existing && !create) return undefined;
    const record = existing ? { ...existing } : createOrchestratorRecord(id);
    // Answers that came before the orchestrator did (see pending-liveness.ts).
    if (!existing) record.liveness = unparkLiveness(state, id) ?? record.liveness;
    setOwn(state.orchestrators, id, record);
    copiedRecords.add(id);
    return record;
  }

  return {
    state,
    orchestrator: orchestrator as StateDraft["orchestrator"],
    remove(id) {
      const record = ownValue(state.orchestrators, id);
      // A record dropped with answers in it (it held nothing else yet): kept for when it appears.
      if (record) parkLiveness(state, id, record.liveness);
      delete state.orchestrators[id];
      copiedRecords.delete(id);
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
