// The order of the "needs you" list, apart from the rest of its derivation: clients (applyDelta in
// a browser bundle) sort with it, so it imports only zod-free parts of the schema package.
import type { NeedsYouItem, NeedsYouReason } from "@catalyst/schema";
import { timestampMs } from "@catalyst/schema";

const REASON_RANK: Record<NeedsYouReason, number> = {
  attention: 0,
  failed: 1,
  dead: 2,
  stalled: 3,
  corrupt: 4,
  budget: 5,
};

/** Most urgent reason first, then the oldest, then by orchestrator and worker. */
export function compareNeedsYou(a: NeedsYouItem, b: NeedsYouItem): number {
  const rank = REASON_RANK[a.reason] - REASON_RANK[b.reason];
  if (rank !== 0) return rank;
  const am = a.since === null ? Number.POSITIVE_INFINITY : timestampMs(a.since);
  const bm = b.since === null ? Number.POSITIVE_INFINITY : timestampMs(b.since);
  if (am !== bm) return am < bm ? -1 : 1;
  if (a.orchestrator !== b.orchestrator) return a.orchestrator < b.orchestrator ? -1 : 1;
  const aw = a.worker ?? "";
  const bw = b.worker ?? "";
  if (aw !== bw) return aw < bw ? -1 : 1;
  return a.message < b.message ? -1 : a.message > b.message ? 1 : 0;
}
