import type { NeedsYouItem, NodeView, OrchestratorView, Snapshot } from "@catalyst/schema";
import { compareNeedsYou } from "./derive-needs-you.js";
import { nodeLiveness } from "./fold-today-event.js";
import { forEachKey, toRecord } from "./keyed-map.js";
import type { FuseOptions } from "./options.js";
import { ownValue } from "./own-property.js";
import type { FuseState, PublishedOrchestrator } from "./state.js";
import { isoOf } from "./time.js";

/** Orchestrators are listed by id, in code-unit order, in snapshots and in applyDelta. */
export function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

// Views are immutable, so an orchestrator whose published view did not change gets the very same
// OrchestratorView object in the next snapshot: callers can cache its serialised bytes by identity,
// and a snapshot after one change costs one orchestrator, not the fleet.
const viewCache = new WeakMap<PublishedOrchestrator, OrchestratorView>();

function orchestratorView(view: PublishedOrchestrator): OrchestratorView {
  let out = viewCache.get(view);
  if (out === undefined) {
    out = { ...view.summary, workers: toRecord(view.workers) };
    viewCache.set(view, out);
  }
  return out;
}

/**
 * The fleet as of the last reduce, stamped `generatedAt = now`. Time-based rules (stalled) are
 * not re-run here: feed `{kind: "tick"}` to re-evaluate them, so the snapshot always equals the
 * deltas already sent.
 */
export function toSnapshot(state: FuseState, now: Date, _options?: FuseOptions): Snapshot {
  const steps = toSnapshotSteps(state, now);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

/**
 * {@link toSnapshot} in steps, for a caller that must not hold its event loop for a whole large
 * fleet (a monitor answering a time-travel question): each `next()` adds one orchestrator (its
 * view and its "needs you" rows), and the last one returns the snapshot, equal to
 * `toSnapshot(state, now)` at the first step. Give the loop a turn between steps as often as
 * wanted: the steps keep the orchestrator records they found at the first step (a fuse's applies
 * replace records, never change a published one).
 */
export function* toSnapshotSteps(state: FuseState, now: Date): Generator<undefined, Snapshot, undefined> {
  const orchestrators: OrchestratorView[] = [];
  // The sorted list is built here, once per snapshot, so a change never re-sorts the fleet.
  const needsYou: NeedsYouItem[] = [];
  // The records as they are at the first step: a fuse changes its table in place, but never a
  // record it published (copied before a write), so the steps see one moment of the fleet.
  const records = Object.keys(state.orchestrators)
    .sort(compareIds)
    .map((id) => ownValue(state.orchestrators, id));
  for (const rec of records) {
    const view = rec?.view;
    if (!rec || !view) continue;
    orchestrators.push(orchestratorView(view));
    needsYou.push(...rec.ownNeeds);
    forEachKey(rec.workerNeeds, (items) => {
      needsYou.push(...items);
    });
    yield;
  }
  if (state.budgetRow !== null) needsYou.push(state.budgetRow);
  needsYou.sort(compareNeedsYou);
  const snapshot: Snapshot = {
    generatedAt: isoOf(now),
    orchestrators,
    needsYou,
    sourceErrors: state.sourceErrors,
  };
  // Only a monitor that fuses several hosts feeds `hosts`; a local one's snapshot has no such key.
  if (state.hosts !== null) snapshot.hosts = state.hosts;
  // Hosts that log `node.heartbeat` (today's execution-core daemons), live as of `now` (R1.31).
  if (state.nodes && Object.keys(state.nodes).length > 0) {
    const nowMs = now.getTime();
    snapshot.nodes = Object.keys(state.nodes)
      .sort(compareIds)
      .map((name): NodeView => {
        const node = state.nodes![name]!;
        return {
          name,
          lastHeartbeat: node.lastHeartbeat,
          liveness: nodeLiveness(node.lastMs, nowMs),
          inFlight: node.inFlight,
        };
      });
  }
  return snapshot;
}
