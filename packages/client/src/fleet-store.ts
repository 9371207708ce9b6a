// The fleet as the client knows it: the last snapshot with every delta since applied (by fuse's
// own pure applyDelta, so client and server agree on what a delta means), the id to resume from,
// and listeners told about each change.
import { applyDelta, createSpendTracker } from "@catalyst/fuse";
import type { Delta, HostView, Snapshot } from "@catalyst/schema/constants";

/** What a listener is told: the fleet after the frame, and the frame itself. */
export type FleetListener = (snapshot: Snapshot, delta: Delta) => void;

export interface FleetStore {
  /** The fleet now, or null before the first snapshot. Treat as read-only. */
  snapshot(): Snapshot | null;
  /**
   * The hosts of a monitor that fuses several machines (sorted by name, each with its last
   * heartbeat and whether it is stale), kept up to date by `hosts` frames; null before the first
   * snapshot and on a single-host monitor. Treat as read-only.
   */
  hosts(): readonly HostView[] | null;
  /** The id of the last frame applied: the resume point (`Last-Event-ID`). 0 before any frame. */
  lastId(): number;
  /**
   * Applies one frame. A `snapshot` replaces the fleet; any other frame patches it (a `hosts`
   * frame replaces the host list). Returns false
   * (and changes nothing) for a delta that arrives before any snapshot, which has nothing to patch.
   */
  apply(delta: Delta): boolean;
  /**
   * US dollars the fleet spent in `[from, to)`, from the cost changes of the frames applied
   * (fuse's `createSpendTracker`: a worker first seen has its cost spread over its life so far).
   * For "today" and the burn rate; exact to a minute over the last 48 hours.
   */
  spent(from: Date, to: Date): number;
  /** Calls `listener` after every applied frame; returns the unsubscribe function. */
  subscribe(listener: FleetListener): () => void;
}

/**
 * Creates an empty store. A listener that throws does not stop the others or the store: the
 * error is handed to `onListenerError` (default: rethrown on a later task, where the host's
 * uncaught-error handling sees it).
 */
export function createFleetStore(options: { onListenerError?: (error: unknown) => void } = {}): FleetStore {
  const onListenerError =
    options.onListenerError ??
    ((error: unknown) => {
      queueMicrotask(() => {
        throw error;
      });
    });
  const listeners = new Set<FleetListener>();
  let current: Snapshot | null = null;
  let last = 0;
  const spend = createSpendTracker();

  return {
    snapshot: () => current,
    hosts: () => current?.hosts ?? null,
    lastId: () => last,
    spent: (from, to) => spend.spent(from, to),
    apply(delta) {
      if (delta.event === "snapshot") current = delta.data;
      else if (current === null) return false;
      else current = applyDelta(current, delta);
      spend.observe(delta);
      // A snapshot's id is the server's resume point; after a server restart it can go down.
      last = delta.id;
      const snapshot = current;
      for (const listener of [...listeners]) {
        try {
          listener(snapshot, delta);
        } catch (error) {
          onListenerError(error);
        }
      }
      return true;
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
  };
}
