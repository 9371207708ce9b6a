import { type NormalizedEvent, normalizeEventLine, parseEventLine } from "@catalyst/schema";
import { describe, expect, it } from "vitest";
import { foldEvents } from "./index.js";

// FORMATS §4.4: one orchestration in v1 lines, seconds precision.
const EXAMPLE = `{"ts":"2026-04-14T18:37:02Z","orchestrator":"orch-api-redesign-2026-04-14","worker":null,"event":"orchestrator-started","detail":{"tickets":["CTL-48","CTL-49","CTL-50"]}}
{"ts":"2026-04-14T18:37:51Z","orchestrator":"orch-api-redesign-2026-04-14","worker":"CTL-48","event":"worker-dispatched","detail":null}
{"ts":"2026-04-14T18:37:53Z","orchestrator":"orch-api-redesign-2026-04-14","worker":"CTL-49","event":"worker-dispatched","detail":null}
{"ts":"2026-04-14T18:40:12Z","orchestrator":"orch-api-redesign-2026-04-14","worker":"CTL-48","event":"worker-status-change","detail":{"from":"dispatched","to":"researching"}}
{"ts":"2026-04-14T18:41:05Z","orchestrator":"orch-api-redesign-2026-04-14","worker":"CTL-49","event":"worker-status-change","detail":{"from":"dispatched","to":"researching"}}
{"ts":"2026-04-14T18:52:44Z","orchestrator":"orch-api-redesign-2026-04-14","worker":"CTL-48","event":"worker-status-change","detail":{"from":"researching","to":"planning"}}
{"ts":"2026-04-14T19:00:10Z","orchestrator":"orch-api-redesign-2026-04-14","worker":"CTL-49","event":"attention-raised","detail":{"attentionType":"stalled","reason":"No progress for 15+ minutes (last update: 2026-04-14T18:41:05Z)"}}
{"ts":"2026-04-14T19:03:01Z","orchestrator":"orch-api-redesign-2026-04-14","worker":"CTL-48","event":"worker-status-change","detail":{"from":"planning","to":"implementing"}}
{"ts":"2026-04-14T19:05:22Z","orchestrator":"orch-api-redesign-2026-04-14","worker":"CTL-49","event":"worker-status-change","detail":{"from":"researching","to":"planning"}}
{"ts":"2026-04-14T19:05:40Z","orchestrator":"orch-api-redesign-2026-04-14","worker":"CTL-49","event":"attention-resolved","detail":null}
{"ts":"2026-04-14T19:15:30Z","orchestrator":"orch-api-redesign-2026-04-14","worker":"CTL-48","event":"worker-pr-created","detail":{"pr":123,"url":"https://github.com/acme/api/pull/123"}}
{"ts":"2026-04-14T19:21:14Z","orchestrator":"orch-api-redesign-2026-04-14","worker":"CTL-48","event":"verification-started","detail":null}
{"ts":"2026-04-14T19:24:02Z","orchestrator":"orch-api-redesign-2026-04-14","worker":"CTL-48","event":"verification-passed","detail":null}
{"ts":"2026-04-14T19:40:12Z","orchestrator":"orch-api-redesign-2026-04-14","worker":"CTL-48","event":"worker-pr-merged","detail":{"pr":123,"mergedAt":"2026-04-14T19:39:58Z"}}
{"ts":"2026-04-14T20:31:45Z","orchestrator":"orch-api-redesign-2026-04-14","worker":"CTL-49","event":"worker-pr-merged","detail":{"pr":124,"mergedAt":"2026-04-14T20:31:30Z"}}
{"ts":"2026-04-14T20:32:10Z","orchestrator":"orch-api-redesign-2026-04-14","worker":null,"event":"wave-completed","detail":{"wave":1,"tickets":["CTL-48","CTL-49"]}}
{"ts":"2026-04-14T20:34:50Z","orchestrator":"orch-api-redesign-2026-04-14","worker":null,"event":"wave-started","detail":{"wave":2,"tickets":["CTL-50"]}}
{"ts":"2026-04-14T20:34:52Z","orchestrator":"orch-api-redesign-2026-04-14","worker":"CTL-50","event":"worker-dispatched","detail":null}
{"ts":"2026-04-14T21:48:03Z","orchestrator":"orch-api-redesign-2026-04-14","worker":null,"event":"orchestrator-completed","detail":null}
{"ts":"2026-04-14T21:48:04Z","orchestrator":"orch-api-redesign-2026-04-14","worker":null,"event":"archive","detail":null}`;

function events(): NormalizedEvent[] {
  return EXAMPLE.split("\n").map((text) => {
    const parsed = parseEventLine(text);
    if (!parsed.ok) throw new Error(parsed.error.message);
    return normalizeEventLine(parsed.value);
  });
}

const ORCH = "orch-api-redesign-2026-04-14";

describe("foldEvents: the fleet as the log describes it at a time", () => {
  it("shows the open attention item and each worker's status at 19:01", () => {
    const snapshot = foldEvents(events(), new Date("2026-04-14T19:01:00Z"));
    const orch = snapshot.orchestrators[0];
    expect(snapshot.generatedAt).toBe("2026-04-14T19:01:00.000Z");
    expect(orch?.id).toBe(ORCH);
    expect(orch?.status).toBe("active");
    expect(Object.keys(orch?.workers ?? {}).sort()).toEqual(["CTL-48", "CTL-49"]);
    expect(orch?.workers["CTL-48"]?.status).toBe("planning");
    expect(orch?.workers["CTL-49"]).toMatchObject({ status: "researching", needsAttention: true });
    expect(snapshot.needsYou.map((i) => [i.reason, i.worker])).toEqual([["attention", "CTL-49"]]);
  });

  it("includes lines stamped exactly at the time, and not later ones", () => {
    const snapshot = foldEvents(events(), new Date("2026-04-14T19:05:40Z"));
    expect(snapshot.orchestrators[0]?.workers["CTL-49"]).toMatchObject({
      status: "planning",
      needsAttention: false,
    });
  });

  it("knows merges the signal files never recorded, and the completed wave", () => {
    const snapshot = foldEvents(events(), new Date("2026-04-14T20:33:00Z"));
    const orch = snapshot.orchestrators[0];
    expect(orch?.workers["CTL-48"]).toMatchObject({
      status: "merged",
      pr: { number: 123, state: "merged", mergedAt: "2026-04-14T19:39:58Z", repo: "acme/api" },
    });
    expect(orch?.waves).toEqual([
      {
        wave: 1,
        status: "complete",
        tickets: ["CTL-48", "CTL-49"],
        completedAt: "2026-04-14T20:32:10Z",
        dependsOn: [],
      },
    ]);
    expect(orch?.progress).toEqual({ total: 2, done: 2, failed: 0, active: 0 });
  });

  it("drops the orchestrator once it is archived, and is empty before the first line", () => {
    expect(foldEvents(events(), new Date("2026-04-14T22:00:00Z")).orchestrators).toEqual([]);
    expect(foldEvents(events(), new Date("2026-04-14T18:00:00Z")).orchestrators).toEqual([]);
  });
});
