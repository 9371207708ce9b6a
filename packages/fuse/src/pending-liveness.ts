import type { LivenessResult } from "@catalyst/schema";
import {
  deleteKey,
  emptyKeyedMap,
  forEachKey,
  getKey,
  type KeyedMap,
  keyedMapFrom,
  setKey,
} from "./keyed-map.js";
import { setOwn } from "./own-property.js";
import type { FuseState, PendingLiveness } from "./state.js";

// Liveness answers for an orchestrator fuse has no record of yet. A central monitor gets each
// host's answers through the broker's KV, where an answer can be read before the files that make
// its orchestrator exist (the KV hands values over in the order they were last written, and a
// host's publisher writes answers apart from its queue of file changes). An orchestrator record
// that holds nothing but answers is not an orchestrator and is dropped after each input, so its
// answers are parked here and handed back to the record when the orchestrator appears. Bounded in
// answers and bytes (the oldest go first); dropped with the orchestrator (`orchestrator-removed`)
// and with a host that left the host list (a forgotten host of a central monitor).

/** Answers parked at most (the oldest are dropped first). */
export const MAX_PENDING_LIVENESS = 4_096;
/** Bytes parked at most (ids, worker keys and answers, as JSON). */
export const MAX_PENDING_LIVENESS_BYTES = 1024 * 1024;
/** Past a cap, the oldest are dropped down to this share of it, so the sort that finds them is rare. */
const REFILL = 7 / 8;

type Parked = PendingLiveness["answers"] extends KeyedMap<infer V> ? V : never;

const EMPTY: PendingLiveness = { answers: emptyKeyedMap(), count: 0, bytes: 0, next: 0 };

function costOf(orchestrator: string, worker: string, result: LivenessResult): number {
  return orchestrator.length + worker.length + JSON.stringify(result).length;
}

function without(pending: PendingLiveness, orchestrator: string): PendingLiveness {
  const held = getKey(pending.answers, orchestrator);
  if (held === undefined) return pending;
  let count = pending.count;
  let bytes = pending.bytes;
  for (const [worker, { result }] of Object.entries(held.workers)) {
    count -= 1;
    bytes -= costOf(orchestrator, worker, result);
  }
  if (count === 0) return EMPTY;
  return { answers: deleteKey(pending.answers, orchestrator), count, bytes, next: pending.next };
}

/** Drops the oldest answers (by the order they were parked) down to {@link REFILL} of the caps. */
function trim(pending: PendingLiveness): PendingLiveness {
  if (pending.count <= MAX_PENDING_LIVENESS && pending.bytes <= MAX_PENDING_LIVENESS_BYTES) return pending;
  const all: Array<{ orchestrator: string; worker: string; at: number; cost: number }> = [];
  forEachKey(pending.answers, (held, orchestrator) => {
    for (const [worker, { result, at }] of Object.entries(held.workers))
      all.push({ orchestrator, worker, at, cost: costOf(orchestrator, worker, result) });
  });
  all.sort((a, b) => a.at - b.at);
  let { answers, count, bytes } = pending;
  const gone = new Map<string, Set<string>>();
  for (const e of all) {
    if (count <= MAX_PENDING_LIVENESS * REFILL && bytes <= MAX_PENDING_LIVENESS_BYTES * REFILL) break;
    count -= 1;
    bytes -= e.cost;
    const set = gone.get(e.orchestrator) ?? new Set<string>();
    set.add(e.worker);
    gone.set(e.orchestrator, set);
  }
  for (const [orchestrator, workers] of gone) {
    const held = getKey(answers, orchestrator)!;
    const kept: Parked["workers"] = {};
    for (const [worker, entry] of Object.entries(held.workers))
      if (!workers.has(worker)) setOwn(kept, worker, entry);
    answers =
      Object.keys(kept).length === 0
        ? deleteKey(answers, orchestrator)
        : setKey(answers, orchestrator, { workers: kept });
  }
  return count === 0 ? EMPTY : { answers, count, bytes, next: pending.next };
}

/**
 * Parks the answers of an orchestrator record that is being dropped (it holds nothing else). The
 * oldest parked answers go once past {@link MAX_PENDING_LIVENESS} or {@link MAX_PENDING_LIVENESS_BYTES}.
 * Costs the orchestrator's answers, not the number parked (but for the rare trim).
 */
export function parkLiveness(
  state: FuseState,
  orchestrator: string,
  liveness: KeyedMap<LivenessResult>,
): void {
  if (liveness.size === 0) return;
  const pending = without(state.pendingLiveness ?? EMPTY, orchestrator);
  const before = getKey((state.pendingLiveness ?? EMPTY).answers, orchestrator);
  const workers: Parked["workers"] = {};
  let { count, bytes, next } = pending;
  forEachKey(liveness, (result, worker) => {
    // An answer parked before keeps its place in the order; a new one goes last.
    const was = before?.workers[worker];
    setOwn(workers, worker, {
      result,
      at: was !== undefined && Object.hasOwn(before!.workers, worker) ? was.at : next++,
    });
    count += 1;
    bytes += costOf(orchestrator, worker, result);
  });
  state.pendingLiveness = trim({
    answers: setKey(pending.answers, orchestrator, { workers }),
    count,
    bytes,
    next,
  });
}

/** Takes the parked answers of an orchestrator that now has a record (null when none). */
export function unparkLiveness(state: FuseState, orchestrator: string): KeyedMap<LivenessResult> | null {
  const pending = state.pendingLiveness;
  const held = pending === undefined ? undefined : getKey(pending.answers, orchestrator);
  if (pending === undefined || held === undefined) return null;
  state.pendingLiveness = without(pending, orchestrator);
  return keyedMapFrom(Object.entries(held.workers).map(([worker, { result }]) => [worker, result] as const));
}

/** Drops an orchestrator's parked answers (it was removed). */
export function dropParkedLiveness(state: FuseState, orchestrator: string): void {
  const pending = state.pendingLiveness;
  if (pending !== undefined && pending.count > 0) state.pendingLiveness = without(pending, orchestrator);
}

/**
 * Drops the parked answers of hosts no longer in the host list (a central monitor names its
 * orchestrators `<host>/<id>`): a forgotten host's answers do not wait for it.
 */
export function dropParkedLivenessOfGoneHosts(state: FuseState, hosts: readonly { name: string }[]): void {
  const pending = state.pendingLiveness;
  if (pending === undefined || pending.count === 0) return;
  let next = pending;
  forEachKey(pending.answers, (_held, id) => {
    if (!id.includes("/") || hosts.some((h) => id.startsWith(`${h.name}/`))) return;
    next = without(next, id);
  });
  state.pendingLiveness = next;
}
