import { createFleetStore } from "@catalyst/client";
import type { Delta } from "@catalyst/schema/constants";
import { describe, expect, it } from "vitest";
import { orchestrator, snapshotOf, worker } from "./fixtures.test-helper.js";
import { createLiveView } from "./live-view.js";
import type { ThrottleTimers } from "./throttle.js";

describe("createLiveView", () => {
  it("turns a burst of deltas into one redraw per interval and keeps the pane bounded", () => {
    let now = 0;
    const pending: Array<() => void> = [];
    const timers: ThrottleTimers = {
      now: () => now,
      setTimeout: (fn) => pending.push(fn),
      clearTimeout: () => {},
    };
    const store = createFleetStore();
    const view = createLiveView(store, { intervalMs: 100, maxEvents: 50, timers });
    let redraws = 0;
    view.subscribe(() => redraws++);
    store.apply({
      id: 1,
      event: "snapshot",
      data: snapshotOf([orchestrator("o", [worker("o", "W-1")])]),
    } as Delta);
    expect(redraws).toBe(1);
    for (let i = 2; i < 5002; i++) {
      const status = i % 2 === 0 ? "validating" : "implementing";
      store.apply({
        id: i,
        event: "worker-update",
        data: {
          orchestrator: "o",
          worker: "W-1",
          status,
          phase: 4,
          ts: "2026-04-14T19:00:00Z",
          workerState: worker("o", "W-1", { status }),
        },
      } as Delta);
    }
    expect(redraws).toBe(1);
    expect(view.stats().frames).toBe(5001);
    now = 100;
    for (const fn of pending.splice(0)) fn();
    expect(redraws).toBe(2);
    const state = view.current();
    expect(state.snapshot?.orchestrators[0]?.workers["W-1"]?.status).toBe("implementing");
    expect(state.events).toHaveLength(50);
    expect(state.events.at(-1)?.text).toBe("W-1 → implementing");
    view.stop();
  });
});
