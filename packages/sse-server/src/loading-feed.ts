import type { DeltaFeed, LoadingState, Snapshot } from "@catalyst/schema";
import { createLoadingMark } from "./sliced-snapshot.js";

/**
 * The feed as clients see it while the monitor loads: every snapshot is the fleet read so far,
 * marked with `loading` (phase and progress), so `/api/snapshot` and new SSE clients get an
 * answer at once instead of waiting for a large start-up to finish. The same object comes back
 * until the fleet or the progress moves, so its bytes are encoded once.
 */
export function withLoadingState(feed: DeltaFeed, loading: () => LoadingState | null): DeltaFeed {
  const mark = createLoadingMark(loading);
  return {
    snapshot: () => mark(feed.snapshot()),
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
export function throttleWhileLoading<T extends Snapshot | Promise<Snapshot>>(
  snapshot: () => T,
  loading: () => LoadingState | null,
  refreshMs = 1000,
  now: () => number = () => performance.now(),
): () => T {
  let cached: { snapshot: T; at: number } | null = null;
  return () => {
    if (loading() !== null && cached !== null && now() - cached.at < refreshMs) return cached.snapshot;
    cached = { snapshot: snapshot(), at: now() };
    return cached.snapshot;
  };
}
