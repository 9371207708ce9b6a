import type { Delta } from "@catalyst/schema";
import { describe, expect, it } from "vitest";
import { matchesDelta, parseDeltaFilter } from "./delta-filter.js";

const q = (params: Record<string, string>) => (name: string) => params[name];
const TS = "2026-04-14T19:00:00Z";
const removed: Delta = { id: 1, event: "worker-removed", data: { orchestrator: "o1", worker: "W1", ts: TS } };
const orchRemoved: Delta = { id: 2, event: "orchestrator-removed", data: { orchestrator: "o1", ts: TS } };
const needsYou: Delta = {
  id: 3,
  event: "needs-you",
  data: {
    ts: TS,
    added: [],
    changed: [{ orchestrator: "o2", worker: "W9", reason: "failed", message: "failed", since: null }],
    removed: [],
  },
} as Delta;

function filterOf(params: Record<string, string>) {
  const parsed = parseDeltaFilter(q(params));
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.filter;
}

describe("delta filters", () => {
  it("parses comma lists and rejects unknown event names", () => {
    expect([...(filterOf({ type: "worker-update, pr-update" }).types ?? [])]).toEqual([
      "worker-update",
      "pr-update",
    ]);
    const bad = parseDeltaFilter(q({ type: "worker-update,nope" }));
    expect(bad).toMatchObject({ ok: false, message: expect.stringContaining('"nope"') });
    expect(parseDeltaFilter(q({ worker: "x".repeat(300) })).ok).toBe(false);
  });

  it("matches orchestrator, worker and type; a worker filter excludes deltas without a worker", () => {
    expect(matchesDelta(filterOf({}), removed)).toBe(true);
    expect(matchesDelta(filterOf({ orchestrator: "o1" }), orchRemoved)).toBe(true);
    expect(matchesDelta(filterOf({ orchestrator: "o2" }), orchRemoved)).toBe(false);
    expect(matchesDelta(filterOf({ worker: "W1" }), removed)).toBe(true);
    expect(matchesDelta(filterOf({ worker: "W1" }), orchRemoved)).toBe(false);
    expect(matchesDelta(filterOf({ type: "orchestrator-removed" }), removed)).toBe(false);
  });

  it("passes needs-you when any item matches", () => {
    expect(matchesDelta(filterOf({ orchestrator: "o2" }), needsYou)).toBe(true);
    expect(matchesDelta(filterOf({ orchestrator: "o2", worker: "W9" }), needsYou)).toBe(true);
    expect(matchesDelta(filterOf({ orchestrator: "o1" }), needsYou)).toBe(false);
  });
});
