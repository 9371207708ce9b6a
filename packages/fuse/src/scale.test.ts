// Cost follows the change, not the fleet: the same signal write on a 100- and a 5,000-worker fleet
// does the same work and sends the same bytes. Counted, never timed.
import type { Delta, FuseInput } from "@catalyst/schema";
import { describe, expect, it } from "vitest";
import { applyDelta, createFuse, createInitialState, reduce, toSnapshot, toSnapshotSteps } from "./index.js";
import { at, orchestratorAdded, signal, working } from "./inputs.test-helper.js";

const PER_ORCHESTRATOR = 20;

function orchestratorId(i: number): string {
  return `orch-${String(i).padStart(4, "0")}`;
}

/** Workers last updated long ago, so after a tick every one of them is stalled. */
function fleetInputs(workers: number): FuseInput[] {
  const inputs: FuseInput[] = [];
  for (let o = 0; o * PER_ORCHESTRATOR < workers; o++) {
    const id = orchestratorId(o);
    inputs.push(orchestratorAdded(id));
    for (let w = 0; w < PER_ORCHESTRATOR && o * PER_ORCHESTRATOR + w < workers; w++) {
      const ticket = `T-${o}-${w}`;
      inputs.push(signal(working(ticket, { orchestrator: id, pid: 1000 + w }), ticket, id));
    }
  }
  return inputs;
}

function stalledFleet(workers: number) {
  const fuse = createFuse();
  fuse.apply(fleetInputs(workers), at(0));
  fuse.apply({ kind: "tick" }, at(120));
  return fuse;
}

/** One worker of the middle orchestrator writes a new status. */
function oneWrite(workers: number): FuseInput {
  const o = Math.floor(workers / PER_ORCHESTRATOR / 2);
  const id = orchestratorId(o);
  return signal(
    working(`T-${o}-3`, {
      orchestrator: id,
      pid: 1003,
      status: "validating",
      updatedAt: at(121).toISOString(),
    }),
    `T-${o}-3`,
    id,
  );
}

/** Runs a snapshot's steps to the end: how many steps it took, and what the last one returned. */
function drainSteps<T>(steps: Generator<unknown, T>): { taken: number; value: T } {
  let taken = 0;
  let step = steps.next();
  while (!step.done) {
    taken++;
    step = steps.next();
  }
  return { taken, value: step.value };
}

function bytesOf(deltas: readonly Delta[]): number {
  return deltas.reduce((n, d) => n + Buffer.byteLength(JSON.stringify(d.data)), 0);
}

describe("scale: one change costs the same at 100 and 5,000 workers", () => {
  const sizes = [100, 5000] as const;
  const runs = sizes.map((workers) => {
    const fuse = stalledFleet(workers);
    const before = fuse.snapshot();
    const deltas = fuse.apply(oneWrite(workers), at(121));
    return { workers, fuse, before, deltas };
  });

  it("lists every worker as stalled before the write (the fleet really is large)", () => {
    for (const run of runs) expect(run.before.needsYou).toHaveLength(run.workers);
  });

  it("sends needs-you as the one row that left (the worker moved again), and the same bytes within 2× at both sizes", () => {
    const [small, large] = runs.map((r) => bytesOf(r.deltas));
    for (const run of runs) {
      const needs = run.deltas.find((d) => d.event === "needs-you");
      expect(needs?.event === "needs-you" && needs.data).toMatchObject({
        added: [],
        changed: [],
        removed: [{ worker: expect.stringMatching(/-3$/), reason: "stalled" }],
      });
    }
    expect(large).toBeLessThan(2 * (small as number));
    expect(small).toBeLessThan(2 * (large as number));
    expect(large).toBeLessThan(20_000);
  });

  it("visits the same number of items per change at both sizes", () => {
    const visited = sizes.map((workers) => {
      let state = createInitialState();
      for (const input of fleetInputs(workers)) state = reduce(state, input, at(0)).state;
      state = reduce(state, { kind: "tick" }, at(120)).state;
      return reduce(state, oneWrite(workers), at(121)).visited;
    });
    expect(visited[0]).toBe(visited[1]);
    expect(visited[0]).toBeLessThanOrEqual(4);
  });

  // Issue 26: every tick (5 s) re-derived every worker's rows, 10,000 at a time.
  it("re-derives on a tick only the orchestrators where a stall can have come due", () => {
    const workers = 2000;
    let state = createInitialState();
    for (const input of fleetInputs(workers)) state = reduce(state, input, at(0)).state;
    const first = reduce(state, { kind: "tick" }, at(120));
    expect(toSnapshot(first.state, at(120)).needsYou).toHaveLength(workers);
    // Every worker is stalled already: the passing of time changes nothing more.
    const idle = reduce(first.state, { kind: "tick" }, at(121));
    expect(idle.visited).toBe(0);
    expect(idle.deltas).toEqual([]);
    // One worker moves: it is not stalled until 15 minutes later, and only its orchestrator is due then.
    const moved = reduce(idle.state, oneWrite(workers), at(121)).state;
    expect(reduce(moved, { kind: "tick" }, at(130)).visited).toBe(0);
    const due = reduce(moved, { kind: "tick" }, at(137));
    expect(due.visited).toBe(PER_ORCHESTRATOR);
    expect(toSnapshot(due.state, at(137)).needsYou).toHaveLength(workers);
    // A clock that went back re-derives.
    expect(reduce(due.state, { kind: "tick" }, at(100)).visited).toBe(workers);
  });

  it("patches a client's copy to the live snapshot with the keyed needs-you delta", () => {
    for (const run of runs) {
      let copy = run.before;
      for (const delta of run.deltas) copy = applyDelta(copy, delta);
      const live = run.fuse.snapshot();
      expect(copy.needsYou).toEqual(live.needsYou);
    }
  });
});

// Issue 26: a whole tick re-derives every worker at once (tens of ms at 8,000 workers, every 5 s,
// each write arriving meanwhile waiting for it). A tick's part does 1/n of it, and the n parts
// together find what one whole tick finds.
describe("a tick in parts", () => {
  const workers = 400;
  const fresh = () => {
    let state = createInitialState();
    for (const input of fleetInputs(workers)) state = reduce(state, input, at(0)).state;
    return state;
  };

  it("visits about 1/n of the workers per part", () => {
    const whole = reduce(fresh(), { kind: "tick" }, at(120)).visited;
    const part = reduce(fresh(), { kind: "tick", part: [1, 4] }, at(120)).visited;
    expect(whole).toBeGreaterThanOrEqual(workers);
    expect(part).toBeGreaterThan(0);
    expect(part).toBeLessThanOrEqual(Math.ceil(whole / 4) + PER_ORCHESTRATOR);
  });

  it("finds every stalled worker once all n parts have run, as one whole tick does", () => {
    const fuse = createFuse();
    fuse.apply(fleetInputs(workers), at(0));
    for (let k = 0; k < 4; k++) fuse.apply({ kind: "tick", part: [k, 4] }, at(120));
    expect(fuse.snapshot().needsYou).toHaveLength(workers);
    expect(fuse.snapshot().needsYou).toEqual(stalledFleet(workers).snapshot().needsYou);
  });

  it("takes a malformed part as a whole tick", () => {
    const part = reduce(fresh(), { kind: "tick", part: [5, 4] }, at(120)).visited;
    expect(part).toBeGreaterThanOrEqual(workers);
  });
});

describe("toSnapshotSteps", () => {
  it("builds the snapshot one orchestrator a step, equal to toSnapshot", () => {
    let state = createInitialState();
    for (const input of fleetInputs(200)) state = reduce(state, input, at(0)).state;
    state = reduce(state, { kind: "tick" }, at(120)).state;
    const steps = toSnapshotSteps(state, at(120));
    const { taken, value } = drainSteps(steps);
    // 200 workers, 20 an orchestrator: ten steps, then the snapshot.
    expect(taken).toBe(10);
    expect(value).toEqual(toSnapshot(state, at(120)));
    expect(value.needsYou.length).toBeGreaterThan(0);
  });
});

describe("fuse.snapshotSteps", () => {
  it("adds one orchestrator a step and hands out the snapshot snapshot() gives, kept for it", () => {
    const fuse = stalledFleet(200);
    const steps = fuse.snapshotSteps();
    const { taken, value } = drainSteps(steps);
    // 200 workers, 20 an orchestrator: ten steps, then the snapshot, which snapshot() now hands out.
    expect(taken).toBe(10);
    expect(value.needsYou.length).toBe(200);
    expect(fuse.snapshot()).toBe(value);
    // Made already: no step at all.
    expect(fuse.snapshotSteps().next()).toEqual({ done: true, value });
  });

  it("returns the fleet as it was when asked, whatever is applied between the steps", () => {
    const fuse = stalledFleet(200);
    const before = fuse.snapshot();
    fuse.apply({ kind: "tick" }, at(122)); // a new time: the kept snapshot is stale
    const twin = stalledFleet(200);
    twin.apply({ kind: "tick" }, at(122));
    const asked = twin.snapshot();
    const steps = fuse.snapshotSteps();
    steps.next();
    fuse.apply(oneWrite(200), at(123));
    const { value } = drainSteps(steps);
    expect(value.generatedAt).toBe(at(122).toISOString());
    expect(value).toEqual(asked);
    expect(before.generatedAt).not.toBe(value.generatedAt);
    // Not current any more: snapshot() makes the newer one.
    expect(fuse.snapshot()).not.toBe(value);
    expect(fuse.snapshot().generatedAt).toBe(at(123).toISOString());
  });
});
