import type { Snapshot } from "@catalyst/schema";
import { fleetSnapshot } from "@catalyst/test-utils";
import { describe, expect, it } from "vitest";
import { createSnapshotSerializer, snapshotJsonPieces, snapshotJsonStream } from "./snapshot-json.js";

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

describe("snapshotJsonPieces / snapshotJsonStream", () => {
  it("write exactly what JSON.stringify writes, one orchestrator a piece", async () => {
    const snap = fleetSnapshot();
    const answer = { ...snap, at: "2026-04-14T03:00:00.000Z", unreadable: undefined, hosts: [] };
    const pieces = [...snapshotJsonPieces(answer)];
    expect(pieces.join("")).toBe(JSON.stringify(answer));
    // generatedAt, then one piece per orchestrator, then needsYou, sourceErrors, hosts, at, and "}".
    expect(pieces).toHaveLength(1 + snap.orchestrators.length + 4 + 1);
    for (const empty of [{ orchestrators: [] }, { ...snap, orchestrators: [] }])
      expect([...snapshotJsonPieces(empty)].join("")).toBe(JSON.stringify(empty));

    let slices = 0;
    const stream = snapshotJsonStream(answer, { chunkChars: 1, sliceMs: 0, onSlice: () => slices++ });
    const text = await new Response(stream).text();
    expect(text).toBe(JSON.stringify(answer));
    // A chunk a piece, and the event loop given a turn before each.
    expect(slices).toBeGreaterThanOrEqual(pieces.length);
  });
});
