import type { OrchestratorView, Snapshot } from "@catalyst/schema";
import { toRecord } from "./keyed-map.js";
import type { FuseOptions } from "./options.js";
import { ownValue } from "./own-property.js";
import type { FuseState } from "./state.js";
import { isoOf } from "./time.js";

/** Orchestrators are listed by id, in code-unit order, in snapshots and in applyDelta. */
export function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The fleet as of the last reduce, stamped `generatedAt = now`. Time-based rules (stalled) are
 * not re-run here: feed `{kind: "tick"}` to re-evaluate them, so the snapshot always equals the
 * deltas already sent.
 */
export function toSnapshot(state: FuseState, now: Date, _options?: FuseOptions): Snapshot {
  const orchestrators: OrchestratorView[] = [];
  for (const id of Object.keys(state.orchestrators).sort(compareIds)) {
    const view = ownValue(state.orchestrators, id)?.view;
    if (view) orchestrators.push({ ...view.summary, workers: toRecord(view.workers) });
  }
  return {
    generatedAt: isoOf(now),
    orchestrators,
    needsYou: state.needsYou,
    sourceErrors: state.sourceErrors,
  };
}
