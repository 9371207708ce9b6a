import type { Delta } from "@catalyst/schema";
import { describe, expect, it, vi } from "vitest";
import { createFuse, FuseOptionsError } from "./index.js";
import { at, NOW, orchestratorAdded, signal, working } from "./inputs.test-helper.js";

describe("createFuse", () => {
  it("numbers deltas 1, 2, 3… across applies and stamps the snapshot with the last now", () => {
    const fuse = createFuse();
    expect(fuse.lastId()).toBe(0);
    expect(fuse.snapshot().generatedAt).toBe("1970-01-01T00:00:00.000Z");
    const first = fuse.apply([orchestratorAdded(), signal(working("CTL-49"))], NOW);
    const second = fuse.apply(signal(working("CTL-49", { status: "validating", phase: 4 })), at(1));
    expect([...first, ...second].map((d) => d.id)).toEqual(
      Array.from({ length: first.length + second.length }, (_, i) => i + 1),
    );
    expect(fuse.lastId()).toBe(first.length + second.length);
    expect(fuse.snapshot().generatedAt).toBe(at(1).toISOString());
    expect(fuse.snapshot().orchestrators[0]?.workers["CTL-49"]?.status).toBe("validating");
  });

  it("answers since(id) with the missed deltas, and a gap when evicted or unknown", () => {
    const fuse = createFuse({ ringSize: 3 });
    for (let i = 0; i < 5; i++) fuse.apply(signal(working(`CTL-${i}`)), at(i));
    const last = fuse.lastId();
    expect(fuse.since(last)).toEqual({ ok: true, deltas: [] });
    const recent = fuse.since(last - 3);
    expect(recent.ok && recent.deltas.map((d) => d.id)).toEqual([last - 2, last - 1, last]);
    expect(fuse.since(last - 4)).toEqual({ ok: false, reason: "gap" });
    expect(fuse.since(last + 1)).toEqual({ ok: false, reason: "gap" });
    expect(fuse.since(-1)).toEqual({ ok: false, reason: "gap" });
    expect(fuse.since(1.5)).toEqual({ ok: false, reason: "gap" });
  });

  it("answers since(0) with everything while nothing was evicted", () => {
    const fuse = createFuse();
    const all = fuse.apply([orchestratorAdded(), signal(working("CTL-49"))], NOW);
    expect(fuse.since(0)).toEqual({ ok: true, deltas: all });
  });

  it("starts its sequence after idBase, and treats older ids as a gap (a client from an earlier process)", () => {
    const fuse = createFuse({ idBase: 5_000 });
    expect(fuse.lastId()).toBe(5_000);
    const all = fuse.apply([orchestratorAdded(), signal(working("CTL-49"))], NOW);
    expect(all[0]?.id).toBe(5_001);
    expect(fuse.since(5_000)).toEqual({ ok: true, deltas: all });
    expect(fuse.since(3)).toEqual({ ok: false, reason: "gap" });
    expect(() => createFuse({ idBase: -1 })).toThrow(FuseOptionsError);
  });

  it("notifies subscribers once per non-empty batch until they unsubscribe", () => {
    const fuse = createFuse();
    const batches: Delta[][] = [];
    const unsubscribe = fuse.subscribe((deltas) => batches.push(deltas));
    const applied = fuse.apply([orchestratorAdded(), signal(working("CTL-49"))], NOW);
    fuse.apply({ kind: "tick" }, NOW);
    unsubscribe();
    fuse.apply(signal(working("CTL-50")), NOW);
    expect(batches).toEqual([applied]);
  });

  it("keeps the deltas and notifies every subscriber when one throws; the error goes to onListenerError", () => {
    const errors: unknown[] = [];
    const fuse = createFuse({ onListenerError: (error) => errors.push(error) });
    const seen: number[] = [];
    fuse.subscribe(() => {
      throw new Error("boom");
    });
    fuse.subscribe((deltas) => seen.push(deltas.length));
    expect(fuse.apply(signal(working("CTL-49")), NOW).length).toBeGreaterThan(0);
    expect(seen).toHaveLength(1);
    expect(errors).toEqual([new Error("boom")]);
    expect(fuse.lastId()).toBeGreaterThan(0);
    expect(fuse.since(0).ok).toBe(true);
  });

  it("rethrows a subscriber's error on a later microtask by default, after apply returned", () => {
    const fuse = createFuse();
    fuse.subscribe(() => {
      throw new Error("late boom");
    });
    // The later microtask is caught here rather than left to crash the test run.
    const later: Array<() => void> = [];
    vi.stubGlobal("queueMicrotask", (task: () => void) => later.push(task));
    try {
      expect(fuse.apply(signal(working("CTL-49")), NOW).length).toBeGreaterThan(0);
    } finally {
      vi.unstubAllGlobals();
    }
    expect(later).toHaveLength(1);
    expect(later[0]).toThrow("late boom");
  });

  it("rejects a ring size it cannot honour", () => {
    expect(() => createFuse({ ringSize: 0 })).toThrow(FuseOptionsError);
  });

  it("bounds the ring in bytes: one worker rewritten with a huge error keeps only the newest", () => {
    const fuse = createFuse({ ringBytes: 3_000_000 });
    const error = "x".repeat(1_000_000);
    for (let i = 0; i < 20; i++) {
      fuse.apply(signal(working("CTL-49", { status: "failed", error: `${i}${error}` })), at(i));
    }
    const kept = fuse.since(fuse.lastId() - 2);
    expect(kept.ok).toBe(true);
    expect(fuse.since(fuse.lastId() - 12)).toEqual({ ok: false, reason: "gap" });
  });

  it("keeps the poll targets from the deltas and bumps their version only when they change", () => {
    const fuse = createFuse();
    const pr = { number: 9, url: "https://github.com/acme/api/pull/9" };
    fuse.apply([orchestratorAdded(), signal(working("CTL-1", { pid: 11, pr }))], NOW);
    const first = fuse.targets();
    expect(first.liveness).toEqual([
      { orchestrator: expect.any(String), worker: "CTL-1", pid: 11, startedAt: "2026-04-14T18:37:53Z" },
    ]);
    expect(first.prRefs).toEqual([{ repo: "acme/api", number: 9 }]);
    fuse.apply(signal(working("CTL-1", { pid: 11, pr, status: "validating", phase: 4 })), at(1));
    expect(fuse.targets().version).toBe(first.version);
    fuse.apply(signal(working("CTL-1", { pid: 11, pr, status: "done", phase: 6 })), at(2));
    expect(fuse.targets().version).toBeGreaterThan(first.version);
    expect(fuse.targets().liveness).toEqual([]);
  });

  it("gives the same deltas and snapshot for a batch as for its inputs one by one", () => {
    const inputs = [
      orchestratorAdded(),
      signal(working("CTL-1")),
      signal(working("CTL-2", { status: "failed", error: "boom" })),
      signal(working("CTL-1", { status: "validating", phase: 4 })),
      { kind: "tick" } as const,
    ];
    const batched = createFuse();
    const single = createFuse();
    const a = batched.apply(inputs, at(30));
    const b = inputs.flatMap((input) => single.apply(input, at(30)));
    expect(a).toEqual(b);
    expect(batched.snapshot()).toEqual(single.snapshot());
  });
});
