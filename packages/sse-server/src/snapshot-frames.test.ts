import type { OrchestratorView, Snapshot } from "@catalyst/schema";
import { createScriptedFeed, removedDraft } from "@catalyst/test-utils";
import { describe, expect, it } from "vitest";
import { createSnapshotFrames, type EncodedSnapshot, type SteppedDeltaFeed } from "./snapshot-frames.js";

function fleet(orchestrators: number, workers: number, tag = "v0"): Snapshot {
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
    generatedAt: tag,
    orchestrators: views,
    needsYou,
    sourceErrors: [],
    loading: { phase: "history", records: 3, startedAt: "x" },
  } as unknown as Snapshot;
}

/**
 * A scripted feed with fuse's `snapshotSteps()`: one step per orchestrator, each costing `stepMs`
 * of a fake clock (every clock read costs `readMs` more). `change()` makes a new snapshot object,
 * as an apply does; `steps()` counts the step builds begun.
 */
function steppedFeed(snapshot: Snapshot, { stepMs = 0, readMs = 0 } = {}) {
  const scripted = createScriptedFeed();
  let clock = 0;
  let current = snapshot;
  let version = 0;
  let begun = 0;
  const feed: SteppedDeltaFeed = {
    snapshot: () => current,
    lastId: () => scripted.lastId(),
    since: (id) => scripted.since(id),
    subscribe: (listener) => scripted.subscribe(listener),
    *snapshotSteps() {
      begun += 1;
      const at = current;
      for (let i = 0; i < at.orchestrators.length; i++) {
        clock += stepMs;
        yield;
      }
      return at;
    },
  };
  return {
    feed,
    scripted,
    now: () => (clock += readMs),
    advance: (ms: number) => {
      clock += ms;
    },
    change: () => {
      version += 1;
      current = { ...current, generatedAt: `v${version}` };
    },
    begun: () => begun,
  };
}

const text = (bytes: Uint8Array) => Buffer.from(bytes).toString("utf8");

/** Asks for a frame and waits for it. */
const frameOf = (frames: ReturnType<typeof createSnapshotFrames>, fresh = false) =>
  new Promise<EncodedSnapshot>((resolve, reject) =>
    frames.request((e) => (e instanceof Error ? reject(e) : resolve(e)), fresh),
  );

describe("createSnapshotFrames", () => {
  it("makes one buffer holding the SSE frame, and /api/snapshot's JSON is a view of it", async () => {
    const snap = fleet(30, 20);
    const f = steppedFeed(snap);
    f.scripted.publish([removedDraft("o", "W")]);
    const frames = createSnapshotFrames(f.feed);
    const encoded = await frameOf(frames);
    expect(text(encoded.frame)).toBe(`id: 1\nevent: snapshot\ndata: ${JSON.stringify(snap)}\n\n`);
    const json = await frames.json(false);
    expect(text(json)).toBe(JSON.stringify(snap));
    // The same memory, not a copy.
    expect(json.buffer).toBe(encoded.frame.buffer);
    expect(frames.builds()).toBe(1);
  });

  it("stays exact as the fleet grows and shrinks between builds (one buffer, sized from the last frame)", async () => {
    let snap = fleet(1, 1);
    const scripted = createScriptedFeed();
    const frames = createSnapshotFrames({ ...scripted, snapshot: () => snap });
    for (const [o, w] of [
      [1, 1],
      [40, 20],
      [2, 1],
      [41, 20],
      [40, 20],
    ] as const) {
      snap = fleet(o, w, `${o}x${w}`);
      const json = await frames.json(false);
      expect(text(json)).toBe(JSON.stringify(snap));
      // Never much larger than the frame it holds.
      expect(json.buffer.byteLength).toBeLessThan(json.length + json.length / 8 + 64 * 1024 + 64);
    }
  });

  it("builds in steps with turns of the event loop between them (issue 26)", async () => {
    // 200 orchestrators, each step 3 ms of the fake clock, slices of 8 ms.
    const f = steppedFeed(fleet(200, 20), { stepMs: 3 });
    let yields = 0;
    const frames = createSnapshotFrames(f.feed, {
      now: f.now,
      sliceMs: 8,
      yieldToLoop: async () => {
        yields += 1;
      },
    });
    let done = false;
    frames.request(() => {
      done = true;
    });
    // Not finished in the caller's turn.
    expect(done).toBe(false);
    await frameOf(frames);
    expect(done).toBe(true);
    expect(frames.turns()).toBeGreaterThanOrEqual(60);
    expect(yields).toBe(frames.turns());
    expect(frames.builds()).toBe(1);
  });

  it("encodes once for every request made while a build is under way, and not again for the same snapshot", async () => {
    const f = steppedFeed(fleet(50, 4), { stepMs: 3 });
    const frames = createSnapshotFrames(f.feed, { now: f.now, sliceMs: 8, yieldToLoop: async () => {} });
    const all = await Promise.all([
      ...Array.from({ length: 100 }, () => frameOf(frames)),
      frames.json(true),
      frames.json(true),
    ]);
    expect(frames.builds()).toBe(1);
    expect(f.begun()).toBe(1);
    const first = all[0] as EncodedSnapshot;
    for (const e of all.slice(0, 100)) expect((e as EncodedSnapshot).frame).toBe(first.frame);
    // Nothing moved: the same bytes, and the snapshot is not encoded again.
    expect((await frameOf(frames)).frame).toBe(first.frame);
    expect(await frames.json(false)).toBe(first.json);
    expect(frames.builds()).toBe(1);
  });

  it("a fresh request during a build waits for the next one", async () => {
    const f = steppedFeed(fleet(40, 1), { stepMs: 3 });
    const frames = createSnapshotFrames(f.feed, { now: f.now, sliceMs: 8, yieldToLoop: async () => {} });
    const old = frameOf(frames);
    f.change();
    f.scripted.publish([removedDraft("o", "W")]);
    const fresh = frameOf(frames, true);
    const [a, b] = await Promise.all([old, fresh]);
    expect(a.snapshot.generatedAt).toBe("v0");
    expect(a.id).toBe(0);
    expect(b.snapshot.generatedAt).toBe("v1");
    expect(b.id).toBe(1);
    expect(frames.builds()).toBe(2);
  });

  it("once loaded, /api/snapshot serves every change", async () => {
    const f = steppedFeed(fleet(2, 1));
    const frames = createSnapshotFrames(f.feed);
    expect(text(await frames.json(false))).toContain('"v0"');
    f.change();
    expect(text(await frames.json(false))).toContain('"v1"');
    expect(frames.builds()).toBe(2);
  });

  it("while loading, /api/snapshot is rebuilt at most once a second for a cheap fleet", async () => {
    const f = steppedFeed(fleet(2, 1));
    const frames = createSnapshotFrames(f.feed, { now: f.now });
    await frames.json(true);
    for (let i = 0; i < 40; i++) {
      f.change();
      f.advance(20);
      await frames.json(true);
    }
    // 800 ms of changes every 20 ms: the first answer's bytes stand.
    expect(frames.builds()).toBe(1);
    f.advance(300);
    f.change();
    expect(text(await frames.json(true))).toContain('"v41"');
    expect(frames.builds()).toBe(2);
  });

  it("while loading, /api/snapshot is kept ten times as long as a costly build took", async () => {
    // Every clock read costs 100 ms: a build costs a few hundred ms.
    const f = steppedFeed(fleet(3, 1), { readMs: 100 });
    const frames = createSnapshotFrames(f.feed, { now: f.now, yieldToLoop: async () => {} });
    await frames.json(true);
    for (let i = 0; i < 100; i++) {
      f.change();
      await frames.json(true);
    }
    expect(frames.builds()).toBeLessThan(10);
    f.change();
    expect(text(await frames.json(false))).toContain('"v101"');
  });

  it("a feed without steps is encoded from snapshot() in one step", async () => {
    const snap = fleet(3, 2);
    const scripted = createScriptedFeed();
    const frames = createSnapshotFrames({ ...scripted, snapshot: () => snap });
    expect(text(await frames.json(false))).toBe(JSON.stringify(snap));
  });
});
