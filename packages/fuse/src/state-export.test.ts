import { describe, expect, it } from "vitest";
import { StateImportError } from "./errors.js";
import { line, logLines } from "./inputs.test-helper.js";
import { reduce } from "./reduce.js";
import { createInitialState } from "./state.js";
import { exportState, exportStateJson, importState, restoreExportHoles } from "./state-export.js";
import { toSnapshot } from "./to-snapshot.js";

// Issue 25: a fold's state kept as JSON (time-travel checkpoints) folds on exactly as the original.

const AT = new Date("2026-04-14T06:00:00Z");
const first = logLines(
  line("2026-04-14T01:00:00Z", "orchestrator-started", null, { tickets: ["CTL-1", "CTL-2"] }),
  line("2026-04-14T01:05:00Z", "worker-dispatched", "CTL-1"),
  line("2026-04-14T02:00:00Z", "worker-status-change", "CTL-1", { from: "researching", to: "planning" }),
);
const rest = logLines(
  line("2026-04-14T03:00:00Z", "worker-dispatched", "CTL-2"),
  line("2026-04-14T04:00:00Z", "worker-pr-created", "CTL-1", {
    pr: 12,
    url: "https://github.com/a/b/pull/12",
  }),
);

describe("exportState / exportStateJson / importState", () => {
  it("round-trips through JSON (copied or adopted) to a state that folds on as the original", () => {
    const half = reduce(createInitialState(), first, AT).state;
    const direct = toSnapshot(reduce(reduce(half, rest, AT).state, { kind: "tick" }, AT).state, AT);
    const text = exportStateJson(half);
    expect(text).toBe(JSON.stringify(exportState(half)));
    for (const adopt of [false, true]) {
      const data = JSON.parse(text);
      const resumed = reduce(importState(data, { adopt }), rest, AT).state;
      expect(toSnapshot(reduce(resumed, { kind: "tick" }, AT).state, AT)).toEqual(direct);
    }
    // Without adopt the data is left as it was.
    const data = JSON.parse(text);
    reduce(importState(data), rest, AT);
    expect(JSON.stringify(data)).toBe(text);
  });

  it("takes an export parsed piece by piece (restoreExportHoles on each, then holesRestored)", () => {
    const half = reduce(createInitialState(), first, AT).state;
    const direct = toSnapshot(reduce(reduce(half, rest, AT).state, { kind: "tick" }, AT).state, AT);
    const { orchestrators, ...others } = JSON.parse(JSON.stringify(half)) as Record<string, unknown> & {
      orchestrators: Record<string, unknown>;
    };
    const state: Record<string, unknown> = { ...(restoreExportHoles(others) as object), orchestrators: {} };
    for (const [id, record] of Object.entries(orchestrators))
      (state.orchestrators as Record<string, unknown>)[id] = restoreExportHoles(
        JSON.parse(JSON.stringify(record)),
      );
    const imported = importState({ v: 1, state }, { adopt: true, holesRestored: true });
    const resumed = reduce(imported, rest, AT).state;
    expect(toSnapshot(reduce(resumed, { kind: "tick" }, AT).state, AT)).toEqual(direct);
  });

  it("refuses what exportState did not write", () => {
    expect(() => importState({ v: 99, state: {} })).toThrow(StateImportError);
    expect(() => importState(null)).toThrow(StateImportError);
  });
});
