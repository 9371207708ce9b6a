import type { OrchestratorView, Snapshot } from "@catalyst/schema";
import { describe, expect, it } from "vitest";
import { createSnapshotBytes } from "./snapshot-bytes.js";

// A fake clock: every call of `now()` moves it on by `tickMs`, so work "takes" time in proportion
// to the calls made; the test moves time on between answers.
function setup(tickMs: number, sliceMs = 1_000_000) {
  let t = 0;
  let version = 0;
  let yields = 0;
  const snap = (v: number) =>
    ({ generatedAt: `v${v}`, orchestrators: [], needsYou: [], sourceErrors: [] }) as Snapshot;
  let current = snap(0);
  const bytes = createSnapshotBytes({
    now: () => {
      t += tickMs;
      return t;
    },
    sliceMs,
    yieldToLoop: async () => {
      yields += 1;
    },
  });
  return {
    bytes,
    yields: () => yields,
    set: (s: Snapshot) => {
      current = s;
    },
    change: () => {
      version += 1;
      current = snap(version);
    },
    answer: async (loading: boolean) => new TextDecoder().decode(await bytes.get(() => current, loading)),
    advance: (ms: number) => {
      t += ms;
    },
  };
}

function fleet(orchestrators: number, workers: number): Snapshot {
  const views: OrchestratorView[] = [];
  const needsYou: Snapshot["needsYou"] = [];
  for (let o = 0; o < orchestrators; o++) {
    const id = `orch-${o}`;
    const ws: Record<string, unknown> = {};
    for (let w = 0; w < workers; w++) {
      ws[`T-${o}-${w}`] = { ticket: `T-${o}-${w}`, status: "implementing", note: 'é \u2028 "quoted"' };
      needsYou.push({ orchestrator: id, worker: `T-${o}-${w}`, reason: "stalled", message: "m", since: "s" });
    }
    views.push({ id, workers: ws } as unknown as OrchestratorView);
  }
  return {
    generatedAt: "2026-12-07T00:00:00.000Z",
    orchestrators: views,
    needsYou,
    sourceErrors: [],
    loading: { phase: "history", records: 3, startedAt: "x" },
  } as unknown as Snapshot;
}

describe("the /api/snapshot bytes", () => {
  it("equal JSON.stringify of the snapshot, extra fields included", async () => {
    const s = setup(0);
    const big = fleet(30, 20);
    s.set(big);
    expect(await s.answer(false)).toBe(JSON.stringify(big));
    s.set(fleet(0, 0));
    expect(await s.answer(false)).toBe(JSON.stringify(fleet(0, 0)));
  });

  it("are made in turns of the event loop, not in one block (issue 26)", async () => {
    // Every clock read costs 1 ms and a slice is 8 ms: a 200-orchestrator build gives many turns.
    const s = setup(1, 8);
    s.set(fleet(200, 20));
    const text = await s.answer(false);
    expect(JSON.parse(text).orchestrators).toHaveLength(200);
    expect(s.bytes.turns()).toBeGreaterThan(20);
    expect(s.yields()).toBe(s.bytes.turns());
  });

  it("are built once per snapshot object, and every change is served once loaded", async () => {
    const s = setup(0);
    expect(await s.answer(false)).toContain("v0");
    await s.answer(false);
    expect(s.bytes.builds()).toBe(1);
    s.change();
    expect(await s.answer(false)).toContain("v1");
    expect(s.bytes.builds()).toBe(2);
  });

  it("answers asked for during a build share it", async () => {
    let release: () => void = () => {};
    let t = 0;
    const bytes = createSnapshotBytes({
      now: () => (t += 5),
      sliceMs: 1,
      yieldToLoop: () =>
        new Promise<void>((resolve) => {
          release = resolve;
        }),
    });
    const snapshot = fleet(3, 2);
    const first = bytes.get(() => snapshot, false);
    const second = bytes.get(() => snapshot, false);
    for (let i = 0; i < 100 && bytes.builds() === 0; i++) {
      release();
      await Promise.resolve();
    }
    const [a, b] = await Promise.all([first, second]);
    expect(a).toBe(b);
    expect(bytes.builds()).toBe(1);
  });

  it("while loading, are rebuilt at most once a second for a cheap fleet", async () => {
    const s = setup(0);
    await s.answer(true);
    for (let i = 0; i < 40; i++) {
      s.change();
      s.advance(20);
      await s.answer(true);
    }
    // 800 ms of changes every 20 ms: the first answer's bytes stand.
    expect(s.bytes.builds()).toBe(1);
    s.advance(300);
    s.change();
    expect(await s.answer(true)).toContain("v41");
    expect(s.bytes.builds()).toBe(2);
  });

  it("while loading, are kept ten times as long as a costly build took, and never once loaded", async () => {
    // Each clock read 100 ms: a build of this small snapshot costs a few hundred ms.
    const s = setup(100);
    await s.answer(true);
    for (let i = 0; i < 100; i++) {
      s.change();
      await s.answer(true);
    }
    // 100 polls, one clock read each (100 ms): the costly build is kept for seconds.
    expect(s.bytes.builds()).toBeLessThan(10);
    s.change();
    expect(await s.answer(false)).toContain(`"v101"`);
    const before = s.bytes.builds();
    s.change();
    expect(await s.answer(false)).toContain(`"v102"`);
    expect(s.bytes.builds()).toBe(before + 1);
  });
});
