// A stand-in for fuse in SSE hub tests: deltas are published by the test.
import type { Delta, Snapshot } from "@catalyst/schema";

/** An empty snapshot at a fixed time. */
export function emptySnapshot(at = "2026-04-14T19:00:00Z"): Snapshot {
  return { generatedAt: at, orchestrators: [], needsYou: [], sourceErrors: [] };
}

/** A scripted feed for hub tests: the shape of fuse (and of @catalyst/schema's DeltaFeed), with deltas published by the test. */
export interface ScriptedFeed {
  snapshot(): Snapshot;
  lastId(): number;
  since(id: number): { ok: true; deltas: Delta[] } | { ok: false; reason: "gap" };
  subscribe(listener: (deltas: Delta[]) => void): () => void;
  publish(drafts: Array<Omit<Delta, "id">>): Delta[];
  listenerCount(): number;
}

/** Creates a scripted feed with a ring of `ringSize` deltas. */
export function createScriptedFeed(ringSize = 1000): ScriptedFeed {
  const ring: Delta[] = [];
  const listeners = new Set<(deltas: Delta[]) => void>();
  let last = 0;
  return {
    snapshot: () => emptySnapshot(),
    lastId: () => last,
    since(id) {
      if (id > last) return { ok: false, reason: "gap" };
      if (id === last) return { ok: true, deltas: [] };
      const first = ring[0];
      if (first === undefined || first.id > id + 1) return { ok: false, reason: "gap" };
      return { ok: true, deltas: ring.filter((d) => d.id > id) };
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    publish(drafts) {
      const deltas = drafts.map((d) => ({ ...d, id: ++last }) as Delta);
      ring.push(...deltas);
      while (ring.length > ringSize) ring.shift();
      for (const listener of [...listeners]) listener(deltas);
      return deltas;
    },
    listenerCount: () => listeners.size,
  };
}

/** A small `worker-removed` delta draft for tests. */
export function removedDraft(orchestrator: string, worker: string): Omit<Delta, "id"> {
  return { event: "worker-removed", data: { orchestrator, worker, ts: "2026-04-14T19:00:00Z" } };
}
