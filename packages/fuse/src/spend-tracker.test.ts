import type { Delta, Snapshot, WorkerView } from "@catalyst/schema";
import { describe, expect, it } from "vitest";
import { createFuse, createSpendTracker } from "./index.js";
import { orchestratorAdded, signal, working } from "./inputs.test-helper.js";

const H = 3_600_000;
const T0 = Date.parse("2026-04-14T00:00:00.000Z");
const iso = (ms: number) => new Date(ms).toISOString();
const d = (ms: number) => new Date(ms);

function worker(ticket: string, costUSD: number, startedAt: number | null, updatedAt: number): WorkerView {
  return {
    orchestrator: "o",
    ticket,
    cost: { costUSD },
    startedAt: startedAt === null ? null : iso(startedAt),
    updatedAt: iso(updatedAt),
    completedAt: null,
  } as WorkerView;
}

function snapshotFrame(at: number, workers: WorkerView[]): Delta {
  const data = {
    generatedAt: iso(at),
    orchestrators: [{ id: "o", workers: Object.fromEntries(workers.map((w) => [w.ticket, w])) }],
    needsYou: [],
    sourceErrors: [],
  } as unknown as Snapshot;
  return { id: 1, event: "snapshot", data };
}

function update(at: number, view: WorkerView, id = 2): Delta {
  return {
    id,
    event: "worker-update",
    data: {
      orchestrator: "o",
      worker: view.ticket,
      status: "implementing",
      phase: 3,
      ts: iso(at),
      workerState: view,
    },
  };
}

describe("createSpendTracker", () => {
  it("spreads a worker first seen with a cost over its life, and counts growth at the frame's time", () => {
    const t = createSpendTracker();
    // $10 over 10 hours (08:00 to 18:00), seen at 18:00.
    t.observe(snapshotFrame(T0 + 18 * H, [worker("A", 10, T0 + 8 * H, T0 + 18 * H)]));
    expect(t.spent(d(T0), d(T0 + 24 * H))).toBeCloseTo(10, 6);
    expect(t.spent(d(T0 + 17 * H), d(T0 + 18 * H))).toBeCloseTo(1, 6);
    expect(t.spent(d(T0 + 12 * H), d(T0 + 14 * H))).toBeCloseTo(2, 6);
    // It grows by $3 at 18:30 (a point at the frame's ts), then a resync snapshot adds nothing.
    t.observe(update(T0 + 18.5 * H, worker("A", 13, T0 + 8 * H, T0 + 18.5 * H)));
    t.observe(snapshotFrame(T0 + 19 * H, [worker("A", 13, T0 + 8 * H, T0 + 18.5 * H)]));
    expect(t.spent(d(T0 + 18 * H), d(T0 + 19 * H))).toBeCloseTo(3, 6);
    expect(t.spent(d(T0), d(T0 + 24 * H))).toBeCloseTo(13, 6);
    // A cost that drops and comes back is not spent twice.
    t.observe(update(T0 + 20 * H, worker("A", 12, T0 + 8 * H, T0 + 20 * H)));
    t.observe(update(T0 + 20.5 * H, worker("A", 13, T0 + 8 * H, T0 + 20.5 * H)));
    expect(t.spent(d(T0), d(T0 + 24 * H))).toBeCloseTo(13, 6);
  });

  it("a worker with no start time counts at its last update; one first seen without cost counts its growth", () => {
    const t = createSpendTracker();
    t.observe(snapshotFrame(T0 + 5 * H, [worker("A", 2, null, T0 + 4 * H), worker("B", 0, T0, T0 + 4 * H)]));
    t.observe(update(T0 + 6 * H, worker("B", 1.5, T0, T0 + 6 * H)));
    expect(t.spent(d(T0 + 4 * H), d(T0 + 4 * H + 60_000))).toBeCloseTo(2, 6);
    expect(t.spent(d(T0 + 5.5 * H), d(T0 + 6.5 * H))).toBeCloseTo(1.5, 6);
  });

  it("keeps its memory bounded by the horizon, and the total of a window inside it exact", () => {
    const t = createSpendTracker({ horizonMs: 2 * H });
    for (let m = 0; m < 24 * 60; m += 1)
      t.observe(update(T0 + m * 60_000, worker("A", 0.01 * (m + 1), T0, T0 + m * 60_000), m + 2));
    expect(t.size()).toBeLessThanOrEqual(2 * 60 + 2);
    expect(t.spent(d(T0 + 23 * H), d(T0 + 24 * H))).toBeCloseTo(0.6, 6);
  });

  it("follows fuse's own deltas", () => {
    const fuse = createFuse();
    const t = createSpendTracker();
    fuse.subscribe((deltas) => {
      for (const delta of deltas) t.observe(delta);
    });
    const at = (min: number) => new Date(Date.parse("2026-04-14T19:20:00Z") + min * 60_000);
    fuse.apply(
      [orchestratorAdded(), signal(working("CTL-1", { cost: { costUSD: 1 }, startedAt: null }))],
      at(0),
    );
    fuse.apply(signal(working("CTL-1", { cost: { costUSD: 4 }, updatedAt: at(30).toISOString() })), at(30));
    expect(t.spent(at(-1), at(1))).toBeCloseTo(1, 6);
    expect(t.spent(at(29), at(31))).toBeCloseTo(3, 6);
  });
});
