import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  classifyEnvelope,
  eventLineProblem,
  getEventName,
  normalizeEventLine,
  parseEventLine,
  parsePhaseEvent,
  trailingTicket,
} from "./index.js";

// Lines composed from FORMATS-TODAY §1 (its examples and rules), one test per rule.
const fixture = join(import.meta.dirname, "..", "fixtures", "formats-today", "four-shapes.jsonl");
const [V1, V2, DUAL, V3, TOMBSTONE] = readFileSync(fixture, "utf8").trimEnd().split("\n") as [
  string,
  string,
  string,
  string,
  string,
];

function normalized(text: string) {
  const res = parseEventLine(text, "2026-08.jsonl");
  if (!res.ok) throw new Error(res.error.message);
  return normalizeEventLine(res.value);
}

describe("FORMATS-TODAY §1.3 envelope shapes", () => {
  it("R1.7 classifies the four composed examples as v1, v2, dual and v3", () => {
    expect([V1, V2, DUAL, V3].map((t) => classifyEnvelope(JSON.parse(t)))).toEqual([
      "v1",
      "v2",
      "dual",
      "v3",
    ]);
  });

  it("R1.7 anything but a plain object, or an object with no name, is unknown", () => {
    for (const v of [null, [], "x", 3, {}, { ts: "2026-08-01T00:00:00Z" }, { event: "", name: "" }])
      expect(classifyEnvelope(v)).toBe("unknown");
    // `attributes` that is not an object makes no v2 (the jq guard of R1.8)
    expect(classifyEnvelope({ event: "x", attributes: "x" })).toBe("v1");
    expect(classifyEnvelope({ name: "n", attributes: { "event.name": "a" } })).toBe("v2");
  });

  it("R1.8 an empty event does not hide attributes event.name", () => {
    expect(getEventName({ event: "", attributes: { "event.name": "github.pr.merged" } })).toBe(
      "github.pr.merged",
    );
    expect(getEventName({ event: 3, attributes: { "event.name": "" }, name: "n" })).toBe("n");
    for (const v of [null, [], "x", { attributes: "x" }]) expect(getEventName(v)).toBe("");
  });

  it("R1.9 a dual line whose two names differ is invalid, counted as dual-mismatch, never thrown", () => {
    const line = JSON.parse(DUAL);
    line.attributes["event.name"] = "phase.terminal.reap-complete";
    const res = parseEventLine(JSON.stringify(line));
    expect(res.ok).toBe(false);
    if (!res.ok) expect(res.problem).toBe("dual-mismatch");
  });

  it("R1.9 every reason a line cannot be used has its own code", () => {
    const problem = (text: string) => {
      const res = parseEventLine(text);
      return res.ok ? null : res.problem;
    };
    expect(problem('{"ts":"2026-08-01T00:00:00Z","event":')).toBe("not-json");
    expect(problem("[1,2]")).toBe("not-object");
    expect(problem('{"ts":"2026-08-01T00:00:00Z","detail":{}}')).toBe("unknown-shape");
    expect(problem('{"name":"x"}')).toBe("no-ts");
    expect(problem('{"name":"x","ts":""}')).toBe("no-ts");
    expect(problem('{"name":"x","ts":"yesterday"}')).toBe("bad-ts");
    expect(problem('{"event":"x","ts":"2026-08-01T00:00:00Z","orchestrator":5}')).toBe("bad-field");
    expect(eventLineProblem(JSON.parse(V3))).toBeNull();
  });

  it("R1.9 unknown top-level keys are legal in every shape", () => {
    for (const text of [V1, V2, DUAL, V3, TOMBSTONE]) {
      const line = { ...JSON.parse(text), someNewKey: { any: ["thing"] } };
      expect(parseEventLine(JSON.stringify(line)).ok).toBe(true);
    }
  });

  it("R1.11 a dual line is one event carrying both halves", () => {
    const e = normalized(DUAL);
    expect(e).toMatchObject({ envelope: "dual", name: "phase.terminal.reap-requested", worker: "CTL-77" });
    expect(e.phase).toBe("verify");
    expect(e.detail).toMatchObject({ reason: "ctl-695-terminal-worker" });
  });

  it("R1.13 a bare v3 line is read with its payload flattened at top level", () => {
    const e = normalized(V3);
    expect(e).toMatchObject({
      envelope: "v3",
      shape: "bare",
      name: "phase.rescue.escalated.CTL-88",
      worker: "CTL-88",
      orchestrator: null,
      tsMs: Date.parse("2026-08-06T22:41:09.318Z"),
    });
    expect(e.detail).toEqual({ ticket: "CTL-88", reason: "rescue_worker_stalled" });
  });
});

describe("FORMATS-TODAY §1.5 field ladders", () => {
  it("R1.17 severity defaults to INFO/9 when a line has none", () => {
    expect(normalized(V1)).toMatchObject({ severityText: "INFO", severityNumber: 9 });
    expect(normalized(V3)).toMatchObject({ severityText: "INFO", severityNumber: 9 });
    expect(normalized(TOMBSTONE)).toMatchObject({ severityText: "ERROR", severityNumber: 17 });
    expect(normalized('{"ts":"2026-08-01T00:00:00Z","event":"x","severityText":"warn"}')).toMatchObject({
      severityText: "WARN",
      severityNumber: 13,
    });
  });

  it("R1.18 (R0.1) ts is parsed, so mixed precision orders by time, not by text", () => {
    const whole = normalized('{"ts":"2026-08-13T10:00:00Z","name":"a"}');
    const half = normalized('{"ts":"2026-08-13T10:00:00.500Z","name":"b"}');
    expect(half.tsMs - whole.tsMs).toBe(500);
    expect("2026-08-13T10:00:00Z" > "2026-08-13T10:00:00.500Z").toBe(true); // why strings would be wrong
  });

  it("R1.19 the name is the resolved name of any shape", () => {
    expect([V1, V2, DUAL, V3, TOMBSTONE].map((t) => normalized(t).name)).toEqual([
      "phase.terminal.reap-requested",
      "phase.plan.complete.CTL-412",
      "phase.terminal.reap-requested",
      "phase.rescue.escalated.CTL-88",
      "catalyst.event.oversized",
    ]);
  });

  it("R1.20 orchestrator: catalyst.orchestrator.id, v1 orchestrator, scope, resource and attribute orchestration, orch_id", () => {
    expect(normalized(V2).orchestrator).toBe("CTL-412");
    const base = { ts: "2026-08-01T00:00:00Z", event: "x" };
    const orch = (extra: object) => normalized(JSON.stringify({ ...base, ...extra })).orchestrator;
    expect(orch({ orchestrator: "o1", orch_id: "o2" })).toBe("o1");
    expect(orch({ scope: { orchestrator: "o3" } })).toBe("o3");
    expect(orch({ resource: { "catalyst.orchestration": "CTL-5" } })).toBe("CTL-5");
    expect(orch({ attributes: { "event.name": "x", "catalyst.orchestration": "CTL-6" } })).toBe("CTL-6");
    expect(orch({ orch_id: "o2" })).toBe("o2");
    expect(orch({})).toBeNull();
  });

  it("R1.21 ticket: recovery events carry only linear.issue.identifier, event.label counts only when it is a ticket", () => {
    const base = { ts: "2026-08-01T00:00:00Z" };
    const ticket = (extra: object) => normalized(JSON.stringify({ ...base, ...extra })).worker;
    expect(
      ticket({ attributes: { "event.name": "recovery.fixed", "linear.issue.identifier": "CTL-9" } }),
    ).toBe("CTL-9");
    expect(ticket({ attributes: { "event.name": "recovery.fixed", "event.label": "CTL-10" } })).toBe(
      "CTL-10",
    );
    expect(
      ticket({ attributes: { "event.name": "orchestrator.worker.pr_created", "event.label": "PR #12" } }),
    ).toBeNull();
    expect(ticket({ attributes: { "event.name": "x" }, body: { payload: { worker: "CTL-11" } } })).toBe(
      "CTL-11",
    );
    expect(ticket({ event: "worker-done", worker: "CTL-12" })).toBe("CTL-12");
    expect(ticket({ event: "x", ticket: "CTL-13", worker: "CTL-99" })).toBe("CTL-13");
  });

  it("R1.22 host: payload host.name for heartbeats, else resource host.name, first DNS label of an FQDN", () => {
    expect(normalized(V2).host).toBe("mini");
    const hb = {
      ts: "2026-08-01T00:00:00Z",
      attributes: { "event.name": "node.heartbeat" },
      resource: { "host.name": "ignored.example" },
      body: { payload: { "host.name": "worker-3.lab.example.com" } },
    };
    expect(normalized(JSON.stringify(hb)).host).toBe("worker-3");
    expect(normalized(V1).host).toBeNull();
  });

  it("R1.23 PR number: vcs.pr.number, detail.pr, payload pr, prNumbers; a check suite names all its PRs", () => {
    const suite = {
      ts: "2026-08-01T00:00:00Z",
      attributes: { "event.name": "github.check_suite.completed", "vcs.pr.number": 41 },
      body: { payload: { conclusion: "success", prNumbers: [41, 42] } },
    };
    expect(normalized(JSON.stringify(suite))).toMatchObject({ prNumber: 41, prNumbers: [41, 42] });
    expect(
      normalized('{"ts":"2026-08-01T00:00:00Z","event":"worker-pr-created","detail":{"pr":{"number":7}}}')
        .prNumber,
    ).toBe(7);
    expect(normalized('{"ts":"2026-08-01T00:00:00Z","name":"x","pr":8}').prNumber).toBe(8);
    expect(
      normalized('{"ts":"2026-08-01T00:00:00Z","attributes":{"event.name":"phase.orphan-pr.detected.321"}}')
        .prNumber,
    ).toBe(321);
  });

  it("R1.24 the catalyst session id and the Claude session id stay apart", () => {
    const line = {
      ts: "2026-08-01T00:00:00Z",
      attributes: {
        "event.name": "worker.session.resumed",
        "catalyst.session.id": "sess_20260801T000000_0a1b2c3d",
      },
      body: { payload: { session_id: "6f1c0c1e-0000-4000-8000-000000000001", ticket: "CTL-3" } },
    };
    expect(normalized(JSON.stringify(line))).toMatchObject({
      catalystSession: "sess_20260801T000000_0a1b2c3d",
      claudeSession: "6f1c0c1e-0000-4000-8000-000000000001",
      worker: "CTL-3",
    });
    expect(
      normalized('{"ts":"2026-08-01T00:00:00Z","session":"sess_x","event":"heartbeat"}').claudeSession,
    ).toBeNull();
  });

  it("R1.25 phase: the slot of a lifecycle name, else the payload, the dual attribute, the transition stage", () => {
    expect(normalized(V2).phase).toBe("plan");
    expect(normalized(DUAL).phase).toBe("verify");
    const transition = {
      ts: "2026-08-01T00:00:00Z",
      attributes: { "event.name": "worker.transition.CTL-4", "catalyst.worker.to_stage": "implement" },
    };
    expect(normalized(JSON.stringify(transition)).phase).toBe("implement");
    const dispatch = {
      ts: "2026-08-01T00:00:00Z",
      attributes: { "event.name": "phase.dispatch.failed.CTL-4" },
      body: { payload: { target_phase: "review" } },
    };
    expect(normalized(JSON.stringify(dispatch)).phase).toBe("review");
  });
});

describe("FORMATS-TODAY §1.2 and §1.6", () => {
  it("R1.6 a tombstone names the dropped event and its ticket, and is not that event", () => {
    const line = JSON.parse(TOMBSTONE);
    line.attributes["catalyst.event.oversized.name"] = "phase.plan.complete.CTL-1";
    const e = normalized(JSON.stringify(line));
    expect(e.name).toBe("catalyst.event.oversized");
    expect(e.dropped).toEqual({
      name: "phase.plan.complete.CTL-1",
      bytes: 300512,
      cap: 262144,
      ticket: "CTL-1",
    });
    expect(e.worker).toBe("CTL-1");
    expect(normalized(TOMBSTONE).dropped).toMatchObject({ name: "session.context", ticket: null });
  });

  it("R1.26 phase lifecycle names give phase, status and ticket", () => {
    expect(parsePhaseEvent("phase.monitor-merge.turn-cap-exhausted.ADV_2-17")).toEqual({
      phase: "monitor-merge",
      status: "turn-cap-exhausted",
      ticket: "ADV_2-17",
    });
    expect(parsePhaseEvent("phase.plan.park.CTL-1")).toBeNull();
  });

  it("R1.27 other phase.<slot>.<action>.<T> names carry their ticket", () => {
    expect(
      normalized('{"ts":"2026-08-01T00:00:00Z","attributes":{"event.name":"phase.verify.park.CTL-21"}}')
        .worker,
    ).toBe("CTL-21");
  });

  it("R1.28 a trailing segment is a ticket only if it matches the ticket pattern", () => {
    expect(trailingTicket("phase.terminal.reap-requested")).toBeNull();
    expect(trailingTicket("phase.orphan-pr.detected.123")).toBeNull();
    expect(trailingTicket("briefing.followup.complete.2026-08-20")).toBeNull();
    expect(
      normalized('{"ts":"2026-08-01T00:00:00Z","event":"phase.cost-cap.reap-complete"}').worker,
    ).toBeNull();
  });

  it("R1.29 worker.transition and ticket.completion names embed their ticket", () => {
    expect(trailingTicket("worker.transition.CTL-31")).toBe("CTL-31");
    expect(trailingTicket("ticket.completion.declared.CTL-32")).toBe("CTL-32");
  });
});

describe("seed-era lines (FORMATS §4) keep reading as before", () => {
  it("a v1 line, a session line, a webhook v2 line and a canonical line keep their v1 type", () => {
    expect(
      normalized(
        '{"ts":"2026-04-14T18:37:02Z","orchestrator":"o","worker":null,"event":"orchestrator-started"}',
      ),
    ).toMatchObject({
      type: "orchestrator-started",
      shape: "v1",
      envelope: "v1",
      orchestrator: "o",
      worker: null,
    });
    expect(
      normalized(
        '{"ts":"2026-04-14T18:37:02Z","session":"sess_a","event":"phase-changed","detail":{"to":"plan"}}',
      ).shape,
    ).toBe("session");
    expect(
      normalized(
        '{"ts":"2026-05-03T10:00:00.123Z","schemaVersion":2,"source":"github.webhook","event":"github.pr.merged","scope":{"pr":12,"orchestrator":"o","worker":"CTL-2"}}',
      ),
    ).toMatchObject({
      shape: "v2",
      type: "github.pr.merged",
      orchestrator: "o",
      worker: "CTL-2",
      prNumber: 12,
    });
    expect(
      normalized(
        '{"ts":"2026-05-07T15:02:11Z","attributes":{"event.name":"orchestrator.worker.pr_created","catalyst.orchestrator.id":"o","catalyst.worker.ticket":"CTL-48","vcs.pr.number":123},"body":{"payload":{"pr":123}}}',
      ),
    ).toMatchObject({ shape: "canonical", type: "worker-pr-created", worker: "CTL-48", prNumber: 123 });
  });
});
