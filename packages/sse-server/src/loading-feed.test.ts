import type { LoadingState, Snapshot } from "@catalyst/schema";
import { createScriptedFeed, emptySnapshot, removedDraft } from "@catalyst/test-utils";
import { describe, expect, it } from "vitest";
import { throttleWhileLoading, withLoadingState } from "./loading-feed.js";

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
  });
});

describe("throttleWhileLoading", () => {
  it("rebuilds the snapshot at most once per interval while loading, and on every call after", () => {
    let builds = 0;
    let clock = 0;
    let loading: LoadingState | null = LOADING;
    const build = (): Snapshot => {
      builds += 1;
      return emptySnapshot();
    };
    const get = throttleWhileLoading(
      build,
      () => loading,
      1000,
      () => clock,
    );
    for (let i = 0; i < 50; i++) {
      get();
      clock += 10;
    }
    expect(builds).toBe(1);
    clock += 1000;
    get();
    expect(builds).toBe(2);
    loading = null;
    get();
    get();
    expect(builds).toBe(4);
  });
});
