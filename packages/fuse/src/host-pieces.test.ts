// A fused state of several hosts cut into one piece per host and merged again (issue 25, the
// central checkpoints); what a log line reaches beyond its own orchestrator.

import { type FuseInput, type LogRecord, parseGlobalStateText } from "@catalyst/schema";
import { tombstoneLine } from "@catalyst/test-utils";
import { describe, expect, it } from "vitest";
import {
  createInitialState,
  exportHostState,
  type FuseState,
  logLineReach,
  mergeHostStates,
  reduce,
  StateImportError,
  stateHosts,
  toSnapshot,
} from "./index.js";
import { at, logLines, NOW } from "./inputs.test-helper.js";

/** Log lines of `host`, namespaced as the central has them (`<host>/<file>`, `<host>/<orchestrator>`). */
function hostLines(host: string, ...lines: Array<Record<string, unknown>>): FuseInput {
  const input = logLines(...lines) as Extract<FuseInput, { kind: "log-lines" }>;
  return {
    kind: "log-lines",
    records: input.records.map((r) => ({
      ...r,
      file: `${host}/events/2026-04.jsonl`,
      event:
        r.event.orchestrator === null
          ? r.event
          : { ...r.event, orchestrator: `${host}/${r.event.orchestrator}` },
    })),
  };
}

function hostGlobal(host: string, id: string, workers: Record<string, unknown>): FuseInput {
  const file = `${host}/state.json`;
  const text = JSON.stringify({
    version: "1.0.0",
    orchestrators: { [`${host}/${id}`]: { id, status: "active", workers } },
  });
  return { kind: "global-state", file, result: parseGlobalStateText(text, file) };
}

const heartbeat = (node: string, ts: string) => ({
  ts,
  attributes: { "event.name": "node.heartbeat", "catalyst.node.in_flight_count": 1 },
  resource: { "service.name": "catalyst.execution-core", "host.name": node },
});

const tombstone = (ts: string, name: string) => tombstoneLine(ts, name);

function run(inputs: FuseInput[]): FuseState {
  let state = createInitialState();
  for (const [i, input] of inputs.entries()) state = reduce(state, input, at(i)).state;
  return state;
}

const TS = "2026-04-14T18:00:00Z";

function twoHosts(): FuseState {
  return run([
    hostGlobal("alpha", "o1", { "A-1": { status: "implementing", phase: 3 } }),
    hostGlobal("beta", "o1", { "B-1": { status: "done", phase: 6 } }),
    hostLines(
      "alpha",
      { ts: TS, orchestrator: "o1", worker: "A-2", event: "worker-dispatched", detail: null },
      { ts: TS, orchestrator: "o1", event: "wave-started", detail: { wave: 1, tickets: ["A-1", "A-2"] } },
      heartbeat("alpha-node", TS),
    ),
    hostLines(
      "beta",
      { ts: TS, worker: "B-1", event: "worker-failed", detail: { reason: "x" } },
      tombstone(TS, "session.context"),
      heartbeat("beta-node", TS),
    ),
  ]);
}

describe("fuse: a state in per-host pieces", () => {
  it("merges every host's piece back into a state that shows and folds on as the original", () => {
    const state = twoHosts();
    expect(stateHosts(state)).toEqual(["alpha", "beta"]);
    const pieces = [
      exportHostState(state, "alpha", { nodes: ["alpha-node"] }),
      exportHostState(state, "beta", { nodes: ["beta-node"] }),
    ];
    // Plain JSON data: what a checkpoint writes and reads back.
    const merged = mergeHostStates(JSON.parse(JSON.stringify(pieces)), { parsed: true });
    expect(merged).not.toBeNull();
    expect(toSnapshot(merged!, NOW)).toEqual(toSnapshot(state, NOW));
    const next = hostLines("alpha", { ts: TS, worker: "A-1", event: "worker-done", detail: null });
    expect(toSnapshot(reduce(merged!, next, at(9)).state, at(9))).toEqual(
      toSnapshot(reduce(state, next, at(9)).state, at(9)),
    );
    // A piece holds only its host.
    const beta = mergeHostStates([pieces[1]!])!;
    expect(toSnapshot(beta, NOW).orchestrators.map((o) => o.id)).toEqual(["beta/o1"]);
    expect(toSnapshot(beta, NOW).nodes?.map((n) => n.name)).toEqual(["beta-node"]);
  });

  it("refuses what does not merge exactly: one host twice, problems of two hosts' files, one node twice, a host with /", () => {
    const state = twoHosts();
    const alpha = exportHostState(state, "alpha", { nodes: ["alpha-node"] });
    expect(mergeHostStates([alpha, alpha])).toBeNull();
    const withProblem = run([hostLines("alpha", tombstone(TS, "session.context"))]);
    expect(
      mergeHostStates([exportHostState(withProblem, "alpha"), exportHostState(state, "beta")]),
    ).toBeNull();
    expect(
      mergeHostStates([
        exportHostState(state, "alpha", { nodes: ["alpha-node"] }),
        exportHostState(state, "beta", { nodes: ["alpha-node"] }),
      ]),
    ).toBeNull();
    expect(mergeHostStates([{ ...alpha, host: "a/b" }])).toBeNull();
    expect(() => mergeHostStates([{ v: 9, host: "x", state: {} } as never])).toThrow(StateImportError);
    // A local monitor's state has no hosts.
    expect(
      stateHosts(run([logLines({ ts: TS, orchestrator: "o1", worker: "T-1", event: "worker-dispatched" })])),
    ).toBeNull();
  });

  it("names what a line reaches: its tickets, those looked up across the fleet, a heartbeat's node", () => {
    const reach = (input: FuseInput) => logLineReach((input as { records: LogRecord[] }).records[0]!);
    expect(reach(hostLines("a", { ts: TS, orchestrator: "o", worker: "T-1", event: "worker-done" }))).toEqual(
      {
        tickets: ["T-1"],
        lookups: [],
        nodes: [],
      },
    );
    expect(reach(hostLines("a", { ts: TS, worker: "T-1", event: "worker-done" }))).toEqual({
      tickets: ["T-1"],
      lookups: ["T-1"],
      nodes: [],
    });
    expect(
      reach(
        hostLines("a", {
          ts: TS,
          orchestrator: "o",
          event: "wave-started",
          detail: { wave: 1, tickets: ["T-2", "T-3"] },
        }),
      ),
    ).toEqual({ tickets: ["T-2", "T-3"], lookups: [], nodes: [] });
    expect(reach(hostLines("a", tombstone(TS, "phase.plan.complete.T-4")))).toMatchObject({
      lookups: ["T-4"],
    });
    expect(reach(hostLines("a", heartbeat("n1", TS)))).toEqual({ tickets: [], lookups: [], nodes: ["n1"] });
  });
});
