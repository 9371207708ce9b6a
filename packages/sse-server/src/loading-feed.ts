import type { LoadingState, Snapshot } from "@catalyst/schema";
import type { SteppedDeltaFeed } from "./snapshot-frames.js";

/**
 * The feed as clients see it while the monitor loads: every snapshot is the fleet read so far,
 * marked with `loading` (phase and progress), so `/api/snapshot` and new SSE clients get an
 * answer at once instead of waiting for a large start-up to finish. The same object comes back
 * until the fleet or the progress moves, so its bytes are encoded once. A feed with
 * `snapshotSteps()` (fuse) keeps them, marked the same way.
 */
export function withLoadingState(
  feed: SteppedDeltaFeed,
  loading: () => LoadingState | null,
): SteppedDeltaFeed {
  const mark = createLoadingMark(loading);
  const steps = feed.snapshotSteps?.bind(feed);
  return {
    snapshot: () => mark(feed.snapshot()),
    lastId: () => feed.lastId(),
    since: (id) => feed.since(id),
    subscribe: (listener) => feed.subscribe(listener),
    // The snapshot in steps (fuse's), marked as `snapshot()` marks it.
    ...(steps === undefined
      ? {}
      : {
          *snapshotSteps() {
            const it = steps();
            for (;;) {
              const step = it.next();
              if (step.done) return mark(step.value);
              yield undefined;
            }
          },
        }),
  };
}

/**
 * The snapshot marked with `loading` while the monitor loads (as {@link withLoadingState} marks
 * its feed's): the same object comes back until the snapshot or the progress moves.
 */
export function createLoadingMark(loading: () => LoadingState | null): (base: Snapshot) => Snapshot {
  let memo: { base: Snapshot; state: LoadingState; snapshot: Snapshot } | null = null;
  return (base) => {
    const state = loading();
    if (state === null) return base;
    if (memo === null || memo.base !== base || memo.state !== state) {
      memo = { base, state, snapshot: { ...base, loading: state } };
    }
    return memo.snapshot;
  };
}
