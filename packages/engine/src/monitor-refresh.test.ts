import { initialHealth } from "@catalyst/schema";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createMonitor, type MonitorParts } from "./monitor.js";

// Issue 26: the periodic full snapshot (megabytes at 10,000 workers) landed in the middle of a
// stream of writes and multiplied what each write cost by the fleet's size. It is a keep-alive:
// sent only after a period in which no delta went out.

afterEach(() => {
  vi.useRealTimers();
});

function parts(): { parts: MonitorParts; moveOn: () => void } {
  let lastId = 0;
  const health = initialHealth();
  const poller = {
    start() {},
    async stop() {},
    track() {},
    subscribe: () => () => {},
    health: () => health,
  };
  return {
    moveOn: () => {
      lastId += 1;
    },
    parts: {
      fuse: {
        apply: () => [],
        targets: () => ({ version: 0, liveness: [], prRefs: [] }),
        snapshot: () => {
          throw new Error("not used");
        },
        lastId: () => lastId,
        since: () => ({ ok: true, deltas: [] }),
        subscribe: () => () => {},
      },
      watcher: {
        start: async () => {},
        stop: async () => {},
        subscribe: () => () => {},
        health: () => health,
      },
      prPoller: poller,
      liveness: poller,
      clock: { now: () => new Date() },
    },
  };
}

describe("the snapshot refresh", () => {
  it("is sent after a period without deltas, never while deltas flow", async () => {
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval"] });
    const { parts: p, moveOn } = parts();
    let refreshes = 0;
    const monitor = createMonitor(p, {
      snapshotMs: 60_000,
      tickMs: 3_600_000,
      onSnapshotTimer: () => (refreshes += 1),
    });
    await monitor.start();
    // Deltas go out in every period: no refresh.
    for (let i = 0; i < 5; i++) {
      moveOn();
      vi.advanceTimersByTime(60_000);
    }
    expect(refreshes).toBe(0);
    // The stream goes quiet: one refresh per quiet period.
    vi.advanceTimersByTime(60_000);
    expect(refreshes).toBe(1);
    vi.advanceTimersByTime(60_000);
    expect(refreshes).toBe(2);
    await monitor.stop();
  });
});
