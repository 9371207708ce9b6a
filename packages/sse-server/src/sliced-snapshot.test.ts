import type { LoadingState, Snapshot } from "@catalyst/schema";
import { describe, expect, it } from "vitest";
import { createLoadingMark, createSlicedSnapshot } from "./index.js";

const snapshotOf = (n: number): Snapshot => ({
  generatedAt: "2026-04-14T19:00:00.000Z",
  orchestrators: [],
  needsYou: [],
  sourceErrors: [],
  ...{ n },
});

/** Steps that each cost 3 ms of a fake clock; `made` counts snapshots built. */
function fakeSteps(count: number) {
  let clock = 0;
  let made = 0;
  function* steps(): Generator<undefined, Snapshot, undefined> {
    for (let i = 0; i < count; i++) {
      clock += 3;
      yield;
    }
    made += 1;
    return snapshotOf(made);
  }
  return { steps, now: () => clock, made: () => made };
}

describe("createSlicedSnapshot", () => {
  it("gives the loop a turn after every slice of work", async () => {
    const fake = fakeSteps(100);
    let yields = 0;
    const sliced = createSlicedSnapshot(fake.steps, {
      sliceMs: 8,
      now: fake.now,
      yieldToLoop: async () => {
        yields += 1;
      },
    });
    const snapshot = await sliced.get();
    expect(snapshot).toMatchObject({ n: 1 });
    // 100 steps of 3 ms in slices of 8 ms (three steps each): 33 turns.
    expect(sliced.turns()).toBe(33);
    expect(yields).toBe(33);
  });

  it("shares a build under way with every read asked for meanwhile, and builds again after it", async () => {
    const fake = fakeSteps(20);
    const sliced = createSlicedSnapshot(fake.steps, { now: fake.now, yieldToLoop: () => Promise.resolve() });
    const [a, b, c] = await Promise.all([sliced.get(), sliced.get(), sliced.get()]);
    expect(a).toBe(b);
    expect(b).toBe(c);
    expect(sliced.builds()).toBe(1);
    await sliced.get();
    expect(sliced.builds()).toBe(2);
    expect(fake.made()).toBe(2);
  });
});

describe("createLoadingMark", () => {
  it("marks while loading, with one object per snapshot and progress", () => {
    let state: LoadingState | null = { phase: "scanning", records: 0, startedAt: "2026-04-14T19:00:00.000Z" };
    const mark = createLoadingMark(() => state);
    const base = snapshotOf(1);
    const marked = mark(base);
    expect(marked.loading).toBe(state);
    expect(mark(base)).toBe(marked);
    state = null;
    expect(mark(base)).toBe(base);
  });
});
