import type { FuseInput, Snapshot, WorkerView } from "@catalyst/schema";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createInitialState, type FuseState, reduce, toSnapshot } from "./index.js";
import { logLines, ORCH, orchestratorAdded, signal } from "./inputs.test-helper.js";

// Today's Catalyst event meanings (FORMATS-TODAY §1.7) folded into fuse state, one test per rule,
// with lines composed from FORMATS-TODAY's examples.

const NOW = new Date("2026-08-21T12:00:00Z");
type Line = Record<string, unknown>;

function run(...inputs: FuseInput[]): { state: FuseState; snap: Snapshot } {
  let state = createInitialState();
  for (const input of inputs) state = reduce(state, input, NOW).state;
  return { state, snap: toSnapshot(state, NOW) };
}

function workerOf(snap: Snapshot, ticket: string, orchestrator = ORCH): WorkerView | undefined {
  return snap.orchestrators.find((o) => o.id === orchestrator)?.workers[ticket];
}

// A worker the fleet knows from its signal file (orchestrate mode).
const known = (ticket = "CTL-1", extra: Line = {}) =>
  signal({
    ticket,
    orchestrator: ORCH,
    status: "implementing",
    phase: 3,
    updatedAt: "2026-08-21T08:00:00Z",
    ...extra,
  });

/** The same event written in each of the four shapes (FORMATS-TODAY R1.7, R1.11, R1.13). */
function shapes(
  ts: string,
  name: string,
  ticket: string,
  payload: Line,
  attributes: Line = {},
): Record<"v1" | "v2" | "dual" | "v3", Line> {
  const v1 = { ts, event: name, ticket, ...payload };
  const canonical = {
    ts,
    id: "9c0e44a1b2c3d4e5",
    observedTs: ts,
    severityText: "INFO",
    severityNumber: 9,
    resource: { "service.name": "catalyst.execution-core", "host.name": "mini" },
    attributes: { "event.name": name, "catalyst.worker.ticket": ticket, ...attributes },
    body: { message: name, payload: { ticket, ...payload } },
  };
  return {
    v1,
    v2: canonical,
    dual: { ...v1, ...canonical, ts },
    v3: { name, ticket, ...payload, ts },
  };
}

describe("FORMATS-TODAY §1.7 event meanings on a known worker", () => {
  it("R1.26 phase complete advances the worker to that phase's stage", () => {
    const line = {
      ts: "2026-08-21T09:00:00Z",
      attributes: { "event.name": "phase.verify.complete.CTL-1" },
    };
    const w = workerOf(run(orchestratorAdded(), known(), logLines(line)).snap, "CTL-1");
    expect(w).toMatchObject({ status: "validating", phase: 4 });
  });

  it("R1.26 phase skipped counts as complete; teardown complete is done", () => {
    const { snap } = run(
      orchestratorAdded(),
      known(),
      logLines({
        ts: "2026-08-21T09:00:00Z",
        attributes: { "event.name": "phase.monitor-deploy.skipped.CTL-1" },
      }),
      logLines({ ts: "2026-08-21T09:01:00Z", attributes: { "event.name": "phase.teardown.complete.CTL-1" } }),
    );
    expect(workerOf(snap, "CTL-1")?.status).toBe("done");
  });

  it("R1.6 a tombstone for phase.plan.complete.CTL-1 must not advance CTL-1; it marks data loss", () => {
    const tombstone = {
      ts: "2026-08-21T09:00:00.000Z",
      observedTs: "2026-08-21T09:00:00.000Z",
      severityText: "ERROR",
      severityNumber: 17,
      body: { message: "event dropped: 300512 bytes exceeds the 262144-byte append cap" },
      attributes: {
        "event.name": "catalyst.event.oversized",
        "event.entity": "event",
        "event.action": "dropped",
        "catalyst.event.oversized.name": "phase.plan.complete.CTL-1",
        "catalyst.event.oversized.bytes": 300512,
        "catalyst.event.oversized.cap": 262144,
      },
      resource: { "service.name": "catalyst.event-append", "host.name": "mini" },
    };
    const before = workerOf(
      run(orchestratorAdded(), known("CTL-1", { status: "researching", phase: 1 })).snap,
      "CTL-1",
    );
    const w = workerOf(
      run(orchestratorAdded(), known("CTL-1", { status: "researching", phase: 1 }), logLines(tombstone)).snap,
      "CTL-1",
    );
    expect(w).toMatchObject({ status: "researching", phase: 1, updatedAt: before?.updatedAt });
    expect(w?.dataLoss).toEqual({
      event: "phase.plan.complete.CTL-1",
      bytes: 300512,
      ts: tombstone.ts,
      count: 1,
    });
    expect(
      w?.warnings.some((x) => x.source === "log" && x.received.includes("phase.plan.complete.CTL-1")),
    ).toBe(true);
  });

  it("phase failed / abandoned / dispatch failed make the worker failed with the reason, a needs-you row", () => {
    for (const [name, payload, error] of [
      ["phase.implement.failed.CTL-1", { failure_reason: "tests-red" }, "tests-red"],
      ["phase.research.abandoned.CTL-1", {}, "research abandoned"],
      ["orchestrator.phase.dispatch.failed.CTL-1", { target_phase: "review" }, "dispatch of review failed"],
    ] as const) {
      const { snap } = run(
        orchestratorAdded(),
        known(),
        logLines({ ts: "2026-08-21T09:00:00Z", attributes: { "event.name": name }, body: { payload } }),
      );
      expect(workerOf(snap, "CTL-1"), name).toMatchObject({ status: "failed", error });
      expect(
        snap.needsYou.some((r) => r.worker === "CTL-1" && r.reason === "failed"),
        name,
      ).toBe(true);
    }
  });

  it("turn-cap exhausted is its own status and raises attention", () => {
    const { snap } = run(
      orchestratorAdded(),
      known(),
      logLines({
        ts: "2026-08-21T09:00:00Z",
        attributes: { "event.name": "phase.implement.turn-cap-exhausted.CTL-1" },
      }),
    );
    expect(workerOf(snap, "CTL-1")).toMatchObject({ status: "turn-cap-exhausted", needsAttention: true });
    expect(snap.needsYou.some((r) => r.worker === "CTL-1" && r.reason === "attention")).toBe(true);
  });

  it("needs input (park, worker.transition to needs-input/needs-human) is a needs-you row; resumed clears it", () => {
    const park = {
      ts: "2026-08-21T09:00:00Z",
      severityText: "WARN",
      attributes: { "event.name": "phase.verify.park.CTL-1" },
      body: { payload: { reason: "which environment?" } },
    };
    const parked = run(orchestratorAdded(), known(), logLines(park));
    expect(workerOf(parked.snap, "CTL-1")).toMatchObject({
      status: "needs-input",
      phase: 4,
      needsAttention: true,
      attentionReason: "needs-input: verify parked: which environment?",
    });
    expect(parked.snap.needsYou.filter((r) => r.worker === "CTL-1").map((r) => r.reason)).toEqual([
      "attention",
    ]);

    const human = {
      ts: "2026-08-21T09:05:00Z",
      attributes: {
        "event.name": "worker.transition.CTL-1",
        "catalyst.worker.to_disposition": "needs-human",
        "catalyst.worker.from_disposition": null,
      },
    };
    expect(workerOf(run(orchestratorAdded(), known(), logLines(human)).snap, "CTL-1")?.status).toBe(
      "needs-human",
    );

    const resumed = {
      ts: "2026-08-21T09:10:00Z",
      attributes: {
        "event.name": "worker.transition.CTL-1",
        "catalyst.worker.to_disposition": "cleared",
        "catalyst.worker.from_disposition": "needs-input",
        "catalyst.worker.to_stage": "verify",
        "catalyst.worker.reason": "comment-wake",
      },
    };
    const after = run(orchestratorAdded(), known(), logLines(park), logLines(resumed));
    expect(workerOf(after.snap, "CTL-1")).toMatchObject({ status: "validating", needsAttention: false });
    expect(after.snap.needsYou.filter((r) => r.worker === "CTL-1" && r.reason === "attention")).toEqual([]);
  });

  it("waiting: yield is awaiting-work, a queued/blocked disposition is shown as such, neither asks for you", () => {
    const { snap } = run(
      orchestratorAdded(),
      known(),
      logLines({ ts: "2026-08-21T11:55:00Z", attributes: { "event.name": "phase.pr.yield.CTL-1" } }),
    );
    expect(workerOf(snap, "CTL-1")).toMatchObject({
      status: "awaiting-work",
      phase: 5,
      needsAttention: false,
    });
    const blocked = run(
      orchestratorAdded(),
      known(),
      logLines({
        ts: "2026-08-21T11:55:00Z",
        attributes: { "event.name": "worker.transition.CTL-1", "catalyst.worker.to_disposition": "blocked" },
      }),
    );
    expect(workerOf(blocked.snap, "CTL-1")?.status).toBe("blocked");
  });

  it("resumed: boot-resume, revive and worker.session.resumed put the worker back in its phase", () => {
    for (const line of [
      { ts: "2026-08-21T09:00:00Z", attributes: { "event.name": "phase.review.boot-resume.CTL-1" } },
      { ts: "2026-08-21T09:00:00Z", attributes: { "event.name": "phase.review.revive.CTL-1" } },
      {
        ts: "2026-08-21T09:00:00Z",
        attributes: { "event.name": "worker.session.resumed" },
        body: {
          payload: { ticket: "CTL-1", phase: "review", session_id: "6f1c0c1e-0000-4000-8000-000000000001" },
        },
      },
    ]) {
      expect(workerOf(run(orchestratorAdded(), known(), logLines(line)).snap, "CTL-1")?.status).toBe(
        "validating",
      );
    }
  });

  it("escalation raises attention on the ticket's worker (a v3 line with no orchestrator)", () => {
    const { snap } = run(
      orchestratorAdded(),
      known("CTL-88"),
      logLines({
        name: "phase.rescue.escalated.CTL-88",
        ticket: "CTL-88",
        reason: "rescue_worker_stalled",
        ts: "2026-08-21T09:00:00.318Z",
      }),
    );
    expect(workerOf(snap, "CTL-88")).toMatchObject({
      needsAttention: true,
      attentionReason: "escalated: phase escalated: rescue_worker_stalled",
    });
  });

  it("R1.23 PR merged from a canonical github.pr.merged carrying its number only in vcs.pr.number", () => {
    const { snap } = run(
      orchestratorAdded(),
      known("CTL-1", { pr: { number: 41, url: "https://github.com/acme/api/pull/41" } }),
      logLines({
        ts: "2026-08-21T10:00:00Z",
        attributes: {
          "event.name": "github.pr.merged",
          "catalyst.orchestrator.id": ORCH,
          "vcs.pr.number": 41,
        },
        body: { payload: { mergedAt: "2026-08-21T09:59:58Z" } },
      }),
    );
    expect(workerOf(snap, "CTL-1")).toMatchObject({
      status: "merged",
      pr: { state: "merged", mergedAt: "2026-08-21T09:59:58Z" },
    });
  });

  it("PR closed unmerged and PR opened", () => {
    const closed = run(
      orchestratorAdded(),
      known("CTL-1", { pr: { number: 41 } }),
      logLines({
        ts: "2026-08-21T10:00:00Z",
        attributes: {
          "event.name": "github.pr.closed",
          "catalyst.orchestrator.id": ORCH,
          "vcs.pr.number": 41,
        },
        body: { payload: { merged: false } },
      }),
    );
    expect(workerOf(closed.snap, "CTL-1")?.pr).toMatchObject({ number: 41, state: "closed" });
    const opened = run(
      orchestratorAdded(),
      known(),
      logLines({
        ts: "2026-08-21T10:00:00Z",
        attributes: {
          "event.name": "github.pr.opened",
          "catalyst.worker.ticket": "CTL-1",
          "vcs.pr.number": 77,
        },
        body: { payload: { url: "https://github.com/acme/api/pull/77" } },
      }),
    );
    expect(workerOf(opened.snap, "CTL-1")?.pr).toMatchObject({
      number: 77,
      openedAt: "2026-08-21T10:00:00Z",
    });
  });

  it("R1.23 CI: a completed check suite matches every PR of its prNumbers list, not only the first", () => {
    const suite = (conclusion: string, ts: string) =>
      logLines({
        ts,
        severityText: conclusion === "failure" ? "WARN" : "INFO",
        attributes: {
          "event.name": "github.check_suite.completed",
          "catalyst.orchestrator.id": ORCH,
          "vcs.pr.number": 41,
          "cicd.pipeline.run.conclusion": conclusion,
        },
        body: { payload: { conclusion, status: "completed", prNumbers: [41, 42] } },
      });
    const { snap } = run(
      orchestratorAdded(),
      known("CTL-1", { pr: { number: 41, ciStatus: "pending" } }),
      known("CTL-2", { pr: { number: 42, ciStatus: "pending" } }),
      suite("failure", "2026-08-21T10:00:00Z"),
    );
    expect(workerOf(snap, "CTL-1")?.pr?.ciStatus).toBe("failing");
    expect(workerOf(snap, "CTL-2")?.pr?.ciStatus).toBe("failing");
  });

  it("R1.31 node heartbeats give host liveness: live, degraded, offline; a future heartbeat is age 0", () => {
    const hb = (host: string, ts: string) => ({
      ts,
      attributes: { "event.name": "node.heartbeat", "catalyst.node.in_flight_count": 2 },
      resource: { "service.name": "catalyst.execution-core", "host.name": host },
      body: { payload: { "host.name": `${host}.lab.example.com` } },
    });
    const { snap } = run(
      logLines(
        hb("a", "2026-08-21T11:59:40Z"),
        hb("b", "2026-08-21T11:57:00Z"),
        hb("c", "2026-08-21T11:00:00Z"),
        hb("d", "2026-08-21T12:30:00Z"),
        hb("c", "2026-08-21T10:00:00Z"), // older: the newest per host is kept
      ),
    );
    expect(snap.nodes).toEqual([
      { name: "a", lastHeartbeat: "2026-08-21T11:59:40Z", liveness: "live", inFlight: 2 },
      { name: "b", lastHeartbeat: "2026-08-21T11:57:00Z", liveness: "degraded", inFlight: 2 },
      { name: "c", lastHeartbeat: "2026-08-21T11:00:00Z", liveness: "offline", inFlight: 2 },
      { name: "d", lastHeartbeat: "2026-08-21T12:30:00Z", liveness: "live", inFlight: 2 },
    ]);
  });

  it("R1.20 an execution-core line whose orchestrator is its ticket creates no orchestrator of its own", () => {
    const { snap } = run(
      logLines({
        ts: "2026-08-20T14:03:11Z",
        resource: { "catalyst.orchestration": "CTL-412" },
        attributes: {
          "event.name": "phase.plan.complete.CTL-412",
          "catalyst.orchestrator.id": "CTL-412",
          "catalyst.worker.ticket": "CTL-412",
        },
      }),
    );
    expect(snap.orchestrators).toEqual([]);
  });

  it("a ticket-only line for a worker fuse does not know changes nothing", () => {
    const { snap } = run(
      orchestratorAdded(),
      known("CTL-1"),
      logLines({ name: "phase.plan.complete.CTL-9", ts: "2026-08-21T09:00:00Z" }),
    );
    expect(Object.keys(snap.orchestrators[0]!.workers)).toEqual(["CTL-1"]);
  });
});

describe("the same event in each of the four shapes folds to the same fused state", () => {
  const EVENTS: Array<[string, Line, Line?]> = [
    ["phase.plan.complete.CTL-1", { phase: "plan", status: "complete" }],
    ["phase.verify.park.CTL-1", { reason: "which environment?" }],
    ["phase.implement.failed.CTL-1", { failure_reason: "tests-red" }],
    ["phase.implement.turn-cap-exhausted.CTL-1", {}],
    ["phase.pr.yield.CTL-1", {}],
    ["phase.rescue.escalated.CTL-1", { reason: "rescue_worker_stalled" }],
    [
      "worker.transition.CTL-1",
      { to_disposition: "needs-input" },
      { "catalyst.worker.to_disposition": "needs-input" },
    ],
  ];

  it("property: v1, v2, dual and v3 lines of one event give equal snapshots", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...EVENTS),
        fc.integer({ min: 0, max: 3 * 3600 }),
        ([name, payload, attributes], offsetSec) => {
          const ts = new Date(Date.parse("2026-08-21T08:30:00Z") + offsetSec * 1000)
            .toISOString()
            .replace(".000Z", "Z");
          const lines = shapes(ts, name, "CTL-1", payload, attributes ?? {});
          const snaps = (["v1", "v2", "dual", "v3"] as const).map((shape) => {
            const { snap } = run(orchestratorAdded(), known(), logLines(lines[shape]));
            return snap;
          });
          const base = workerOf(snaps[0]!, "CTL-1");
          expect(base?.updatedAt).not.toBe("2026-08-21T08:00:00Z"); // the event was folded
          for (const snap of snaps.slice(1)) {
            expect(workerOf(snap, "CTL-1")).toEqual(base);
            expect(snap.needsYou).toEqual(snaps[0]!.needsYou);
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it("a dual line counts once: folding it equals folding its v1 half or its v2 half", () => {
    const lines = shapes("2026-08-21T09:00:00Z", "phase.verify.park.CTL-1", "CTL-1", { reason: "x" });
    const dual = run(orchestratorAdded(), known(), logLines(lines.dual)).snap;
    const v2 = run(orchestratorAdded(), known(), logLines(lines.v2)).snap;
    expect(dual.needsYou).toEqual(v2.needsYou);
    expect(dual.needsYou.filter((r) => r.worker === "CTL-1")).toHaveLength(1);
  });
});

describe("R1.6 a tombstone that names no known worker", () => {
  it("is shown as a problem of its log file (sourceErrors), naming the dropped event", () => {
    const { snap } = run(
      orchestratorAdded(),
      known(),
      logLines({
        ts: "2026-08-21T09:00:00.000Z",
        severityText: "ERROR",
        severityNumber: 17,
        attributes: {
          "event.name": "catalyst.event.oversized",
          "catalyst.event.oversized.name": "session.context",
          "catalyst.event.oversized.bytes": 300512,
          "catalyst.event.oversized.cap": 262144,
        },
        resource: { "service.name": "catalyst.event-append", "host.name": "mini" },
      }),
    );
    expect(snap.sourceErrors).toHaveLength(1);
    expect(snap.sourceErrors[0]!.reason).toMatch(
      /session\.context \(300512 bytes over the 262144-byte append cap\)/,
    );
    expect(workerOf(snap, "CTL-1")?.dataLoss).toBeUndefined();
  });
});
