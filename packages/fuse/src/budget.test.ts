import type { Delta } from "@catalyst/schema";
import { describe, expect, it } from "vitest";
import { applyDelta, createFuse } from "./index.js";
import { at, orchestratorAdded, signal, working } from "./inputs.test-helper.js";

describe("the budget input", () => {
  it("adds one fleet-level budget row, changes it with the figure, removes it, and patches like the snapshot", () => {
    const fuse = createFuse();
    fuse.apply([orchestratorAdded(), signal(working("CTL-1"))], at(0));
    const start = fuse.snapshot();
    const seen: Delta[] = [];
    fuse.subscribe((deltas) => seen.push(...deltas));
    const since = at(1).toISOString();
    fuse.apply({ kind: "budget", over: { limitUsd: 10, spentUsd: 12.5, since } }, at(1));
    // The same figure again: nothing to publish.
    fuse.apply({ kind: "budget", over: { limitUsd: 10, spentUsd: 12.5, since } }, at(2));
    expect(seen).toHaveLength(1);
    expect(fuse.snapshot().needsYou.find((n) => n.reason === "budget")).toEqual({
      orchestrator: "",
      worker: null,
      reason: "budget",
      message: "spent $12.50 today, over the daily budget of $10.00",
      since,
    });
    fuse.apply({ kind: "budget", over: { limitUsd: 10, spentUsd: 14, since } }, at(3));
    expect(seen.at(-1)).toMatchObject({ event: "needs-you", data: { changed: [{ reason: "budget" }] } });
    let patched = start;
    for (const d of seen) patched = applyDelta(patched, d);
    expect(patched.needsYou).toEqual(fuse.snapshot().needsYou);
    fuse.apply({ kind: "budget", over: null }, at(4));
    expect(seen.at(-1)).toMatchObject({ event: "needs-you", data: { removed: [{ reason: "budget" }] } });
    expect(fuse.snapshot().needsYou.some((n) => n.reason === "budget")).toBe(false);
  });
});
