import { normalizeEventLine, parseEventLine } from "@catalyst/schema";
import { describe, expect, it } from "vitest";
import { buildEventFilter } from "./event-filter.js";

function event(text: string) {
  const parsed = parseEventLine(text);
  if (!parsed.ok) throw new Error(parsed.error.message);
  return normalizeEventLine(parsed.value);
}

const v1 = event(
  '{"ts":"2026-04-14T19:40:12Z","orchestrator":"orch-a","worker":"CTL-48","event":"worker-pr-merged","detail":null}',
);
const canonical = event(
  '{"ts":"2026-05-07T15:02:11Z","attributes":{"event.name":"orchestrator.worker.pr_merged","catalyst.orchestrator.id":"orch-b","catalyst.worker.ticket":"CTL-9"}}',
);
const v2 = event(
  '{"ts":"2026-05-03T10:00:00.000Z","schemaVersion":2,"event":"github.pr.merged","scope":{"orchestrator":"orch-a","ticket":"CTL-48"}}',
);
const orchLevel = event(
  '{"ts":"2026-04-14T18:37:02Z","orchestrator":"orch-a","worker":null,"event":"archive","detail":null}',
);

describe("buildEventFilter", () => {
  it("filters nothing when no list is given", () => {
    expect(buildEventFilter({})).toBeUndefined();
  });

  it("matches types by v1 name or by the name as written", () => {
    const byV1 = buildEventFilter({ types: ["worker-pr-merged"] });
    expect([v1, canonical, v2, orchLevel].map((e) => byV1?.(e))).toEqual([true, true, false, false]);
    const byWritten = buildEventFilter({ types: ["orchestrator.worker.pr_merged", "github.pr.merged"] });
    expect([v1, canonical, v2, orchLevel].map((e) => byWritten?.(e))).toEqual([false, true, true, false]);
  });

  it("matches orchestrator and worker from any shape; orchestrator-level events have no worker", () => {
    const filter = buildEventFilter({ orchestrators: ["orch-a"], workers: ["CTL-48"] });
    expect([v1, canonical, v2, orchLevel].map((e) => filter?.(e))).toEqual([true, false, true, false]);
  });
});
