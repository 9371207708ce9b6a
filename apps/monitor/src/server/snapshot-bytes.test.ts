import type { Snapshot } from "@catalyst/schema";
import { describe, expect, it } from "vitest";
import { createSnapshotBytes } from "./snapshot-bytes.js";

// A fake clock: each serialisation "takes" `costMs`, and the test moves time on between answers.
function setup(costMs: number) {
  let t = 0;
  let version = 0;
  let current = { generatedAt: "v0" } as unknown as Snapshot;
  const bytes = createSnapshotBytes({
    serialize: (s) => {
      t += costMs;
      return JSON.stringify(s);
    },
    now: () => t,
  });
  return {
    bytes,
    change: () => {
      version += 1;
      current = { generatedAt: `v${version}` } as unknown as Snapshot;
    },
    answer: (loading: boolean) => new TextDecoder().decode(bytes.get(() => current, loading)),
    advance: (ms: number) => {
      t += ms;
    },
  };
}

describe("the /api/snapshot bytes", () => {
  it("are built once per snapshot object, and every change is served once loaded", () => {
    const s = setup(5);
    expect(s.answer(false)).toContain("v0");
    s.answer(false);
    expect(s.bytes.builds()).toBe(1);
    s.change();
    expect(s.answer(false)).toContain("v1");
    expect(s.bytes.builds()).toBe(2);
  });

  it("while loading, are rebuilt at most once a second for a cheap fleet", () => {
    const s = setup(5);
    s.answer(true);
    for (let i = 0; i < 40; i++) {
      s.change();
      s.advance(20);
      s.answer(true);
    }
    // 800 ms of changes every 20 ms: the first answer's bytes stand.
    expect(s.bytes.builds()).toBe(1);
    s.advance(300);
    s.change();
    expect(s.answer(true)).toContain("v41");
    expect(s.bytes.builds()).toBe(2);
  });

  it("while loading, are kept ten times as long as a costly build took, and never once loaded", () => {
    const s = setup(400);
    s.answer(true);
    // 50 polls 20 ms apart over 1 s: a 400 ms build is kept for 4 s.
    for (let i = 0; i < 150; i++) {
      s.change();
      s.advance(20);
      s.answer(true);
    }
    expect(s.bytes.builds()).toBe(1);
    s.advance(1_000);
    s.change();
    s.answer(true);
    expect(s.bytes.builds()).toBe(2);
    s.change();
    expect(s.answer(false)).toContain(`"v152"`);
    expect(s.bytes.builds()).toBe(3);
  });
});
