import type { DeltaFeed, LoadingState, Snapshot } from "@catalyst/schema";

/**
 * The feed as clients see it while the monitor loads: every snapshot is the fleet read so far,
 * marked with `loading` (phase and progress), so `/api/snapshot` and new SSE clients get an
 * answer at once instead of waiting for a large start-up to finish. The same object comes back
 * until the fleet or the progress moves, so its bytes are encoded once.
 */
export function withLoadingState(feed: DeltaFeed, loading: () => LoadingState | null): DeltaFeed {
  let memo: { base: Snapshot; state: LoadingState; snapshot: Snapshot } | null = null;
  return {
    snapshot() {
      const base = feed.snapshot();
      const state = loading();
      if (state === null) return base;
      if (memo === null || memo.base !== base || memo.state !== state) {
        memo = { base, state, snapshot: { ...base, loading: state } };
      }
      return memo.snapshot;
    },
    lastId: () => feed.lastId(),
    since: (id) => feed.since(id),
    subscribe: (listener) => feed.subscribe(listener),
  };
}

/**
 * `/api/snapshot` while loading: the fleet so far, rebuilt at most every `refreshMs`. Building and
 * serialising a large fleet costs tens of ms, and pollers during a long start-up would otherwise
 * pay it on every request and slow the loading itself. Once loaded, every change is served.
 * Only for plain reads: an SSE snapshot must match its id, so the hub never uses this.
 */
export function throttleWhileLoading(
  snapshot: () => Snapshot,
  loading: () => LoadingState | null,
  refreshMs = 1000,
  now: () => number = () => performance.now(),
): () => Snapshot {
  let cached: { snapshot: Snapshot; at: number } | null = null;
  return () => {
    if (loading() !== null && cached !== null && now() - cached.at < refreshMs) return cached.snapshot;
    cached = { snapshot: snapshot(), at: now() };
    return cached.snapshot;
  };
}
