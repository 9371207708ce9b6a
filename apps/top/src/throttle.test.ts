import { describe, expect, it } from "vitest";
import { createThrottle, type ThrottleTimers } from "./throttle.js";

function manualTimers() {
  let now = 0;
  const queue: Array<{ at: number; fn: () => void; id: number }> = [];
  let nextId = 1;
  const timers: ThrottleTimers = {
    now: () => now,
    setTimeout: (fn, ms) => {
      const id = nextId++;
      queue.push({ at: now + ms, fn, id });
      return id;
    },
    clearTimeout: (h) => {
      const i = queue.findIndex((t) => t.id === h);
      if (i >= 0) queue.splice(i, 1);
    },
  };
  const advance = (ms: number) => {
    now += ms;
    for (const t of queue.filter((t) => t.at <= now)) {
      queue.splice(queue.indexOf(t), 1);
      t.fn();
    }
  };
  return { timers, advance };
}

describe("createThrottle", () => {
  it("runs at once, then at most once per interval with a trailing run", () => {
    const { timers, advance } = manualTimers();
    let runs = 0;
    const t = createThrottle(() => runs++, 100, timers);
    t.request();
    expect(runs).toBe(1);
    for (let i = 0; i < 10_000; i++) t.request();
    expect(runs).toBe(1);
    advance(100);
    expect(runs).toBe(2);
    // A second of constant requests: about ten runs.
    for (let ms = 0; ms < 1000; ms += 5) {
      t.request();
      advance(5);
    }
    expect(runs).toBeLessThanOrEqual(13);
    expect(runs).toBeGreaterThanOrEqual(10);
    expect(t.runs()).toBe(runs);
  });

  it("drops the pending run on cancel", () => {
    const { timers, advance } = manualTimers();
    let runs = 0;
    const t = createThrottle(() => runs++, 100, timers);
    t.request();
    t.request();
    t.cancel();
    advance(500);
    expect(runs).toBe(1);
  });
});
