import type { ChildProcess } from "node:child_process";
import { afterEach, describe, expect, it, vi } from "vitest";
import { killAndWait, spawnSleeper, waitUntil } from "./child-process.test-helper.js";
import {
  createLivenessPoller,
  type LivenessPoller,
  MAX_LIVENESS_INTERVAL_MS,
  MIN_LIVENESS_INTERVAL_MS,
} from "./index.js";
import { LIVENESS_SLICE } from "./liveness-poller.js";

const children: ChildProcess[] = [];
const pollers: LivenessPoller[] = [];
afterEach(async () => {
  await Promise.all(pollers.splice(0).map((p) => p.stop()));
  await Promise.all(children.splice(0).map(killAndWait));
});
const fixedClock = { now: () => new Date("2026-11-24T12:00:00.000Z") };

describe("createLivenessPoller", () => {
  it("notifies only results that changed since the last check", async () => {
    const child = await spawnSleeper();
    children.push(child);
    const poller = createLivenessPoller({ clock: fixedClock });
    pollers.push(poller);
    const seen: Array<Array<{ worker: string; alive: boolean | null }>> = [];
    poller.subscribe((results) =>
      seen.push(results.map((r) => ({ worker: r.worker, alive: r.result.alive }))),
    );
    const startedAt = new Date(Date.now() - 1_000).toISOString();
    poller.track([
      { orchestrator: "o", worker: "A", pid: child.pid, startedAt },
      { orchestrator: "o", worker: "B", pid: null, startedAt: null },
    ]);

    expect(poller.checkNow()).toHaveLength(2);
    expect(seen).toEqual([
      [
        { worker: "A", alive: true },
        { worker: "B", alive: null },
      ],
    ]);
    poller.checkNow();
    expect(seen).toHaveLength(1);

    await killAndWait(child);
    const all = poller.checkNow();
    expect(all.find((r) => r.worker === "A")?.result).toMatchObject({ alive: false, reason: "dead" });
    expect(seen[1]).toEqual([{ worker: "A", alive: false }]);
    expect(poller.health()).toMatchObject({ enabled: true, lastSuccessAt: "2026-11-24T12:00:00.000Z" });
  });

  it("checks a newly tracked pid on its own within a second, long before the next round", async () => {
    const child = await spawnSleeper();
    children.push(child);
    // A round every 10 minutes: only the first-check path can answer in time.
    const poller = createLivenessPoller({ intervalMs: 600_000 });
    pollers.push(poller);
    const seen: string[] = [];
    poller.subscribe((results) => seen.push(...results.map((r) => `${r.worker}:${r.result.reason}`)));
    poller.start();
    const startedAt = new Date(Date.now() - 1_000).toISOString();
    poller.track([{ orchestrator: "o", worker: "A", pid: child.pid, startedAt }]);
    await waitUntil(() => seen.includes("A:alive"), 5_000);
    expect(seen).toEqual(["A:alive"]);
  });

  it("forgets untracked workers and reports a worker again when it comes back", async () => {
    const poller = createLivenessPoller({ clock: fixedClock });
    pollers.push(poller);
    const seen: string[] = [];
    poller.subscribe((results) => seen.push(...results.map((r) => `${r.worker}:${r.result.reason}`)));
    poller.track([{ orchestrator: "o", worker: "A", pid: null, startedAt: null }]);
    poller.checkNow();
    poller.track([]);
    expect(poller.checkNow()).toEqual([]);
    poller.track([{ orchestrator: "o", worker: "A", pid: null, startedAt: null }]);
    poller.checkNow();
    expect(seen).toEqual(["A:no-pid", "A:no-pid"]);
  });

  it("runs on its timer after start() and reports a death without being asked", async () => {
    const child = await spawnSleeper();
    children.push(child);
    const poller = createLivenessPoller({ intervalMs: 20 });
    pollers.push(poller);
    const dead: number[] = [];
    poller.subscribe((results) => {
      for (const r of results) if (r.result.alive === false && r.result.pid !== null) dead.push(r.result.pid);
    });
    poller.track([{ orchestrator: "o", worker: "A", pid: child.pid, startedAt: null }]);
    poller.start();
    expect(poller.health().nextRunAt).not.toBeNull();
    await killAndWait(child);
    await waitUntil(() => dead.includes(child.pid), 5_000, "the death to be reported");
    await poller.stop();
    expect(poller.health().nextRunAt).toBeNull();
  });

  it("checks a timed round in slices, a turn of the event loop apart, and reports its changes once", async () => {
    const child = await spawnSleeper();
    children.push(child);
    const count = LIVENESS_SLICE * 3 + 7;
    let probes = 0;
    const kill = (pid: number, signal: NodeJS.Signals | number) => {
      probes++;
      process.kill(pid, signal);
    };
    const poller = createLivenessPoller({ intervalMs: 60_000, deps: { kill, processStartMs: () => null } });
    pollers.push(poller);
    const reports: number[] = [];
    poller.subscribe((results) => reports.push(results.length));
    poller.track(
      Array.from({ length: count }, (_, i) => ({
        orchestrator: "o",
        worker: `w${i}`,
        pid: child.pid,
        startedAt: null,
      })),
    );
    // Turns of the event loop between the slices: the round's first slice runs in start() itself.
    let turns = 0;
    let counting = true;
    const turn = () => {
      turns++;
      if (counting) setImmediate(turn);
    };
    setImmediate(turn);
    poller.start();
    expect(probes).toBe(LIVENESS_SLICE);
    expect(reports).toEqual([]);
    await waitUntil(() => reports.length > 0, 5_000, "the round's report");
    counting = false;
    expect(probes).toBe(count);
    expect(reports).toEqual([count]);
    expect(turns).toBeGreaterThanOrEqual(3);
    expect(poller.health().lastSuccessAt).not.toBeNull();
  });

  it("stops a round in progress", async () => {
    const child = await spawnSleeper();
    children.push(child);
    let probes = 0;
    const kill = (pid: number, signal: NodeJS.Signals | number) => {
      probes++;
      process.kill(pid, signal);
    };
    const poller = createLivenessPoller({ intervalMs: 60_000, deps: { kill, processStartMs: () => null } });
    const reports: number[] = [];
    poller.subscribe((results) => reports.push(results.length));
    poller.track(
      Array.from({ length: LIVENESS_SLICE * 2 }, (_, i) => ({
        orchestrator: "o",
        worker: `w${i}`,
        pid: child.pid,
        startedAt: null,
      })),
    );
    poller.start();
    await poller.stop();
    await new Promise((resolve) => setTimeout(resolve, 0));
    await new Promise((resolve) => setImmediate(resolve));
    expect(probes).toBe(LIVENESS_SLICE);
    expect(reports).toEqual([]);
    expect(poller.health().nextRunAt).toBeNull();
  });

  it("checks on the interval it is given, and refuses one out of bounds", () => {
    const poller = createLivenessPoller({ clock: fixedClock, intervalMs: 750 });
    pollers.push(poller);
    poller.start();
    const h = poller.health();
    expect(Date.parse(h.nextRunAt!) - Date.parse(h.lastSuccessAt!)).toBe(750);
    for (const intervalMs of [0, -5, Number.NaN, MIN_LIVENESS_INTERVAL_MS - 1, MAX_LIVENESS_INTERVAL_MS + 1])
      expect(() => createLivenessPoller({ intervalMs })).toThrow(RangeError);
    expect(() => createLivenessPoller({ intervalMs: MAX_LIVENESS_INTERVAL_MS })).not.toThrow();
  });

  it("keeps going when a subscriber throws, and hands the error to onListenerError", () => {
    const errors: unknown[] = [];
    const poller = createLivenessPoller({
      clock: fixedClock,
      onListenerError: (error) => errors.push(error),
    });
    let calls = 0;
    poller.subscribe(() => {
      throw new Error("listener bug");
    });
    poller.subscribe(() => {
      calls += 1;
    });
    poller.track([{ orchestrator: "o", worker: "A", pid: null, startedAt: null }]);
    expect(() => poller.checkNow()).not.toThrow();
    expect(calls).toBe(1);
    expect(errors).toEqual([new Error("listener bug")]);
    // A subscriber's bug is not the poller's health.
    expect(poller.health().lastError).toBeNull();
  });

  it("rethrows a subscriber's error on a later microtask by default", () => {
    const poller = createLivenessPoller({ clock: fixedClock });
    poller.subscribe(() => {
      throw new Error("listener bug");
    });
    poller.track([{ orchestrator: "o", worker: "A", pid: null, startedAt: null }]);
    const later: Array<() => void> = [];
    vi.stubGlobal("queueMicrotask", (task: () => void) => later.push(task));
    try {
      expect(() => poller.checkNow()).not.toThrow();
    } finally {
      vi.unstubAllGlobals();
    }
    expect(later).toHaveLength(1);
    expect(later[0]).toThrow("listener bug");
  });
});
