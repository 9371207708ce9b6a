import type { FuseInput, WorkerView } from "@catalyst/schema";
import { describe, expect, it } from "vitest";
import { createInitialState, type DeltaDraft, type FuseState, reduce, toSnapshot } from "./index.js";
import {
  DIR,
  globalWith,
  line,
  localState,
  logLines,
  NOW,
  ORCH,
  orchestratorAdded,
  signal,
  working,
} from "./inputs.test-helper.js";

function run(inputs: FuseInput[], state: FuseState = createInitialState()) {
  const deltas: DeltaDraft[] = [];
  let current = state;
  for (const input of inputs) {
    const result = reduce(current, input, NOW);
    current = result.state;
    deltas.push(...result.deltas);
  }
  return { state: current, deltas };
}

function worker(state: FuseState, key: string): WorkerView | undefined {
  return toSnapshot(state, NOW).orchestrators.find((o) => o.id === ORCH)?.workers[key];
}

describe("tolerant files reach the view as warnings", () => {
  it("a done worker with a null cost field keeps its status and PR and shows a warning", () => {
    const { state } = run([
      orchestratorAdded(),
      signal(
        working("CTL-48", {
          status: "done",
          phase: 6,
          pr: { number: 123, url: "https://github.com/acme/api/pull/123" },
          cost: { costUSD: 1.5, inputTokens: null },
          fixupCommit: 7,
        }),
      ),
    ]);
    const w = worker(state, "CTL-48");
    expect(w).toMatchObject({ status: "done", phase: 6, corrupt: null, pr: { number: 123 } });
    expect(w?.cost).toEqual({ costUSD: 1.5 });
    expect(w?.fixupCommit).toBeNull();
    expect(w?.warnings).toEqual([
      { field: "$.cost.inputTokens", expected: "number", received: "null", source: "signal" },
      { field: "$.fixupCommit", expected: "string", received: "7", source: "signal" },
    ]);
  });

  it("a bad state.json entry field is a warning on that worker, relative to its entry", () => {
    const { state } = run([
      globalWith({ workers: { "CTL-9": { status: "implementing", phase: 3, usage: { numTurns: "x" } } } }),
    ]);
    expect(worker(state, "CTL-9")).toMatchObject({
      status: "implementing",
      warnings: [{ field: "$.usage.numTurns", expected: "number", received: '"x"', source: "state" }],
    });
  });

  it("fixupCommit and followUpTo are in the view", () => {
    const { state } = run([signal(working("CTL-60", { fixupCommit: "abc1234", followUpTo: "CTL-48" }))]);
    expect(worker(state, "CTL-60")).toMatchObject({
      fixupCommit: "abc1234",
      followUpTo: "CTL-48",
      warnings: [],
    });
  });

  it("an identical re-read emits nothing", () => {
    const first = run([signal(working("CTL-48"))]);
    const again = run([signal(working("CTL-48"))], first.state);
    expect(again.deltas).toEqual([]);
  });
});

describe("briefings", () => {
  const briefing = (name: string, wave: number | null, bytes = 10): FuseInput => ({
    kind: "briefing",
    orchestrator: ORCH,
    file: `${DIR}/wt/ctl/${ORCH}/${name}`,
    wave,
    bytes,
    modifiedAt: "2026-04-14T19:00:00Z",
  });

  it("metadata lands in the orchestrator summary, DASHBOARD.md first", () => {
    const { state, deltas } = run([
      orchestratorAdded(),
      briefing("wave-2-briefing.md", 2),
      briefing("DASHBOARD.md", null),
    ]);
    const o = toSnapshot(state, NOW).orchestrators[0];
    expect(o?.briefings.map((b) => b.name)).toEqual(["DASHBOARD.md", "wave-2-briefing.md"]);
    expect(deltas.filter((d) => d.event === "orchestrator-update").length).toBeGreaterThanOrEqual(2);
    const removed = run(
      [
        {
          kind: "briefing-removed",
          orchestrator: ORCH,
          file: `${DIR}/wt/ctl/${ORCH}/DASHBOARD.md`,
          wave: null,
        },
      ],
      state,
    );
    expect(toSnapshot(removed.state, NOW).orchestrators[0]?.briefings.map((b) => b.name)).toEqual([
      "wave-2-briefing.md",
    ]);
  });
});

describe("the event log", () => {
  it("a truncated-and-regrown log does not apply its lines twice", () => {
    const lines = [
      line("2026-04-14T19:00:10Z", "attention-raised", "CTL-49", {
        attentionType: "stalled",
        reason: "slow",
      }),
      line("2026-04-14T19:00:10Z", "worker-dispatched", "CTL-50"),
    ];
    const first = run([orchestratorAdded(), logLines(...lines)]);
    const reset: FuseInput = { kind: "log-reset", file: `${DIR}/events/2026-04.jsonl`, reason: "truncated" };
    const again = run([reset, logLines(...lines)], first.state);
    expect(again.deltas).toEqual([]);
    const o = toSnapshot(again.state, NOW).orchestrators[0];
    expect(o?.attention).toHaveLength(1);
    // A newer line after the re-delivered ones is applied and announced.
    const newer = run([logLines(line("2026-04-14T19:01:00Z", "worker-done", "CTL-50"))], again.state);
    expect(newer.deltas.map((d) => d.event)).toContain("log-event");
    expect(worker(newer.state, "CTL-50")?.status).toBe("done");
  });

  it("what fuse remembers per log file is bounded, whatever the lines hold", () => {
    const big = Array.from({ length: 3000 }, (_, i) =>
      line("2026-04-14T19:00:10Z", "worker-dispatched", `CTL-${i % 50}`, {
        i,
        pad: "x".repeat(i < 20 ? 100_000 : 10),
      }),
    );
    const { state } = run([logLines(...big)]);
    expect(JSON.stringify(state.logFiles).length).toBeLessThan(2 * 1024 * 30);
  });

  it("a truncated log refilled with new lines in the same second loses none of them", () => {
    const first = run([
      orchestratorAdded(),
      logLines(line("2026-04-14T19:00:10Z", "worker-dispatched", "CTL-1")),
    ]);
    const reset: FuseInput = { kind: "log-reset", file: `${DIR}/events/2026-04.jsonl`, reason: "truncated" };
    const again = run(
      [reset, logLines(line("2026-04-14T19:00:10Z", "worker-dispatched", "CTL-2"))],
      first.state,
    );
    expect(again.deltas.map((d) => d.event)).toContain("log-event");
    expect(worker(again.state, "CTL-2")?.status).toBe("dispatched");
  });

  it("without a reset, the same lines are folded as usual", () => {
    const l = line("2026-04-14T19:00:10Z", "worker-dispatched", "CTL-50");
    const first = run([logLines(l)]);
    const again = run([logLines(l)], first.state);
    expect(again.deltas.map((d) => d.event)).toEqual(["log-event"]);
  });

  it("a v2 github.pr.merged line merges the worker it names", () => {
    const { state } = run([
      signal(
        working("CTL-48", {
          status: "pr-created",
          phase: 5,
          pr: { number: 123, url: "https://github.com/acme/api/pull/123" },
        }),
      ),
      logLines({
        ts: "2026-04-14T19:40:12.000Z",
        id: "e1",
        schemaVersion: 2,
        source: "github.webhook",
        event: "github.pr.merged",
        scope: { repo: "acme/api", pr: 123, ticket: "CTL-48", orchestrator: ORCH },
        detail: { mergedAt: "2026-04-14T19:39:58Z" },
      }),
    ]);
    expect(worker(state, "CTL-48")).toMatchObject({
      status: "merged",
      pr: { state: "merged", mergedAt: "2026-04-14T19:39:58Z" },
    });
  });

  it("a github.pr.merged line without a worker is matched by PR number", () => {
    const { state } = run([
      signal(
        working("CTL-48", {
          status: "pr-created",
          phase: 5,
          pr: { number: 123, url: "https://github.com/acme/api/pull/123" },
        }),
      ),
      logLines({
        ts: "2026-04-14T19:40:12.000Z",
        schemaVersion: 2,
        source: "github.webhook",
        event: "github.pr.merged",
        orchestrator: ORCH,
        scope: { repo: "acme/api", pr: 123 },
        detail: {},
      }),
    ]);
    expect(worker(state, "CTL-48")?.status).toBe("merged");
  });
});

describe("planned tickets", () => {
  it("a ticket named only by a wave's ticket list appears as queued", () => {
    const { state } = run([
      orchestratorAdded(),
      signal(working("CTL-48")),
      localState({
        waves: [
          { wave: 1, tickets: ["CTL-48"] },
          { wave: 2, tickets: ["CTL-50"] },
        ],
      }),
    ]);
    expect(worker(state, "CTL-50")).toMatchObject({
      status: "queued",
      phase: 0,
      wave: 2,
      sources: ["state"],
    });
    expect(toSnapshot(state, NOW).orchestrators[0]?.progress.total).toBe(2);
  });

  it("from a wave-started line too, and it becomes the real worker once dispatched", () => {
    const first = run([
      orchestratorAdded(),
      logLines(line("2026-04-14T19:00:00Z", "wave-started", null, { wave: 1, tickets: ["CTL-70"] })),
    ]);
    expect(worker(first.state, "CTL-70")).toMatchObject({ status: "queued", sources: ["log"] });
    const next = run([signal(working("CTL-70"))], first.state);
    expect(worker(next.state, "CTL-70")).toMatchObject({ status: "implementing", wave: 1 });
  });
});
