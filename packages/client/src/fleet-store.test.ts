import type { Delta, Snapshot, WorkerView } from "@catalyst/schema/constants";
import { describe, expect, it } from "vitest";
import { createFleetStore } from "./fleet-store.js";

const T0 = "2026-04-14T19:00:00Z";

function snapshotWith(workers: Record<string, Partial<WorkerView>>): Snapshot {
  return {
    generatedAt: T0,
    needsYou: [],
    sourceErrors: [],
    orchestrators: [
      {
        id: "orch-a",
        workspace: "default",
        path: null,
        status: "active",
        projectKey: null,
        repository: null,
        baseBranch: null,
        startedAt: T0,
        updatedAt: T0,
        completedAt: null,
        lastHeartbeat: null,
        currentWave: 1,
        totalWaves: 1,
        waves: [],
        progress: { total: 0, done: 0, failed: 0, active: 0 },
        usage: null,
        attention: [],
        corrupt: null,
        sources: [],
        workers: workers as Record<string, WorkerView>,
      },
    ],
  } as unknown as Snapshot;
}

describe("createFleetStore", () => {
  it("ignores a delta before the first snapshot, then patches the snapshot and tracks the id", () => {
    const store = createFleetStore();
    const removed: Delta = {
      id: 3,
      event: "worker-removed",
      data: { orchestrator: "orch-a", worker: "W-1", ts: T0 },
    };
    expect(store.apply(removed)).toBe(false);
    expect(store.snapshot()).toBeNull();
    expect(store.lastId()).toBe(0);

    expect(store.apply({ id: 2, event: "snapshot", data: snapshotWith({ "W-1": { ticket: "W-1" } }) })).toBe(
      true,
    );
    expect(store.apply(removed)).toBe(true);
    expect(store.lastId()).toBe(3);
    expect(Object.keys(store.snapshot()?.orchestrators[0]?.workers ?? {})).toEqual([]);
  });

  it("a snapshot may move the id back (a restarted server)", () => {
    const store = createFleetStore();
    store.apply({ id: 90, event: "snapshot", data: snapshotWith({}) });
    store.apply({ id: 4, event: "snapshot", data: snapshotWith({}) });
    expect(store.lastId()).toBe(4);
  });

  it("tells every listener, even when one throws, and hands the error to the policy", () => {
    const errors: unknown[] = [];
    const store = createFleetStore({ onListenerError: (e) => errors.push(e) });
    const seen: number[] = [];
    store.subscribe(() => {
      throw new Error("listener bug");
    });
    const off = store.subscribe((_, delta) => seen.push(delta.id));
    store.apply({ id: 1, event: "snapshot", data: snapshotWith({}) });
    off();
    store.apply({ id: 2, event: "snapshot", data: snapshotWith({}) });
    expect(seen).toEqual([1]);
    expect(errors).toHaveLength(2);
  });
});
