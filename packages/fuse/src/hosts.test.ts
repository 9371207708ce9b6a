// Several hosts in one fuse (a central monitor): a global state.json per host, orchestrators
// carrying their host, and the host list with its stale marks.
import { type FuseInput, parseGlobalStateText } from "@catalyst/schema";
import { describe, expect, it } from "vitest";
import { applyDelta, createFuse, createInitialState, reduce, toSnapshot } from "./index.js";
import { at, NOW } from "./inputs.test-helper.js";

/** Host `host`'s global state.json, as a relay consumer delivers it (ids namespaced `<host>/<id>`). */
function hostGlobal(host: string, orchestrators: Record<string, Record<string, unknown>>): FuseInput {
  const file = `${host}/state.json`;
  const entries: Record<string, unknown> = {};
  for (const [id, entry] of Object.entries(orchestrators)) entries[`${host}/${id}`] = { id, ...entry };
  const text = JSON.stringify({ version: "1.0.0", orchestrators: entries });
  return { kind: "global-state", file, result: parseGlobalStateText(text, file) };
}

function workers(prefix: string, count: number, status = "implementing"): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (let i = 0; i < count; i++) out[`${prefix}-${i}`] = { status, phase: 3 };
  return out;
}

function run(inputs: FuseInput[]) {
  let state = createInitialState();
  for (const [i, input] of inputs.entries()) state = reduce(state, input, at(i)).state;
  return state;
}

describe("fuse: a global state.json per host", () => {
  it("keeps each host's global state by its file and looks every orchestrator up in its own", () => {
    const state = run([
      hostGlobal("alpha", { o1: { status: "active", workers: workers("A", 2) } }),
      hostGlobal("beta", { o1: { status: "paused", workers: workers("B", 3) } }),
    ]);
    const snap = toSnapshot(state, NOW);
    expect(snap.orchestrators.map((o) => [o.id, o.status, Object.keys(o.workers).length])).toEqual([
      ["alpha/o1", "active", 2],
      ["beta/o1", "paused", 3],
    ]);
  });

  it("one host's rewrite marks only what changed in that host's file", () => {
    const before = run([
      hostGlobal("alpha", { o1: { status: "active", workers: workers("A", 5) } }),
      hostGlobal("beta", { o1: { status: "active", workers: workers("B", 5) } }),
    ]);
    const changed = workers("A", 5);
    changed["A-3"] = { status: "validating", phase: 4 };
    const next = reduce(before, hostGlobal("alpha", { o1: { status: "active", workers: changed } }), at(9));
    expect(next.deltas.map((d) => [d.event, "worker" in d.data ? d.data.worker : null])).toEqual([
      ["worker-update", "A-3"],
    ]);
    expect(next.visited).toBe(2); // the worker view, then its "needs you" rows
  });

  it("removing one host's global state drops only that host's orchestrators", () => {
    const state = run([
      hostGlobal("alpha", { o1: { status: "active", workers: workers("A", 2) } }),
      hostGlobal("beta", { o1: { status: "active", workers: workers("B", 2) } }),
    ]);
    const next = reduce(state, { kind: "global-state-removed", file: "alpha/state.json" }, at(5));
    expect(next.deltas.filter((d) => d.event === "orchestrator-removed").map((d) => d.data)).toEqual([
      { orchestrator: "alpha/o1", ts: at(5).toISOString() },
    ]);
    expect(toSnapshot(next.state, NOW).orchestrators.map((o) => o.id)).toEqual(["beta/o1"]);
    // A second removal of the same file, or of a file never read, changes nothing.
    expect(
      reduce(next.state, { kind: "global-state-removed", file: "alpha/state.json" }, at(6)).deltas,
    ).toEqual([]);
  });

  it("lists every corrupt global state in sourceErrors and keeps each one's last good value", () => {
    const good = run([
      hostGlobal("alpha", { o1: { status: "active", workers: workers("A", 1) } }),
      hostGlobal("beta", { o1: { status: "active", workers: workers("B", 1) } }),
    ]);
    const torn = (host: string): FuseInput => {
      const file = `${host}/state.json`;
      return { kind: "global-state", file, result: parseGlobalStateText("{ torn", file) };
    };
    let state = reduce(good, torn("alpha"), at(3)).state;
    state = reduce(state, torn("beta"), at(4)).state;
    const snap = toSnapshot(state, NOW);
    expect(snap.sourceErrors.map((e) => e.file)).toEqual(["alpha/state.json", "beta/state.json"]);
    expect(snap.orchestrators.map((o) => Object.keys(o.workers))).toEqual([["A-0"], ["B-0"]]);
    // beta repaired: only alpha's marker is left.
    state = reduce(
      state,
      hostGlobal("beta", { o1: { status: "active", workers: workers("B", 1) } }),
      at(5),
    ).state;
    expect(toSnapshot(state, NOW).sourceErrors.map((e) => e.file)).toEqual(["alpha/state.json"]);
  });

  it("a rewrite of one host's global state visits that host's orchestrators only, at any fleet size", () => {
    // Counted, never timed: 2 and 20 hosts of 10 orchestrators × 20 workers each.
    const visits = [2, 20].map((hosts) => {
      const fleet = (h: number, changed: boolean) => {
        const orchs: Record<string, Record<string, unknown>> = {};
        for (let o = 0; o < 10; o++) {
          const ws = workers(`T${o}`, 20);
          if (changed && o === 4) ws["T4-7"] = { status: "validating", phase: 4 };
          orchs[`o${o}`] = { status: "active", workers: ws };
        }
        return hostGlobal(`host-${h}`, orchs);
      };
      let state = createInitialState();
      for (let h = 0; h < hosts; h++) state = reduce(state, fleet(h, false), at(0)).state;
      const result = reduce(state, fleet(1, true), at(1));
      expect(result.deltas.map((d) => [d.event, "worker" in d.data ? d.data.worker : null])).toEqual([
        ["worker-update", "T4-7"],
      ]);
      return result.visited;
    });
    expect(visits[0]).toBe(visits[1]);
    expect(visits[0]).toBe(2);
  });
});

describe("fuse: orchestrators from several hosts", () => {
  it("carries the ref's host onto the orchestrator view, and none for a local orchestrator", () => {
    const state = run([
      {
        kind: "orchestrator-added",
        orchestrator: {
          id: "alpha/o1",
          host: "alpha",
          workspace: "ctl",
          path: "alpha/wt/ctl/o1",
          source: "wt",
        },
      },
      {
        kind: "orchestrator-added",
        orchestrator: { id: "o2", workspace: "ctl", path: "/tmp/c/wt/ctl/o2", source: "wt" },
      },
    ]);
    const [remote, local] = toSnapshot(state, NOW).orchestrators;
    expect(remote).toMatchObject({ id: "alpha/o1", host: "alpha" });
    expect(local && "host" in local).toBe(false);
  });
});

describe("fuse: the hosts input", () => {
  const alpha = { name: "alpha", lastHeartbeat: "2026-04-14T19:21:55.000Z", stale: false };
  const beta = { name: "beta", lastHeartbeat: null, stale: false };

  it("has no hosts in the snapshot until a hosts input is applied, then always", () => {
    const fuse = createFuse();
    fuse.apply({ kind: "tick" }, at(0));
    expect("hosts" in fuse.snapshot()).toBe(false);
    const deltas = fuse.apply({ kind: "hosts", hosts: [] }, at(1));
    expect(deltas.map((d) => d.event)).toEqual(["hosts"]);
    expect(fuse.snapshot().hosts).toEqual([]);
  });

  it("publishes a hosts delta only when the list differs, and applyDelta follows it", () => {
    const fuse = createFuse();
    const start = fuse.snapshot();
    const first = fuse.apply({ kind: "hosts", hosts: [alpha, beta] }, at(1));
    expect(first.map((d) => d.data)).toEqual([{ ts: at(1).toISOString(), hosts: [alpha, beta] }]);
    expect(fuse.apply({ kind: "hosts", hosts: [{ ...alpha }, { ...beta }] }, at(2))).toEqual([]);
    const stale = fuse.apply({ kind: "hosts", hosts: [{ ...alpha, stale: true }, beta] }, at(3));
    expect(stale.map((d) => d.event)).toEqual(["hosts"]);
    const replayed = [...first, ...stale].reduce(applyDelta, start);
    expect(replayed.hosts).toEqual(fuse.snapshot().hosts);
    expect(fuse.snapshot().hosts?.[0]?.stale).toBe(true);
  });

  it("a stale host changes no worker", () => {
    const state = run([
      hostGlobal("alpha", { o1: { status: "active", workers: workers("A", 3) } }),
      { kind: "hosts", hosts: [alpha] },
    ]);
    const next = reduce(state, { kind: "hosts", hosts: [{ ...alpha, stale: true }] }, at(9));
    expect(next.deltas.map((d) => d.event)).toEqual(["hosts"]);
    expect(next.visited).toBe(0);
  });
});
