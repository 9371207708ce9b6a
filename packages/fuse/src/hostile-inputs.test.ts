import { describe, expect, it } from "vitest";
import { at, line, logLines, NOW, ORCH, signal } from "./inputs.test-helper.js";
import { reduce } from "./reduce.js";
import { createInitialState, type FuseState } from "./state.js";
import { toSnapshot } from "./to-snapshot.js";

// Issue 17: timestamps beyond the clock-skew allowance, and event-log files the tailer reports.

function run(inputs: Parameters<typeof reduce>[1][], now = NOW): FuseState {
  let state = createInitialState();
  for (const input of inputs) state = reduce(state, input, now).state;
  return state;
}

const working = (fields: Record<string, unknown> = {}) => ({
  ticket: "CTL-1",
  orchestrator: ORCH,
  workerName: "w",
  status: "implementing",
  phase: 3,
  startedAt: "2026-04-14T18:00:00Z",
  updatedAt: "2026-04-14T19:00:00Z",
  ...fields,
});

describe("far-future timestamps", () => {
  it("a log line stamped 9999 is flagged on the worker and never becomes updatedAt", () => {
    const state = run([
      signal(working()),
      logLines(line("9999-12-31T23:59:59Z", "worker-heartbeat", "CTL-1")),
    ]);
    const w = toSnapshot(state, NOW).orchestrators[0]?.workers["CTL-1"];
    expect(w?.updatedAt).toBe("2026-04-14T19:00:00Z");
    expect(w?.warnings).toContainEqual(
      expect.objectContaining({ field: "$.ts", received: "9999-12-31T23:59:59Z", source: "log" }),
    );
    expect(w?.warnings[0]?.expected).toMatch(/at most 5 minutes ahead/);
  });

  it("a signal updatedAt in the far future is ignored, so the worker can still stall", () => {
    const state = run(
      [signal(working({ updatedAt: "9999-12-31T23:59:59Z", lastHeartbeat: "2026-04-14T18:00:00Z" }))],
      at(60),
    );
    const snap = toSnapshot(state, at(60));
    const w = snap.orchestrators[0]?.workers["CTL-1"];
    expect(w?.updatedAt).toBe(null);
    expect(w?.warnings).toContainEqual(
      expect.objectContaining({ field: "$.updatedAt", received: "9999-12-31T23:59:59Z", source: "signal" }),
    );
    expect(snap.needsYou.map((i) => i.reason)).toContain("stalled");
  });

  it("within the allowance a timestamp is trusted and nothing is flagged", () => {
    const soon = new Date(NOW.getTime() + 4 * 60_000).toISOString();
    const w = toSnapshot(run([signal(working({ updatedAt: soon }))]), NOW).orchestrators[0]?.workers["CTL-1"];
    expect(w?.updatedAt).toBe(soon);
    expect(w?.warnings).toEqual([]);
  });
});

describe("event-log problems", () => {
  const file = "/tmp/catalyst-test/events/2026-04.jsonl";
  it("an oversized line and an unreadable log path show in sourceErrors until the file is reset", () => {
    let state = createInitialState();
    state = reduce(
      state,
      {
        kind: "log-skipped",
        file,
        offset: 120,
        reason: "oversized",
        detail: "line of 10485800 bytes is over the 1048576-byte cap",
      },
      NOW,
    ).state;
    expect(toSnapshot(state, NOW).sourceErrors).toEqual([
      {
        file,
        reason: "line at byte 120: line of 10485800 bytes is over the 1048576-byte cap",
        since: NOW.toISOString(),
      },
    ]);
    const swapped = reduce(
      state,
      {
        kind: "log-skipped",
        file,
        offset: 0,
        reason: "unreadable",
        detail: `${file} is a directory, not a regular file`,
      },
      at(1),
    );
    expect(swapped.deltas.map((d) => d.event)).toEqual(["needs-you"]);
    expect(toSnapshot(swapped.state, NOW).sourceErrors[0]?.reason).toMatch(/a directory/);
    const reset = reduce(swapped.state, { kind: "log-reset", file, reason: "replaced" }, at(2));
    expect(toSnapshot(reset.state, NOW).sourceErrors).toEqual([]);
    const invalid = reduce(
      reset.state,
      { kind: "log-skipped", file, offset: 5, reason: "invalid", detail: "x" },
      at(3),
    );
    expect(invalid.deltas).toEqual([]);
  });

  it("keeps at most 16 files with problems", () => {
    let state = createInitialState();
    for (let i = 0; i < 40; i++)
      state = reduce(
        state,
        { kind: "log-skipped", file: `/l/${i}.jsonl`, offset: 0, reason: "unreadable", detail: "d" },
        NOW,
      ).state;
    expect(toSnapshot(state, NOW).sourceErrors).toHaveLength(16);
  });
});
