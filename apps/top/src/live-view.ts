// Between the store and the screen: every applied frame is noted (the event pane), and the screen
// is told to redraw through the throttle, so a burst of deltas costs one redraw per interval.
import type { FleetStore } from "@catalyst/client";
import type { Delta, Snapshot } from "@catalyst/schema/constants";
import { createThrottle, type Throttle, type ThrottleTimers } from "./throttle.js";
import { type PaneEvent, pushBounded } from "./view-model.js";

export interface LiveViewState {
  snapshot: Snapshot | null;
  /** The latest frames, oldest first (at most `maxEvents`). */
  events: PaneEvent[];
  /** Grows with every redraw. */
  version: number;
}

export interface LiveView {
  current(): LiveViewState;
  /** Called (throttled) when the screen should redraw. */
  subscribe(listener: () => void): () => void;
  /** Frames applied so far, and redraws asked for. */
  stats(): { frames: number; redraws: number };
  stop(): void;
}

/** A frame as one line of the event pane, or null for the ones not worth a line. */
export function paneEventOf(delta: Delta): PaneEvent | null {
  switch (delta.event) {
    case "snapshot":
      return null;
    case "log-event": {
      const d = delta.data;
      const who = [d.orchestrator, d.worker].filter((x) => x !== null).join("/");
      return { ts: d.ts, text: `${d.event}${who ? ` ${who}` : ""}` };
    }
    case "worker-update": {
      const d = delta.data;
      return { ts: d.ts, text: `${d.worker} → ${d.status}` };
    }
    case "needs-you": {
      const d = delta.data;
      if (d.added.length === 0) return null;
      const first = d.added[0]!;
      return {
        ts: d.ts,
        text: `needs you: ${first.worker ?? (first.orchestrator || "fleet")} ${first.reason}${d.added.length > 1 ? ` (+${d.added.length - 1})` : ""}`,
      };
    }
    case "orchestrator-update":
      return null;
    case "hosts": {
      const stale = delta.data.hosts.filter((h) => h.stale).map((h) => h.name);
      return {
        ts: delta.data.ts,
        text: stale.length === 0 ? "hosts: every host reporting" : `hosts: stale ${stale.join(", ")}`,
      };
    }
    default: {
      const d = delta.data as { ts?: string; orchestrator?: string };
      return { ts: d.ts ?? "", text: `${delta.event}${d.orchestrator ? ` ${d.orchestrator}` : ""}` };
    }
  }
}

/** Follows `store`; redraws at most once per `intervalMs` (default 100 ms). */
export function createLiveView(
  store: FleetStore,
  options: { maxEvents?: number; intervalMs?: number; timers?: ThrottleTimers } = {},
): LiveView {
  const maxEvents = options.maxEvents ?? 200;
  const listeners = new Set<() => void>();
  let pending: PaneEvent[] = [];
  let frames = 0;
  let state: LiveViewState = { snapshot: store.snapshot(), events: [], version: 0 };
  const throttle: Throttle = createThrottle(
    () => {
      state = {
        snapshot: store.snapshot(),
        events: pending.length === 0 ? state.events : pushBounded(state.events, pending, maxEvents),
        version: state.version + 1,
      };
      pending = [];
      for (const l of [...listeners]) l();
    },
    options.intervalMs ?? 100,
    options.timers,
  );
  const unsubscribe = store.subscribe((_snapshot, delta) => {
    frames += 1;
    const line = paneEventOf(delta);
    if (line !== null) {
      pending.push(line);
      if (pending.length > maxEvents) pending.splice(0, pending.length - maxEvents);
    }
    throttle.request();
  });
  return {
    current: () => state,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    stats: () => ({ frames, redraws: throttle.runs() }),
    stop() {
      unsubscribe();
      throttle.cancel();
    },
  };
}
