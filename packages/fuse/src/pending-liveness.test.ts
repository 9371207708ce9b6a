// A liveness answer that arrives before its orchestrator exists (a central monitor reads a host's
// answer from the broker's KV before that host's files) is kept and applied when the worker
// appears; the parked answers are bounded and leave with their orchestrator or host.
import type { FuseInput } from "@catalyst/schema";
import { describe, expect, it } from "vitest";
import { createFuse, createInitialState, reduce, toSnapshot } from "./index.js";
import { at, liveness, NOW, ORCH, orchestratorAdded, signal, working } from "./inputs.test-helper.js";
import { keysOf } from "./keyed-map.js";
import { MAX_PENDING_LIVENESS } from "./pending-liveness.js";
import type { FuseState } from "./state.js";

function run(inputs: FuseInput[], from: FuseState = createInitialState()): FuseState {
  let state = from;
  for (const [i, input] of inputs.entries()) state = reduce(state, input, at(i)).state;
  return state;
}

const parked = (state: FuseState) =>
  state.pendingLiveness ? keysOf(state.pendingLiveness.answers).sort() : [];

const workerOf = (state: FuseState, ticket: string, orchestrator = ORCH) =>
  toSnapshot(state, NOW).orchestrators.find((o) => o.id === orchestrator)?.workers[ticket];

describe("fuse: liveness before the worker's orchestrator", () => {
  it("keeps an answer that came first and applies it when the worker's file arrives", () => {
    const state = run([
      liveness("CTL-1", 4242, false),
      liveness("CTL-2", 4343, true),
      orchestratorAdded(),
      signal(working("CTL-1", { pid: 4242 })),
      signal(working("CTL-2", { pid: 4343 })),
    ]);
    expect(workerOf(state, "CTL-1")).toMatchObject({ pid: 4242, alive: false });
    expect(workerOf(state, "CTL-2")).toMatchObject({ pid: 4343, alive: true });
    expect(
      toSnapshot(state, NOW)
        .needsYou.filter((n) => n.reason === "dead")
        .map((n) => n.worker),
    ).toEqual(["CTL-1"]);
    expect(state.pendingLiveness?.count ?? 0).toBe(0);
  });

  it("applies it when a signal file alone makes the orchestrator exist, and through createFuse", () => {
    const fuse = createFuse();
    fuse.apply([liveness("CTL-1", 4242, false)], at(0));
    expect(fuse.snapshot().orchestrators).toEqual([]);
    fuse.apply([signal(working("CTL-1", { pid: 4242 }))], at(1));
    expect(fuse.snapshot().orchestrators[0]?.workers["CTL-1"]).toMatchObject({ alive: false });
  });

  it("an answer for another pid than the file's is not applied", () => {
    const state = run([liveness("CTL-1", 1111, false), signal(working("CTL-1", { pid: 2222 }))]);
    expect(workerOf(state, "CTL-1")).toMatchObject({ pid: 2222, alive: null });
  });

  it("drops the parked answers of a removed orchestrator and of a host that left the host list", () => {
    const host = (name: string) => ({ name, lastHeartbeat: null, stale: false });
    let state = run([
      { kind: "hosts", hosts: [host("a"), host("b")] },
      liveness("T-1", 10, false, "a/o1"),
      liveness("T-1", 11, false, "b/o1"),
      liveness("T-2", 12, false, "b/o2"),
      liveness("T-9", 13, false, "local"),
    ]);
    expect(state.pendingLiveness?.count).toBe(4);
    state = run([{ kind: "orchestrator-removed", id: "b/o2" }], state);
    expect(state.pendingLiveness?.count).toBe(3);
    state = run([{ kind: "hosts", hosts: [host("b")] }], state);
    expect(parked(state)).toEqual(["b/o1", "local"]);
    state = run([signal(working("T-1", { pid: 10 }), "T-1", "a/o1")], state);
    expect(workerOf(state, "T-1", "a/o1")).toMatchObject({ alive: null });
  });

  it("is bounded: past the cap the oldest answers go", () => {
    let state = createInitialState();
    const total = MAX_PENDING_LIVENESS + 10;
    for (let i = 0; i < total; i++)
      state = reduce(state, liveness(`T-${i}`, 100 + i, false, `o${i}`), NOW).state;
    const count = state.pendingLiveness?.count ?? 0;
    expect(count).toBeLessThanOrEqual(MAX_PENDING_LIVENESS);
    expect(count).toBeGreaterThan(MAX_PENDING_LIVENESS / 2);
    const held = parked(state);
    expect(held).toHaveLength(count);
    expect(held).not.toContain("o0");
    expect(held).toContain(`o${total - 1}`);
    expect(Object.keys(state.orchestrators)).toEqual([]);
  });
});
