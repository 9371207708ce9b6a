import type { LoadingState, Snapshot } from "@catalyst/schema";
import { createScriptedFeed, emptySnapshot, removedDraft } from "@catalyst/test-utils";
import { describe, expect, it } from "vitest";
import { createLoadingMark, withLoadingState } from "./loading-feed.js";

const LOADING: LoadingState = { phase: "history", records: 500, startedAt: "2026-04-14T19:00:00Z" };

describe("withLoadingState", () => {
  it("marks the snapshot while loading and passes the plain one after", () => {
    const feed = createScriptedFeed();
    let loading: LoadingState | null = LOADING;
    const wrapped = withLoadingState(feed, () => loading);
    const first = wrapped.snapshot();
    expect(first.loading).toEqual(LOADING);
    feed.publish([removedDraft("o1", "W1")]);
    expect(wrapped.lastId()).toBe(feed.lastId());
    loading = null;
    expect(wrapped.snapshot().loading).toBeUndefined();
    expect(wrapped.snapshotSteps).toBeUndefined();
  });

  it("keeps the feed's snapshotSteps, step for step, marked as snapshot() is", () => {
    const base = emptySnapshot();
    let stepped = 0;
    const feed = {
      ...createScriptedFeed(),
      snapshot: () => base,
      *snapshotSteps(): Generator<undefined, Snapshot, undefined> {
        for (let i = 0; i < 3; i++) {
          stepped += 1;
          yield;
        }
        return base;
      },
    };
    const wrapped = withLoadingState(feed, () => LOADING);
    const it = wrapped.snapshotSteps!();
    let steps = 0;
    let step = it.next();
    for (; !step.done; step = it.next()) steps += 1;
    expect(steps).toBe(3);
    expect(stepped).toBe(3);
    expect(step.value.loading).toEqual(LOADING);
    // The same marked object as snapshot() hands out.
    expect(step.value).toBe(wrapped.snapshot());
  });
});

describe("createLoadingMark", () => {
  it("marks while loading, with one object per snapshot and progress", () => {
    let state: LoadingState | null = { phase: "scanning", records: 0, startedAt: "2026-04-14T19:00:00.000Z" };
    const mark = createLoadingMark(() => state);
    const base = emptySnapshot();
    const marked = mark(base);
    expect(marked.loading).toBe(state);
    expect(mark(base)).toBe(marked);
    state = null;
    expect(mark(base)).toBe(base);
  });
});
