// A connection wired to a store: the one call most consumers need.
import type { Delta } from "@catalyst/schema/constants";
import {
  type Connection,
  type ConnectionOptions,
  type ConnectionStatus,
  createMonitorConnection,
} from "./connection.js";
import { createFleetStore, type FleetStore } from "./fleet-store.js";

export interface FollowFleetOptions
  extends Omit<ConnectionOptions, "lastId" | "onFrame" | "onBadFrame" | "onStatus" | "onOpen"> {
  /** Told about every connection state change (connecting, live, reconnecting with the reason). */
  onStatus?: (status: ConnectionStatus) => void;
  /** Told about a frame that was not JSON, by event name. */
  onBadFrame?: (name: string) => void;
  /** A store to fill (e.g. one with a listener-error policy); a new one by default. */
  store?: FleetStore;
}

export interface FleetFollower {
  readonly store: FleetStore;
  /** The latest connection state. */
  status(): ConnectionStatus;
  start(): void;
  stop(): void;
  /** Skips the remaining backoff wait and reconnects now. */
  retryNow(): void;
}

/**
 * Follows a monitor's fleet: connects to `/events`, applies the snapshot and every delta to the
 * store, reconnects with backoff and resumes from the last applied id when the same server is
 * still up (a fresh snapshot otherwise). Nothing happens until start().
 */
export function followFleet(options: FollowFleetOptions): FleetFollower {
  const store = options.store ?? createFleetStore();
  let status: ConnectionStatus = { state: "connecting", attempt: 0 };
  const connection: Connection = createMonitorConnection({
    ...options,
    lastId: () => store.lastId(),
    onFrame: (delta: Delta) => {
      store.apply(delta);
    },
    onBadFrame: (name) => options.onBadFrame?.(name),
    onStatus: (next) => {
      status = next;
      options.onStatus?.(next);
    },
    onOpen: () => {},
  });
  return {
    store,
    status: () => status,
    start: () => connection.start(),
    stop: () => connection.stop(),
    retryNow: () => connection.retryNow(),
  };
}
