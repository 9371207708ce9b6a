import type { Delta, Snapshot } from "@catalyst/schema";
import { createFleetCounts, type FleetCounts } from "./fleet-counts.js";

/** What the counts follow: fuse, or anything with its `snapshot` and `subscribe`. */
export interface CountsFeed {
  snapshot(): Snapshot;
  subscribe(listener: (deltas: Delta[]) => void): () => void;
}

/**
 * Counts that follow a feed: seeded from its snapshot and subscribed in one synchronous step, so
 * no delta falls between them. Returns the counts and the unsubscribe.
 */
export function followFleet(feed: CountsFeed): { counts: FleetCounts; stop: () => void } {
  const counts = createFleetCounts();
  counts.reset(feed.snapshot());
  const stop = feed.subscribe((deltas) => counts.apply(deltas));
  return { counts, stop };
}
