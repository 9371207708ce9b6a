import type { Snapshot } from "@catalyst/schema";
import { fleetSnapshot } from "@catalyst/test-utils";
import { describe, expect, it } from "vitest";
import { createOrchestratorJsonCache, snapshotJsonPieces, snapshotJsonStream } from "./snapshot-json.js";

/** A snapshot's JSON through one orchestrator-JSON cache, as the snapshot frames make it. */
function createSnapshotSerializer() {
  const cache = createOrchestratorJsonCache();
  return (snapshot: Snapshot) => [...snapshotJsonPieces(snapshot, cache)].join("");
}

describe("snapshotJsonPieces with an orchestrator-JSON cache", () => {
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
  it("write exactly what JSON.stringify writes, one orchestrator and one needs-you row a piece", async () => {
    const snap = fleetSnapshot();
    const answer = { ...snap, at: "2026-04-14T03:00:00.000Z", unreadable: undefined, hosts: [] };
    const pieces = [...snapshotJsonPieces(answer)];
    expect(pieces.join("")).toBe(JSON.stringify(answer));
    // generatedAt, one piece per orchestrator, one per needs-you row (or one for none), then
    // sourceErrors, hosts, at, and "}".
    const rows = Math.max(1, snap.needsYou.length);
    expect(pieces).toHaveLength(1 + snap.orchestrators.length + rows + 3 + 1);
    // With an orchestrator cache: the same text, each view asked for once.
    const asked: unknown[] = [];
    const cached = [
      ...snapshotJsonPieces(answer, (view) => {
        asked.push(view);
        return JSON.stringify(view);
      }),
    ];
    expect(cached.join("")).toBe(JSON.stringify(answer));
    expect(asked).toEqual(snap.orchestrators);
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
