import type { Snapshot } from "@catalyst/schema";
import { fleetSnapshot } from "@catalyst/test-utils";
import { describe, expect, it } from "vitest";
import { createSnapshotSerializer } from "./snapshot-json.js";

describe("createSnapshotSerializer", () => {
  it("writes exactly what JSON.stringify writes, with and without loading", () => {
    const serialize = createSnapshotSerializer();
    const snap = fleetSnapshot();
    expect(serialize(snap)).toBe(JSON.stringify(snap));
    const loading: Snapshot = {
      ...snap,
      loading: { phase: "history", records: 3, startedAt: "2026-04-14T19:00:00Z" },
    };
    expect(serialize(loading)).toBe(JSON.stringify(loading));
    expect(JSON.parse(serialize(loading))).toEqual(loading);
  });

  it("stringifies an orchestrator once while the same view object comes back", () => {
    const serialize = createSnapshotSerializer();
    const snap = fleetSnapshot();
    const first = snap.orchestrators[0]!;
    let reads = 0;
    const counted = new Proxy(first, {
      get(target, key, receiver) {
        if (key === "id") reads += 1;
        return Reflect.get(target, key, receiver);
      },
    });
    const withCounted = { ...snap, orchestrators: [counted, ...snap.orchestrators.slice(1)] };
    serialize(withCounted);
    serialize({ ...withCounted, generatedAt: "2026-04-14T19:30:00Z" });
    expect(reads).toBe(1);
  });
});
