// The dashboard's state: the current snapshot and resume id (@catalyst/client's fleet store, which
// patches the snapshot with each delta), the live event stream lines, and when each worker last
// changed (for the row highlight).

import { createFleetStore } from "@catalyst/client";
import type { Delta, Snapshot } from "@catalyst/schema";
import { describeDelta, type FeedEntry } from "./event-feed.js";

/** Everything the views render. Treat as read-only. */
export interface DashboardState {
  snapshot: Snapshot | null;
  /** The id of the last frame applied (for `?lastEventId=` resume). */
  lastId: number;
  /** Event stream lines, newest first, at most `maxFeed`. */
  feed: FeedEntry[];
  /** Client time (ms) of the last change per worker, keyed by `workerKey`. */
  changedAt: Map<string, number>;
  /** Client time (ms) when the last full snapshot arrived. */
  snapshotReceivedAt: number | null;
  /** Frames received and frames dropped as unreadable. */
  frames: { applied: number; rejected: number };
}

export interface StoreOptions {
  /** @default 200 (the reference UI's cap) */
  maxFeed?: number;
  now?: () => number;
}

export interface Store {
  getState(): DashboardState;
  /** Applies one SSE frame. A `snapshot` replaces the state; other frames patch it. */
  applyFrame(delta: Delta): void;
  /** Adds a client-made line to the event stream (connection changes). */
  note(entry: Omit<FeedEntry, "id" | "at">): void;
  /** Marks that the next snapshot follows a (re)connect, so it is worth a stream line. */
  expectResync(): void;
  rejectFrame(): void;
  /** US dollars spent in `[from, to)`, from the frames' cost changes (the fleet store's `spent`). */
  spent(from: Date, to: Date): number;
  subscribe(listener: (state: DashboardState) => void): () => void;
}

/** Key of a worker in `changedAt`. */
export function workerKey(orchestrator: string, worker: string): string {
  return `${orchestrator}\u0000${worker}`;
}

function countWorkers(snapshot: Snapshot): number {
  return snapshot.orchestrators.reduce((n, o) => n + Object.keys(o.workers).length, 0);
}

/** Creates the store. */
export function createStore(options: StoreOptions = {}): Store {
  const maxFeed = options.maxFeed ?? 200;
  const now = options.now ?? (() => Date.now());
  const listeners = new Set<(state: DashboardState) => void>();
  const fleet = createFleetStore();
  let resyncPending = true;
  const state: DashboardState = {
    snapshot: null,
    lastId: 0,
    feed: [],
    changedAt: new Map(),
    snapshotReceivedAt: null,
    frames: { applied: 0, rejected: 0 },
  };

  const emit = () => {
    for (const listener of listeners) listener(state);
  };

  const pushFeed = (entry: FeedEntry) => {
    state.feed.unshift(entry);
    if (state.feed.length > maxFeed) state.feed.length = maxFeed;
  };

  // After a reconnect the snapshot may differ from what we showed: highlight what moved.
  const markSnapshotChanges = (before: Snapshot | null, after: Snapshot, at: number) => {
    if (!before) return;
    for (const orch of after.orchestrators) {
      const old = before.orchestrators.find((o) => o.id === orch.id);
      for (const [key, w] of Object.entries(orch.workers)) {
        const prev = old?.workers[key];
        if (!prev || prev.status !== w.status || prev.phase !== w.phase || prev.alive !== w.alive) {
          state.changedAt.set(workerKey(orch.id, key), at);
        }
      }
    }
  };

  return {
    getState: () => state,
    spent: (from, to) => fleet.spent(from, to),
    applyFrame(delta) {
      const at = now();
      const before = fleet.snapshot();
      // A delta before any snapshot has nothing to patch (the server always sends one first).
      if (!fleet.apply(delta)) return;
      state.snapshot = fleet.snapshot();
      // A snapshot's id is the server's resume point; after a server restart it can go down.
      state.lastId = fleet.lastId();
      if (delta.event === "snapshot") {
        state.snapshotReceivedAt = at;
        markSnapshotChanges(before, delta.data, at);
        if (resyncPending) {
          resyncPending = false;
          const n = delta.data.orchestrators.length;
          pushFeed({
            id: delta.id,
            at: new Date(at).toISOString(),
            kind: "sync",
            tone: "dispatched",
            orchestrator: null,
            worker: null,
            text: `snapshot: ${n} orchestrator${n === 1 ? "" : "s"}, ${countWorkers(delta.data)} workers`,
          });
        }
      } else if (before !== null) {
        const entry = describeDelta(delta, before);
        if (entry) pushFeed(entry);
        if ("worker" in delta.data && typeof delta.data.worker === "string" && "workerState" in delta.data) {
          state.changedAt.set(workerKey(delta.data.orchestrator, delta.data.worker), at);
        }
      }
      state.frames.applied += 1;
      emit();
    },
    note(entry) {
      pushFeed({ ...entry, id: 0, at: new Date(now()).toISOString() });
      emit();
    },
    expectResync() {
      resyncPending = true;
    },
    rejectFrame() {
      state.frames.rejected += 1;
      emit();
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
